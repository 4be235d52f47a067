// ParseSerdeNumber: serde_json's number conversion, transcribed to C++.
//
// Source: serde_json 1.0, src/de.rs, the code compiled without the `float_roundtrip`
// and `arbitrary_precision` features (the reference enables neither), as it stands from
// 1.0.89 on (checked against the current source; unchanged since). Functions
// transcribed: the `overflow!` macro, parse_any_number -> parse_integer, parse_number,
// parse_decimal, parse_exponent, f64_from_parts, parse_long_integer,
// parse_decimal_overflow, parse_exponent_overflow, and the POW10 table. Each C++ member
// below keeps the Rust function's name and control flow, so the two can be read side by
// side.
//
// Versions differ: before 1.0.68 (serde-rs/json#801), "-0" was the integer 0, not the
// float -0.0; from 1.0.68 to 1.0.88, parse_decimal counted the exponent of a long integer
// and of its fraction in one variable and took 0 to mean "no fraction digit", so a long
// integer with as many fraction digits as it had dropped integer digits (e.g.
// 18446744073709551616.5) was an error (fixed in 1.0.89, serde-rs/json#953). safetensors
// asks only for `serde_json = "1.0"`, and the Cargo.lock it once committed stops at 0.4.3,
// so its 0.8.0 wheels (2026) build with a current 1.0.x: this file follows >= 1.0.89.
//
// Rust semantics kept: the wheels are release builds, where integer overflow wraps
// (parse_long_integer's digit count, parse_decimal's exponent sum, f64_from_parts'
// `exponent += 308`); parse_exponent uses saturating_add / saturating_sub;
// `significand as f64` rounds to nearest, ties to even, as C++'s conversion does; f64
// arithmetic is IEEE binary64 in both. No signed overflow happens here: the wrapping
// operations go through uint32_t.
#include "serde_number.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

namespace stguard::internal {
namespace {

// serde_json's POW10: the doubles nearest to 1e0 .. 1e308 (C++ and Rust both round
// decimal literals correctly, so the table is the same).
constexpr double kPow10[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23,
    1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35,
    1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47,
    1e48, 1e49, 1e50, 1e51, 1e52, 1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59,
    1e60, 1e61, 1e62, 1e63, 1e64, 1e65, 1e66, 1e67, 1e68, 1e69, 1e70, 1e71,
    1e72, 1e73, 1e74, 1e75, 1e76, 1e77, 1e78, 1e79, 1e80, 1e81, 1e82, 1e83,
    1e84, 1e85, 1e86, 1e87, 1e88, 1e89, 1e90, 1e91, 1e92, 1e93, 1e94, 1e95,
    1e96, 1e97, 1e98, 1e99, 1e100, 1e101, 1e102, 1e103, 1e104, 1e105, 1e106, 1e107,
    1e108, 1e109, 1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118, 1e119,
    1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129, 1e130, 1e131,
    1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139, 1e140, 1e141, 1e142, 1e143,
    1e144, 1e145, 1e146, 1e147, 1e148, 1e149, 1e150, 1e151, 1e152, 1e153, 1e154, 1e155,
    1e156, 1e157, 1e158, 1e159, 1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167,
    1e168, 1e169, 1e170, 1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179,
    1e180, 1e181, 1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188, 1e189, 1e190, 1e191,
    1e192, 1e193, 1e194, 1e195, 1e196, 1e197, 1e198, 1e199, 1e200, 1e201, 1e202, 1e203,
    1e204, 1e205, 1e206, 1e207, 1e208, 1e209, 1e210, 1e211, 1e212, 1e213, 1e214, 1e215,
    1e216, 1e217, 1e218, 1e219, 1e220, 1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227,
    1e228, 1e229, 1e230, 1e231, 1e232, 1e233, 1e234, 1e235, 1e236, 1e237, 1e238, 1e239,
    1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248, 1e249, 1e250, 1e251,
    1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259, 1e260, 1e261, 1e262, 1e263,
    1e264, 1e265, 1e266, 1e267, 1e268, 1e269, 1e270, 1e271, 1e272, 1e273, 1e274, 1e275,
    1e276, 1e277, 1e278, 1e279, 1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287,
    1e288, 1e289, 1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299,
    1e300, 1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308,
};
constexpr size_t kPow10Size = sizeof(kPow10) / sizeof(kPow10[0]);
static_assert(kPow10Size == 309);

// Rust's i32 operations, without signed overflow in C++.
int32_t WrappingAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
int32_t WrappingSub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
int32_t Saturate(int64_t v) {
  constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  return static_cast<int32_t>(v < kMin ? kMin : (v > kMax ? kMax : v));
}
int32_t SaturatingAdd(int32_t a, int32_t b) { return Saturate(int64_t{a} + int64_t{b}); }
int32_t SaturatingSub(int32_t a, int32_t b) { return Saturate(int64_t{a} - int64_t{b}); }

// serde_json's overflow!(a * 10 + b, max): would the next digit take a past max?
constexpr bool OverflowU64(uint64_t a, uint64_t b) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  return a >= kMax / 10 && (a > kMax / 10 || b > kMax % 10);
}
constexpr bool OverflowI32(int32_t a, int32_t b) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  return a >= kMax / 10 && (a > kMax / 10 || b > kMax % 10);
}

SerdeNumber F64(double value) {
  SerdeNumber n{SerdeNumberKind::kF64};
  n.f64 = value;
  return n;
}
SerdeNumber OutOfRange() { return SerdeNumber{SerdeNumberKind::kOutOfRange}; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The Deserializer's cursor over one literal. Peek() is serde_json's peek_or_null (NUL
// past the end), so a call order identical to the Rust code reads the same bytes.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  // parse_any_number, as deserialize_any calls it: the sign, then parse_integer.
  SerdeNumber Run() {
    if (Peek() == '-') {
      ++pos_;
      return ParseInteger(false);
    }
    return ParseInteger(true);
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  SerdeNumber ParseInteger(bool positive) {
    const char next = Peek();
    if (!IsDigit(next)) return OutOfRange();  // not a literal: unspecified
    ++pos_;
    if (next == '0') {
      // A leading 0 is followed by no digit (grammar), so the significand is 0.
      return ParseNumber(positive, 0);
    }
    uint64_t significand = static_cast<uint64_t>(next - '0');
    for (;;) {
      const char c = Peek();
      if (!IsDigit(c)) return ParseNumber(positive, significand);
      const uint64_t digit = static_cast<uint64_t>(c - '0');
      // The digit stays unread: parse_long_integer counts it.
      if (OverflowU64(significand, digit)) return ParseLongInteger(positive, significand);
      ++pos_;
      significand = significand * 10 + digit;
    }
  }

  SerdeNumber ParseNumber(bool positive, uint64_t significand) {
    const char c = Peek();
    if (c == '.') return ParseDecimal(positive, significand, 0);
    if (c == 'e' || c == 'E') return ParseExponent(positive, significand, 0);
    if (positive) {
      SerdeNumber n{SerdeNumberKind::kU64};
      n.u64 = significand;
      return n;
    }
    // let neg = (significand as i64).wrapping_neg(); "-0" and magnitudes above 2^63
    // give neg >= 0 and become floats; 1 ..= 2^63 become i64.
    const uint64_t neg_bits = uint64_t{0} - significand;
    const int64_t neg = static_cast<int64_t>(neg_bits);
    if (neg >= 0) return F64(-static_cast<double>(significand));
    SerdeNumber n{SerdeNumberKind::kI64};
    n.i64 = neg;
    return n;
  }

  SerdeNumber ParseDecimal(bool positive, uint64_t significand,
                           int32_t exponent_before_decimal_point) {
    ++pos_;  // '.'
    int32_t exponent_after_decimal_point = 0;
    for (char c = Peek(); IsDigit(c); c = Peek()) {
      const uint64_t digit = static_cast<uint64_t>(c - '0');
      if (OverflowU64(significand, digit)) {
        const int32_t exponent =
            WrappingAdd(exponent_before_decimal_point, exponent_after_decimal_point);
        return ParseDecimalOverflow(positive, significand, exponent);
      }
      ++pos_;
      significand = significand * 10 + digit;
      exponent_after_decimal_point = WrappingSub(exponent_after_decimal_point, 1);
    }
    // serde_json errs here when exponent_after_decimal_point == 0 (no fraction digit);
    // the grammar rules that out.
    const int32_t exponent =
        WrappingAdd(exponent_before_decimal_point, exponent_after_decimal_point);
    const char c = Peek();
    if (c == 'e' || c == 'E') return ParseExponent(positive, significand, exponent);
    return F64FromParts(positive, significand, exponent);
  }

  SerdeNumber ParseExponent(bool positive, uint64_t significand, int32_t starting_exp) {
    ++pos_;  // 'e' or 'E'
    bool positive_exp = true;
    if (Peek() == '+') {
      ++pos_;
    } else if (Peek() == '-') {
      ++pos_;
      positive_exp = false;
    }
    const char next = Peek();
    if (!IsDigit(next)) return OutOfRange();  // not a literal: unspecified
    ++pos_;
    int32_t exp = next - '0';
    for (char c = Peek(); IsDigit(c); c = Peek()) {
      ++pos_;
      const int32_t digit = c - '0';
      if (OverflowI32(exp, digit)) {
        return ParseExponentOverflow(positive, significand == 0, positive_exp);
      }
      exp = exp * 10 + digit;
    }
    const int32_t final_exp =
        positive_exp ? SaturatingAdd(starting_exp, exp) : SaturatingSub(starting_exp, exp);
    return F64FromParts(positive, significand, final_exp);
  }

  static SerdeNumber F64FromParts(bool positive, uint64_t significand, int32_t exponent) {
    double f = static_cast<double>(significand);
    for (;;) {
      // POW10.get(exponent.wrapping_abs() as usize): i32::MIN stays negative, and as
      // usize it is far past the table.
      const bool in_table = exponent != std::numeric_limits<int32_t>::min() &&
                            static_cast<size_t>(exponent < 0 ? -exponent : exponent) <
                                kPow10Size;
      if (in_table) {
        const double pow = kPow10[exponent < 0 ? -exponent : exponent];
        if (exponent >= 0) {
          f *= pow;
          if (std::isinf(f)) return OutOfRange();
        } else {
          f /= pow;
        }
        break;
      }
      if (f == 0.0) break;
      if (exponent >= 0) return OutOfRange();
      f /= 1e308;
      exponent = WrappingAdd(exponent, 308);
    }
    return F64(positive ? f : -f);
  }

  // The integer part overflowed u64: the remaining integer digits only raise the
  // exponent (`exponent += 1`, wrapping past 2^31 digits as the release build does).
  SerdeNumber ParseLongInteger(bool positive, uint64_t significand) {
    int32_t exponent = 0;
    for (;;) {
      const char c = Peek();
      if (IsDigit(c)) {
        ++pos_;
        exponent = WrappingAdd(exponent, 1);
      } else if (c == '.') {
        return ParseDecimal(positive, significand, exponent);
      } else if (c == 'e' || c == 'E') {
        return ParseExponent(positive, significand, exponent);
      } else {
        return F64FromParts(positive, significand, exponent);
      }
    }
  }

  // The fraction overflowed u64: the remaining fraction digits are dropped.
  SerdeNumber ParseDecimalOverflow(bool positive, uint64_t significand, int32_t exponent) {
    while (IsDigit(Peek())) ++pos_;
    const char c = Peek();
    if (c == 'e' || c == 'E') return ParseExponent(positive, significand, exponent);
    return F64FromParts(positive, significand, exponent);
  }

  // The exponent overflowed i32: an error for a non-zero significand and a positive
  // exponent, else zero. `zero_significand` is the u64 kept so far, so "0.0e999999999999"
  // is 0.0 but so is "1e-99999999999" (and "-1e-99999999999" is -0.0).
  SerdeNumber ParseExponentOverflow(bool positive, bool zero_significand, bool positive_exp) {
    if (!zero_significand && positive_exp) return OutOfRange();
    while (IsDigit(Peek())) ++pos_;
    return F64(positive ? 0.0 : -0.0);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

SerdeNumber ParseSerdeNumber(std::string_view literal) { return Parser(literal).Run(); }

}  // namespace stguard::internal
