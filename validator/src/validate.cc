// The pipeline: bytes -> framing -> JSON -> tensor table -> layout rules ->
// (deep scan) -> report. Each stage reports into one FindingSink; a stage
// runs only when the one before it produced something to work on.
#include "stguard/validate.h"

#include <simdjson.h>

#include <algorithm>
#include <memory>
#include <new>
#include <span>
#include <string>

#include "byte_source.h"
#include "checked_math.h"
#include "content_scan.h"
#include "file_source.h"
#include "format_identify.h"
#include "finding_sink.h"
#include "header_buffer.h"
#include "header_text.h"
#include "layout_rules.h"
#include "pipeline.h"
#include "str_cat.h"
#include "tensor_table.h"

namespace stguard {
namespace {

using internal::ByteSource;
using internal::FindingSink;

constexpr uint64_t kPrefixBytes = 8;

uint64_t ReadLittleEndian64(const unsigned char* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

void FillTensorRecords(const internal::TensorTable& table, Report& report) {
  report.tensors.reserve(table.tensors.size());
  for (const internal::TensorEntry& t : table.tensors) {
    TensorRecord record;
    record.name = std::string(table.Name(t));
    record.dtype = t.dtype;
    const std::span<const uint64_t> shape = table.Shape(t);
    record.shape.assign(shape.begin(), shape.end());
    record.data_begin = t.begin;
    record.data_end = t.end;
    report.tensors.push_back(std::move(record));
  }
}

// Framing or the header's text failed: most such files are another format
// altogether. Names it from its first bytes (at most the identification
// window), so the report says what was uploaded, not only "bad header". A
// named file is reported by its name alone: the findings that read its
// bytes as a safetensors prefix and header (a 19-digit header length, a
// JSON syntax error) describe a file it never was, and would lead the report.
bool NameForeignFormat(ByteSource& source, const ValidateOptions& options, FindingSink& sink) {
  if (!options.identify_foreign_formats) return true;
  const uint64_t size = source.size();
  const size_t window =
      static_cast<size_t>(std::min<uint64_t>(size, internal::kIdentifyWindowBytes));
  // Bytes in memory are looked at in place; a file's are read (bounded).
  std::vector<uint8_t> copy;
  std::span<const uint8_t> head;
  if (const char* data = source.Data(); data != nullptr) {
    head = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data), window);
  } else {
    copy.resize(window);
    if (!source.ReadAt(0, window, reinterpret_cast<char*>(copy.data()))) return false;
    head = copy;
  }
  const std::optional<internal::ForeignFormat> found =
      internal::IdentifyForeignFormat(head, size);
  if (!found) return true;
  sink.Clear();
  const std::string_view open = found->detail.empty() ? "" : " (";
  const std::string_view close = found->detail.empty() ? "" : ")";
  if (found->runs_code_on_load) {
    sink.Error(Code::kPickleFormat, 0,
               internal::StrCat("not safetensors: ", found->name, open, found->detail, close,
                                "; loading it runs pickle, which can execute arbitrary code"));
  } else {
    sink.Error(Code::kForeignFormat, 0,
               internal::StrCat("not safetensors: ", found->name, open, found->detail, close));
  }
  return true;
}

// The tensors in data order, when they tile the data section exactly with
// sizes that match their shapes (the layout rules found nothing wrong):
// only then can the data be cut into tensors. Empty otherwise.
std::optional<std::vector<internal::ScanTensor>> ScanPlan(const internal::TensorTable& table,
                                                          uint64_t data_size) {
  std::vector<internal::ScanTensor> plan;
  plan.reserve(table.tensors.size());
  for (const internal::TensorEntry& t : table.tensors) {
    if (t.size_overflow || t.partial_byte() || t.end < t.begin ||
        t.byte_size() != t.end - t.begin) {
      return std::nullopt;
    }
    plan.push_back({table.Name(t), t.dtype, t.begin, t.end});
  }
  const uint64_t end = plan.empty() ? 0 : plan.back().end;
  if (end != data_size || !internal::CanScan(plan)) return std::nullopt;
  return plan;
}


// Stage 5 (deep scan): the file hash always; per-tensor hashes and content
// rules when `plan` is set. Reads the source unless the stream already did.
// Without options.hash_content: the content rules alone, and no content.
bool DeepScanStage(ByteSource& source, const std::vector<internal::ScanTensor>* plan,
                   uint64_t data_offset, const Policy& policy, const ValidateOptions& options,
                   const internal::StreamedContent* streamed, FindingSink& sink,
                   Report& report) {
  if (!options.hash_content && plan == nullptr) return true;  // nothing to scan
  ContentScan content;
  const internal::ContentScanner* scanner = nullptr;
  std::optional<internal::ContentScanner> own_scanner;
  if (streamed != nullptr) {
    content.file_sha256 = streamed->file_sha256;
    scanner = plan != nullptr ? streamed->scanner : nullptr;
    // The stream parsed the same header: its plan is this one.
    if (plan != nullptr &&
        (scanner == nullptr || !scanner->complete() || scanner->tensors().size() != plan->size())) {
      sink.Error(Code::kInternalError, 0, "streamed content scan does not match the header");
      return true;
    }
  } else {
    if (plan != nullptr) own_scanner.emplace(*plan, options.hash_content);
    if (!internal::ScanSource(source, data_offset, own_scanner ? &*own_scanner : nullptr,
                              options.read_chunk_bytes, content.file_sha256,
                              options.hash_content)) {
      return false;
    }
    if (own_scanner) scanner = &*own_scanner;
  }
  if (scanner != nullptr && scanner->complete()) {
    content.tensors_scanned = true;
    if (options.hash_content) content.tensors.reserve(plan->size());
    for (size_t i = 0; i < plan->size(); ++i) {
      const internal::ScanTensor& t = (*plan)[i];
      const internal::TensorScan& scan = scanner->results()[i];
      if (options.hash_content) {
        content.tensors.push_back({std::string(t.name), t.dtype, t.begin, t.end, scan.sha256,
                                   scan.nan_count, scan.inf_count, scan.invalid_bool_count});
      }
      // Every finding is counted (the cap's note says how many were left
      // out); the message is built only for the ones kept.
      if (scan.nan_count + scan.inf_count > 0) {
        const uint64_t at = data_offset + scan.first_nonfinite;
        sink.AddAction(Code::kNonFiniteValues, policy.nonfinite_values, at, t.name,
                       !sink.Wants(Code::kNonFiniteValues)
                           ? std::string()
                           : internal::StrCat(scan.nan_count, " NaN and ", scan.inf_count,
                                              " Inf values in this ", DtypeName(t.dtype),
                                              " tensor; the first at byte ", at));
      }
      if (scan.invalid_bool_count > 0) {
        const uint64_t at = data_offset + scan.first_invalid_bool;
        sink.AddAction(Code::kBoolInvalidValues, policy.bool_values, at, t.name,
                       !sink.Wants(Code::kBoolInvalidValues)
                           ? std::string()
                           : internal::StrCat(
                                 scan.invalid_bool_count,
                                 scan.invalid_bool_count == 1 ? " byte" : " bytes",
                                 " other than 0 and 1 in this BOOL tensor; the first at byte ",
                                 at));
      }
    }
  }
  if (options.hash_content) report.content = std::move(content);
  return true;
}

// Runs the stages. Returns false when the source failed to deliver bytes it
// claimed to have (an I/O error, not a verdict). Sets `deep_done` when it
// ran the deep scan stage itself (with the tensor table at hand).
bool RunPipeline(ByteSource& source, const Policy& policy, const ValidateOptions& options,
                 const internal::StreamedContent* streamed, FindingSink& sink, Report& report,
                 bool& deep_done, const internal::TableVisitor* visitor) {
  const uint64_t file_size = source.size();
  report.file_size = file_size;

  // Framing.
  if (file_size < kPrefixBytes) {
    sink.Error(Code::kFileTooShort, 0,
               internal::StrCat("file has ", file_size, " bytes, fewer than the 8-byte prefix"));
    return NameForeignFormat(source, options, sink);
  }
  unsigned char prefix[kPrefixBytes];
  if (!source.ReadAt(0, kPrefixBytes, reinterpret_cast<char*>(prefix))) return false;
  const uint64_t header_size = ReadLittleEndian64(prefix);
  report.header_bytes = header_size;
  if (header_size > policy.max_header_bytes) {
    sink.Error(Code::kHeaderTooLarge, 0,
               internal::StrCat("header length ", header_size, " exceeds the limit of ",
                                policy.max_header_bytes, " bytes"));
    return NameForeignFormat(source, options, sink);
  }
  if (header_size > file_size - kPrefixBytes) {
    sink.Error(Code::kHeaderPastEof, 0,
               internal::StrCat("header length ", header_size, " but only ",
                                file_size - kPrefixBytes, " bytes follow the prefix"));
    return NameForeignFormat(source, options, sink);
  }
  if (header_size % 8 != 0) {
    sink.AddAction(Code::kHeaderLengthUnaligned, policy.header_length_unaligned, 0, {},
                   internal::StrCat("header length ", header_size, " is not a multiple of 8"));
  }

  // JSON, in batches of members, each consumed into the tensor table.
  // Bytes already in memory are used in place; a file's header is read into
  // a buffer (header_size <= max_header_bytes <= 100,000,000: bounded)
  // whose pages are returned as the batches consume them.
  internal::HeaderBuffer header_copy;
  const char* header = source.Data() != nullptr ? source.Data() + kPrefixBytes : nullptr;
  if (header == nullptr) {
    if (!header_copy.Allocate(header_size + 1)) {
      sink.Error(Code::kResourceExhausted, kPrefixBytes, "cannot allocate the header buffer");
      return true;
    }
    if (!source.ReadAt(kPrefixBytes, header_size, header_copy.data())) return false;
    header = header_copy.data();
  }
  // The table's findings wait in their own sink until the whole header has
  // read as JSON: a header that is not JSON gets its JSON finding alone, as
  // the reference's parser stops at it.
  FindingSink table_sink(options.max_findings_per_code, file_size);
  internal::TensorTable table;
  internal::TableBuilder builder(kPrefixBytes, policy, options.collect_tensors, table_sink,
                                 table);
  const internal::ConsumedText consumed = [&](size_t header_pos) {
    if (header_copy.data() != nullptr) {
      header_copy.ReleaseBefore(header_pos);
    } else {
      source.ReleaseBefore(kPrefixBytes + header_pos);
    }
  };
  if (!internal::ReadHeaderText(header, header_size, kPrefixBytes, policy, sink, builder,
                                &consumed)) {
    return NameForeignFormat(source, options, sink);
  }
  // The table holds copies of what it needs: free the header before the
  // table's own passes, to keep the peak low.
  header_copy.Reset();
  builder.Finish();
  sink.Absorb(table_sink);
  report.tensor_count = table.tensors.size();
  if (!table.complete) return true;

  // Layout.
  const internal::DataSection data{kPrefixBytes + header_size,
                                   file_size - kPrefixBytes - header_size};
  internal::CheckLayout(table, kPrefixBytes, data, policy, sink);
  if (visitor != nullptr) (*visitor)(table);
  if (options.collect_tensors) FillTensorRecords(table, report);

  // Deep scan, while the table (and the names it points into) is alive.
  if (options.deep_scan) {
    deep_done = true;
    const std::optional<std::vector<internal::ScanTensor>> plan = ScanPlan(table, data.size);
    return DeepScanStage(source, plan ? &*plan : nullptr, data.file_offset, policy, options,
                         streamed, sink, report);
  }
  return true;
}

}  // namespace

namespace internal {

bool ValidateSource(ByteSource& source, const Policy& policy, const ValidateOptions& options,
                    const StreamedContent* streamed, Report& report, const TableVisitor* visitor) {
  FindingSink sink(options.max_findings_per_code, source.size());
  bool io_ok = true;
  try {
    bool deep_done = false;
    io_ok = RunPipeline(source, policy, options, streamed, sink, report, deep_done, visitor);
    // A file rejected before its table was built still gets its hash: a
    // hub can then block those exact bytes.
    if (io_ok && options.deep_scan && !deep_done) {
      io_ok = DeepScanStage(source, nullptr, 0, policy, options, streamed, sink, report);
    }
  } catch (const std::bad_alloc&) {
    sink.Error(Code::kResourceExhausted, 0, "out of memory while validating");
  } catch (const std::exception& e) {
    sink.Error(Code::kInternalError, 0, std::string("unexpected exception: ") + e.what());
  } catch (...) {
    sink.Error(Code::kInternalError, 0, "unexpected exception");
  }
  try {
    report.verdict = sink.has_error() ? Verdict::kReject : Verdict::kAccept;
    report.findings = sink.Finish();
  } catch (...) {
    // Only allocation can fail here; a report that cannot be built still
    // must not accept.
    report.verdict = Verdict::kReject;
    report.findings.clear();
  }
  return io_ok;
}

}  // namespace internal

Report ValidateBuffer(std::span<const uint8_t> file_bytes, const Policy& policy,
                      const ValidateOptions& options) {
  internal::MemorySource source(file_bytes);
  Report report;
  internal::ValidateSource(source, policy, options, nullptr, report);  // memory never fails
  return report;
}

namespace {

FileReport ValidateFileWith(const std::string& path, const Policy& policy,
                            const ValidateOptions& options,
                            const internal::TableVisitor* visitor) {
  FileReport result;
  try {
    internal::FileSource source;
    if (!source.Open(path)) {
      result.io_error = source.error();
      return result;
    }
    if (!internal::ValidateSource(source, policy, options, nullptr, result.report, visitor)) {
      result.io_error = source.error();
      return result;
    }
    // The report is about the bytes as they were read: if the file grew,
    // shrank or was replaced since it was opened, they are not the file's
    // bytes any more, and that is an I/O error, not a verdict.
    if (!source.Unchanged()) {
      result.io_error = source.error();
      return result;
    }
    result.io_ok = true;
  } catch (...) {
    result.io_ok = false;
    result.io_error = "out of memory";
  }
  return result;
}

}  // namespace

FileReport ValidateFile(const std::string& path, const Policy& policy,
                        const ValidateOptions& options) {
  return ValidateFileWith(path, policy, options, nullptr);
}

namespace internal {

FileReport ValidateFileVisiting(const std::string& path, const Policy& policy,
                                const ValidateOptions& options, const TableVisitor& visitor) {
  return ValidateFileWith(path, policy, options, &visitor);
}

}  // namespace internal

std::string_view Version() { return STGUARD_VERSION; }

}  // namespace stguard
