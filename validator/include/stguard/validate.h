// Entry points. Nothing here throws; the data section of a file is never
// read (only its size is used), so validating a multi-GB checkpoint costs
// the header alone.
#ifndef STGUARD_VALIDATE_H_
#define STGUARD_VALIDATE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "stguard/policy.h"
#include "stguard/report.h"

namespace stguard {

struct ValidateOptions {
  // Fill Report::tensors. Costs memory proportional to the header.
  bool collect_tensors = false;
  // Findings kept per code; the rest are counted in one kFindingsTruncated
  // finding, so a hostile header cannot grow the report without bound.
  uint32_t max_findings_per_code = 32;
  // The header's top-level members are parsed in batches of about this many
  // bytes: memory follows a batch, not the header. The verdict and the
  // findings do not depend on it (a test checks batch sizes down to 1).
  uint32_t json_batch_bytes = 256 * 1024;
};

Report ValidateBuffer(std::span<const uint8_t> file_bytes, const Policy& policy,
                      const ValidateOptions& options = {});

struct FileReport {
  bool io_ok = false;
  std::string io_error;  // set when !io_ok: the file could not be read
  Report report;
};

FileReport ValidateFile(const std::string& path, const Policy& policy,
                        const ValidateOptions& options = {});

// Library version, "MAJOR.MINOR.PATCH".
std::string_view Version();

}  // namespace stguard

#endif  // STGUARD_VALIDATE_H_
