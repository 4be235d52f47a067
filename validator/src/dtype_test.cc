// Unit tests for the dtype table (dtype.cc).
#include "stguard/dtype.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace stguard {
namespace {

struct Row {
  const char* name;
  Dtype dtype;
  uint32_t bits;
  uint32_t alignment;
};

constexpr Row kRows[] = {
    {"BOOL", Dtype::kBOOL, 8, 1},
    {"F4", Dtype::kF4, 4, 1},
    {"F6_E2M3", Dtype::kF6_E2M3, 6, 1},
    {"F6_E3M2", Dtype::kF6_E3M2, 6, 1},
    {"U8", Dtype::kU8, 8, 1},
    {"I8", Dtype::kI8, 8, 1},
    {"F8_E5M2", Dtype::kF8_E5M2, 8, 1},
    {"F8_E4M3", Dtype::kF8_E4M3, 8, 1},
    {"F8_E8M0", Dtype::kF8_E8M0, 8, 1},
    {"F8_E4M3FNUZ", Dtype::kF8_E4M3FNUZ, 8, 1},
    {"F8_E5M2FNUZ", Dtype::kF8_E5M2FNUZ, 8, 1},
    {"I16", Dtype::kI16, 16, 2},
    {"U16", Dtype::kU16, 16, 2},
    {"F16", Dtype::kF16, 16, 2},
    {"BF16", Dtype::kBF16, 16, 2},
    {"I32", Dtype::kI32, 32, 4},
    {"U32", Dtype::kU32, 32, 4},
    {"F32", Dtype::kF32, 32, 4},
    {"C64", Dtype::kC64, 64, 8},
    {"F64", Dtype::kF64, 64, 8},
    {"I64", Dtype::kI64, 64, 8},
    {"U64", Dtype::kU64, 64, 8},
};

TEST(Dtype, TableHasAllTwentyTwo) {
  EXPECT_EQ(std::size(kRows), static_cast<size_t>(kDtypeCount));
  EXPECT_EQ(kDtypeCount, 22);
}

TEST(Dtype, NamesRoundTrip) {
  for (const Row& row : kRows) {
    const std::optional<Dtype> parsed = DtypeFromName(row.name);
    ASSERT_TRUE(parsed.has_value()) << row.name;
    EXPECT_EQ(*parsed, row.dtype) << row.name;
    EXPECT_EQ(DtypeName(row.dtype), row.name);
  }
}

TEST(Dtype, EveryEnumValueRoundTripsThroughItsName) {
  std::set<std::string_view> names;
  for (int i = 0; i < kDtypeCount; ++i) {
    const Dtype dtype = static_cast<Dtype>(i);
    const std::string_view name = DtypeName(dtype);
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(DtypeFromName(name), dtype) << name;
  }
}

TEST(Dtype, NumbersFollowTheReferenceDeclarationOrder) {
  EXPECT_EQ(static_cast<int>(Dtype::kBOOL), 0);
  EXPECT_EQ(static_cast<int>(Dtype::kF4), 1);
  EXPECT_EQ(static_cast<int>(Dtype::kF32), 17);
  EXPECT_EQ(static_cast<int>(Dtype::kU64), 21);
}

TEST(Dtype, BitsAndAlignment) {
  for (const Row& row : kRows) {
    EXPECT_EQ(DtypeBits(row.dtype), row.bits) << row.name;
    EXPECT_EQ(DtypeAlignment(row.dtype), row.alignment) << row.name;
  }
  EXPECT_EQ(DtypeBits(Dtype::kF4), 4u);
  EXPECT_EQ(DtypeBits(Dtype::kF6_E2M3), 6u);
  EXPECT_EQ(DtypeBits(Dtype::kF6_E3M2), 6u);
  EXPECT_EQ(DtypeBits(Dtype::kBOOL), 8u);
  EXPECT_EQ(DtypeBits(Dtype::kC64), 64u);
}

TEST(Dtype, NamesAreCaseSensitive) {
  for (const char* name : {"f32", "F32 ", " F32", "bf16", "Bf16", "bool", "Bool", "u8",
                           "f8_e4m3", "F8_e4m3", "c64"}) {
    EXPECT_FALSE(DtypeFromName(name).has_value()) << "'" << name << "'";
  }
}

TEST(Dtype, UnknownNamesAreRejected) {
  for (const char* name : {"", "F128", "float32", "F8_E4M3FN", "F8_E5M2FN", "F6", "F4_E2M1",
                           "I128", "C128", "U1", "F", "F3"}) {
    EXPECT_FALSE(DtypeFromName(name).has_value()) << "'" << name << "'";
  }
  // A name with an embedded NUL is not "F32".
  EXPECT_FALSE(DtypeFromName(std::string_view("F32\0", 4)).has_value());
  EXPECT_FALSE(DtypeFromName(std::string_view("F3\0" "2", 4)).has_value());
}

}  // namespace
}  // namespace stguard
