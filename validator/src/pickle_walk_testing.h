// Test helpers for the pickle walker and its users (pickle_walk_test.cc,
// model_file_test.cc): bytes with embedded NULs, little-endian integers,
// pickle pieces, and one walk over an exact-size buffer.
#ifndef STGUARD_SRC_PICKLE_WALK_TESTING_H_
#define STGUARD_SRC_PICKLE_WALK_TESTING_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "byte_source.h"
#include "pickle_walk.h"

namespace stguard::internal::pickle_testing {

// A string literal with its embedded NULs.
template <size_t N>
inline std::string B(const char (&text)[N]) {
  return std::string(text, N - 1);
}

inline std::string Le(uint64_t value, size_t width) {
  std::string out;
  for (size_t i = 0; i < width; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}
inline std::string U16(uint64_t v) { return Le(v, 2); }
inline std::string U32(uint64_t v) { return Le(v, 4); }
inline std::string U64(uint64_t v) { return Le(v, 8); }

// Pickle pieces.
inline std::string Proto(int protocol) {
  return std::string("\x80", 1) + static_cast<char>(protocol);
}
inline std::string Framed(const std::string& body, int protocol = 4) {
  return Proto(protocol) + "\x95" + U64(body.size()) + body;
}
inline std::string ShortUnicode(std::string_view text) {
  return "\x8c" + std::string(1, static_cast<char>(text.size())) + std::string(text);
}
inline std::string Global(std::string_view module, std::string_view name) {
  return "c" + std::string(module) + "\n" + std::string(name) + "\n";
}
// PROTO 2, GLOBAL module.name, STOP: a pickle that imports one global.
inline std::string Importing(std::string_view module, std::string_view name) {
  return Proto(2) + Global(module, name) + ".";
}

// One walk over `bytes` (in a buffer of their exact size). `stream_size`
// beyond the bytes makes the bytes a window of a longer stream.
struct WalkResult {
  PickleWalk walk;
  std::string imports;
};

inline WalkResult Walk(const std::string& bytes, uint64_t stream_size = 0,
                       const PickleLimits& limits = {}) {
  const std::vector<uint8_t> exact(bytes.begin(), bytes.end());
  MemorySource source(exact);
  StreamReader in(source, 0, exact.size(), std::max<uint64_t>(stream_size, exact.size()));
  ImportList imports;
  WalkResult out{WalkPickle(in, imports, limits), ""};
  out.imports = imports.Describe();
  return out;
}

}  // namespace stguard::internal::pickle_testing

#endif  // STGUARD_SRC_PICKLE_WALK_TESTING_H_
