#!/usr/bin/env python3
"""Writes the supplement's safetensors files and verdicts.tsv (standard library only).

Each file is a valid one-tensor file ("t": U8, shape [1], one data byte) whose header
differs in one place: an unknown field "x" inside the tensor entry holding a number
literal (the reference ignores the field but still converts the number, see README.md),
or the dtype written in serde's enum-as-map form. The expected verdicts are derived from
serde_json's and serde's code (README.md), not from running safetensors.

    python3 make-supplement.py   # rewrites *.safetensors and verdicts.tsv here
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

DBL_MAX = str((2**53 - 1) * 2**971)  # 179769313486231570814...858368, 309 digits
THRESHOLD = 2**1024 - 2**970  # the smallest integer that rounds to infinity
assert DBL_MAX.startswith("17976931348623157081") and len(DBL_MAX) == 309

# (case, literal or None, dtype JSON, reference verdict, why)
CASES = [
    # Floats near the top: serde_json multiplies a u64 significand by POW10 and errs when
    # the product is infinite, which disagrees with correct rounding both ways.
    ("num_float_1_7976931348623158e308", "1.7976931348623158e308", None, "ERR",
     "17976931348623158 * 1e292 overflows (correctly rounded: DBL_MAX)"),
    ("num_float_17976931348623158e292", "17976931348623158e292", None, "ERR",
     "same value, written as an integer significand"),
    ("num_float_179769313486231581e291", "179769313486231581e291", None, "OK",
     "above 2^1024-2^970 (correctly rounded: infinity), but the 18-digit significand rounds"
     " down as a double and the product is DBL_MAX"),
    ("num_float_1_7976931348623157e308", "1.7976931348623157e308", None, "OK", "DBL_MAX"),
    ("num_float_1e308", "1e308", None, "OK", "1 * POW10[308]"),
    ("num_float_1_8e308", "1.8e308", None, "ERR", "out of range for everyone"),
    ("num_float_neg_1e309", "-1e309", None, "ERR", "exponent past the table, non-zero"),
    ("num_exp_i32_max", "1e2147483647", None, "ERR", "exponent past the table, non-zero"),
    ("num_exp_overflow", "1e99999999999", None, "ERR",
     "exponent overflows i32, non-zero significand, positive exponent"),
    # 309-digit integers: serde_json keeps the first 20 digits and multiplies by 1e289.
    ("num_int309_largest_accepted", "17976931348623156224" + "0" * 289, None, "OK",
     "the largest 20-digit prefix whose product with 1e289 is finite"),
    ("num_int309_smallest_rejected", "17976931348623156225" + "0" * 289, None, "ERR",
     "one more in the 20th digit: the product overflows (value < DBL_MAX)"),
    ("num_int309_dbl_max", DBL_MAX, None, "ERR",
     "DBL_MAX written out: 17976931348623157081 * 1e289 overflows"),
    ("num_int309_threshold_minus_1", str(THRESHOLD - 1), None, "ERR",
     "rounds to DBL_MAX when correctly rounded; serde_json overflows"),
    ("num_int309_threshold", str(THRESHOLD), None, "ERR", "out of range for everyone"),
    ("num_int309_neg_dbl_max", "-" + DBL_MAX, None, "ERR", "as num_int309_dbl_max"),
    ("num_int310", "1" + "0" * 309, None, "ERR", "1e19 * 10^290: past the table"),
    # Values that are converted but never out of range.
    ("num_zero_exp_overflow", "0e999999999999", None, "OK",
     "exponent overflows i32 with a zero significand: 0.0"),
    ("num_neg_zero_exp_overflow", "-0e999999999999", None, "OK", "-0.0"),
    ("num_tiny_exp_overflow", "1e-99999999999", None, "OK",
     "exponent overflows i32, negative: 0.0"),
    ("num_exp_i32_min", "1.0e-2147483647", None, "OK",
     "exponent saturates at i32::MIN: divided down to 0.0"),
    ("num_underflow_1e-400", "1e-400", None, "OK", "divided by 1e308 then 1e92: 0.0"),
    ("num_zero_1e400", "0.0e400", None, "OK", "zero significand past the table: 0.0"),
    ("num_neg_zero", "-0", None, "OK", "the float -0.0"),
    ("num_u64_plus_one", "18446744073709551616", None, "OK", "a float"),
    ("num_i64_min_minus_one", "-9223372036854775809", None, "OK", "a float"),
    ("num_long_int_fraction", "18446744073709551616.5", None, "OK",
     "accepted since serde_json 1.0.89 (1.0.68 - 1.0.88 err: invalid number)"),
    # The dtype in serde's externally tagged form: {"VARIANT": value}. The flattened
    # tensor entry is read from buffered Content by ContentRefDeserializer, whose unit
    # variant accepts only a unit value (JSON null).
    ("dtype_unit_variant_null", None, '{"U8":null}', "OK", "unit variant with a unit value"),
    ("dtype_unit_variant_empty_object", None, '{"U8":{}}', "ERR",
     "invalid type: map, expected unit"),
    ("dtype_unit_variant_empty_array", None, '{"U8":[]}', "ERR",
     "invalid type: sequence, expected unit"),
    ("dtype_unit_variant_two_keys", None, '{"U8":null,"I8":null}', "ERR",
     "invalid value: map, expected map with a single key"),
]


def header(literal, dtype):
    extra = ',"x":' + literal if literal is not None else ""
    return ('{"t":{"dtype":' + (dtype or '"U8"') + ',"shape":[1],"data_offsets":[0,1]' + extra
            + '}}')


def main():
    rows = ["# Expected verdicts of safetensors 0.8.0 (safe_open) on this folder's files,"
            " derived from serde_json's and serde's code (README.md); not observed.",
            "case\topen\twhy"]
    for case, literal, dtype, verdict, why in CASES:
        text = header(literal, dtype).encode()
        text += b" " * (-len(text) % 8)  # keep the data 8-aligned, as writers do
        with open(os.path.join(HERE, case + ".safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text + b"\x00")
        rows.append(f"{case}\t{verdict}\t{why}")
    with open(os.path.join(HERE, "verdicts.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
