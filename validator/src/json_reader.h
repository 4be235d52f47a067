// Stage 2: a streaming, validating JSON reader over text already in memory
// (a header, an index).
//
// It checks what the reference's serde_json checks (the grammar; strings:
// escapes, surrogate pairs, raw control bytes; numbers: the grammar and the
// f64 range as serde_json computes it; nesting counted as the reference
// counts it) while the caller pulls one value at a time. Nothing is built:
// memory is O(depth) plus the decoded form of the string being read, so a
// 100 MB member costs no tree, and a value nobody reads is skipped by the
// same validating code (SkipValue).
//
// Problems: the first one in text order stops the reader (ok() turns
// false and every call after returns false); problem() says what and where.
// Callers stop at the first false and report problem(). The text must be
// valid UTF-8 (the caller checks the whole text first, as the reference
// does).
#ifndef STGUARD_SRC_JSON_READER_H_
#define STGUARD_SRC_JSON_READER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "stguard/codes.h"
#include "stguard/policy.h"

namespace stguard::internal {

struct JsonProblem {
  static constexpr size_t npos = std::string_view::npos;
  size_t pos = npos;  // text position where the problem starts
  Code code = Code::kJsonSyntax;
  std::string_view what;     // fixed text
  bool ends_early = false;   // the text ran out: "<document> ends early: <what>"
  uint32_t depth_limit = 0;  // kJsonTooDeep: the limit passed

  // One line, e.g. "header ends early: expected a value".
  std::string Message(std::string_view document) const;
};

enum class JsonType : uint8_t { kObject, kArray, kString, kNumber, kTrue, kFalse, kNull };

// A number as read: its literal text and what it holds as a shape
// dimension or a data offset would need it.
struct JsonNumber {
  std::string_view text;
  bool integer_literal = false;  // no fraction, no exponent
  bool negative = false;         // a leading '-' ("-0" included)
  bool fits_u64 = false;         // a non-negative integer literal below 2^64
  uint64_t u64 = 0;              // its value, when fits_u64
};

class JsonReader {
 public:
  // `document` names the text in messages ("header", "index").
  JsonReader(std::string_view text, uint32_t max_depth, std::string_view document = "header");

  size_t pos() const { return pos_; }
  uint32_t depth() const { return depth_; }
  bool ok() const { return problem_.pos == JsonProblem::npos; }
  const JsonProblem& problem() const { return problem_; }
  std::string_view text() const { return text_; }

  // Skips JSON whitespace.
  void SkipWhitespace();
  // At the top-level object's '{' (after any whitespace): enters it. The
  // caller then walks its members with MemberKeyAt and its own separators
  // (a fast path may read some members itself).
  bool BeginTopLevelObject(size_t brace_pos);
  // Reads the key of a top-level member at `pos` and its ':', as
  // NextMember does.
  bool MemberKeyAt(size_t pos, std::string_view& key, size_t& key_pos);

  // Skips whitespace and names the value that starts there from its first
  // byte. False (a problem) at the end of the text or at a byte that cannot
  // start a value.
  bool PeekType(JsonType& type);

  // At '{' or '[' (after PeekType): enters the container.
  bool EnterObject();
  bool EnterArray();
  // The innermost object's next member: true with its key (decoded: a view
  // of the text when it holds no escape, else of the reader's buffer, valid
  // until the next string is read) and the position of the key's opening
  // quote, the reader at the member's value (whitespace skipped). False at
  // the closing '}' (consumed) or on a problem (check ok()).
  bool NextMember(std::string_view& key, size_t& key_pos);
  // Just past the closing quote of the key NextMember read last.
  size_t KeyEnd() const { return key_end_; }
  // The innermost array's next element: true with the reader at it. False
  // at the closing ']' (consumed) or on a problem.
  bool NextElement();

  // At '"': the decoded string (as for keys).
  bool ReadString(std::string_view& decoded);
  // At '"': validates the string and moves past it; its decoded length,
  // and whether it decodes to a control character (C0 other than tab, LF
  // and CR when `allow_tab_cr_lf`, DEL, C1), without keeping it.
  bool SkipString(uint64_t& decoded_bytes, bool& control, bool allow_tab_cr_lf);
  // At a number: validates it, rejects it when serde_json would not read
  // it as an f64 (code 208), and fills `number`.
  bool ReadNumber(JsonNumber& number);
  // At 't', 'f' or 'n': validates the literal.
  bool ReadLiteral();
  // Skips one value of any kind, validating all of it. Iterative: no
  // recursion, whatever the nesting.
  bool SkipValue();

  // A point to come back to: a value read twice (counted by SkipValue,
  // then read) is validated once and read again from its start.
  struct Mark {
    size_t pos;
    uint32_t depth;
  };
  Mark Here() const { return {pos_, depth_}; }
  void Rewind(const Mark& mark) {
    pos_ = mark.pos;
    depth_ = mark.depth;
  }

  // Stops the reader with a problem at `pos` (the first one stays).
  bool Fail(Code code, std::string_view what, size_t pos, bool ends_early = false);

 private:
  static constexpr size_t kMaxTrackedDepth = kMaxJsonDepthCeiling + 2;

  bool Enter(char bracket);
  // A key and its ':' at pos_ (a member of the innermost object).
  bool ReadKey(std::string_view* decoded, size_t& key_pos);
  // The string at pos_: validated; decoded into buffer_ when `decode`
  // (which then holds it), else only measured.
  bool ScanString(bool decode, uint64_t* decoded_bytes, bool* control, bool allow_tab_cr_lf);
  bool ScanNumberToken(JsonNumber& number);
  bool ScanLiteralToken();
  // After a value inside a container: ',' and the next member's key (or
  // the next element), or the container's close. Returns kValue when a
  // value follows, kClosed when the container closed, kProblem otherwise.
  enum class Step { kValue, kClosed, kProblem };
  Step AfterValue();
  bool FailEndOfText(std::string_view what_at_top);

  std::string_view text_;
  size_t pos_ = 0;
  uint32_t max_depth_;
  uint32_t depth_ = 0;
  std::string_view document_;
  // Per open container (index = its depth): its bracket, where it opened,
  // and whether an element was read yet.
  std::array<char, kMaxTrackedDepth> open_{};
  std::array<size_t, kMaxTrackedDepth> open_pos_{};
  std::array<bool, kMaxTrackedDepth> started_{};
  size_t key_end_ = 0;
  std::string buffer_;  // the last decoded string that held escapes
  JsonProblem problem_;
};

// Decodes the inside of a JSON string literal (without its quotes) that a
// JsonReader has validated.
void DecodeJsonString(std::string_view raw, std::string& out);

// Index of the first byte of the first invalid UTF-8 sequence, or `size`.
size_t FirstInvalidUtf8(const uint8_t* bytes, size_t size);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_JSON_READER_H_
