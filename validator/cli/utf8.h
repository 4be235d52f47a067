// UTF-8 decoding shared by the renderers and the manifest reader.
#ifndef STGUARD_CLI_UTF8_H_
#define STGUARD_CLI_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stguard::cli {

// Length of the valid UTF-8 sequence starting at s[i] (1 to 4), or 0 when
// the byte there does not start one: overlong forms, surrogates and code
// points above U+10FFFF are invalid, as in Python's strict decoder.
inline size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t length;
  uint32_t code;
  uint32_t min_code;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) {
    length = 2, code = b & 0x1Fu, min_code = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    length = 3, code = b & 0x0Fu, min_code = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    length = 4, code = b & 0x07u, min_code = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < length) return 0;
  for (size_t k = 1; k < length; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    code = (code << 6) | (c & 0x3Fu);
  }
  if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

// The code point of the valid sequence of `length` bytes at s[i].
inline uint32_t Utf8CodePoint(std::string_view s, size_t i, size_t length) {
  static constexpr unsigned char kLeadMask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  uint32_t code = static_cast<unsigned char>(s[i]) & kLeadMask[length];
  for (size_t k = 1; k < length; ++k) {
    code = (code << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
  }
  return code;
}

}  // namespace stguard::cli

#endif  // STGUARD_CLI_UTF8_H_
