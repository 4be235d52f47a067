#include "str_cat.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace stguard::internal {
namespace {

TEST(StrCat, JoinsTextAndIntegers) {
  const std::string name = "w";
  const std::string_view tail = " bytes)";
  EXPECT_EQ(StrCat("range [", uint64_t{3}, ", ", 17, ") of ", name, ' ', tail),
            "range [3, 17) of w  bytes)");
  EXPECT_EQ(StrCat(), "");
  EXPECT_EQ(StrCat("only"), "only");
}

TEST(StrCat, FormatsIntegersAtTheirLimits) {
  EXPECT_EQ(StrCat(std::numeric_limits<uint64_t>::max()), "18446744073709551615");
  EXPECT_EQ(StrCat(std::numeric_limits<int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(StrCat(uint8_t{255}, ' ', int8_t{-128}, ' ', 0u), "255 -128 0");
}

TEST(StrCat, SizesTheStringOnce) {
  const std::string long_text(100, 'x');
  const std::string out = StrCat(long_text, 18446744073709551615ull, long_text);
  EXPECT_EQ(out.size(), 220u);
  EXPECT_EQ(out.capacity(), out.size());  // reserved exactly, never regrown
}

TEST(StrAppend, AppendsAllPieces) {
  std::string out = "a";
  StrAppend(out, "b", 12, std::string_view("c"), std::string("d"));
  EXPECT_EQ(out, "ab12cd");
  StrAppend(out);
  EXPECT_EQ(out, "ab12cd");
}

TEST(StrAppend, GrowsGeometricallyInALoop) {
  std::string out;
  size_t reallocations = 0;
  for (int i = 0; i < 10000; ++i) {
    const size_t capacity = out.capacity();
    StrAppend(out, "\\x", 'a', 'b');
    if (out.capacity() != capacity) ++reallocations;
  }
  EXPECT_EQ(out.size(), 40000u);
  EXPECT_LT(reallocations, 20u);  // doubling: about log2(40000 / 15)
}

}  // namespace
}  // namespace stguard::internal
