// The pipeline: bytes -> framing -> JSON -> tensor table -> layout rules ->
// report. Each stage reports into one FindingSink; a stage runs only when
// the one before it produced something to work on.
#include "stguard/validate.h"

#include <simdjson.h>

#include <algorithm>
#include <memory>
#include <new>
#include <string>

#include "byte_source.h"
#include "checked_math.h"
#include "file_source.h"
#include "finding_sink.h"
#include "header_json.h"
#include "huge_pages.h"
#include "layout_rules.h"
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
    record.name = std::string(t.name);
    record.dtype = t.dtype;
    record.shape.assign(table.dims.begin() + t.dims_begin,
                        table.dims.begin() + t.dims_begin + t.rank);
    record.data_begin = t.begin;
    record.data_end = t.end;
    report.tensors.push_back(std::move(record));
  }
}

// Runs the stages. Returns false when the source failed to deliver bytes it
// claimed to have (an I/O error, not a verdict).
bool RunPipeline(ByteSource& source, const Policy& policy, const ValidateOptions& options,
                 FindingSink& sink, Report& report) {
  const uint64_t file_size = source.size();
  report.file_size = file_size;

  // Framing.
  if (file_size < kPrefixBytes) {
    sink.Error(Code::kFileTooShort, 0,
               "file has " + std::to_string(file_size) + " bytes, fewer than the 8-byte prefix");
    return true;
  }
  unsigned char prefix[kPrefixBytes];
  if (!source.ReadAt(0, kPrefixBytes, reinterpret_cast<char*>(prefix))) return false;
  const uint64_t header_size = ReadLittleEndian64(prefix);
  report.header_bytes = header_size;
  if (header_size > policy.max_header_bytes) {
    sink.Error(Code::kHeaderTooLarge, 0,
               "header length " + std::to_string(header_size) + " exceeds the limit of " +
                   std::to_string(policy.max_header_bytes) + " bytes");
    return true;
  }
  if (header_size > file_size - kPrefixBytes) {
    sink.Error(Code::kHeaderPastEof, 0,
               "header length " + std::to_string(header_size) + " but only " +
                   std::to_string(file_size - kPrefixBytes) + " bytes follow the prefix");
    return true;
  }
  if (header_size % 8 != 0) {
    sink.AddAction(Code::kHeaderLengthUnaligned, policy.header_length_unaligned, 0, {},
                   "header length " + std::to_string(header_size) + " is not a multiple of 8");
  }

  // JSON, in batches of members, each consumed into the tensor table.
  // Bytes already in memory are used in place; a file's header is read into
  // a buffer (header_size <= max_header_bytes <= 100,000,000: bounded).
  std::unique_ptr<char[]> header_copy;
  const char* header = source.Data() != nullptr ? source.Data() + kPrefixBytes : nullptr;
  if (header == nullptr) {
    header_copy.reset(new (std::nothrow) char[header_size + 1]);
    if (!header_copy) {
      sink.Error(Code::kResourceExhausted, kPrefixBytes, "cannot allocate the header buffer");
      return true;
    }
    internal::AdviseHugePages(header_copy.get(), header_size + 1);
    if (!source.ReadAt(kPrefixBytes, header_size, header_copy.get())) return false;
    header = header_copy.get();
  }
  std::vector<internal::MemberBatch> batches;
  if (!internal::ScanHeader(header, header_size, kPrefixBytes, policy,
                            std::max<size_t>(options.json_batch_bytes, 1), sink, batches)) {
    return true;
  }
  // The table's findings wait in their own sink until every batch has
  // parsed: a header that is not JSON gets its JSON finding alone, whatever
  // the batch size, as if it had been parsed in one piece.
  FindingSink table_sink(options.max_findings_per_code, file_size);
  internal::TensorTable table;
  internal::TableBuilder builder(kPrefixBytes, policy, options.collect_tensors, table_sink,
                                 table);
  size_t members = 0;
  for (const internal::MemberBatch& batch : batches) members += batch.members;
  builder.Reserve(members);
  internal::BatchParser parser;
  internal::ParsedBatch parsed;
  for (const internal::MemberBatch& batch : batches) {
    if (!parser.Parse(header, batch, kPrefixBytes, policy, sink, parsed)) return true;
    if (!builder.AddBatch(parsed)) {
      sink.Absorb(table_sink);
      return true;
    }
  }
  // The table holds copies of what it needs: free the header before the
  // table's own passes, to keep the peak low.
  header_copy.reset();
  builder.Finish();
  sink.Absorb(table_sink);
  report.tensor_count = table.tensors.size();
  if (!table.complete) return true;

  // Layout.
  const internal::DataSection data{kPrefixBytes + header_size,
                                   file_size - kPrefixBytes - header_size};
  internal::CheckLayout(table, kPrefixBytes, data, policy, sink);
  if (options.collect_tensors) FillTensorRecords(table, report);
  return true;
}

// Shared by the buffer and file entry points: never throws.
bool Validate(ByteSource& source, const Policy& policy, const ValidateOptions& options,
              Report& report) {
  FindingSink sink(options.max_findings_per_code, source.size());
  bool io_ok = true;
  try {
    io_ok = RunPipeline(source, policy, options, sink, report);
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

}  // namespace

Report ValidateBuffer(std::span<const uint8_t> file_bytes, const Policy& policy,
                      const ValidateOptions& options) {
  internal::MemorySource source(file_bytes);
  Report report;
  Validate(source, policy, options, report);  // memory never fails to read
  return report;
}

FileReport ValidateFile(const std::string& path, const Policy& policy,
                        const ValidateOptions& options) {
  FileReport result;
  try {
    internal::FileSource source;
    if (!source.Open(path)) {
      result.io_error = source.error();
      return result;
    }
    if (!Validate(source, policy, options, result.report)) {
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

std::string_view Version() { return STGUARD_VERSION; }

}  // namespace stguard
