// The validation pipeline over any byte source, shared by the buffer, file
// and stream entry points (validate.cc, stream_validate.cc).
#ifndef STGUARD_SRC_PIPELINE_H_
#define STGUARD_SRC_PIPELINE_H_

#include <functional>
#include <string>

#include "byte_source.h"
#include "content_scan.h"
#include "stguard/policy.h"
#include "stguard/report.h"
#include "stguard/validate.h"

namespace stguard::internal {

// A deep scan already done while the bytes streamed past: the source then
// only holds the prefix and the header, and the pipeline takes the content
// results from here instead of reading the data section.
struct StreamedContent {
  const ContentScanner* scanner;  // null when the header gave no tensors to scan
  Sha256Digest file_sha256;
};

struct TensorTable;
// Called with the tensor table once the header has read to a complete
// table (whatever the layout rules then find), while it is alive: a
// checkpoint's cross-check reads it there and keeps nothing.
using TableVisitor = std::function<void(const TensorTable& table)>;

// Runs every stage; never throws. Returns false when the source failed to
// deliver bytes it claimed to have (an I/O error, not a verdict).
bool ValidateSource(ByteSource& source, const Policy& policy, const ValidateOptions& options,
                    const StreamedContent* streamed, Report& report,
                    const TableVisitor* visitor = nullptr);

// ValidateFile with a visitor.
FileReport ValidateFileVisiting(const std::string& path, const Policy& policy,
                                const ValidateOptions& options, const TableVisitor& visitor);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_PIPELINE_H_
