#include "stguard/dtype.h"

#include <array>

namespace stguard {
namespace {

struct DtypeRow {
  std::string_view name;
  uint32_t bits;
};

// Indexed by Dtype.
constexpr std::array<DtypeRow, kDtypeCount> kDtypes = {{
    {"BOOL", 8},         {"F4", 4},           {"F6_E2M3", 6},      {"F6_E3M2", 6},
    {"U8", 8},           {"I8", 8},           {"F8_E5M2", 8},      {"F8_E4M3", 8},
    {"F8_E8M0", 8},      {"F8_E4M3FNUZ", 8},  {"F8_E5M2FNUZ", 8},  {"I16", 16},
    {"U16", 16},         {"F16", 16},         {"BF16", 16},        {"I32", 32},
    {"U32", 32},         {"F32", 32},         {"C64", 64},         {"F64", 64},
    {"I64", 64},         {"U64", 64},
}};

}  // namespace

std::optional<Dtype> DtypeFromName(std::string_view name) {
  for (size_t i = 0; i < kDtypes.size(); ++i) {
    if (kDtypes[i].name == name) return static_cast<Dtype>(i);
  }
  return std::nullopt;
}

std::string_view DtypeName(Dtype dtype) { return kDtypes[static_cast<size_t>(dtype)].name; }

uint32_t DtypeBits(Dtype dtype) { return kDtypes[static_cast<size_t>(dtype)].bits; }

uint32_t DtypeAlignment(Dtype dtype) {
  const uint32_t bits = DtypeBits(dtype);
  return bits % 8 == 0 ? bits / 8 : 1;
}

}  // namespace stguard
