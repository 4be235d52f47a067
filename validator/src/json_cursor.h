// Walks header text that simdjson has already accepted, in step with the
// DOM traversal, to recover what the DOM does not keep: byte positions (for
// findings) and the raw text of number tokens (to tell "-0" from "0" and to
// see integers too large for 64 bits).
//
// It never decides validity: simdjson did. Every read is still bounds-checked,
// and a structure other than the expected one sets desynced() instead of
// reading further, which the caller reports as an internal error.
#ifndef STGUARD_SRC_JSON_CURSOR_H_
#define STGUARD_SRC_JSON_CURSOR_H_

#include <cstdint>
#include <cstring>
#include <string_view>

namespace stguard::internal {

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : text_(text) {}

  size_t pos() const { return pos_; }
  bool desynced() const { return desynced_; }
  // Puts the cursor at `pos`, just after a value the caller has read from
  // the text itself.
  void MoveTo(size_t pos) { pos_ = pos; }

  // Moves to the next value: skips whitespace and one separating ',' or ':'.
  // Returns the value's position.
  size_t NextValue() {
    SkipWhitespace();
    if (pos_ < text_.size() && (text_[pos_] == ',' || text_[pos_] == ':')) {
      ++pos_;
      SkipWhitespace();
    }
    return pos_;
  }

  // At an object member: returns the key's position (its opening quote) and
  // leaves the cursor before the member's value.
  size_t NextKey() {
    const size_t key_pos = NextValue();
    if (!At('"')) return Desync();
    SkipString();
    NextValue();  // consumes ':'
    return key_pos;
  }

  // Enters the object or array at the current value.
  void Enter() {
    NextValue();
    if (!At('{') && !At('[')) {
      Desync();
      return;
    }
    ++pos_;
  }

  // Leaves the innermost container: consumes its closing bracket.
  void Leave() {
    SkipWhitespace();
    if (!At('}') && !At(']')) {
      Desync();
      return;
    }
    ++pos_;
  }

  // Skips the value at the cursor, whatever it is.
  void SkipValue() {
    NextValue();
    if (pos_ >= text_.size()) {
      Desync();
      return;
    }
    const char c = text_[pos_];
    if (c == '"') {
      SkipString();
    } else if (c == '{' || c == '[') {
      SkipContainer();
    } else {
      ScalarToken();
    }
  }

  // The raw text of the scalar (number or literal) at the cursor; moves past it.
  std::string_view ScalarToken() {
    NextValue();
    const size_t begin = pos_;
    while (pos_ < text_.size() && !IsDelimiter(text_[pos_])) ++pos_;
    return text_.substr(begin, pos_ - begin);
  }

 private:
  static bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  // Whitespace, ',', '}', ']' or ':'.
  static bool IsDelimiter(char c) {
    struct Table {
      bool is[256] = {};
      constexpr Table() {
        for (const char d : {' ', '\t', '\n', '\r', ',', '}', ']', ':'}) {
          is[static_cast<unsigned char>(d)] = true;
        }
      }
    };
    static constexpr Table kTable;
    return kTable.is[static_cast<unsigned char>(c)];
  }
  bool At(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void SkipWhitespace() {
    while (pos_ < text_.size() && IsWhitespace(text_[pos_])) ++pos_;
  }
  size_t Desync() {
    desynced_ = true;
    pos_ = text_.size();
    return pos_;
  }

  // At '"': moves past the closing quote. Escapes are two bytes or more
  // ("\u0041"); only the backslash and the byte after it matter for finding
  // the end.
  void SkipString() {
    ++pos_;
    while (pos_ < text_.size()) {
      const void* hit = FindQuoteOrBackslash(text_.data() + pos_, text_.size() - pos_);
      if (hit == nullptr) break;
      pos_ = static_cast<size_t>(static_cast<const char*>(hit) - text_.data());
      if (text_[pos_] == '"') {
        ++pos_;
        return;
      }
      pos_ += 2;  // backslash and the escaped byte
    }
    Desync();
  }

  // Eight bytes at a time (SWAR): bit 7 of byte k is set in the mask when
  // byte k is '"' or '\\'. Bits above the lowest set one may be false
  // positives (borrows), so only the lowest is used: it is exact.
  static const void* FindQuoteOrBackslash(const char* p, size_t n) {
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHighs = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);  // little-endian: byte k of p + i is byte k of word
      const uint64_t quote = word ^ (kOnes * '"');
      const uint64_t backslash = word ^ (kOnes * '\\');
      const uint64_t hits =
          ((quote - kOnes) & ~quote & kHighs) | ((backslash - kOnes) & ~backslash & kHighs);
      if (hits != 0) return p + i + static_cast<size_t>(__builtin_ctzll(hits) / 8);
    }
    for (; i < n; ++i) {
      if (p[i] == '"' || p[i] == '\\') return p + i;
    }
    return nullptr;
  }

  // At '{' or '[': moves past the matching bracket, iteratively.
  void SkipContainer() {
    size_t depth = 0;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"') {
        SkipString();
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) break;
        if (--depth == 0) {
          ++pos_;
          return;
        }
      }
      ++pos_;
    }
    Desync();
  }

  std::string_view text_;
  size_t pos_ = 0;
  bool desynced_ = false;
};

}  // namespace stguard::internal

#endif  // STGUARD_SRC_JSON_CURSOR_H_
