#include "stguard/report.h"

#include <algorithm>

namespace stguard {

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "error";
}

std::string_view VerdictName(Verdict verdict) {
  return verdict == Verdict::kAccept ? "accept" : "reject";
}

bool Report::HasCode(Code code) const {
  return std::any_of(findings.begin(), findings.end(),
                     [code](const Finding& f) { return f.code == code; });
}

}  // namespace stguard
