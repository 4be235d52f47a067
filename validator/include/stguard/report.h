// What validation returns: a verdict and findings.
#ifndef STGUARD_REPORT_H_
#define STGUARD_REPORT_H_

#include <array>
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

using Sha256Digest = std::array<uint8_t, 32>;
// Lower-case hex, 64 characters.
std::string DigestHex(const Sha256Digest& digest);

// What a deep scan (ValidateOptions::deep_scan) found in one tensor's bytes.
struct TensorContent {
  std::string name;  // full decoded name, as in the header
  Dtype dtype;
  uint64_t data_begin;  // relative to the data section
  uint64_t data_end;    // exclusive
  Sha256Digest sha256{};
  // Float dtypes with NaN/Inf encodings (F16, BF16, F32, F64, C64 per
  // component, the F8 variants); 0 for the others.
  uint64_t nan_count = 0;
  uint64_t inf_count = 0;
  // BOOL bytes other than 0 and 1.
  uint64_t invalid_bool_count = 0;
  bool operator==(const TensorContent&) const = default;
};

struct ContentScan {
  // SHA-256 of every byte of the file (prefix, header and data).
  Sha256Digest file_sha256{};
  // False when the header or layout did not yield tensors that tile the
  // data section: only the file hash was computed.
  bool tensors_scanned = false;
  std::vector<TensorContent> tensors;  // in data order
  bool operator==(const ContentScan&) const = default;
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
  // Set by a deep scan once every byte of the file was read.
  std::optional<ContentScan> content;

  bool HasCode(Code code) const;
};

}  // namespace stguard

#endif  // STGUARD_REPORT_H_
