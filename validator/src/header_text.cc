#include "header_text.h"

#include <simdjson.h>

#include <string_view>

#include "json_reader.h"
#include "plain_entries.h"
#include "str_cat.h"

namespace stguard::internal {
namespace {

bool IsJsonWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool Report(const JsonReader& reader, uint64_t file_offset, FindingSink& sink) {
  const JsonProblem& problem = reader.problem();
  sink.Error(problem.code, file_offset + problem.pos, problem.Message("header"));
  return false;
}

// The header's value is not an object: 301, unless the value is not even
// well begun (a byte that starts no value, an unclosed string or a bad or
// overflowing number right there), which the reference trips on first.
bool ReportNotObject(std::string_view text, size_t first, uint64_t file_offset,
                     const Policy& policy, FindingSink& sink) {
  JsonReader reader(text, policy.max_json_depth);
  JsonType type;
  bool read = reader.PeekType(type);  // skips the leading whitespace
  if (read && type == JsonType::kString) {
    std::string_view ignored;
    read = reader.ReadString(ignored);
  } else if (read && type == JsonType::kNumber) {
    JsonNumber ignored;
    read = reader.ReadNumber(ignored);
  }
  if (!read && reader.problem().pos == first) return Report(reader, file_offset, sink);
  sink.Error(Code::kTopLevelNotObject, file_offset + first, "the header must be a JSON object");
  return false;
}

}  // namespace

bool ReadHeaderText(const char* header, size_t size, uint64_t file_offset, const Policy& policy,
                    FindingSink& sink, TableBuilder& builder, const ConsumedText* consumed) {
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
  JsonReader reader(text, policy.max_json_depth);
  if (header[first] != '{') return ReportNotObject(text, first, file_offset, policy, sink);
  if (!reader.BeginTopLevelObject(first)) return Report(reader, file_offset, sink);
  builder.ReserveForText(size - first);
  size_t i = first + 1;
  PlainReader::SkipWs(header, size, i);
  if (i < size && header[i] == '}') {
    ++i;
  } else {
    while (true) {
      // At a member's key.
      if (!builder.AddPlainMember(header, size, i)) {
        std::string_view key;
        size_t key_pos;
        if (!reader.MemberKeyAt(i, key, key_pos) || !builder.AddMember(reader, key, key_pos)) {
          return Report(reader, file_offset, sink);
        }
        i = reader.pos();
      }
      if (consumed != nullptr) (*consumed)(i);
      PlainReader::SkipWs(header, size, i);
      if (i >= size) {
        reader.Fail(Code::kJsonSyntax, "expected ',' or '}' after a member", i, true);
        return Report(reader, file_offset, sink);
      }
      if (header[i] == ',') {
        ++i;
        PlainReader::SkipWs(header, size, i);
        continue;
      }
      if (header[i] == '}') {
        ++i;
        break;
      }
      reader.Fail(Code::kJsonSyntax,
                  header[i] == ']' ? "mismatched bracket" : "expected ',' or '}' after a member",
                  i);
      return Report(reader, file_offset, sink);
    }
  }
  const size_t end = i;
  while (i < size && IsJsonWhitespace(header[i])) ++i;
  if (i < size) {
    sink.Error(Code::kHeaderTrailingContent, file_offset + i,
               "content after the header's JSON value");
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

}  // namespace stguard::internal
