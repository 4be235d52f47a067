// What the reference's JSON parser makes of one number literal.
//
// The reference (safetensors 0.8.0) reads the header with serde_json, through a
// `#[serde(flatten)]` map, so every value of the header, ignored fields included, is
// buffered with `deserialize_any`: every number literal anywhere in the header is
// converted the way serde_json converts it, and a conversion error rejects the file.
// serde_json (without its `float_roundtrip` and `arbitrary_precision` features) does not
// round correctly: it keeps a u64 significand, drops digits that do not fit, and
// multiplies by a table of powers of ten, so near 2^1024 it disagrees with a correctly
// rounding parser in both directions. ParseSerdeNumber reproduces it bit for bit.
//
// How a caller uses it (the header's JSON layer and the tensor table):
//  (a) any number literal anywhere in the header whose kind is kOutOfRange: the reference
//      rejects the file ("number out of range"): code 208 (json-number-overflow).
//  (b) a shape dimension or a data offset must be kU64 (serde's usize accepts only a
//      u64). Otherwise:
//        - kF64 from a literal of digits only (no '-', '.', 'e' or 'E'), i.e. an
//          integer above 2^64-1 that the reference turned into a float: code 402
//          (integer-too-large);
//        - every other kI64 or kF64 (negative numbers, -0, fractions, exponents, even
//          "1e2" or "1.0"): code 401 (integer-expected).
//      Rule (a) comes first: "1e400" as a dimension is a 208, not a 401.
#pragma once

#include <cstdint>
#include <string_view>

namespace stguard::internal {

// What serde_json 1.0 (no float_roundtrip, no arbitrary_precision) makes of a number
// literal that matches the JSON grammar -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
enum class SerdeNumberKind : uint8_t { kU64, kI64, kF64, kOutOfRange };

struct SerdeNumber {
  SerdeNumberKind kind;
  uint64_t u64 = 0;  // kU64
  int64_t i64 = 0;   // kI64
  double f64 = 0.0;  // kF64 (also -0.0 for "-0")
};

// `literal` must already match the grammar above (the result for anything else is
// unspecified, but reading stays inside `literal`). Any length: one pass, O(1) memory.
SerdeNumber ParseSerdeNumber(std::string_view literal);

}  // namespace stguard::internal
