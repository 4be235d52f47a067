#include "header_json.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "fast_paths.h"
#include "str_cat.h"

namespace stguard::internal {
namespace {

// What a byte can start in JSON text, by table: the raw scanner dispatches
// on one lookup instead of a chain of compares (each compare is a callback
// in a fuzzing build, and the scan runs on every header a fuzzer rejects).
enum class ByteClass : uint8_t {
  kOther,      // cannot start a token
  kSpace,      // JSON whitespace: ' ', '\t', '\n', '\r'
  kQuote,      // '"'
  kOpen,       // '{', '['
  kClose,      // '}', ']'
  kSeparator,  // ',', ':'
  kNumber,     // '-', '0'-'9'
  kLiteral,    // 't', 'f', 'n'
};
struct ByteClassTable {
  ByteClass of[256] = {};
  bool is_digit[256] = {};
  constexpr ByteClassTable() {
    for (const char c : {' ', '\t', '\n', '\r'}) of[static_cast<unsigned char>(c)] = ByteClass::kSpace;
    of[static_cast<unsigned char>('"')] = ByteClass::kQuote;
    for (const char c : {'{', '['}) of[static_cast<unsigned char>(c)] = ByteClass::kOpen;
    for (const char c : {'}', ']'}) of[static_cast<unsigned char>(c)] = ByteClass::kClose;
    for (const char c : {',', ':'}) of[static_cast<unsigned char>(c)] = ByteClass::kSeparator;
    of[static_cast<unsigned char>('-')] = ByteClass::kNumber;
    for (char c = '0'; c <= '9'; ++c) {
      of[static_cast<unsigned char>(c)] = ByteClass::kNumber;
      is_digit[static_cast<unsigned char>(c)] = true;
    }
    for (const char c : {'t', 'f', 'n'}) of[static_cast<unsigned char>(c)] = ByteClass::kLiteral;
  }
};
constexpr ByteClassTable kByteClass;
inline ByteClass ClassOf(char c) { return kByteClass.of[static_cast<unsigned char>(c)]; }

bool IsJsonWhitespace(char c) { return ClassOf(c) == ByteClass::kSpace; }

// Bytes that end a scalar token (number or literal): JSON whitespace,
// ",:{}[]\"" and NUL (which `std::strchr(",:{}[]\"", c)` also finds, at the
// end of the string).
struct DelimiterTable {
  bool is[256] = {};
  constexpr DelimiterTable() {
    for (const char c : {' ', '\t', '\n', '\r', ',', ':', '{', '}', '[', ']', '"', '\0'}) {
      is[static_cast<unsigned char>(c)] = true;
    }
  }
};
constexpr DelimiterTable kDelimiters;
inline bool IsTokenDelimiter(char c) { return kDelimiters.is[static_cast<unsigned char>(c)]; }

// Eight bytes at a time (SWAR): a mask with bit 7 of byte k set when byte k
// of `word` equals `c`. Bits above the lowest set one may be false
// positives (borrows), so only the lowest set bit is used: it is exact.
constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;
inline uint64_t Load8(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;  // little-endian: byte k of p is byte k of the word
}
inline uint64_t BytesEqual(uint64_t word, unsigned char c) {
  const uint64_t x = word ^ (kOnes * c);
  return (x - kOnes) & ~x & kHighs;
}
// Index of the first byte of text[pos, end) that is '"' or '\\', or of the
// first byte of the last incomplete word: skips only bytes that are neither.
inline size_t SkipPlainStringBytes(const char* text, size_t pos, size_t end) {
  while (pos + 8 <= end) {
    const uint64_t word = Load8(text + pos);
    const uint64_t hits = BytesEqual(word, '"') | BytesEqual(word, '\\');
    if (hits != 0) return pos + static_cast<size_t>(__builtin_ctzll(hits) / 8);
    pos += 8;
  }
  return pos;
}
// Index of the first byte of text[pos, end) that is '"', '\\' or below
// 0x20, or of the first byte of the last incomplete word.
inline size_t SkipPlainRawStringBytes(const char* text, size_t pos, size_t end) {
  while (pos + 8 <= end) {
    const uint64_t word = Load8(text + pos);
    // Bytes below 0x20: (b - 0x20) borrows into bit 7 only when b < 0x20
    // (b >= 0x80 is excluded by ~word); exact for the lowest hit.
    const uint64_t control = (word - kOnes * 0x20) & ~word & kHighs;
    const uint64_t hits = BytesEqual(word, '"') | BytesEqual(word, '\\') | control;
    if (hits != 0) return pos + static_cast<size_t>(__builtin_ctzll(hits) / 8);
    pos += 8;
  }
  return pos;
}
// Same for bytes that matter inside a container: '"', '{', '[', '}', ']'.
// ('[' | 0x20 == '{' and ']' | 0x20 == '}'; no other byte maps to those.)
inline size_t SkipPlainContainerBytes(const char* text, size_t pos, size_t end) {
  while (pos + 8 <= end) {
    const uint64_t word = Load8(text + pos);
    const uint64_t folded = word | (kOnes * 0x20);
    const uint64_t hits =
        BytesEqual(word, '"') | BytesEqual(folded, '{') | BytesEqual(folded, '}');
    if (hits != 0) return pos + static_cast<size_t>(__builtin_ctzll(hits) / 8);
    pos += 8;
  }
  return pos;
}

// The smallest integer that rounds to infinity as a double: 2^1024 - 2^970
// (the midpoint between DBL_MAX and 2^1024, which ties to infinity).
constexpr std::string_view kFloatOverflowThreshold =
    "17976931348623158079372897140530341507993413271003782693617377898044496829276475094664"
    "90179775872070963302864166928879109465555478519404026306574886715058206819089020007083"
    "83676273854845817711531764475730270069855571366959622842914819860834936475292719074168"
    "444365510704342711559699508093042880177904174497792";
static_assert(kFloatOverflowThreshold.size() == 309);

// Does an integer literal (digits only, no sign, no leading zero) round to
// infinity as a double? Exact, by comparing with the threshold.
bool IntegerDigitsOverflowDouble(std::string_view digits) {
  if (digits.size() != kFloatOverflowThreshold.size()) {
    return digits.size() > kFloatOverflowThreshold.size();
  }
  return digits >= kFloatOverflowThreshold;
}

// Does an integer literal (digits only, no leading zero) fit in 64 bits:
// u64, or i64 when negative? 2^64-1 has 20 digits, 2^63 has 19: anything
// shorter fits.
bool IntegerDigitsFit64(std::string_view digits, bool negative) {
  constexpr std::string_view kU64Max = "18446744073709551615";
  constexpr std::string_view kI64MinMagnitude = "9223372036854775808";
  const std::string_view limit = negative ? kI64MinMagnitude : kU64Max;
  return digits.size() < limit.size() || (digits.size() == limit.size() && digits <= limit);
}

// Does a number literal with a fraction or exponent round to infinity?
// Works on any length: keeps the first significant digits and the decimal
// exponent (saturated), then lets strtod round a short normalized form.
bool FloatLiteralOverflows(std::string_view token) {
  size_t i = 0;
  if (i < token.size() && token[i] == '-') ++i;
  std::string significant;  // significant digits, at most kKeep
  constexpr size_t kKeep = 400;
  int64_t point_exponent = 0;  // decimal exponent implied by the digits' position
  bool seen_nonzero = false;
  bool in_fraction = false;
  for (; i < token.size(); ++i) {
    const char c = token[i];
    if (c == '.') {
      in_fraction = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (!seen_nonzero && c == '0') {
      if (in_fraction) --point_exponent;  // leading zeros after the point
      continue;
    }
    seen_nonzero = true;
    if (significant.size() < kKeep) {
      significant.push_back(c);
    } else if (c != '0' && significant.back() == '0') {
      significant.back() = '1';  // sticky: something non-zero was dropped
    }
    if (!in_fraction) ++point_exponent;
  }
  if (!seen_nonzero) return false;  // zero never overflows
  int64_t exponent = 0;
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) negative = token[i++] == '-';
    for (; i < token.size() && token[i] >= '0' && token[i] <= '9'; ++i) {
      if (exponent < 100'000'000) exponent = exponent * 10 + (token[i] - '0');
    }
    if (negative) exponent = -exponent;
  }
  // value = 0.significant * 10^(point_exponent + exponent)
  const int64_t decimal_exponent = point_exponent + exponent;
  if (decimal_exponent > 310) return true;
  if (decimal_exponent < 308) return false;
  const std::string normalized = StrCat("0.", significant, "e", decimal_exponent);
  return std::isinf(std::strtod(normalized.c_str(), nullptr));
}

bool IsAsciiDigit(char c) { return kByteClass.is_digit[static_cast<unsigned char>(c)]; }

// What the raw-text scan found. Positions are header positions; npos when
// nothing was found.
struct ScanResult {
  static constexpr size_t npos = std::string_view::npos;
  size_t bad_string = npos;       // bad escape, lone surrogate, raw control char, unclosed
  size_t too_deep = npos;         // first bracket past the depth limit
  size_t bad_number = npos;       // malformed number literal
  size_t number_overflow = npos;  // number rounding to infinity
  size_t bad_token = npos;        // byte that cannot start any JSON token
  size_t trailing = npos;         // first non-whitespace byte after the first value
  std::vector<std::pair<size_t, size_t>> wide_integers;
};

class RawScanner {
 public:
  RawScanner(std::string_view text, uint32_t max_depth) : text_(text), max_depth_(max_depth) {}

  // Starts at `resume`, a position inside the top-level object (after its
  // '{' or after a member's value) up to which the text is known to be
  // valid JSON: a scan from the start would note nothing before it.
  RawScanner(std::string_view text, uint32_t max_depth, size_t resume)
      : text_(text), max_depth_(max_depth), pos_(resume), start_depth_(1) {
    open_[0] = '{';
  }

  enum class Until {
    kEnd,                  // the whole text: the complete list of wide integers
    kFirstProblem,         // the first problem, or a token after `not_after`
    kFirstNumberProblem,   // the first bad or overflowing number
  };

  // Scans the text until `until`: each problem is noted at or after the
  // start of the token being scanned, so later tokens cannot give an
  // earlier (or equal) position than one already noted, or than
  // `not_after`.
  ScanResult Run(Until until = Until::kEnd, size_t not_after = ScanResult::npos) {
    const bool first_problem_only = until == Until::kFirstProblem;
    const bool first_number_problem_only = until == Until::kFirstNumberProblem;
    size_t depth = start_depth_;
    bool value_complete = false;  // the first top-level value has ended
    while (pos_ < text_.size()) {
      if (first_problem_only && (noted_ || pos_ > not_after)) break;
      if (first_number_problem_only && number_noted_) break;
      const char c = text_[pos_];
      const ByteClass kind = ClassOf(c);
      if (kind == ByteClass::kSpace) {
        ++pos_;
        continue;
      }
      if (value_complete) Note(result_.trailing, pos_);
      switch (kind) {
        case ByteClass::kQuote:
          ScanString();
          break;
        case ByteClass::kOpen:
          if (depth < kMaxTrackedDepth) open_[depth] = c;
          if (++depth > max_depth_) Note(result_.too_deep, pos_);
          ++pos_;
          break;
        case ByteClass::kClose:
          if (depth == 0) {
            Note(result_.bad_token, pos_);
          } else {
            --depth;
            // A ']' closing a '{' (or the reverse) is a syntax error here.
            if (depth < kMaxTrackedDepth && (open_[depth] == '{') != (c == '}')) {
              Note(result_.bad_token, pos_);
            }
          }
          ++pos_;
          break;
        case ByteClass::kSeparator:
          ++pos_;
          break;
        case ByteClass::kNumber:
          ScanNumber();
          break;
        case ByteClass::kLiteral:
          ScanLiteral();
          break;
        case ByteClass::kSpace:  // handled above
        case ByteClass::kOther:
          Note(result_.bad_token, pos_);
          ++pos_;
          break;
      }
      if (depth == 0) value_complete = true;
    }
    return std::move(result_);
  }

 private:
  // text_[begin, end) for positions the scan has reached (end <= size):
  // no bounds check to repeat, unlike substr's.
  std::string_view Slice(size_t begin, size_t end) const {
    return std::string_view(text_.data() + begin, end - begin);
  }

  void Note(size_t& slot, size_t pos) {
    if (slot == ScanResult::npos) slot = pos;
    noted_ = true;
  }
  void NoteNumber(size_t& slot, size_t pos) {
    Note(slot, pos);
    number_noted_ = true;
  }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // The byte after '\\' in a two-byte escape: one of "\\/bfnrt.
  static bool IsSimpleEscape(char e) {
    switch (e) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        return true;
      default:
        return false;
    }
  }

  // Reads "XXXX" at p; -1 when not four hex digits.
  long Hex4(size_t p) const {
    if (p + 4 > text_.size()) return -1;
    long value = 0;
    for (size_t k = 0; k < 4; ++k) {
      const int digit = HexValue(text_[p + k]);
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    return value;
  }

  void ScanString() {
    const size_t start = pos_++;
    while (pos_ < text_.size()) {
      pos_ = SkipPlainRawStringBytes(text_.data(), pos_, text_.size());
      if (pos_ >= text_.size()) break;
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return;
      }
      if (c < 0x20) {
        Note(result_.bad_string, pos_);
        ++pos_;
        continue;
      }
      if (c != '\\') {
        ++pos_;
        continue;
      }
      const size_t escape = pos_;
      if (pos_ + 1 >= text_.size()) break;
      const char e = text_[pos_ + 1];
      if (e == 'u') {
        const long unit = Hex4(pos_ + 2);
        if (unit < 0) {
          Note(result_.bad_string, escape);
          pos_ += 2;
          continue;
        }
        pos_ += 6;
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
          Note(result_.bad_string, escape);  // lone trailing surrogate
        } else if (unit >= 0xD800 && unit <= 0xDBFF) {
          const bool paired = pos_ + 1 < text_.size() && text_[pos_] == '\\' &&
                              text_[pos_ + 1] == 'u';
          const long low = paired ? Hex4(pos_ + 2) : -1;
          if (low >= 0xDC00 && low <= 0xDFFF) {
            pos_ += 6;
          } else {
            Note(result_.bad_string, escape);  // lone leading surrogate
          }
        }
        continue;
      }
      if (!IsSimpleEscape(e)) Note(result_.bad_string, escape);
      pos_ += 2;
    }
    Note(result_.bad_string, start);  // unclosed
    pos_ = text_.size();
  }

  void ScanNumber() {
    const size_t begin = pos_;
    while (pos_ < text_.size() && !IsTokenDelimiter(text_[pos_])) ++pos_;
    const std::string_view token = Slice(begin, pos_);
    // JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    size_t i = 0;
    const bool negative = token[0] == '-';
    if (negative) ++i;
    const size_t int_begin = i;
    if (i < token.size() && token[i] == '0') {
      ++i;
    } else {
      while (i < token.size() && IsAsciiDigit(token[i])) ++i;
    }
    const size_t int_end = i;
    bool is_integer = true;
    bool ok = int_end > int_begin;
    if (ok && i < token.size() && token[i] == '.') {
      is_integer = false;
      const size_t frac_begin = ++i;
      while (i < token.size() && IsAsciiDigit(token[i])) ++i;
      ok = i > frac_begin;
    }
    if (ok && i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
      is_integer = false;
      ++i;
      if (i < token.size() && (token[i] == '+' || token[i] == '-')) ++i;
      const size_t exp_begin = i;
      while (i < token.size() && IsAsciiDigit(token[i])) ++i;
      ok = i > exp_begin;
    }
    if (!ok || i != token.size()) {
      NoteNumber(result_.bad_number, begin);
      return;
    }
    if (!is_integer) {
      if (FloatLiteralOverflows(token)) NoteNumber(result_.number_overflow, begin);
      return;
    }
    const std::string_view digits = token.substr(int_begin, int_end - int_begin);
    if (IntegerDigitsFit64(digits, negative)) return;
    if (IntegerDigitsOverflowDouble(digits)) {
      NoteNumber(result_.number_overflow, begin);
    } else {
      result_.wide_integers.emplace_back(begin, pos_);
    }
  }

  void ScanLiteral() {
    const size_t begin = pos_;
    while (pos_ < text_.size() && !IsTokenDelimiter(text_[pos_])) ++pos_;
    const std::string_view token = Slice(begin, pos_);
    if (token != "true" && token != "false" && token != "null") Note(result_.bad_token, begin);
  }

  // Opening brackets of the enclosing containers, as far as the deepest
  // depth any policy allows (deeper is an error anyway).
  static constexpr size_t kMaxTrackedDepth = kMaxJsonDepthCeiling + 1;
  char open_[kMaxTrackedDepth] = {};
  std::string_view text_;
  uint32_t max_depth_;
  size_t pos_ = 0;
  size_t start_depth_ = 0;
  bool noted_ = false;
  bool number_noted_ = false;  // a bad or overflowing number was noted
  ScanResult result_;
};

// Rewrites each wide integer as a float literal of the same length, so that
// simdjson reads it (as a double, like the reference) and positions stay put.
void RewriteWideIntegers(char* header, const std::vector<std::pair<size_t, size_t>>& spans) {
  for (const auto& [begin, end] : spans) {
    size_t p = begin;
    if (header[p] == '-') ++p;
    header[p++] = '0';
    header[p++] = 'e';
    for (; p < end; ++p) header[p] = '0';
  }
}

// A problem found at a header position, for ReportFailure. Its message is
// built only if it is the one reported (most scans' problems are not).
struct Problem {
  size_t pos = ScanResult::npos;
  Code code = Code::kJsonSyntax;
  std::string_view what;     // fixed text
  bool ends_early = false;   // the text ran out: "header ends early: <what>"
  uint32_t depth_limit = 0;  // kJsonTooDeep: the limit passed

  std::string Message() const {
    if (code == Code::kJsonTooDeep) return DepthMessage(depth_limit);
    return ends_early ? StrCat("header ends early: ", what) : std::string(what);
  }
  static std::string DepthMessage(uint32_t limit) {
    return StrCat("nesting deeper than ", limit, " levels");
  }
};

// Reports the earliest of: what the raw scan of `text` found, and `known`
// (a problem the caller already located). Positions in `text` map to file
// offsets by adding `text_file_offset`. Falls back to simdjson's category.
void ReportFailure(simdjson::error_code error, std::string_view text, uint64_t text_file_offset,
                   const Problem& known, const Policy& policy, FindingSink& sink,
                   size_t valid_until = 0) {
  // Only the earliest problem is reported: the scan stops at it, or past
  // the known one. With `valid_until`, text up to there is valid JSON
  // inside the top-level object (see RawScanner's resuming constructor).
  RawScanner scanner = valid_until > 0 ? RawScanner(text, policy.max_json_depth, valid_until)
                                       : RawScanner(text, policy.max_json_depth);
  const ScanResult scan = scanner.Run(RawScanner::Until::kFirstProblem, known.pos);
  // The candidates in order of precedence at equal positions; messages are
  // built for the one reported only.
  enum Kind { kBadString, kTooDeep, kOverflow, kBadNumber, kTrailing, kBadToken, kKnown };
  const size_t positions[] = {scan.bad_string, scan.too_deep, scan.number_overflow,
                              scan.bad_number, scan.trailing, scan.bad_token, known.pos};
  int best = -1;
  for (int k = 0; k <= kKnown; ++k) {
    if (positions[k] != ScanResult::npos && (best < 0 || positions[k] < positions[best])) best = k;
  }
  if (best >= 0) {
    const uint64_t at = text_file_offset + positions[best];
    switch (best) {
      case kBadString:
        sink.Error(Code::kJsonInvalidString, at,
                   "string with a bad escape, a lone surrogate, a raw control character, or "
                   "unclosed");
        return;
      case kTooDeep:
        sink.Error(Code::kJsonTooDeep, at, Problem::DepthMessage(policy.max_json_depth));
        return;
      case kOverflow:
        sink.Error(Code::kJsonNumberOverflow, at, "number rounds to infinity as a double");
        return;
      case kBadNumber:
        sink.Error(Code::kJsonSyntax, at, "malformed number");
        return;
      case kTrailing:
        sink.Error(Code::kHeaderTrailingContent, at, "content after the header's JSON value");
        return;
      case kBadToken:
        sink.Error(Code::kJsonSyntax, at, "unexpected character");
        return;
      default:
        sink.Error(known.code, at, known.Message());
        return;
    }
  }
  switch (error) {
    case simdjson::DEPTH_ERROR:
      sink.Error(Code::kJsonTooDeep, text_file_offset,
                 Problem::DepthMessage(policy.max_json_depth));
      return;
    case simdjson::MEMALLOC:
    case simdjson::CAPACITY:
      sink.Error(Code::kResourceExhausted, text_file_offset,
                 StrCat("JSON parser: ", simdjson::error_message(error)));
      return;
    default:
      sink.Error(Code::kJsonSyntax, text_file_offset,
                 std::string("invalid JSON: ") + simdjson::error_message(error));
      return;
  }
}

// The top-level object's member loop, shared by the exact and the fast
// scanner: ws (member (ws ',' ws member)*)? ws '}' from just after the
// opening '{' or, with `after_member`, from just after a member's value
// (the members before it read by someone else), members cut into batches
// of about batch_bytes_. The scanner supplies At, SkipWhitespace,
// SkipString, SkipValue, Fail(message[, pos]) and its pos_ and
// batch_bytes_.
template <typename Scanner>
bool WalkMembers(Scanner& s, bool after_member, std::vector<MemberBatch>& batches) {
  if (!after_member) {
    s.SkipWhitespace();
    if (s.At('}')) {
      ++s.pos_;
      return true;
    }
  }
  MemberBatch current{0, 0, 0};
  bool open = false;
  while (true) {
    // Resuming after a member: its separator comes first.
    if (!after_member) {
      const size_t member_begin = s.pos_;
      if (!s.At('"')) return s.Fail("expected a key string");
      if (!s.SkipString()) return s.Fail("unclosed string", member_begin);
      s.SkipWhitespace();
      if (!s.At(':')) return s.Fail("expected ':' after the key");
      ++s.pos_;
      s.SkipWhitespace();
      if (!s.SkipValue()) return false;
      if (!open) current = MemberBatch{member_begin, 0, 0};
      open = true;
      current.end = s.pos_;
      ++current.members;
      if (current.end - current.begin >= s.batch_bytes_) {
        batches.push_back(current);
        open = false;
      }
    }
    after_member = false;
    s.SkipWhitespace();
    if (s.At(',')) {
      ++s.pos_;
      s.SkipWhitespace();
      continue;
    }
    if (s.At('}')) {
      ++s.pos_;
      break;
    }
    return s.Fail("expected ',' or '}' after a member");
  }
  if (open) batches.push_back(current);
  return true;
}

// Walks the top-level object's grammar: '{' ws (member (ws ',' ws member)*)?
// ws '}'. Member values are skipped by bracket counting (strings respected);
// their own grammar is the batch parser's job.
class TopLevelScanner {
 public:
  TopLevelScanner(std::string_view text, size_t batch_bytes, uint32_t max_depth)
      : text_(text), batch_bytes_(batch_bytes), max_depth_(max_depth) {}

  // pos: just after the opening '{' or, with `after_member`, just after a
  // member's value. On success, pos() is just after the closing '}'. On
  // failure, problem() says what and where.
  bool Run(size_t pos, std::vector<MemberBatch>& batches, bool after_member = false) {
    pos_ = pos;
    return WalkMembers(*this, after_member, batches);
  }

  size_t pos() const { return pos_; }
  const Problem& problem() const { return problem_; }

 private:
  template <typename Scanner>
  friend bool WalkMembers(Scanner& scanner, bool after_member, std::vector<MemberBatch>& batches);
  bool At(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void SkipWhitespace() {
    while (pos_ < text_.size() && IsJsonWhitespace(text_[pos_])) ++pos_;
  }
  bool Fail(const char* message) { return Fail(message, pos_); }
  bool Fail(const char* message, size_t pos) {
    problem_ = Problem{pos, Code::kJsonSyntax, message, pos >= text_.size()};
    return false;
  }

  // At '"': moves past the closing quote; false when there is none.
  bool SkipString() {
    ++pos_;
    while (pos_ < text_.size()) {
      pos_ = SkipPlainStringBytes(text_.data(), pos_, text_.size());
      if (pos_ >= text_.size()) break;
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      pos_ += c == '\\' ? 2 : 1;
    }
    return false;
  }

  bool SkipValue() {
    const size_t begin = pos_;
    if (pos_ >= text_.size()) return Fail("expected a value");
    const char c = text_[pos_];
    if (c == '"') return SkipString() || Fail("unclosed string", begin);
    if (c == '{' || c == '[') {
      // The member's value sits at depth 2 (the top-level object is 1).
      char open[kMaxJsonDepthCeiling + 1];
      size_t depth = 0;
      while (pos_ < text_.size()) {
        pos_ = SkipPlainContainerBytes(text_.data(), pos_, text_.size());
        if (pos_ >= text_.size()) break;
        const char d = text_[pos_];
        if (d == '"') {
          if (!SkipString()) return Fail("unclosed string", begin);
          continue;
        }
        if (d == '{' || d == '[') {
          if (depth + 2 > max_depth_) {
            problem_ = Problem{pos_, Code::kJsonTooDeep, {}, false, max_depth_};
            return false;
          }
          open[depth++] = d;
        } else if (d == '}' || d == ']') {
          if ((open[depth - 1] == '{') != (d == '}')) return Fail("mismatched bracket");
          if (--depth == 0) {
            ++pos_;
            return true;
          }
        }
        ++pos_;
      }
      return Fail("unclosed object or array", begin);
    }
    while (pos_ < text_.size() && !IsTokenDelimiter(text_[pos_])) ++pos_;
    return pos_ > begin || Fail("expected a value");
  }

  std::string_view text_;
  size_t batch_bytes_;
  uint32_t max_depth_;
  size_t pos_ = 0;
  Problem problem_;
};

// The bytes that matter to the top-level scan in a 64-byte block, one bit
// per byte (bit k for byte k).
struct BlockBits {
  uint64_t quote = 0;
  uint64_t backslash = 0;
  uint64_t open = 0;   // '{' or '['
  uint64_t close = 0;  // '}' or ']'
};

inline BlockBits ClassifyBlock(const char* p) {
  BlockBits bits;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i open = _mm_set1_epi8('{');  // '[' | 0x20 == '{'
  const __m128i close = _mm_set1_epi8('}');  // ']' | 0x20 == '}'
  const __m128i fold = _mm_set1_epi8(0x20);
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const __m128i folded = _mm_or_si128(v, fold);
    const auto mask = [](__m128i eq) {
      return static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(eq)));
    };
    bits.quote |= mask(_mm_cmpeq_epi8(v, quote)) << (16 * k);
    bits.backslash |= mask(_mm_cmpeq_epi8(v, backslash)) << (16 * k);
    bits.open |= mask(_mm_cmpeq_epi8(folded, open)) << (16 * k);
    bits.close |= mask(_mm_cmpeq_epi8(folded, close)) << (16 * k);
  }
#else
  for (int k = 0; k < 64; ++k) {
    const uint64_t bit = uint64_t{1} << k;
    switch (p[k]) {
      case '"': bits.quote |= bit; break;
      case '\\': bits.backslash |= bit; break;
      case '{': case '[': bits.open |= bit; break;
      case '}': case ']': bits.close |= bit; break;
      default: break;
    }
  }
#endif
  return bits;
}

// Bit k set when an odd number of bits 0..k of x are set.
inline uint64_t PrefixXor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// TopLevelScanner's fast path, for text that is well-formed: the text is
// classified 64 bytes at a time (string interiors from the unescaped quotes,
// brackets outside strings), so strings and member values are skipped by
// bit scans instead of byte by byte. Everything at the top level (keys,
// ':', ',', scalar values, whitespace) is read byte by byte exactly as
// TopLevelScanner reads it.
//
// Run() returns true only when TopLevelScanner::Run would succeed with the
// same batches and end position. It returns false on any problem (or
// anything unusual), without saying what: the caller then runs
// TopLevelScanner, which names it. Why the views agree: both start outside
// strings; an unescaped '"' opens or closes a string in both; inside a
// string both pair a backslash with the byte after it (a run of
// backslashes starts inside the string, so an odd run escapes the byte
// after it in both). They can only part after a backslash outside a string,
// and any such backslash in the classified blocks makes Run() fail.
class FastTopLevelScanner {
 public:
  FastTopLevelScanner(std::string_view text, size_t batch_bytes, uint32_t max_depth)
      : text_(text), batch_bytes_(batch_bytes), max_depth_(max_depth) {}

  // As TopLevelScanner::Run. `pos` is outside any string, so blocks are
  // classified from there.
  bool Run(size_t pos, std::vector<MemberBatch>& batches, bool after_member = false) {
    pos_ = pos;
    next_block_ = pos;
    return WalkMembers(*this, after_member, batches) && !backslash_outside_string_;
  }

  size_t pos() const { return pos_; }

 private:
  template <typename Scanner>
  friend bool WalkMembers(Scanner& scanner, bool after_member, std::vector<MemberBatch>& batches);
  static constexpr size_t kBlock = 64;

  // The fast scan does not name problems: the exact one will.
  bool Fail(const char*) { return false; }
  bool Fail(const char*, size_t) { return false; }

  bool At(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void SkipWhitespace() {
    while (pos_ < text_.size() && IsJsonWhitespace(text_[pos_])) ++pos_;
  }

  // Classifies the next block (the text's last bytes padded with spaces).
  void ClassifyNext() {
    const size_t begin = next_block_;
    const char* p = text_.data() + begin;
    char padded[kBlock];
    if (text_.size() - begin < kBlock) {
      std::memset(padded, ' ', kBlock);
      std::memcpy(padded, p, text_.size() - begin);
      p = padded;
    }
    const BlockBits bits = ClassifyBlock(p);
    // Escaped bytes: each backslash not itself escaped escapes the next byte.
    uint64_t escaped = escape_carry_;
    escape_carry_ = 0;
    for (uint64_t b = bits.backslash; b != 0; b &= b - 1) {
      const int k = __builtin_ctzll(b);
      if ((escaped >> k & 1) != 0) continue;
      if (k == 63) {
        escape_carry_ = 1;
      } else {
        escaped |= uint64_t{2} << k;
      }
    }
    quotes_ = bits.quote & ~escaped;
    // Inside a string: from an opening quote (included) to its closing
    // quote (excluded).
    const uint64_t inside = PrefixXor(quotes_) ^ string_carry_;
    string_carry_ = (inside >> 63) != 0 ? ~uint64_t{0} : 0;
    open_ = bits.open & ~inside;
    close_ = bits.close & ~inside;
    if ((bits.backslash & ~inside) != 0) backslash_outside_string_ = true;
    block_begin_ = begin;
    next_block_ = begin + kBlock;
  }

  // Makes the block holding text position p the current one.
  void Reach(size_t p) {
    while (next_block_ <= p) ClassifyNext();
  }

  // Bits of the current block at positions >= p.
  uint64_t From(size_t p) const {
    return p <= block_begin_ ? ~uint64_t{0} : ~uint64_t{0} << (p - block_begin_);
  }

  // At '"': moves past the closing quote; false when there is none.
  bool SkipString() {
    const size_t from = pos_ + 1;
    if (from >= text_.size()) return false;
    Reach(from);
    uint64_t bits = quotes_ & From(from);
    while (bits == 0) {
      if (next_block_ >= text_.size()) return false;
      ClassifyNext();
      bits = quotes_;
    }
    pos_ = block_begin_ + static_cast<size_t>(__builtin_ctzll(bits)) + 1;
    return true;
  }

  bool SkipValue() {
    const size_t begin = pos_;
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '"') return SkipString();
    if (c == '{' || c == '[') {
      Reach(pos_);
      uint64_t bits = (open_ | close_) & From(pos_);
      // Kinds of the open brackets, innermost last (true for '{').
      bool curly[kMaxJsonDepthCeiling + 1];
      size_t depth = 0;
      while (true) {
        for (; bits != 0; bits &= bits - 1) {
          const int k = __builtin_ctzll(bits);
          const char d = text_[block_begin_ + static_cast<size_t>(k)];
          if ((open_ >> k & 1) != 0) {
            if (depth + 2 > max_depth_) return false;
            curly[depth++] = d == '{';
          } else {
            if (depth == 0 || curly[depth - 1] != (d == '}')) return false;
            if (--depth == 0) {
              pos_ = block_begin_ + static_cast<size_t>(k) + 1;
              return true;
            }
          }
        }
        if (next_block_ >= text_.size()) return false;
        ClassifyNext();
        bits = open_ | close_;
      }
    }
    while (pos_ < text_.size() && !IsTokenDelimiter(text_[pos_])) ++pos_;
    return pos_ > begin;
  }

  std::string_view text_;
  size_t batch_bytes_;
  uint32_t max_depth_;
  size_t pos_ = 0;
  // The current block: text positions [block_begin_, block_begin_ + 64).
  size_t block_begin_ = 0;
  size_t next_block_ = 0;  // where the next block to classify starts
  uint64_t quotes_ = 0;    // unescaped quotes
  uint64_t open_ = 0;      // brackets outside strings
  uint64_t close_ = 0;
  uint64_t escape_carry_ = 0;  // bit 0: the next block's first byte is escaped
  uint64_t string_carry_ = 0;  // all ones: the next block starts inside a string
  bool backslash_outside_string_ = false;
};

}  // namespace

size_t FirstInvalidUtf8(const uint8_t* bytes, size_t size) {
  size_t i = 0;
  while (i < size) {
    // ASCII eight bytes at a time.
    while (i + 8 <= size && (Load8(reinterpret_cast<const char*>(bytes) + i) & kHighs) == 0) {
      i += 8;
    }
    if (i >= size) break;
    const uint8_t b = bytes[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t min_code;
    uint32_t code;
    if ((b & 0xE0) == 0xC0) {
      length = 2, min_code = 0x80, code = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      length = 3, min_code = 0x800, code = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      length = 4, min_code = 0x10000, code = b & 0x07;
    } else {
      return i;
    }
    if (size - i < length) return i;
    for (size_t k = 1; k < length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) return i;
      code = (code << 6) | (bytes[i + k] & 0x3F);
    }
    if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += length;
  }
  return size;
}

bool ScanHeader(const char* header, size_t size, uint64_t file_offset, const Policy& policy,
                size_t batch_bytes, FindingSink& sink, std::vector<MemberBatch>& batches,
                LeadingMemberReader* leading) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(header);
  if (!simdjson::validate_utf8(header, size)) {
    sink.Error(Code::kHeaderInvalidUtf8, file_offset + FirstInvalidUtf8(bytes, size),
               "invalid UTF-8 sequence");
    return false;
  }
  if (size >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) {
    sink.Error(Code::kHeaderBom, file_offset, "UTF-8 byte order mark before the JSON");
    return false;
  }
  const std::string_view text(header, size);
  size_t first = 0;
  while (first < size && IsJsonWhitespace(header[first])) ++first;
  if (first == size) {
    sink.Error(Code::kJsonSyntax, file_offset,
               size == 0 ? "header is empty (N = 0)" : "header holds only whitespace");
    return false;
  }
  if (first > 0) {
    sink.AddAction(Code::kHeaderLeadingWhitespace, policy.leading_whitespace, file_offset, {},
                   StrCat(first, " whitespace bytes before the JSON value"));
  }
  if (header[first] != '{') {
    // Not an object: say so when the text is otherwise plausible JSON, or
    // else name the first problem the raw scan sees.
    ReportFailure(simdjson::INCORRECT_TYPE, text, file_offset,
                  Problem{first, Code::kTopLevelNotObject, "the header must be a JSON object"},
                  policy, sink);
    return false;
  }
  // The caller's reader takes the leading members it can (usually all of
  // them); the scan goes on after them. They are valid JSON, so the scan
  // from there finds what a scan from the start would, at the same
  // positions, and so does ReportFailure's raw scan (which takes `start`
  // as the point up to which the text is valid).
  size_t start = first + 1;
  bool after_member = false;
  if (leading != nullptr && FastPathsEnabled()) {
    size_t leading_end = start;
    if (leading->ReadMembers(header, size, start, leading_end) > 0) {
      start = leading_end;
      after_member = true;
    }
  }
  // The fast scan, and the exact one when the fast one does not succeed
  // (it names the problem).
  size_t end = 0;
  const size_t batches_before = batches.size();
  FastTopLevelScanner fast(text, batch_bytes, policy.max_json_depth);
  if (FastPathsEnabled() && fast.Run(start, batches, after_member)) {
    end = fast.pos();
  } else {
    batches.resize(batches_before);
    TopLevelScanner scanner(text, batch_bytes, policy.max_json_depth);
    if (!scanner.Run(start, batches, after_member)) {
      ReportFailure(simdjson::TAPE_ERROR, text, file_offset, scanner.problem(), policy, sink,
                    start);
      return false;
    }
    end = scanner.pos();
  }
  size_t last = end;
  while (last < size && IsJsonWhitespace(header[last])) ++last;
  if (last < size) {
    ReportFailure(simdjson::TAPE_ERROR, text, file_offset,
                  Problem{last, Code::kHeaderTrailingContent,
                          "content after the header's JSON value"},
                  policy, sink, start);
    return false;
  }
  // Writers pad with spaces; other whitespace is legal but unusual.
  for (size_t p = end; p < size; ++p) {
    if (header[p] != ' ') {
      sink.AddAction(Code::kHeaderPaddingNotSpaces, policy.padding_not_spaces, file_offset + p,
                     {}, "header padding holds tab, CR or LF");
      break;
    }
  }
  return true;
}

namespace {

#if defined(__SSE2__)
// Bit k set when p[k] is an ASCII digit, for k in [0, 16).
inline unsigned DigitMask16(const char* p) {
  const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // Signed compares: bytes >= 0x80 are negative, so never digits.
  return static_cast<unsigned>(_mm_movemask_epi8(
      _mm_and_si128(_mm_cmpgt_epi8(block, _mm_set1_epi8('0' - 1)),
                    _mm_cmplt_epi8(block, _mm_set1_epi8('9' + 1)))));
}
#endif

// Can `text` hold an integer literal too wide for 64 bits? Such a literal
// has at least 19 digits in a row (|i64 min| has 19, u64 max 20), so text
// without such a run holds none, and the raw scan that finds them is
// skipped. Digits inside strings count too: a superset, so exact.
bool MayHoldWideInteger(std::string_view text) {
  constexpr size_t kMinDigits = 19;
  size_t run = 0;  // digits in a row up to the current position
  size_t i = 0;
#if defined(__SSE2__)
  // 16 bytes at a time: a run of 19 crosses a block boundary, so only the
  // digits ending one block and starting the next need counting.
  for (; i + 16 <= text.size(); i += 16) {
    const unsigned digits = DigitMask16(text.data() + i);
    if (digits == 0xFFFF) {
      run += 16;
      if (run >= kMinDigits) return true;
      continue;
    }
    const auto leading = static_cast<size_t>(__builtin_ctz(~digits));
    if (run + leading >= kMinDigits) return true;
    // Digits at the block's end: leading zeros of the complement, shifted
    // so that bit 15 is the top bit.
    run = static_cast<size_t>(__builtin_clz(~digits << 16));
  }
#endif
  for (; i < text.size(); ++i) {
    run = IsAsciiDigit(text[i]) ? run + 1 : 0;
    if (run >= kMinDigits) return true;
  }
  return false;
}

using Spans = std::vector<std::pair<size_t, size_t>>;

// Appends to `spans` the maximal runs of at least 19 ASCII digits in `text`
// (candidates for integer literals too wide for 64 bits), 16 bytes at a
// time. Returns false past `max_runs` runs (the caller then scans exactly).
bool FindLongDigitRuns(std::string_view text, size_t max_runs, Spans& spans) {
  constexpr size_t kMinDigits = 19;
  size_t run_begin = 0;  // start of the digit run ending at the current position
  size_t i = 0;
  const auto end_run = [&](size_t run_end) {
    if (run_end - run_begin >= kMinDigits) spans.emplace_back(run_begin, run_end);
    return spans.size() <= max_runs;
  };
#if defined(__SSE2__)
  for (; i + 16 <= text.size(); i += 16) {
    const unsigned digits = DigitMask16(text.data() + i);
    if (digits == 0xFFFFu) continue;  // the run goes on
    // Each step ends the current run at the next non-digit and starts the
    // next run at the next digit after it.
    const unsigned non_digits = ~digits & 0xFFFFu;
    size_t k = 0;
    while (true) {
      const unsigned non_digits_from_k = non_digits >> k;
      if (non_digits_from_k == 0) break;  // digits to the block's end
      const size_t stop = k + static_cast<size_t>(__builtin_ctz(non_digits_from_k));
      if (!end_run(i + stop)) return false;
      const unsigned digits_from_stop = digits >> stop;
      if (digits_from_stop == 0) {
        run_begin = i + 16;
        break;
      }
      k = stop + static_cast<size_t>(__builtin_ctz(digits_from_stop));
      run_begin = i + k;
    }
  }
#endif
  for (; i < text.size(); ++i) {
    if (!IsAsciiDigit(text[i])) {
      if (!end_run(i)) return false;
      run_begin = i + 1;
    }
  }
  return end_run(text.size());
}

}  // namespace

// Fast path for the wide integers of RawScanner::Run: the integer literals
// in `text` too wide for 64 bits that do not round to infinity, found from
// the long digit runs and the string boundaries (quotes and backslashes)
// instead of a scan of every token. Exact whenever `text` with those
// literals rewritten parses: the rewrite touches no quote or backslash, so
// the string boundaries seen here are that valid text's, and a digit run
// outside strings, after a delimiter (or a '-' after one) and before
// another, is a whole integer token. Returns false when the exact scan
// must decide (a backslash outside a string, a leading zero, a literal that
// overflows, too many runs); the caller also rescans exactly when the
// rewritten text does not parse.
bool FindWideIntegersFast(std::string_view text, Spans& wide) {
  constexpr size_t kMaxRuns = 64;  // beyond that, one exact scan is cheaper
  Spans runs;
  if (!FindLongDigitRuns(text, kMaxRuns, runs)) return false;
  const char* const data = text.data();
  size_t pos = 0;  // string boundaries are known up to here
  bool in_string = false;
  for (const auto& [run_begin, run_end] : runs) {
    while (pos < run_begin) {
      size_t hit = SkipPlainStringBytes(data, pos, run_begin);
      while (hit < run_begin && data[hit] != '"' && data[hit] != '\\') ++hit;
      if (hit >= run_begin) {
        pos = run_begin;
        break;
      }
      if (data[hit] == '"') {
        in_string = !in_string;
        pos = hit + 1;
      } else if (in_string) {
        pos = hit + 2;  // the escaped byte (or a \uXXXX's 'u') is no boundary
      } else {
        return false;  // a backslash outside a string
      }
    }
    if (in_string || pos > run_begin) continue;  // digits inside a string
    const bool negative = run_begin > 0 && data[run_begin - 1] == '-';
    const size_t token_begin = negative ? run_begin - 1 : run_begin;
    if (token_begin > 0 && !IsTokenDelimiter(data[token_begin - 1])) {
      continue;  // the digits of a fraction or exponent, or of a bad token
    }
    if (run_end < text.size() && !IsTokenDelimiter(data[run_end])) continue;  // a float
    if (data[run_begin] == '0') return false;  // a leading zero: not JSON
    const std::string_view digits = text.substr(run_begin, run_end - run_begin);
    if (IntegerDigitsFit64(digits, negative)) continue;
    if (IntegerDigitsOverflowDouble(digits)) return false;
    wide.emplace_back(token_begin, run_end);
  }
  return true;
}

namespace {

// Parses "{...}" in `text` (padded), re-reading integer literals wider than
// 64 bits as floats the way the reference does (see ParsedBatch).
simdjson::error_code ParseObject(simdjson::dom::parser& parser, char* text, size_t length,
                                 const Policy& policy, ParsedBatch& out) {
  out.text = std::string_view(text, length);
  out.wide_integers.clear();
  simdjson::error_code error = parser.parse(text, length, false).get(out.root);
  if (error != simdjson::NUMBER_ERROR || !MayHoldWideInteger(out.text)) return error;
  const simdjson::error_code first_error = error;
  Spans wide;
  if (FastPathsEnabled() && FindWideIntegersFast(out.text, wide) && !wide.empty()) {
    // Rewrite, keeping the original bytes: when the rewritten text does
    // not parse (or there was nothing to rewrite), the exact scan below
    // decides from the original.
    std::string original;
    for (const auto& [begin, end] : wide) original.append(text + begin, end - begin);
    RewriteWideIntegers(text, wide);
    error = parser.parse(text, length, false).get(out.root);
    if (error == simdjson::SUCCESS) {
      out.wide_integers = std::move(wide);
      return error;
    }
    size_t at = 0;
    for (const auto& [begin, end] : wide) {
      std::memcpy(text + begin, original.data() + at, end - begin);
      at += end - begin;
    }
  }
  // A bad or overflowing number anywhere means no rewrite: the scan can
  // stop at the first.
  ScanResult scan =
      RawScanner(out.text, policy.max_json_depth).Run(RawScanner::Until::kFirstNumberProblem);
  if (scan.wide_integers.empty() || scan.number_overflow != ScanResult::npos ||
      scan.bad_number != ScanResult::npos) {
    return first_error;
  }
  RewriteWideIntegers(text, scan.wide_integers);
  error = parser.parse(text, length, false).get(out.root);
  if (error == simdjson::SUCCESS) out.wide_integers = std::move(scan.wide_integers);
  return error;
}

}  // namespace

struct BatchParser::Cache {
  simdjson::dom::parser parser;
  size_t parser_capacity = 0;  // bytes of JSON the parser and its document hold
  size_t parser_depth = 0;
  std::unique_ptr<char[]> buffer;  // the batch's text, padded
  size_t buffer_capacity = 0;
  bool in_use = false;

  // Drops what is above the kept capacity.
  void Trim() {
    if (parser_capacity > kKeptParserCapacity) {
      parser = simdjson::dom::parser();
      parser_capacity = 0;
      parser_depth = 0;
    }
    if (buffer_capacity > kKeptParserCapacity + simdjson::SIMDJSON_PADDING) {
      buffer.reset();
      buffer_capacity = 0;
    }
  }

  // Room for `length` bytes of JSON in the text buffer (plus padding).
  bool ReserveBuffer(size_t length) {
    if (buffer_capacity >= length + simdjson::SIMDJSON_PADDING) return true;
    buffer.reset();  // the old buffer first: lower peak
    buffer_capacity = RoundCapacity(length) + simdjson::SIMDJSON_PADDING;
    buffer.reset(new (std::nothrow) char[buffer_capacity]);
    if (!buffer) buffer_capacity = 0;
    return buffer != nullptr;
  }

  // A parser (and document) for `length` bytes of JSON nested `depth` deep.
  // The depth only grows: simdjson's limit is never the binding one (see
  // Parse), so a larger one changes nothing but saves reallocating.
  bool ReserveParser(size_t length, size_t depth) {
    if (parser_capacity >= length && parser_depth >= depth) return true;
    const size_t capacity = std::max(parser_capacity, RoundCapacity(length));
    depth = std::max(depth, parser_depth);
    if (parser.allocate(capacity, depth) != simdjson::SUCCESS ||
        (capacity != parser_capacity && parser.doc.allocate(capacity) != simdjson::SUCCESS)) {
      parser = simdjson::dom::parser();
      parser_capacity = 0;
      parser_depth = 0;
      return false;
    }
    parser_capacity = capacity;
    parser_depth = depth;
    return true;
  }

  // Small sizes grow by powers of two from 4 KiB; large ones to a multiple
  // of 64 KiB (a batch is a little over kDefaultBatchBytes).
  static size_t RoundCapacity(size_t length) {
    constexpr size_t kStep = 64 * 1024;
    if (length > kStep) return (length + kStep - 1) / kStep * kStep;
    size_t capacity = 4096;
    while (capacity < length) capacity *= 2;
    return capacity;
  }
};

namespace {
thread_local BatchParser::Cache thread_cache;
}  // namespace

BatchParser::BatchParser() {
  if (thread_cache.in_use) {
    own_ = std::make_unique<Cache>();
    cache_ = own_.get();
  } else {
    cache_ = &thread_cache;
  }
  cache_->in_use = true;
}

BatchParser::~BatchParser() {
  cache_->in_use = false;
  cache_->Trim();
}

bool BatchParser::Parse(const char* header, MemberBatch batch, uint64_t file_offset,
                        const Policy& policy, FindingSink& sink, ParsedBatch& out) {
  // The batch as an object: "{" + members + "}". Position 0 (the added
  // '{') stands for the separator byte before the first member.
  const size_t members = batch.end - batch.begin;
  const size_t length = members + 2;
  out.base = batch.begin - 1;
  out.wide_integers.clear();
  const uint64_t text_file_offset = file_offset + out.base;
  Cache& cache = *cache_;
  if (!cache.ReserveBuffer(length)) {
    sink.Error(Code::kResourceExhausted, text_file_offset, "cannot allocate the JSON buffer");
    return false;
  }
  // The depth limit is enforced by TopLevelScanner, which counts every
  // bracket as the reference does. simdjson does not count an empty
  // innermost container and stops one level early on a non-empty one, so
  // it gets (at least) one level of slack and is never the binding limit:
  // its DEPTH_ERROR cannot happen on a batch the scan has passed.
  if (!cache.ReserveParser(length, policy.max_json_depth + 1)) {
    sink.Error(Code::kResourceExhausted, text_file_offset, "cannot allocate the JSON parser");
    return false;
  }
  char* text = cache.buffer.get();
  text[0] = '{';
  std::memcpy(text + 1, header + batch.begin, members);
  text[length - 1] = '}';
  std::memset(text + length, ' ', simdjson::SIMDJSON_PADDING);
  out.text = std::string_view(text, length);

  const simdjson::error_code error = ParseObject(cache.parser, text, length, policy, out);
  if (error == simdjson::SUCCESS) return true;
  if (batch.members > 1) {
    // Name the first member that fails on its own, so that the report is
    // the same whatever the batch size. (Members that all parse alone make
    // a batch that parses: they are joined by separators already checked.)
    // Each member is shorter than the batch: the parser has room.
    std::vector<MemberBatch> singles;
    if (TopLevelScanner(out.text, 1, policy.max_json_depth).Run(1, singles)) {
      std::unique_ptr<char[]> single_text(
          new (std::nothrow) char[length + simdjson::SIMDJSON_PADDING]);
      for (const MemberBatch& single : singles) {
        if (!single_text) break;
        const size_t single_length = single.end - single.begin + 2;
        single_text[0] = '{';
        std::memcpy(single_text.get() + 1, out.text.data() + single.begin,
                    single_length - 2);
        single_text[single_length - 1] = '}';
        std::memset(single_text.get() + single_length, ' ', simdjson::SIMDJSON_PADDING);
        ParsedBatch scratch;
        const simdjson::error_code single_error =
            ParseObject(cache.parser, single_text.get(), single_length, policy, scratch);
        if (single_error != simdjson::SUCCESS) {
          ReportFailure(single_error, std::string_view(single_text.get(), single_length),
                        text_file_offset + single.begin - 1, Problem{}, policy, sink);
          return false;
        }
      }
    }
  }
  ReportFailure(error, out.text, text_file_offset, Problem{}, policy, sink);
  return false;
}

}  // namespace stguard::internal
