// What an HTTP response says about itself, parsed from its status line and
// header lines, and whether a range response delivers exactly the range
// asked for. Pure functions of their text (no I/O): fuzzed by
// fuzz/fuzz_remote_response.cc. Every number is parsed with overflow
// checks; nothing here allocates in proportion to a number it reads.
#ifndef STGUARD_REMOTE_CONTENT_RANGE_H_
#define STGUARD_REMOTE_CONTENT_RANGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stguard::remote {

// "bytes FIRST-LAST/TOTAL" (RFC 9110 14.4), or "bytes */TOTAL" (with a 416).
struct ContentRange {
  bool unsatisfied = false;  // "*/TOTAL": no range, only the total
  uint64_t first = 0, last = 0;
  std::optional<uint64_t> total;  // nullopt: "/*", the total is not known
};
std::optional<ContentRange> ParseContentRange(std::string_view value);

// A decimal number of at most 20 digits that fits 64 bits, nothing else.
std::optional<uint64_t> ParseDecimal(std::string_view text);

// The head of one response (the last one of a transfer: a 100 Continue or a
// proxy's CONNECT reply is replaced by what follows it).
struct ResponseHead {
  int status = 0;  // 0: no status line seen
  std::optional<ContentRange> content_range;
  bool content_range_present = false;  // present, even when unparsable
  std::optional<uint64_t> content_length;
  bool content_length_bad = false;  // present and not one number
  std::string location;             // Location (capped)
  std::string etag;                 // ETag (capped)
  std::optional<uint64_t> retry_after_seconds;  // Retry-After in seconds (a date is ignored)
  uint32_t lines = 0;                           // header lines seen (capped by the caller)
};

// Feeds one line of a response head (a status line "HTTP/1.1 206 Partial
// Content", or a header "Name: value"), with or without its CRLF. A status
// line starts a new head. False when the line is not HTTP (no status line
// first, or a header without ':').
bool FeedHeadLine(std::string_view line, ResponseHead& head);

// How the response to a request for bytes [first, first + length) of a file
// answers it (length > 0).
struct RangeAnswer {
  enum Kind {
    kRange,         // 206 with the range asked for (clipped to the file's end)
    kWholeBody,     // 200: the server ignored the range; the body is the file from byte 0
    kEmptyFile,     // 416 "bytes */0" to a request from byte 0: the file is empty
    kError,         // anything else: `error` says what
  } kind = kError;
  uint64_t total = 0;     // the file's size (kRange, kEmptyFile; kWholeBody: Content-Length)
  bool total_known = false;  // kWholeBody without Content-Length: false
  uint64_t body_bytes = 0;   // how many bytes the body must hold (kRange, kWholeBody)
  std::string error;
};
RangeAnswer JudgeRangeResponse(const ResponseHead& head, uint64_t first, uint64_t length);

// Whether `status` is worth asking again: 408, 429, 500, 502, 503, 504.
bool IsRetryableStatus(int status);
// A 3xx that names where to go (301, 302, 303, 307, 308).
bool IsRedirectStatus(int status);

}  // namespace stguard::remote

#endif  // STGUARD_REMOTE_CONTENT_RANGE_H_
