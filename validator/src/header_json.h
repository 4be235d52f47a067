// Stage 2 of the pipeline: header bytes -> validated JSON, one batch of
// top-level members at a time.
//
// ScanHeader checks everything outside the top-level members (UTF-8 of the
// whole header, BOM, whitespace, the object's braces, colons and commas) and
// splits the members into batches of about `batch_bytes`. BatchParser then
// parses each batch as the object "{" + members + "}" with simdjson's DOM
// parser, which checks grammar, depth, strings and numbers. Because the
// batches are exact slices of the header joined by separators the scan has
// checked, the header is valid JSON exactly when the scan and every batch
// pass; and memory stays proportional to a batch, not to the header (a
// whole-header DOM costs about 5.5 times the header).
//
// On failure, a raw scan names the problem (bad string, depth, malformed or
// overflowing number, trailing content) and the offset where it starts.
#ifndef STGUARD_SRC_HEADER_JSON_H_
#define STGUARD_SRC_HEADER_JSON_H_

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "finding_sink.h"
#include "stguard/policy.h"

namespace stguard::internal {

// Consecutive top-level members: header positions [begin, end) from the
// first member's key to the end of the last member's value.
struct MemberBatch {
  size_t begin;
  size_t end;
  size_t members;  // how many members the batch holds
};

inline constexpr size_t kDefaultBatchBytes = 256 * 1024;

// A fast path of the caller's that reads the top-level object's leading
// members itself (plain tensor entries, added to the table as they are
// read), so that the text is read once rather than scanned and then read.
class LeadingMemberReader {
 public:
  // From `pos`, just after the object's '{' (the header is valid UTF-8):
  // how many members it read, each valid JSON (at most 3 levels deep, and
  // max_json_depth >= 3) and separated by ws ',' ws, and in `end` the
  // position just after the last one's value. 0 when it read none.
  virtual size_t ReadMembers(const char* header, size_t size, size_t pos, size_t& end) = 0;

 protected:
  ~LeadingMemberReader() = default;
};

// Returns false, having reported an error, when the header cannot be the
// JSON object the reference would parse. `file_offset` is where the header
// starts in the file (8). With a `leading` reader (and the fast paths on),
// `batches` hold only the members after the ones it read; the report is
// the same.
bool ScanHeader(const char* header, size_t size, uint64_t file_offset, const Policy& policy,
                size_t batch_bytes, FindingSink& sink, std::vector<MemberBatch>& batches,
                LeadingMemberReader* leading = nullptr);

struct ParsedBatch {
  simdjson::dom::element root;  // the batch, an object
  std::string_view text;        // "{" + members + "}" as parsed
  size_t base = 0;              // header position of text[0]
  // Positions in `text` [begin, end) of integer literals outside the 64-bit
  // range. simdjson 3.0.1 rejects them while the reference reads them as
  // floats, so they are rewritten in `text` as a float literal of the same
  // length ("0e000..."), and remembered here so that a shape or offset
  // holding one is reported as too large.
  std::vector<std::pair<size_t, size_t>> wide_integers;
};

// Reuses its buffers from one batch to the next, and from one validation to
// the next on the same thread: the simdjson parser and the text buffer live
// in a per-thread cache (capacity kept only up to kKeptParserCapacity bytes
// of JSON; a larger one is released when the BatchParser is destroyed). A
// ParsedBatch stays valid until the next Parse or the BatchParser's end.
class BatchParser {
 public:
  BatchParser();
  ~BatchParser();
  BatchParser(const BatchParser&) = delete;
  BatchParser& operator=(const BatchParser&) = delete;

  bool Parse(const char* header, MemberBatch batch, uint64_t file_offset, const Policy& policy,
             FindingSink& sink, ParsedBatch& out);

  struct Cache;

 private:
  Cache* cache_;                // the thread's cache, or *own_
  std::unique_ptr<Cache> own_;  // when the thread's cache is already in use
};

// Capacity (bytes of JSON text) the per-thread parser cache keeps between
// validations; about 20 bytes of memory per byte of capacity.
inline constexpr size_t kKeptParserCapacity = 2 * kDefaultBatchBytes;

// The wide integers of `text` (as ParsedBatch::wide_integers) found from its
// long digit runs and string boundaries, for a batch simdjson rejected with
// NUMBER_ERROR. Exact when `text` with them rewritten parses; false when
// the caller must scan every token instead (see header_json.cc).
bool FindWideIntegersFast(std::string_view text, std::vector<std::pair<size_t, size_t>>& wide);

// Index of the first byte of the first invalid UTF-8 sequence, or `size`.
size_t FirstInvalidUtf8(const uint8_t* bytes, size_t size);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_HEADER_JSON_H_
