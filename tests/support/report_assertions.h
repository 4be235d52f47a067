// Assertions and runners shared by the unit tests: validate a header under
// a built-in policy and check the findings (code, severity, file offset).
#ifndef STGUARD_TESTS_SUPPORT_REPORT_ASSERTIONS_H_
#define STGUARD_TESTS_SUPPORT_REPORT_ASSERTIONS_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "safetensors_builder.h"
#include "stguard/validate.h"

namespace stguard::testing {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

inline const Policy& P(const std::string& name) {
  static const std::map<std::string, Policy> policies = {
      {"compat", *BuiltinPolicy("compat")},
      {"default", *BuiltinPolicy("default")},
      {"strict", *BuiltinPolicy("strict")}};
  return policies.at(name);
}


inline std::string Dump(const Report& r) {
  std::string s = "verdict " + std::string(VerdictName(r.verdict)) + ", findings:\n";
  for (const Finding& f : r.findings) {
    s += "  " + std::to_string(static_cast<unsigned>(f.code)) + " " +
         std::string(SeverityName(f.severity)) + " @" + std::to_string(f.offset) +
         (f.tensor ? " [" + *f.tensor + "]" : std::string()) + " " + f.message + "\n";
  }
  return s;
}


inline AssertionResult Has(const Report& r, Code code, Severity severity,
                    std::optional<uint64_t> offset = std::nullopt) {
  for (const Finding& f : r.findings) {
    if (f.code == code && f.severity == severity && (!offset || f.offset == *offset)) {
      return AssertionSuccess();
    }
  }
  return AssertionFailure() << "no finding " << static_cast<unsigned>(code) << " "
                            << SeverityName(severity)
                            << (offset ? " at " + std::to_string(*offset) : std::string())
                            << "; " << Dump(r);
}


inline AssertionResult Lacks(const Report& r, Code code) {
  if (!r.HasCode(code)) return AssertionSuccess();
  return AssertionFailure() << "unexpected code " << static_cast<unsigned>(code) << "; "
                            << Dump(r);
}


inline AssertionResult Accepted(const Report& r) {
  if (r.verdict == Verdict::kAccept) return AssertionSuccess();
  return AssertionFailure() << "rejected; " << Dump(r);
}


inline AssertionResult Clean(const Report& r) {
  if (r.verdict == Verdict::kAccept && r.findings.empty()) return AssertionSuccess();
  return AssertionFailure() << "not clean; " << Dump(r);
}


// Accepted with exactly one finding: `code` as a warning.
inline AssertionResult WarnsOnly(const Report& r, Code code,
                          std::optional<uint64_t> offset = std::nullopt) {
  if (r.verdict != Verdict::kAccept || r.findings.size() != 1) {
    return AssertionFailure() << "expected only a warning " << static_cast<unsigned>(code)
                              << "; " << Dump(r);
  }
  return Has(r, code, Severity::kWarning, offset);
}


inline AssertionResult Rejects(const Report& r, Code code,
                        std::optional<uint64_t> offset = std::nullopt) {
  if (r.verdict != Verdict::kReject) return AssertionFailure() << "accepted; " << Dump(r);
  return Has(r, code, Severity::kError, offset);
}


inline Report RunBytes(const std::vector<uint8_t>& bytes, const std::string& policy) {
  return ValidateBuffer(bytes, P(policy));
}


// Header verbatim (no padding added) followed by `data` zero bytes.
inline Report RunRaw(const std::string& header, uint64_t data, const std::string& policy) {
  return RunBytes(testing::MakeFileWithData(header, data), policy);
}


// Header padded with spaces to a multiple of 8, followed by `data` zero bytes.
inline Report RunPadded(const std::string& header, uint64_t data, const std::string& policy) {
  return RunRaw(PadToEight(header), data, policy);
}


// File offset of `needle` in `header` (the header starts at byte 8).
inline uint64_t At(const std::string& header, const std::string& needle, size_t from = 0) {
  const size_t pos = header.find(needle, from);
  EXPECT_NE(pos, std::string::npos) << needle << " not in " << header;
  return 8 + pos;
}

}  // namespace stguard::testing

#endif  // STGUARD_TESTS_SUPPORT_REPORT_ASSERTIONS_H_
