// Tensor names and metadata strings: the checks both table readers (the
// plain fast reader and the schema reader) apply to a decoded name, the
// name's hash for duplicate detection, and how a name is quoted in a
// finding's message.
#ifndef STGUARD_SRC_TENSOR_NAMES_H_
#define STGUARD_SRC_TENSOR_NAMES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stguard::internal {

// C0 controls, DEL and C1 controls (U+0080..U+009F, which some terminals
// obey as escape sequences). Tab, LF and CR pass when `allow_tab_cr_lf`.
bool HasControlChar(std::string_view text, bool allow_tab_cr_lf);

// Absolute, a ".." component, or a backslash.
bool IsPathLike(std::string_view name);

// Decoded text for a message: at most 64 bytes, with control characters,
// quotes and backslashes escaped (\xNN) so the message stays one line.
std::string Quote(std::string_view text);

// FNV-1a, 64-bit: deterministic across runs and machines.
uint64_t HashName(std::string_view name);

// One pass over a tensor name, 16 bytes at a time: a 64-bit hash (used only
// to show that names all differ: any equal pair of hashes sends the caller
// to the exact pass, so its quality costs time, never correctness), and
// whether the name may hold a control character or be path-like. When that
// flag is false, HasControlChar and IsPathLike (without a leading '/') are
// false too: it is set for any byte below 0x20 or above 0x7E, '\\' and
// "..".
struct NameScan {
  uint64_t hash;
  bool may_hold_control;
  bool may_be_path_like;
};
NameScan ScanName(std::string_view name);

// Index of the first byte of p[pos, end) that is '"', '\\' or below 0x20,
// or of the first byte of the last incomplete word. Only whole 16- and
// 8-byte chunks inside [pos, end) are read.
size_t SkipPlainKeyBytes(const char* p, size_t pos, size_t end);

}  // namespace stguard::internal

#endif  // STGUARD_SRC_TENSOR_NAMES_H_
