// fuzz_header: the input is the JSON header alone. The target frames it with
// a consistent 8-byte little-endian length prefix, so every mutation reaches
// the JSON and schema stages instead of failing the framing checks.
//
// Pass 1 frames the header with an empty data section (compat, collecting
// the tensor table). When a table came out, pass 2 frames it again with a
// data section as long as the largest data_offsets end (up to 4 MiB, under
// the 16 MiB malloc limit of fuzz/limits.env with the header beside it; the
// validator never reads data bytes, so they are left as they are) and runs
// the three built-ins, so consistent headers reach the layout rules and the
// accept path. Pass 2 also runs a "tight" policy (strict with tiny limits,
// four dtypes allowed, depth 4) so the limit rules are reachable in small
// inputs. Oracle: the checks of fuzz_check (known codes, offsets in the
// file, tiling of accepted files) and monotonicity compat -> default ->
// strict -> tight.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "fuzz_common.h"

namespace {

constexpr uint64_t kMaxDataBytes = 4u << 20;

std::span<const uint8_t> FrameInto(std::vector<uint8_t>& buffer, const uint8_t* header,
                                   size_t size, uint64_t data_size) {
  const size_t total = 8 + size + static_cast<size_t>(data_size);
  if (buffer.size() < total) buffer.resize(total);
  stguard_fuzz::WriteLe64(buffer.data(), size);
  if (size > 0) std::memcpy(buffer.data() + 8, header, size);
  return {buffer.data(), total};
}

const stguard::Policy& Tight() {
  static const stguard::Policy policy = [] {
    stguard::Policy p = stguard_fuzz::BuiltinByIndex(2);
    p.name = "fuzz-tight";
    p.max_json_depth = 4;
    p.max_tensors = 2;
    p.max_rank = 2;
    p.max_name_bytes = 16;
    p.max_metadata_entries = 2;
    p.max_metadata_value_bytes = 16;
    p.allowed_dtypes = 0;
    for (stguard::Dtype d : {stguard::Dtype::kF32, stguard::Dtype::kBF16, stguard::Dtype::kF16,
                             stguard::Dtype::kU8}) {
      p.allowed_dtypes |= 1u << static_cast<unsigned>(d);
    }
    return p;
  }();
  return policy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<uint8_t> buffer;
  constexpr int kPolicies = stguard_fuzz::kBuiltinCount + 1;
  static const char* const kWhat[kPolicies] = {"compat", "default", "strict", "tight"};
  stguard::ValidateOptions collect;
  collect.collect_tensors = true;

  const std::span<const uint8_t> first = FrameInto(buffer, data, size, 0);
  const stguard::Report r0 = stguard::ValidateBuffer(first, stguard_fuzz::BuiltinByIndex(0), collect);
  stguard_fuzz::CheckFindings(r0, "compat, empty data");
  stguard_fuzz::CheckAcceptedLayout(r0, "compat, empty data");
  if (r0.header_bytes != size) stguard_fuzz::Fail("header_bytes differs from the framed N");
  if (r0.tensors.empty()) return 0;

  uint64_t data_size = 0;
  for (const stguard::TensorRecord& t : r0.tensors) data_size = std::max(data_size, t.data_end);
  if (data_size == 0 || data_size > kMaxDataBytes) return 0;

  const std::span<const uint8_t> second = FrameInto(buffer, data, size, data_size);
  stguard::Report reports[kPolicies];
  for (int i = 0; i < kPolicies; ++i) {
    const stguard::Policy& policy =
        i < stguard_fuzz::kBuiltinCount ? stguard_fuzz::BuiltinByIndex(i) : Tight();
    reports[i] = stguard::ValidateBuffer(second, policy, collect);
    stguard_fuzz::CheckFindings(reports[i], kWhat[i]);
    stguard_fuzz::CheckAcceptedLayout(reports[i], kWhat[i]);
  }
  for (int i = 0; i + 1 < kPolicies; ++i) {
    if (reports[i].verdict == stguard::Verdict::kReject &&
        reports[i + 1].verdict != stguard::Verdict::kReject) {
      stguard_fuzz::Fail(std::string("rejected by ") + kWhat[i] + " but accepted by " +
                         kWhat[i + 1]);
    }
  }
  // The same tensor table whatever the data size (the table is built from
  // the header alone).
  if (reports[0].tensors != r0.tensors) {
    stguard_fuzz::Fail("compat tensor table depends on the data section's size");
  }
  return 0;
}
