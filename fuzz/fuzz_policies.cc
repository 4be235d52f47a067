// fuzz_policies: raw bytes -> ValidateBuffer under compat, default and
// strict, compared. Oracle (abort on any violation):
//   - rejections grow compat -> default -> strict;
//   - the same bytes give the same report twice (one policy, chosen by the
//     input, validated again with the fast paths off: repeatable, and the
//     plain reader changes nothing);
//   - every report passes fuzz_check's per-report checks, the severity
//     oracle and the size oracle (each 602 re-derived from an independent
//     dtype table);
//   - each finding's code round-trips through Info()/ParseCode().
// fuzz_check holds the per-input checks on one validation, to stay fast;
// this target holds the ones that need several.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fast_paths.h"
#include "fuzz_common.h"
#include "stguard/codes.h"

using stguard::Report;
using stguard::Verdict;

namespace {

void CheckCodeTable(const Report& report) {
  for (const stguard::Finding& f : report.findings) {
    const stguard::CodeInfo& info = stguard::Info(f.code);
    if (info.code != f.code) stguard_fuzz::Fail("Info() returns another code's row");
    if (stguard::ParseCode(info.id) != f.code ||
        stguard::ParseCode(std::to_string(static_cast<unsigned>(f.code))) != f.code) {
      stguard_fuzz::Fail("ParseCode does not round-trip code " + std::string(info.id));
    }
    if (!report.HasCode(f.code)) stguard_fuzz::Fail("Report::HasCode misses a finding");
    if (stguard::SeverityName(f.severity).empty()) stguard_fuzz::Fail("empty severity name");
  }
  if (stguard::VerdictName(report.verdict).empty()) stguard_fuzz::Fail("empty verdict name");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  stguard::ValidateOptions collect;
  collect.collect_tensors = true;
  static const char* const kWhat[stguard_fuzz::kBuiltinCount] = {"compat", "default", "strict"};

  Report reports[stguard_fuzz::kBuiltinCount];
  for (int i = 0; i < stguard_fuzz::kBuiltinCount; ++i) {
    reports[i] = stguard::ValidateBuffer(bytes, stguard_fuzz::BuiltinByIndex(i), collect);
    stguard_fuzz::CheckReport(reports[i], size, kWhat[i]);
  }
  for (int i = 0; i + 1 < stguard_fuzz::kBuiltinCount; ++i) {
    if (reports[i].verdict == Verdict::kReject && reports[i + 1].verdict != Verdict::kReject) {
      stguard_fuzz::Fail(std::string("rejected by ") + kWhat[i] + " but accepted by " +
                         kWhat[i + 1]);
    }
  }

  for (int i = 0; i < stguard_fuzz::kBuiltinCount; ++i) {
    stguard_fuzz::CheckSeverities(reports[i], stguard_fuzz::BuiltinByIndex(i), kWhat[i]);
    stguard_fuzz::CheckTensorSizes(reports[i], kWhat[i]);
  }

  // One policy (chosen by the input) again, with the fast paths off: the
  // same report, so the run is repeatable and the plain reader changes
  // nothing the schema reader would say.
  const int again_index = static_cast<int>(size % stguard_fuzz::kBuiltinCount);
  Report again;
  {
    const stguard::internal::ScopedFastPathsOff off;
    again = stguard::ValidateBuffer(bytes, stguard_fuzz::BuiltinByIndex(again_index), collect);
  }
  if (std::string diff = stguard_fuzz::DiffReports(reports[again_index], again, true);
      !diff.empty()) {
    stguard_fuzz::Fail(std::string("same bytes, another report under ") + kWhat[again_index] +
                       " with the fast paths off: " + diff);
  }
  CheckCodeTable(reports[2]);
  return 0;
}
