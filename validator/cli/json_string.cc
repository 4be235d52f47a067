#include "json_string.h"

#include <cstdint>
#include <sstream>

#include "utf8.h"

namespace stguard::cli {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// The escape for the character of `length` bytes at bytes[i], written to
// `escape`; 0 when it is written as it is.
size_t EscapeFor(std::string_view bytes, size_t i, size_t length, char* escape) {
  const auto c = static_cast<unsigned char>(bytes[i]);
  auto unicode = [escape](const char* prefix, unsigned char low) {
    escape[0] = '\\', escape[1] = 'u', escape[2] = prefix[0], escape[3] = prefix[1];
    escape[4] = kHex[low >> 4], escape[5] = kHex[low & 15];
    return size_t{6};
  };
  if (length == 0) return unicode("dc", c);  // PEP 383: U+DC80..U+DCFF
  if (c == '"' || c == '\\') {
    escape[0] = '\\', escape[1] = static_cast<char>(c);
    return 2;
  }
  if (c < 0x20) {
    static constexpr char kShort[] = "btnvfr";  // 0x08..0x0d; \v is not JSON
    if (c >= 0x08 && c <= 0x0d && c != 0x0b) {
      escape[0] = '\\', escape[1] = kShort[c - 0x08];
      return 2;
    }
    return unicode("00", c);
  }
  // C1 controls U+0080..U+009F are encoded C2 80..C2 9F.
  if (length == 2 && c == 0xC2 && static_cast<unsigned char>(bytes[i + 1]) <= 0x9F) {
    return unicode("00", static_cast<unsigned char>(bytes[i + 1]));
  }
  return 0;
}

int HexValue(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// The 4 hex digits after "\u" at text[i], or nullopt.
std::optional<uint32_t> Hex4(std::string_view text, size_t i) {
  if (text.size() - i < 4) return std::nullopt;
  uint32_t value = 0;
  for (size_t k = 0; k < 4; ++k) {
    const int digit = HexValue(text[i + k]);
    if (digit < 0) return std::nullopt;
    value = value << 4 | static_cast<uint32_t>(digit);
  }
  return value;
}

void AppendUtf8(std::string& out, uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | code >> 6);
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | code >> 12);
    out += static_cast<char>(0x80 | (code >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | code >> 18);
    out += static_cast<char>(0x80 | (code >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (code >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

}  // namespace

void WriteJsonString(std::ostream& out, std::string_view bytes) {
  out.put('"');
  size_t pending = 0;  // start of the bytes written as they are, not yet flushed
  for (size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {  // printable ASCII and DEL
      ++i;
      continue;
    }
    const size_t length = c < 0x80 ? 1 : Utf8SequenceLength(bytes, i);
    char escape[6];
    const size_t escape_length = EscapeFor(bytes, i, length, escape);
    if (escape_length == 0) {
      i += length;
      continue;
    }
    out.write(bytes.data() + pending, static_cast<std::streamsize>(i - pending));
    out.write(escape, static_cast<std::streamsize>(escape_length));
    i += length == 0 ? 1 : length;
    pending = i;
  }
  out.write(bytes.data() + pending, static_cast<std::streamsize>(bytes.size() - pending));
  out.put('"');
}

std::string JsonString(std::string_view bytes) {
  std::ostringstream out;
  WriteJsonString(out, bytes);
  return std::move(out).str();
}

std::optional<std::string> DecodeJsonString(std::string_view literal) {
  if (literal.size() < 2 || literal.front() != '"' || literal.back() != '"') return std::nullopt;
  const std::string_view text = literal.substr(1, literal.size() - 2);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c < 0x20) return std::nullopt;  // not allowed raw in a JSON string
    if (c != '\\') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (i + 1 >= text.size()) return std::nullopt;
    const char kind = text[i + 1];
    i += 2;
    switch (kind) {
      case '"': out += '"'; continue;
      case '\\': out += '\\'; continue;
      case '/': out += '/'; continue;
      case 'b': out += '\b'; continue;
      case 'f': out += '\f'; continue;
      case 'n': out += '\n'; continue;
      case 'r': out += '\r'; continue;
      case 't': out += '\t'; continue;
      case 'u': break;
      default: return std::nullopt;
    }
    const std::optional<uint32_t> code = Hex4(text, i);
    if (!code) return std::nullopt;
    i += 4;
    if (*code >= 0xD800 && *code <= 0xDBFF) {  // a high surrogate needs its low one
      if (text.size() - i < 6 || text[i] != '\\' || text[i + 1] != 'u') return std::nullopt;
      const std::optional<uint32_t> low = Hex4(text, i + 2);
      if (!low || *low < 0xDC00 || *low > 0xDFFF) return std::nullopt;
      i += 6;
      AppendUtf8(out, 0x10000 + ((*code - 0xD800) << 10) + (*low - 0xDC00));
    } else if (*code >= 0xDC80 && *code <= 0xDCFF) {  // PEP 383: an escaped byte
      out += static_cast<char>(*code - 0xDC00);
    } else if (*code >= 0xDC00 && *code <= 0xDFFF) {
      return std::nullopt;
    } else {
      AppendUtf8(out, *code);
    }
  }
  return out;
}

}  // namespace stguard::cli
