#!/usr/bin/env python3
"""Families of growing hostile safetensors headers, for the complexity suite.

Each family makes a header of about `size` bytes out of one repeated, nested
or fanned-out part; `run` measures stguard on it. The header is what an
attacker controls: everything here stays within the 100,000,000-byte limit
the reference enforces.

usage: families.py list
       families.py write FAMILY SIZE OUT     (prints the item count)
"""
import struct
import sys

LIMIT = 100_000_000


def _fill(prefix, item, sep, suffix, size, first_index=0):
    """prefix + item(i) joined by sep + suffix, as many items as fit in size."""
    parts = [prefix]
    used = len(prefix) + len(suffix)
    n = 0
    while True:
        piece = (sep if n else "") + item(first_index + n)
        if used + len(piece) > size:
            break
        parts.append(piece)
        used += len(piece)
        n += 1
    parts.append(suffix)
    return "".join(parts), n


def tensor(name, begin=0, end=0):
    return '"%s":{"dtype":"U8","shape":[%d],"data_offsets":[%d,%d]}' % (name, end - begin, begin, end)


VALID = tensor("t", 0, 0)


def fam_zero_size_tensors(size):
    return _fill("{", lambda i: '"t%08d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}' % i, ",", "}", size)


def fam_array_form_entries(size):
    return _fill("{", lambda i: '"%x":["U8",[0],[0,0]]' % i, ",", "}", size)


def fam_repeated_tensor_name(size):
    return _fill("{", lambda i: '"a":["U8",[0],[0,0]]', ",", "}", size)


def fam_escaped_names(size):
    return _fill("{", lambda i: '"\\u0074%x":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}' % i, ",", "}", size)


def fam_repeated_metadata_keys(size):
    return _fill('{"__metadata__":{', lambda i: '"k":"v"', ",", "}," + VALID + "}", size)


def fam_distinct_metadata_keys(size):
    return _fill('{"__metadata__":{', lambda i: '"%x":"v"' % i, ",", "}," + VALID + "}", size)


def fam_escaped_metadata_keys(size):
    return _fill('{"__metadata__":{', lambda i: '"\\u006b":"v"', ",", "}," + VALID + "}", size)


def fam_long_shape(size):
    return _fill('{"t":{"dtype":"U8","data_offsets":[0,1],"shape":[', lambda i: "1", ",", "]}}", size)


def fam_unknown_field_array(size):
    return _fill('{"t":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"x":[', lambda i: "0", ",", "]}}", size)


def fam_unknown_field_objects(size):
    return _fill('{"t":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"x":{', lambda i: '"%x":[{}]' % i, ",", "}}}", size)


def fam_nested_arrays(size):
    # Arrays nested 120 deep (the reference allows 127), repeated.
    item = "[" * 120 + "]" * 120
    return _fill('{"t":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"x":[', lambda i: item, ",", "]}}", size)


def fam_floats_in_ignored_field(size):
    return _fill('{"t":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"x":[', lambda i: "1.7976931348623157e308", ",", "]}}", size)


def fam_wide_integers_in_ignored_field(size):
    return _fill('{"t":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"x":[', lambda i: "1" + "0" * 300, ",", "]}}", size)


def fam_long_name(size):
    # One tensor whose name is all DEL bytes (legal raw in JSON).
    n = max(1, size - len(tensor("", 0, 0)) - 2)
    return "{" + tensor("\x7f" * n, 0, 0) + "}", n


def fam_long_metadata_value(size):
    n = max(1, size - 40 - len(VALID))
    return '{"__metadata__":{"k":"' + "v" * n + '"},' + VALID + "}", n


def fam_escaped_metadata_value(size):
    n = max(1, (size - 40 - len(VALID)) // 6)
    return '{"__metadata__":{"k":"' + "\\u0076" * n + '"},' + VALID + "}", n


def fam_long_shape_rejected_by_rank(size):
    # Under default, a rank past 64; under compat a long shape that overflows.
    return _fill('{"t":{"dtype":"U8","data_offsets":[0,1],"shape":[', lambda i: "4294967296", ",", "]}}", size)


FAMILIES = {name[4:]: fn for name, fn in sorted(globals().items()) if name.startswith("fam_")}


def write(family, size, out):
    header, n = FAMILIES[family](size)
    data = header.encode("utf-8")
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(data)))
        f.write(data)
    return n


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "list":
        print("\n".join(FAMILIES))
        return
    if len(sys.argv) == 5 and sys.argv[1] == "write":
        print(write(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
