// The 22 element types of the safetensors format (reference: safetensors 0.8.0).
#ifndef STGUARD_DTYPE_H_
#define STGUARD_DTYPE_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace stguard {

// Numbered in the reference's declaration order; the numbers are stable.
enum class Dtype : uint8_t {
  kBOOL, kF4, kF6_E2M3, kF6_E3M2, kU8, kI8, kF8_E5M2, kF8_E4M3, kF8_E8M0,
  kF8_E4M3FNUZ, kF8_E5M2FNUZ, kI16, kU16, kF16, kBF16, kI32, kU32, kF32,
  kC64, kF64, kI64, kU64,
};
inline constexpr int kDtypeCount = 22;

// Exact, case-sensitive match against the canonical names ("F32", "BF16", ...).
std::optional<Dtype> DtypeFromName(std::string_view name);
std::string_view DtypeName(Dtype dtype);
// Bits per element: 4 for F4, 6 for F6_*, otherwise a multiple of 8.
uint32_t DtypeBits(Dtype dtype);
// Natural alignment of an element in bytes (1 for sub-byte types).
uint32_t DtypeAlignment(Dtype dtype);

}  // namespace stguard

#endif  // STGUARD_DTYPE_H_
