// fuzz_check: raw bytes -> one ValidateBuffer, under a policy the input
// chooses: a built-in, or a built-in whose header cap is the input's own
// header length or one byte either side (so small inputs reach the cap
// boundary). Oracle (abort on any violation):
//   - the report: its file size, every finding with a known code, an offset
//     inside the file and valid UTF-8; an accepted file's tensors tile the
//     data section exactly (fuzz_common's CheckReport);
//   - each finding's severity is the policy's action for its code;
//   - each accepted tensor's range is its size, recomputed with an
//     independent dtype table in 128-bit arithmetic;
//   - an accepted header read again by simdjson's DOM is the schema as the
//     policy narrows it (repeated keys, forms, character rules, limits) and
//     its last member of each name is the report's tensor (fuzz_common's
//     CheckAcceptedHeader);
//   - the framing findings the prefix implies, the header text's first
//     invalid UTF-8 byte, BOM and leading whitespace, the nesting limit, the
//     JSON grammar against simdjson's DOM (syntax findings exactly when it
//     refuses the text, numbers and depth aside), the padding, each 402's
//     literal past 2^64 - 1, and no layout finding for an incomplete table
//     (fuzz_common's CheckStages);
//   - the validator's work stays within kWorkFactor x n log n (fuzz builds
//     count it).
// Comparisons across policies, repeat runs and the fast paths off are
// fuzz_policies'; the other ways in (file, stream, options) are fuzz_paths'
// and fuzz_stream's. A second validation here, even one input in four,
// costs more than its share: its coverage doubles the engine's per-input
// bookkeeping (measured: 20,000 exec/CPU-s without it, 8,500 with it).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_common.h"

namespace {

// The policy for an input: chosen from its size and last byte, which most
// mutations leave alone, so a corpus entry keeps its policy.
const stguard::Policy& PolicyFor(const uint8_t* data, size_t size, stguard::Policy& custom,
                                 unsigned& selector) {
  selector = static_cast<unsigned>(size) ^ (size > 0 ? data[size - 1] * 0x9Du : 0u);
  const stguard::Policy& builtin = stguard_fuzz::BuiltinByIndex(static_cast<int>(selector % 3));
  if ((selector & 4) == 0 || size < 8) return builtin;
  // The header cap at the input's header length, or one below or above.
  const uint64_t claimed = stguard_fuzz::ReadLe64(data);
  const uint64_t delta = (selector >> 3) % 3;  // 0: N - 1, 1: N, 2: N + 1
  uint64_t cap = claimed + delta;
  cap = cap < 1 + 2 ? 2 : cap - 1;
  if (cap > stguard::kMaxHeaderBytesCeiling) cap = stguard::kMaxHeaderBytesCeiling;
  custom = builtin;
  custom.max_header_bytes = cap;
  return custom;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  stguard::ValidateOptions collect;
  collect.collect_tensors = true;
  stguard::Policy custom;
  unsigned selector = 0;
  const stguard::Policy& policy = PolicyFor(data, size, custom, selector);
  const char* what = policy.name.c_str();

  stguard_fuzz::StartWork();
  const stguard::Report report = stguard::ValidateBuffer(bytes, policy, collect);
  stguard_fuzz::CheckWork(size, what);
  stguard_fuzz::CheckReport(report, size, what);
  stguard_fuzz::CheckSeverities(report, policy, what);
  stguard_fuzz::CheckTensorSizes(report, what);
  stguard_fuzz::CheckAcceptedHeader(report, bytes, policy, what);
  stguard_fuzz::CheckStages(report, bytes, policy, what);

  return 0;
}
