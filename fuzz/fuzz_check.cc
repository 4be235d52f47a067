// fuzz_check: raw bytes -> ValidateBuffer under compat, default and strict.
// Oracle (abort on any violation):
//   - the same bytes give the same report twice (and the same report
//     without collect_tensors, tensors aside);
//   - rejections grow compat -> default -> strict;
//   - every finding has a known code and an offset inside the file;
//   - in an accepted file the tensors tile the data section exactly.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_common.h"

using stguard::Report;
using stguard::Verdict;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  stguard::ValidateOptions collect;
  collect.collect_tensors = true;
  static const char* const kWhat[stguard_fuzz::kBuiltinCount] = {"compat", "default", "strict"};

  Report reports[stguard_fuzz::kBuiltinCount];
  for (int i = 0; i < stguard_fuzz::kBuiltinCount; ++i) {
    reports[i] = stguard::ValidateBuffer(bytes, stguard_fuzz::BuiltinByIndex(i), collect);
    const Report& r = reports[i];
    if (r.file_size != size) stguard_fuzz::Fail(std::string(kWhat[i]) + ": file_size is wrong");
    stguard_fuzz::CheckFindings(r, kWhat[i]);
    stguard_fuzz::CheckAcceptedLayout(r, kWhat[i]);
  }
  for (int i = 0; i + 1 < stguard_fuzz::kBuiltinCount; ++i) {
    if (reports[i].verdict == Verdict::kReject && reports[i + 1].verdict != Verdict::kReject) {
      stguard_fuzz::Fail(std::string("rejected by ") + kWhat[i] + " but accepted by " +
                         kWhat[i + 1]);
    }
  }

  // Determinism: one policy (chosen by the input) again, same options.
  const int again_index = static_cast<int>(size % stguard_fuzz::kBuiltinCount);
  const Report again =
      stguard::ValidateBuffer(bytes, stguard_fuzz::BuiltinByIndex(again_index), collect);
  if (std::string diff = stguard_fuzz::DiffReports(reports[again_index], again, true);
      !diff.empty()) {
    stguard_fuzz::Fail(std::string("same bytes, different report under ") +
                       kWhat[again_index] + ": " + diff);
  }
  // collect_tensors must not change anything but Report::tensors.
  const Report plain = stguard::ValidateBuffer(bytes, stguard_fuzz::BuiltinByIndex(0), {});
  if (std::string diff = stguard_fuzz::DiffReports(reports[0], plain, false); !diff.empty()) {
    stguard_fuzz::Fail("collect_tensors changes the compat report: " + diff);
  }
  if (!plain.tensors.empty()) stguard_fuzz::Fail("tensors filled without collect_tensors");
  return 0;
}
