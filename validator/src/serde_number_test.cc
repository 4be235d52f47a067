// ParseSerdeNumber against serde_json's own results: serde_number_cases.tsv holds a few
// thousand literals with the kind and bits serde_json gives them (see its header for how
// they were generated), and the targeted tests below pin the rules one by one.
#include "serde_number.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace stguard::internal {
namespace {

uint64_t Bits(double d) {
  uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  return bits;
}

const char* KindName(SerdeNumberKind kind) {
  switch (kind) {
    case SerdeNumberKind::kU64:
      return "U64";
    case SerdeNumberKind::kI64:
      return "I64";
    case SerdeNumberKind::kF64:
      return "F64";
    case SerdeNumberKind::kOutOfRange:
      return "OutOfRange";
  }
  return "?";
}

// The value's bits as the cases file writes them (0 for OutOfRange).
uint64_t ValueBits(const SerdeNumber& n) {
  switch (n.kind) {
    case SerdeNumberKind::kU64:
      return n.u64;
    case SerdeNumberKind::kI64:
      return static_cast<uint64_t>(n.i64);
    case SerdeNumberKind::kF64:
      return Bits(n.f64);
    case SerdeNumberKind::kOutOfRange:
      return 0;
  }
  return 0;
}

void ExpectF64(std::string_view literal, double expected) {
  const SerdeNumber n = ParseSerdeNumber(literal);
  ASSERT_EQ(n.kind, SerdeNumberKind::kF64) << literal;
  EXPECT_EQ(Bits(n.f64), Bits(expected)) << literal << " -> " << n.f64;
}

void ExpectOutOfRange(std::string_view literal) {
  EXPECT_EQ(ParseSerdeNumber(literal).kind, SerdeNumberKind::kOutOfRange) << literal;
}

TEST(SerdeNumber, ReplaysSerdeJsonResults) {
  std::ifstream in(STGUARD_SERDE_NUMBER_CASES);
  ASSERT_TRUE(in) << STGUARD_SERDE_NUMBER_CASES;
  std::string line;
  size_t rows = 0, agreed = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t t1 = line.find('\t');
    const size_t t2 = line.find('\t', t1 + 1);
    const size_t t3 = line.find('\t', t2 + 1);
    ASSERT_NE(t3, std::string::npos) << line;
    const std::string literal = line.substr(0, t1);
    const std::string kind = line.substr(t1 + 1, t2 - t1 - 1);
    const uint64_t bits = std::strtoull(line.substr(t2 + 1, t3 - t2 - 1).c_str(), nullptr, 16);
    const SerdeNumber n = ParseSerdeNumber(literal);
    ++rows;
    const bool same = kind == KindName(n.kind) && bits == ValueBits(n);
    EXPECT_TRUE(same) << literal << ": serde_json " << kind << " " << std::hex << bits
                      << ", ours " << KindName(n.kind) << " " << ValueBits(n);
    if (same) ++agreed;
  }
  EXPECT_GE(rows, 2000u);
  std::cout << "ParseSerdeNumber agrees with serde_json on " << agreed << " of " << rows
            << " literals\n";
}

// The three cases where correct rounding (what the validator did) and serde_json part.
TEST(SerdeNumber, DisagreesWithCorrectRoundingNearTheTop) {
  // Below 2^1024 - 2^970, so it rounds to DBL_MAX, but 17976931348623158 * 1e292
  // overflows in serde_json.
  ExpectOutOfRange("1.7976931348623158e308");
  ExpectOutOfRange("17976931348623158e292");
  // Above the threshold, but the 18-digit significand rounds down as a double and the
  // product lands on DBL_MAX.
  ExpectF64("179769313486231581e291", 1.7976931348623157e308);
  // 309-digit integers: only the first 20 digits are kept, then multiplied by 1e289.
  const std::string zeros289(289, '0');
  ExpectF64("17976931348623156224" + zeros289, 17976931348623156224.0 * 1e289);
  ExpectOutOfRange("17976931348623156225" + zeros289);
  // DBL_MAX itself, written out in full, and 2^1024 - 2^970 - 1: both rejected.
  ExpectOutOfRange(
      "1797693134862315708145274237317043567980705675258449965989174768031572607800285387"
      "6058955863276687817154045895351438246423432132688946418276846754670353751698604991"
      "0576551282076245490090389328944075868508455133942304583236903222948165808559332123"
      "348274797826204144723168738177180919299881250404026184124858368");
  ExpectOutOfRange(
      "1797693134862315807937289714053034150799341327100378269361737789804449682927647509"
      "4664901797758720709633028641669288791094655554785194040263065748867150582068190890"
      "2000708383676273854845817711531764475730270069855571366959622842914819860834936475"
      "292719074168444365510704342711559699508093042880177904174497791");
  ExpectF64("1.7976931348623157e308", 1.7976931348623157e308);
  ExpectF64("1e308", 1e308);
  ExpectOutOfRange("1.8e308");
  ExpectOutOfRange("-1e309");
}

TEST(SerdeNumber, IntegersAreU64ThenI64ThenF64) {
  SerdeNumber n = ParseSerdeNumber("0");
  EXPECT_EQ(n.kind, SerdeNumberKind::kU64);
  EXPECT_EQ(n.u64, 0u);
  n = ParseSerdeNumber("18446744073709551615");
  EXPECT_EQ(n.kind, SerdeNumberKind::kU64);
  EXPECT_EQ(n.u64, UINT64_MAX);
  // One more digit overflows the u64: a float (which is also what serde's usize rejects).
  ExpectF64("18446744073709551616", 18446744073709551616.0);
  ExpectF64("99999999999999999999", 1e20);
  n = ParseSerdeNumber("-1");
  EXPECT_EQ(n.kind, SerdeNumberKind::kI64);
  EXPECT_EQ(n.i64, -1);
  n = ParseSerdeNumber("-9223372036854775808");
  EXPECT_EQ(n.kind, SerdeNumberKind::kI64);
  EXPECT_EQ(n.i64, INT64_MIN);
  // wrapping_neg of a magnitude above 2^63 is positive: a float.
  ExpectF64("-9223372036854775809", -9223372036854775808.0);
  ExpectF64("-18446744073709551615", -18446744073709551616.0);
  // -0 is the float -0.0 (serde_json >= 1.0.68), rejected as a dimension by usize.
  n = ParseSerdeNumber("-0");
  ASSERT_EQ(n.kind, SerdeNumberKind::kF64);
  EXPECT_TRUE(std::signbit(n.f64));
  EXPECT_EQ(n.f64, 0.0);
  // A fraction or an exponent makes a float even when the value is integral.
  ExpectF64("1.0", 1.0);
  ExpectF64("1e2", 100.0);
  ExpectF64("-0.0", -0.0);
}

// overflow!(significand * 10 + digit, u64::MAX): 1844674407370955161 takes one more
// digit up to 5, not 6; later digits only move the exponent (integer part) or are dropped
// (fraction).
TEST(SerdeNumber, SignificandStopsAtTheU64OverflowCheck) {
  ExpectF64("0.18446744073709551615", 18446744073709551615.0 / 1e20);
  ExpectF64("0.18446744073709551616", 1844674407370955161.0 / 1e19);
  ExpectF64("1844674407370955161.5", 18446744073709551615.0 / 10);
  ExpectF64("1844674407370955161.6", 1844674407370955161.0);
  // A long integer followed by a fraction: 1844674407370955161 * 10, then the '5' of the
  // fraction still fits, exponent 1 - 1 = 0 (an error in serde_json 1.0.68 - 1.0.88).
  ExpectF64("18446744073709551616.5", 18446744073709551615.0);
  // 1999999999999999999 then 382 more digits: exponent 382, past the table.
  ExpectOutOfRange("1" + std::string(400, '9'));
}

TEST(SerdeNumber, ExponentOverflowRules) {
  // exp * 10 + digit past i32::MAX: an error only for a non-zero significand and a
  // positive exponent; otherwise zero with the literal's sign.
  ExpectF64("0e999999999999", 0.0);
  ExpectF64("-0e999999999999", -0.0);
  ExpectF64("0.0e99999999999", 0.0);
  ExpectF64("1e-99999999999", 0.0);
  ExpectF64("-1e-99999999999", -0.0);
  ExpectOutOfRange("1e99999999999");
  ExpectOutOfRange("0.0000000000000000000001e99999999999");
  ExpectOutOfRange("1e2147483648");
  ExpectF64("0e2147483648", 0.0);
  // Within i32: exponents beyond the table are an error for non-zero values...
  ExpectOutOfRange("1e2147483647");
  ExpectF64("0e2147483647", 0.0);
  ExpectF64("0e400", 0.0);
  ExpectF64("0.0e400", 0.0);
  // ...and divide by 1e308 until the table is reached, or zero.
  ExpectF64("1e-400", 0.0);
  ExpectF64("-1e-400", -0.0);
  ExpectF64("18446744073709551615e-631", 18446744073709551615.0 / 1e308 / 1e308 / 1e15);
  // saturating_sub reaches i32::MIN, whose wrapping_abs stays negative: still zero.
  ExpectF64("1.0e-2147483647", 0.0);
  ExpectF64("1e-2147483648", 0.0);
  // saturating_add: a long integer's exponent plus i32::MAX stays i32::MAX.
  ExpectOutOfRange("18446744073709551616e2147483647");
}

TEST(SerdeNumber, PowersOfTenComeFromTheTable) {
  for (int i = 0; i <= 308; ++i) {
    const std::string literal = "1e" + std::to_string(i);
    ExpectF64(literal, std::strtod(literal.c_str(), nullptr));
  }
  ExpectOutOfRange("1e309");
}

// One pass over the text, nothing kept: a 100,000,000-digit literal is read like a short
// one (the largest header the reference reads is 100,000,000 bytes). The expected values
// come from serde_json on the same literals. (Two passes of 10^8 digits, the rest of 10^7,
// to keep the sanitizer build quick.)
TEST(SerdeNumber, HundredMillionDigitLiterals) {
  constexpr size_t kDigits = 100'000'000;
  std::string literal;
  literal.reserve(kDigits + 32);
  // One-character strings assigned as chars: `literal = "1"` trips GCC 12's
  // bogus -Wrestrict at -O3 (GCC bug 105329), failing Release -Werror builds.
  literal = '1';
  literal.append(kDigits, '0');
  ExpectOutOfRange(literal);  // 1e19 times 10^99999981
  literal += "e-100000000";
  ExpectF64(literal, 1.0);  // exponent (kDigits - 19) - kDigits = -19
  constexpr size_t kFewer = 10'000'000;
  literal = "0.";
  literal.append(kFewer, '0');
  literal += "1";
  ExpectF64(literal, 0.0);
  literal += "e10000000";
  ExpectF64(literal, 0.1);
  literal = "1e";
  literal.append(kFewer, '0');
  literal += "5";
  ExpectF64(literal, 100000.0);  // leading zeros of an exponent cost nothing
  literal = '-';
  literal.append(kFewer, '9');
  literal += "e-9999995";
  ExpectF64(literal, -100000.0);  // 9999999999999999999 (1e19 as a double) / 1e14
}

}  // namespace
}  // namespace stguard::internal
