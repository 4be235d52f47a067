#include "json_reader.h"

#include <cstring>

#include "serde_number.h"
#include "str_cat.h"
#include "work_counter.h"

namespace stguard::internal {
namespace {

// What a byte can start in JSON text, by table: one lookup instead of a
// chain of compares (each compare is a callback in a fuzzing build).
enum class ByteClass : uint8_t {
  kOther,    // cannot start a value
  kSpace,    // JSON whitespace: ' ', '\t', '\n', '\r'
  kQuote,    // '"'
  kObject,   // '{'
  kArray,    // '['
  kNumber,   // '-', '0'-'9'
  kLiteral,  // 't', 'f', 'n'
};
struct ByteTables {
  ByteClass of[256] = {};
  bool is_digit[256] = {};
  // Bytes that end a scalar token: JSON whitespace, ",:{}[]\"" and NUL.
  bool ends_token[256] = {};
  constexpr ByteTables() {
    for (const char c : {' ', '\t', '\n', '\r'}) of[static_cast<unsigned char>(c)] = ByteClass::kSpace;
    of[static_cast<unsigned char>('"')] = ByteClass::kQuote;
    of[static_cast<unsigned char>('{')] = ByteClass::kObject;
    of[static_cast<unsigned char>('[')] = ByteClass::kArray;
    of[static_cast<unsigned char>('-')] = ByteClass::kNumber;
    for (char c = '0'; c <= '9'; ++c) {
      of[static_cast<unsigned char>(c)] = ByteClass::kNumber;
      is_digit[static_cast<unsigned char>(c)] = true;
    }
    for (const char c : {'t', 'f', 'n'}) of[static_cast<unsigned char>(c)] = ByteClass::kLiteral;
    for (const char c : {' ', '\t', '\n', '\r', ',', ':', '{', '}', '[', ']', '"', '\0'}) {
      ends_token[static_cast<unsigned char>(c)] = true;
    }
  }
};
constexpr ByteTables kBytes;
inline ByteClass ClassOf(char c) { return kBytes.of[static_cast<unsigned char>(c)]; }
inline bool IsDigit(char c) { return kBytes.is_digit[static_cast<unsigned char>(c)]; }
inline bool EndsToken(char c) { return kBytes.ends_token[static_cast<unsigned char>(c)]; }

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
// Index of the first byte of text[pos, end) that is '"', '\\' or below
// 0x20, or of the first byte of the last incomplete word (SWAR: only the
// lowest hit of a word is used, which is exact).
inline size_t SkipPlainStringBytes(const char* text, size_t pos, size_t end) {
  while (pos + 8 <= end) {
    const uint64_t word = Load8(text + pos);
    // Bytes below 0x20: (b - 0x20) borrows into bit 7 only when b < 0x20
    // (b >= 0x80 is excluded by ~word).
    const uint64_t control = (word - kOnes * 0x20) & ~word & kHighs;
    const uint64_t hits = BytesEqual(word, '"') | BytesEqual(word, '\\') | control;
    if (hits != 0) return pos + static_cast<size_t>(__builtin_ctzll(hits) / 8);
    pos += 8;
  }
  return pos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char SimpleEscape(char e) {
  switch (e) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
  }
}

void AppendUtf8(std::string& out, uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

size_t Utf8Length(uint32_t code) {
  return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}

// A decoded code point is a control character: C0 (except tab, LF, CR when
// allowed), DEL, C1.
bool IsControl(uint32_t code, bool allow_tab_cr_lf) {
  if (code < 0x20) return !(allow_tab_cr_lf && (code == '\t' || code == '\n' || code == '\r'));
  return code == 0x7F || (code >= 0x80 && code <= 0x9F);
}

constexpr std::string_view kUnclosed = "unclosed object or array";
constexpr std::string_view kBadString =
    "string with a bad escape, a lone surrogate, a raw control character, or unclosed";

}  // namespace

std::string JsonProblem::Message(std::string_view document) const {
  if (code == Code::kJsonTooDeep) return StrCat("nesting deeper than ", depth_limit, " levels");
  return ends_early ? StrCat(document, " ends early: ", what) : std::string(what);
}

JsonReader::JsonReader(std::string_view text, uint32_t max_depth, std::string_view document)
    : text_(text), max_depth_(max_depth), document_(document) {}

bool JsonReader::Fail(Code code, std::string_view what, size_t pos, bool ends_early) {
  if (ok()) {
    problem_.pos = pos;
    problem_.code = code;
    problem_.what = what;
    problem_.ends_early = ends_early;
    problem_.depth_limit = max_depth_;
  }
  return false;
}

// The text ended where more was needed: inside a member's value of the
// top-level container, the value's opening bracket is named; at the top
// level, what was expected.
bool JsonReader::FailEndOfText(std::string_view what_at_top) {
  if (depth_ >= 2) return Fail(Code::kJsonSyntax, kUnclosed, open_pos_[2]);
  return Fail(Code::kJsonSyntax, what_at_top, text_.size(), /*ends_early=*/true);
}

void JsonReader::SkipWhitespace() {
  while (pos_ < text_.size() && ClassOf(text_[pos_]) == ByteClass::kSpace) ++pos_;
}

bool JsonReader::BeginTopLevelObject(size_t brace_pos) {
  pos_ = brace_pos;
  depth_ = 0;
  return Enter('{');
}

bool JsonReader::MemberKeyAt(size_t pos, std::string_view& key, size_t& key_pos) {
  if (!ok()) return false;
  pos_ = pos;
  depth_ = 1;
  started_[1] = true;
  return ReadKey(&key, key_pos);
}

bool JsonReader::PeekType(JsonType& type) {
  if (!ok()) return false;
  CountWork(1);
  SkipWhitespace();
  if (pos_ >= text_.size()) return FailEndOfText("expected a value");
  switch (ClassOf(text_[pos_])) {
    case ByteClass::kObject: type = JsonType::kObject; return true;
    case ByteClass::kArray: type = JsonType::kArray; return true;
    case ByteClass::kQuote: type = JsonType::kString; return true;
    case ByteClass::kNumber: type = JsonType::kNumber; return true;
    case ByteClass::kLiteral:
      type = text_[pos_] == 't' ? JsonType::kTrue : text_[pos_] == 'f' ? JsonType::kFalse
                                                                        : JsonType::kNull;
      return true;
    case ByteClass::kSpace:
    case ByteClass::kOther:
      break;
  }
  return Fail(Code::kJsonSyntax, "unexpected character", pos_);
}

bool JsonReader::Enter(char bracket) {
  if (!ok()) return false;
  if (depth_ + 1 > max_depth_) {
    problem_.depth_limit = max_depth_;
    return Fail(Code::kJsonTooDeep, {}, pos_);
  }
  ++depth_;
  open_[depth_] = bracket;
  open_pos_[depth_] = pos_;
  started_[depth_] = false;
  ++pos_;
  return true;
}

bool JsonReader::EnterObject() { return Enter('{'); }
bool JsonReader::EnterArray() { return Enter('['); }

bool JsonReader::ReadKey(std::string_view* decoded, size_t& key_pos) {
  if (pos_ >= text_.size()) return FailEndOfText("expected a key string");
  if (text_[pos_] != '"') return Fail(Code::kJsonSyntax, "expected a key string", pos_);
  key_pos = pos_;
  if (decoded != nullptr) {
    if (!ReadString(*decoded)) return false;
  } else if (!ScanString(false, nullptr, nullptr, false)) {
    return false;
  }
  key_end_ = pos_;
  SkipWhitespace();
  if (pos_ >= text_.size()) return FailEndOfText("expected ':' after the key");
  if (text_[pos_] != ':') return Fail(Code::kJsonSyntax, "expected ':' after the key", pos_);
  ++pos_;
  SkipWhitespace();
  return true;
}

JsonReader::Step JsonReader::AfterValue() {
  SkipWhitespace();
  const bool object = open_[depth_] == '{';
  const char close = object ? '}' : ']';
  if (pos_ >= text_.size()) {
    FailEndOfText(object ? "expected ',' or '}' after a member" : "expected ',' or ']'");
    return Step::kProblem;
  }
  const char c = text_[pos_];
  if (c == close) {
    ++pos_;
    --depth_;
    return Step::kClosed;
  }
  if (c != ',') {
    if (c == '}' || c == ']') {
      Fail(Code::kJsonSyntax, "mismatched bracket", pos_);
    } else {
      Fail(Code::kJsonSyntax,
           object ? "expected ',' or '}' after a member" : "expected ',' or ']' after an element",
           pos_);
    }
    return Step::kProblem;
  }
  ++pos_;
  SkipWhitespace();
  return Step::kValue;
}

bool JsonReader::NextMember(std::string_view& key, size_t& key_pos) {
  if (!ok()) return false;
  if (!started_[depth_]) {
    started_[depth_] = true;
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      --depth_;
      return false;
    }
  } else if (AfterValue() != Step::kValue) {
    return false;
  }
  return ReadKey(&key, key_pos);
}

bool JsonReader::NextElement() {
  if (!ok()) return false;
  if (!started_[depth_]) {
    started_[depth_] = true;
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      --depth_;
      return false;
    }
    return true;
  }
  return AfterValue() == Step::kValue;
}

bool JsonReader::ReadString(std::string_view& decoded) {
  if (!ok()) return false;
  const size_t begin = pos_;
  const size_t plain_end = SkipPlainStringBytes(text_.data(), pos_ + 1, text_.size());
  size_t end = plain_end;
  CountWork(1 + (plain_end - begin) / 8);
  while (end < text_.size() && text_[end] != '"' && text_[end] != '\\' &&
         static_cast<unsigned char>(text_[end]) >= 0x20) {
    ++end;
  }
  if (end < text_.size() && text_[end] == '"') {  // no escape: a view of the text
    decoded = text_.substr(begin + 1, end - begin - 1);
    pos_ = end + 1;
    return true;
  }
  if (!ScanString(true, nullptr, nullptr, false)) return false;
  decoded = buffer_;
  return true;
}

bool JsonReader::SkipString(uint64_t& decoded_bytes, bool& control, bool allow_tab_cr_lf) {
  decoded_bytes = 0;
  control = false;
  return ScanString(false, &decoded_bytes, &control, allow_tab_cr_lf);
}

bool JsonReader::ScanString(bool decode, uint64_t* decoded_bytes, bool* control,
                            bool allow_tab_cr_lf) {
  if (!ok()) return false;
  const size_t start = pos_++;
  if (decode) buffer_.clear();
  uint64_t length = 0;
  bool has_control = false;
  const char* const p = text_.data();
  const size_t n = text_.size();
  while (pos_ < n) {
    const size_t run_begin = pos_;
    pos_ = SkipPlainStringBytes(p, pos_, n);
    while (pos_ < n && p[pos_] != '"' && p[pos_] != '\\' &&
           static_cast<unsigned char>(p[pos_]) >= 0x20) {
      ++pos_;
    }
    // The plain run [run_begin, pos_): raw UTF-8 (valid: checked before).
    if (pos_ > run_begin) {
      length += pos_ - run_begin;
      if (decode) buffer_.append(p + run_begin, pos_ - run_begin);
      if (control != nullptr && !has_control) {
        for (size_t i = run_begin; i < pos_; ++i) {
          const auto c = static_cast<unsigned char>(p[i]);
          if (c == 0x7F || (c == 0xC2 && i + 1 < pos_ &&
                            static_cast<unsigned char>(p[i + 1]) <= 0x9F)) {
            has_control = true;
            break;
          }
        }
      }
    }
    if (pos_ >= n) break;
    const char c = p[pos_];
    if (c == '"') {
      ++pos_;
      CountWork(1 + (pos_ - start) / 8);
      if (decoded_bytes != nullptr) *decoded_bytes = length;
      if (control != nullptr) *control = has_control;
      return true;
    }
    if (c != '\\') return Fail(Code::kJsonInvalidString, kBadString, pos_);  // raw control byte
    const size_t escape = pos_;
    if (pos_ + 1 >= n) break;
    const char e = p[pos_ + 1];
    uint32_t code;
    if (e == 'u') {
      const auto hex4 = [&](size_t at) -> long {
        if (at + 4 > n) return -1;
        long value = 0;
        for (size_t k = 0; k < 4; ++k) {
          const int digit = HexValue(p[at + k]);
          if (digit < 0) return -1;
          value = value * 16 + digit;
        }
        return value;
      };
      const long unit = hex4(pos_ + 2);
      if (unit < 0) return Fail(Code::kJsonInvalidString, kBadString, escape);
      pos_ += 6;
      if (unit >= 0xDC00 && unit <= 0xDFFF) {
        return Fail(Code::kJsonInvalidString, kBadString, escape);  // lone trailing surrogate
      }
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        const bool paired = pos_ + 1 < n && p[pos_] == '\\' && p[pos_ + 1] == 'u';
        const long low = paired ? hex4(pos_ + 2) : -1;
        if (low < 0xDC00 || low > 0xDFFF) {
          return Fail(Code::kJsonInvalidString, kBadString, escape);  // lone leading surrogate
        }
        pos_ += 6;
        code = 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) +
               (static_cast<uint32_t>(low) - 0xDC00);
      } else {
        code = static_cast<uint32_t>(unit);
      }
    } else {
      const char simple = SimpleEscape(e);
      if (simple == 0) return Fail(Code::kJsonInvalidString, kBadString, escape);
      code = static_cast<unsigned char>(simple);
      pos_ += 2;
    }
    length += Utf8Length(code);
    if (control != nullptr && IsControl(code, allow_tab_cr_lf)) has_control = true;
    if (decode) AppendUtf8(buffer_, code);
  }
  pos_ = n;
  return Fail(Code::kJsonInvalidString, kBadString, start);  // unclosed
}

bool JsonReader::ScanNumberToken(JsonNumber& number) {
  const size_t begin = pos_;
  const char* const p = text_.data();
  const size_t n = text_.size();
  size_t i = pos_;
  // JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  number.negative = p[i] == '-';
  if (number.negative) ++i;
  const size_t int_begin = i;
  uint64_t value = 0;
  bool fits = true;
  if (i < n && p[i] == '0') {
    ++i;
  } else {
    while (i < n && IsDigit(p[i])) {
      const auto digit = static_cast<uint64_t>(p[i] - '0');
      if (value > (UINT64_MAX - digit) / 10) fits = false;
      value = value * 10 + digit;
      ++i;
    }
  }
  const size_t int_end = i;
  bool ok_grammar = int_end > int_begin;
  bool integer = true;
  if (ok_grammar && i < n && p[i] == '.') {
    integer = false;
    const size_t frac_begin = ++i;
    while (i < n && IsDigit(p[i])) ++i;
    ok_grammar = i > frac_begin;
  }
  if (ok_grammar && i < n && (p[i] == 'e' || p[i] == 'E')) {
    integer = false;
    ++i;
    if (i < n && (p[i] == '+' || p[i] == '-')) ++i;
    const size_t exp_begin = i;
    while (i < n && IsDigit(p[i])) ++i;
    ok_grammar = i > exp_begin;
  }
  // The token runs to the next delimiter: anything else in it is malformed.
  size_t end = i;
  while (end < n && !EndsToken(p[end])) ++end;
  pos_ = end;
  if (!ok_grammar || end != i) return Fail(Code::kJsonSyntax, "malformed number", begin);
  number.text = text_.substr(begin, end - begin);
  CountWork(1 + number.text.size() / 8);
  number.integer_literal = integer;
  number.fits_u64 = integer && !number.negative && fits;
  number.u64 = number.fits_u64 ? value : 0;
  if (number.fits_u64) return true;
  // 64-bit integers (negative ones fit in i64, or are read as f64 from
  // -2^63-1 down to -(2^64-1)) are always in range: no need to ask.
  if (integer && fits) return true;
  // Everything else is an f64 to the reference, converted its own way
  // (serde_number.h), which can refuse it as out of range.
  if (ParseSerdeNumber(number.text).kind == SerdeNumberKind::kOutOfRange) {
    return Fail(Code::kJsonNumberOverflow, "number out of range for the reference's f64", begin);
  }
  return true;
}

bool JsonReader::ReadNumber(JsonNumber& number) {
  if (!ok()) return false;
  return ScanNumberToken(number);
}

bool JsonReader::ScanLiteralToken() {
  const size_t begin = pos_;
  while (pos_ < text_.size() && !EndsToken(text_[pos_])) ++pos_;
  const std::string_view token = text_.substr(begin, pos_ - begin);
  if (token != "true" && token != "false" && token != "null") {
    return Fail(Code::kJsonSyntax, "unexpected character", begin);
  }
  return true;
}

bool JsonReader::ReadLiteral() {
  if (!ok()) return false;
  return ScanLiteralToken();
}

bool JsonReader::SkipValue() {
  if (!ok()) return false;
  const uint32_t base = depth_;
  while (true) {
    // A value starts here.
    JsonType type;
    if (!PeekType(type)) return false;
    bool value_done = true;
    switch (type) {
      case JsonType::kObject: {
        if (!Enter('{')) return false;
        started_[depth_] = true;
        SkipWhitespace();
        if (pos_ < text_.size() && text_[pos_] == '}') {
          ++pos_;
          --depth_;
          break;
        }
        size_t key_pos;
        if (!ReadKey(nullptr, key_pos)) return false;
        value_done = false;  // the member's value follows
        break;
      }
      case JsonType::kArray: {
        if (!Enter('[')) return false;
        started_[depth_] = true;
        SkipWhitespace();
        if (pos_ < text_.size() && text_[pos_] == ']') {
          ++pos_;
          --depth_;
          break;
        }
        value_done = false;  // the first element follows
        break;
      }
      case JsonType::kString:
        if (!ScanString(false, nullptr, nullptr, false)) return false;
        break;
      case JsonType::kNumber: {
        JsonNumber number;
        if (!ScanNumberToken(number)) return false;
        break;
      }
      default:
        if (!ScanLiteralToken()) return false;
        break;
    }
    if (!value_done) continue;
    // Close what ends here; stop once back at the starting depth.
    while (true) {
      if (depth_ == base) return true;
      const Step step = AfterValue();
      if (step == Step::kProblem) return false;
      if (step == Step::kClosed) continue;
      if (open_[depth_] == '{') {
        size_t key_pos;
        if (!ReadKey(nullptr, key_pos)) return false;
      }
      break;  // the next value
    }
  }
}

void DecodeJsonString(std::string_view raw, std::string& out) {
  out.clear();
  for (size_t i = 0; i < raw.size();) {
    const char c = raw[i];
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    const char e = i + 1 < raw.size() ? raw[i + 1] : 0;
    if (e != 'u') {
      out += SimpleEscape(e);
      i += 2;
      continue;
    }
    const auto hex4 = [&](size_t at) {
      uint32_t value = 0;
      for (size_t k = 0; k < 4 && at + k < raw.size(); ++k) {
        value = value * 16 + static_cast<uint32_t>(HexValue(raw[at + k]));
      }
      return value;
    };
    uint32_t code = hex4(i + 2);
    i += 6;
    if (code >= 0xD800 && code <= 0xDBFF) {  // validated: a low surrogate follows
      code = 0x10000 + ((code - 0xD800) << 10) + (hex4(i + 2) - 0xDC00);
      i += 6;
    }
    AppendUtf8(out, code);
  }
}

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

}  // namespace stguard::internal
