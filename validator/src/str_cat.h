// Builds a finding's message in one allocation (none when it fits the
// string's inline buffer): the pieces are measured first, then copied.
// Messages like "range [" + to_string(b) + ", " + ... took one allocation
// per '+' that outgrew the buffer, several per finding, and a hostile header
// draws findings by the thousand (after abseil's StrCat).
#ifndef STGUARD_SRC_STR_CAT_H_
#define STGUARD_SRC_STR_CAT_H_

#include <algorithm>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>

namespace stguard::internal {

// One piece of a StrCat: text, or an integer formatted in place. Lives only
// as a temporary inside a StrCat call (it may point into its own buffer).
class StrPiece {
 public:
  StrPiece(std::string_view text) : view_(text) {}  // NOLINT: implicit by design
  StrPiece(const std::string& text) : view_(text) {}  // NOLINT
  StrPiece(const char* text) : view_(text) {}  // NOLINT
  StrPiece(char c) : view_(digits_, 1) { digits_[0] = c; }  // NOLINT
  template <std::integral Int>
    requires(!std::same_as<Int, char> && !std::same_as<Int, bool>)
  StrPiece(Int value) {  // NOLINT
    // 20 digits and a sign hold any 64-bit integer: to_chars cannot fail.
    const auto [end, error] = std::to_chars(digits_, digits_ + sizeof digits_, value);
    (void)error;
    view_ = std::string_view(digits_, static_cast<size_t>(end - digits_));
  }
  StrPiece(const StrPiece&) = delete;
  StrPiece& operator=(const StrPiece&) = delete;

  std::string_view view() const { return view_; }

 private:
  char digits_[21];
  std::string_view view_;
};

inline std::string StrCatPieces(std::initializer_list<const StrPiece*> pieces) {
  size_t size = 0;
  for (const StrPiece* piece : pieces) size += piece->view().size();
  std::string out;
  out.reserve(size);
  for (const StrPiece* piece : pieces) out.append(piece->view());
  return out;
}

// StrCat("header length ", n, " is not a multiple of 8"): text pieces
// (string, string_view, const char*, char) and integers, concatenated.
template <typename... Pieces>
std::string StrCat(const Pieces&... pieces) {
  return [](const auto&... converted) { return StrCatPieces({&converted...}); }(
      StrPiece(pieces)...);
}

// Appends the pieces to `out` with at most one reallocation, growing the
// capacity geometrically so that appending in a loop stays linear.
template <typename... Pieces>
void StrAppend(std::string& out, const Pieces&... pieces) {
  [&out](const auto&... converted) {
    size_t size = out.size();
    ((size += converted.view().size()), ...);
    if (size > out.capacity()) out.reserve(std::max(size, 2 * out.capacity()));
    (out.append(converted.view()), ...);
  }(StrPiece(pieces)...);
}

}  // namespace stguard::internal

#endif  // STGUARD_SRC_STR_CAT_H_
