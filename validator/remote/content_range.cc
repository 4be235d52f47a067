#include "content_range.h"

#include <algorithm>
#include <cctype>

#include "checked_math.h"
#include "str_cat.h"

namespace stguard::remote {
namespace {

using internal::CheckedAdd;
using internal::StrCat;

// Field values kept verbatim are capped: a hostile server cannot grow them.
constexpr size_t kMaxKeptValue = 8192;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Capped(std::string_view value) {
  return std::string(value.substr(0, std::min(value.size(), kMaxKeptValue)));
}

}  // namespace

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::optional<uint64_t> times = internal::CheckedMul(value, 10);
    if (!times) return std::nullopt;
    const std::optional<uint64_t> plus = CheckedAdd(*times, static_cast<uint64_t>(c - '0'));
    if (!plus) return std::nullopt;
    value = *plus;
  }
  return value;
}

std::optional<ContentRange> ParseContentRange(std::string_view value) {
  value = Trim(value);
  constexpr std::string_view kUnit = "bytes ";
  if (value.size() < kUnit.size() || !EqualsIgnoreCase(value.substr(0, kUnit.size()), kUnit)) {
    return std::nullopt;
  }
  value.remove_prefix(kUnit.size());
  const size_t slash = value.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view range = value.substr(0, slash);
  const std::string_view total = value.substr(slash + 1);
  ContentRange out;
  if (total != "*") {
    out.total = ParseDecimal(total);
    if (!out.total) return std::nullopt;
  }
  if (range == "*") {
    if (!out.total) return std::nullopt;  // "*/*" says nothing
    out.unsatisfied = true;
    return out;
  }
  const size_t dash = range.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::optional<uint64_t> first = ParseDecimal(range.substr(0, dash));
  const std::optional<uint64_t> last = ParseDecimal(range.substr(dash + 1));
  if (!first || !last || *last < *first) return std::nullopt;
  if (out.total && *last >= *out.total) return std::nullopt;
  out.first = *first;
  out.last = *last;
  return out;
}

bool FeedHeadLine(std::string_view line, ResponseHead& head) {
  line = Trim(line);
  if (line.empty()) return true;  // the blank line ending a head
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
    // "HTTP/1.1 206 Partial Content", "HTTP/2 200"
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || line.size() < space + 4) return false;
    const std::optional<uint64_t> code = ParseDecimal(line.substr(space + 1, 3));
    if (!code || *code < 100 || *code > 999 ||
        (line.size() > space + 4 && line[space + 4] != ' ')) {
      return false;
    }
    head = ResponseHead{};
    head.status = static_cast<int>(*code);
    return true;
  }
  if (head.status == 0) return false;
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  ++head.lines;
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = Trim(line.substr(colon + 1));
  if (EqualsIgnoreCase(name, "content-range")) {
    // A second Content-Range that disagrees makes the head unusable.
    const std::optional<ContentRange> parsed = ParseContentRange(value);
    if (head.content_range_present &&
        (!parsed || !head.content_range || parsed->first != head.content_range->first ||
         parsed->last != head.content_range->last || parsed->total != head.content_range->total)) {
      head.content_range.reset();
    } else {
      head.content_range = parsed;
    }
    head.content_range_present = true;
  } else if (EqualsIgnoreCase(name, "content-length")) {
    const std::optional<uint64_t> n = ParseDecimal(value);
    if (!n || (head.content_length && *head.content_length != *n)) {
      head.content_length_bad = true;
      head.content_length.reset();
    } else if (!head.content_length_bad) {
      head.content_length = n;
    }
  } else if (EqualsIgnoreCase(name, "location")) {
    head.location = Capped(value);
  } else if (EqualsIgnoreCase(name, "etag")) {
    head.etag = Capped(value);
  } else if (EqualsIgnoreCase(name, "retry-after")) {
    head.retry_after_seconds = ParseDecimal(value);
  }
  return true;
}

RangeAnswer JudgeRangeResponse(const ResponseHead& head, uint64_t first, uint64_t length) {
  RangeAnswer a;
  if (length == 0) {
    a.error = "internal: an empty range was asked for";
    return a;
  }
  const std::optional<uint64_t> end = CheckedAdd(first, length);
  if (!end) {
    a.error = "internal: the range asked for passes 2^64";
    return a;
  }
  const uint64_t last = *end - 1;
  if (head.status == 200) {
    if (head.content_length_bad) {
      a.error = "the server answered the range request with the whole file and an unreadable "
                "Content-Length";
      return a;
    }
    a.kind = RangeAnswer::kWholeBody;
    a.total_known = head.content_length.has_value();
    a.total = head.content_length.value_or(0);
    a.body_bytes = a.total;
    return a;
  }
  if (head.status == 416) {
    const ContentRange* cr = head.content_range ? &*head.content_range : nullptr;
    if (first == 0 && cr != nullptr && cr->unsatisfied && cr->total == 0) {
      a.kind = RangeAnswer::kEmptyFile;
      return a;
    }
    if (cr != nullptr && cr->unsatisfied && cr->total && *cr->total > first) {
      a.error = StrCat("the server refused bytes ", first, "-", last, " (416) of a file it says is ",
                       *cr->total, " bytes long");
      return a;
    }
    a.error = StrCat("the server refused bytes ", first, "-", last, " (416)");
    return a;
  }
  if (head.status != 206) {
    a.error = head.status == 0 ? std::string("no HTTP response")
                               : StrCat("HTTP status ", head.status);
    return a;
  }
  if (!head.content_range_present) {
    a.error = "206 response without Content-Range";
    return a;
  }
  if (!head.content_range || head.content_range->unsatisfied) {
    a.error = "206 response with an unreadable Content-Range";
    return a;
  }
  const ContentRange& cr = *head.content_range;
  if (!cr.total) {
    a.error = "206 response without the file's size (Content-Range: .../*)";
    return a;
  }
  if (cr.first != first) {
    a.error = StrCat("Content-Range starts at byte ", cr.first, ", not at byte ", first,
                     " as asked");
    return a;
  }
  // The server may clip the range at the end of the file, never elsewhere.
  const uint64_t expected_last = std::min(last, *cr.total - 1);  // total > cr.last >= first
  if (cr.last != expected_last) {
    a.error = StrCat("Content-Range ends at byte ", cr.last, ", not at byte ", expected_last,
                     " (bytes ", first, "-", last, " of ", *cr.total, " were asked for)");
    return a;
  }
  a.body_bytes = cr.last - cr.first + 1;
  if (head.content_length_bad ||
      (head.content_length && *head.content_length != a.body_bytes)) {
    a.error = StrCat("Content-Length disagrees with Content-Range (", a.body_bytes, " bytes)");
    return a;
  }
  a.kind = RangeAnswer::kRange;
  a.total = *cr.total;
  a.total_known = true;
  return a;
}

bool IsRetryableStatus(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

bool IsRedirectStatus(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace stguard::remote
