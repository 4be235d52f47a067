// Checked arithmetic on sizes that come from a file. Never use raw a*b or
// a+b on such values: call these and handle the failure.
#ifndef STGUARD_SRC_CHECKED_MATH_H_
#define STGUARD_SRC_CHECKED_MATH_H_

#include <cstdint>
#include <optional>

namespace stguard::internal {

inline std::optional<uint64_t> CheckedAdd(uint64_t a, uint64_t b) {
  uint64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

inline std::optional<uint64_t> CheckedMul(uint64_t a, uint64_t b) {
  uint64_t product;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

}  // namespace stguard::internal

#endif  // STGUARD_SRC_CHECKED_MATH_H_
