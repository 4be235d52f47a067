// What validation returns: a verdict and findings.
#ifndef STGUARD_REPORT_H_
#define STGUARD_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stguard/codes.h"
#include "stguard/dtype.h"

namespace stguard {

enum class Severity : uint8_t { kInfo = 0, kWarning = 1, kError = 2 };
enum class Verdict : uint8_t { kAccept, kReject };

std::string_view SeverityName(Severity severity);
std::string_view VerdictName(Verdict verdict);

struct Finding {
  Code code;
  Severity severity;
  // Byte offset in the file the finding concerns: where the claim is made in
  // the header, or where the bad bytes start. Always < file size, or 0 for
  // an empty file.
  uint64_t offset;
  // The tensor concerned, as decoded from the header (may be empty or hold
  // any character; at most kMaxReportedNameBytes, cut at a character
  // boundary and marked with "..."). nullopt when not about one tensor.
  std::optional<std::string> tensor;
  std::string message;  // one line
};

inline constexpr size_t kMaxReportedNameBytes = 256;

// One entry of the tensor table as the reference would load it (after
// duplicate names are resolved, last one wins), sorted by data offsets.
struct TensorRecord {
  std::string name;
  Dtype dtype;
  std::vector<uint64_t> shape;
  uint64_t data_begin;  // relative to the data section, as in the header
  uint64_t data_end;    // exclusive
  bool operator==(const TensorRecord&) const = default;
};

struct Report {
  Verdict verdict = Verdict::kAccept;
  std::vector<Finding> findings;
  uint64_t file_size = 0;
  uint64_t header_bytes = 0;   // N, when the prefix could be read
  uint64_t tensor_count = 0;   // entries in the tensor table
  // Filled only when ValidateOptions::collect_tensors is set and the header
  // was parsed to a table.
  std::vector<TensorRecord> tensors;

  bool HasCode(Code code) const;
};

}  // namespace stguard

#endif  // STGUARD_REPORT_H_
