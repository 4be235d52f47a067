// Unit tests for checked arithmetic (checked_math.h).
#include "checked_math.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace stguard::internal {
namespace {

constexpr uint64_t kMax = UINT64_MAX;

TEST(CheckedAdd, SmallValues) {
  EXPECT_EQ(CheckedAdd(0, 0), 0u);
  EXPECT_EQ(CheckedAdd(1, 2), 3u);
}

TEST(CheckedAdd, UpToTheMaximumSucceeds) {
  EXPECT_EQ(CheckedAdd(kMax, 0), kMax);
  EXPECT_EQ(CheckedAdd(0, kMax), kMax);
  EXPECT_EQ(CheckedAdd(kMax - 1, 1), kMax);
  EXPECT_EQ(CheckedAdd(uint64_t{1} << 63, (uint64_t{1} << 63) - 1), kMax);
}

TEST(CheckedAdd, PastTheMaximumFails) {
  EXPECT_FALSE(CheckedAdd(kMax, 1).has_value());
  EXPECT_FALSE(CheckedAdd(1, kMax).has_value());
  EXPECT_FALSE(CheckedAdd(kMax, kMax).has_value());
  EXPECT_FALSE(CheckedAdd(uint64_t{1} << 63, uint64_t{1} << 63).has_value());
}

TEST(CheckedMul, ZeroAndOne) {
  EXPECT_EQ(CheckedMul(0, 0), 0u);
  EXPECT_EQ(CheckedMul(0, kMax), 0u);
  EXPECT_EQ(CheckedMul(kMax, 0), 0u);
  EXPECT_EQ(CheckedMul(1, kMax), kMax);
  EXPECT_EQ(CheckedMul(kMax, 1), kMax);
}

TEST(CheckedMul, UpToTheMaximumSucceeds) {
  EXPECT_EQ(CheckedMul(uint64_t{1} << 32, (uint64_t{1} << 32) - 1),
            (uint64_t{1} << 63) + ((uint64_t{1} << 63) - (uint64_t{1} << 32)));
  EXPECT_EQ(CheckedMul(uint64_t{1} << 62, 2), uint64_t{1} << 63);
  EXPECT_EQ(CheckedMul(uint64_t{1} << 62, 3), (uint64_t{1} << 63) + (uint64_t{1} << 62));
  // 2^64 - 1 = 3 * 5 * 17 * 257 * 641 * 65537 * 6700417
  EXPECT_EQ(CheckedMul(kMax / 3, 3), kMax);
  EXPECT_EQ(CheckedMul(0xFFFFFFFFull, 0x100000001ull), kMax);
}

TEST(CheckedMul, PastTheMaximumFails) {
  EXPECT_FALSE(CheckedMul(uint64_t{1} << 32, uint64_t{1} << 32).has_value());
  EXPECT_FALSE(CheckedMul(uint64_t{1} << 63, 2).has_value());
  EXPECT_FALSE(CheckedMul(kMax, 2).has_value());
  EXPECT_FALSE(CheckedMul(kMax, kMax).has_value());
  EXPECT_FALSE(CheckedMul(kMax / 3 + 1, 3).has_value());
  EXPECT_FALSE(CheckedMul(uint64_t{1} << 62, 4).has_value());
  // 2^62 elements of 32 bits: the F32 case of the layout rules.
  EXPECT_FALSE(CheckedMul(uint64_t{1} << 62, 32).has_value());
}

}  // namespace
}  // namespace stguard::internal
