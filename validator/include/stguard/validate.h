// Entry points. Nothing here throws. Unless a deep scan is asked for, the
// data section of a file is never read (only its size is used), so
// validating a multi-GB checkpoint costs the header alone.
#ifndef STGUARD_VALIDATE_H_
#define STGUARD_VALIDATE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
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
  // No longer read: the header is validated in one streaming pass that
  // builds no tree, so there are no batches to size. Kept so that code
  // setting it still compiles; tests still set it to show it changes
  // nothing.
  uint32_t json_batch_bytes = 256 * 1024;
  // Read the whole file once, in chunks: SHA-256 of the file and of every
  // tensor (Report::content), NaN/Inf counts in float tensors and BOOL bytes
  // other than 0 and 1 (codes 608 and 609, governed by the policy).
  bool deep_scan = false;
  // Size of the chunks a deep scan reads; memory stays bounded by it.
  uint32_t read_chunk_bytes = 4 * 1024 * 1024;
  // With deep_scan: false reads the data for the value rules alone (codes
  // 608 and 609, the same findings) without any SHA-256, and leaves
  // Report::content unset. Hashing bounds a deep scan's speed; a loader
  // that validates the bytes it is about to use needs the rules, not the
  // hashes (python/stguard's load_file).
  bool hash_content = true;
  // A file whose framing or header text fails and whose first bytes are
  // another format (a pickle, GGUF, a ZIP, a Git LFS pointer...) is reported
  // by that identification alone (code 104 or 105): "header length
  // 8319679523434209315 exceeds the limit" says nothing about a pickle.
  // false: the framing or text findings instead, never the identification
  // (tests and fuzz oracles compare the two).
  bool identify_foreign_formats = true;
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

// Reads a whole file, in order, from a stream (a pipe, a socket, standard
// input): the header is parsed as soon as its bytes have arrived, the data
// section is consumed as it streams (and scanned, with deep_scan). Memory
// is bounded by the header plus a fixed buffer. The report is the one the
// same bytes give as a file or a buffer.
//
// `read` fills up to `capacity` bytes of `out` and returns how many it
// wrote: 0 at the end of the stream, -1 on an error (FileReport::io_error
// then says "read error").
using ReadFunction = std::function<int64_t(char* out, size_t capacity)>;
FileReport ValidateStream(const ReadFunction& read, const Policy& policy,
                          const ValidateOptions& options = {});
// ValidateStream over a file descriptor (read(2) until end of file).
FileReport ValidateFd(int fd, const Policy& policy, const ValidateOptions& options = {});

// Library version, "MAJOR.MINOR.PATCH".
std::string_view Version();

}  // namespace stguard

#endif  // STGUARD_VALIDATE_H_
