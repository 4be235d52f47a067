#!/usr/bin/env python3
"""Families of growing hostile input, for the complexity suite.

Each family builds, at a size n, one input an attacker controls out of one
repeated, nested or fanned-out part, in a temporary directory (nothing here
is ever committed): `run` measures stguard on it at n, 4n and 16n, and
`memory_test.py` asserts the peak memory of the worst ones at the limit.

Kinds of family (Family.kind):
  header  one safetensors file whose header is about n bytes (16n = the
          reference's 100,000,000-byte limit)
  stdin   the same header fed to `stguard check -` through a pipe
  index   a checkpoint directory: an index of about n bytes (16n = 100 MB,
          the most stguard reads of an index), or n files an index names
  dir     a directory of n files (or n levels) walked by `stguard check DIR`
  pickle  one pickle of about n bytes (a model file a directory scan judges)
  jobs    four files of n-byte headers under `--jobs 4`
  report  `--deep --format json`: what the report grows with

Standard-library Python 3.11 only.

usage: families.py list                      (name, kind, unit, 16n)
       families.py build FAMILY N DIR        (prints the case as JSON)
       families.py write FAMILY SIZE OUT     (header families: prints the item count)
"""
import json
import os
import struct
import sys
from dataclasses import dataclass, field
from typing import Callable

LIMIT = 100_000_000  # the reference's header limit; also the index ceiling (kMaxHeaderBytesCeiling)
MAX_SHARD_NAMES = 65536  # index_reader.h: kMaxShardNamesPerIndex
FILE_COUNT_LIMIT = 65536  # 16n for families that grow in files
# A path is at most PATH_MAX (4096) bytes; "d/" per level, under a temp dir.
DEPTH_LIMIT = 2000
SHARD_HEADER_BYTES = 20_000_000  # "a shard with a 20 MB header"


# ---------------------------------------------------------------- building text


def _fill(prefix, item, sep, suffix, size, first_index=0):
    """prefix + items joined by sep + suffix, as many items as fit in size.

    `item` is a string (the same part repeated: built in one step) or a
    function of the item's number."""
    budget = size - len(prefix) - len(suffix)
    if isinstance(item, str):
        n = 0 if budget < len(item) else (budget + len(sep)) // (len(item) + len(sep))
        body = (item + sep) * (n - 1) + item if n else ""
        return prefix + body + suffix, n
    parts = [prefix]
    used = 0
    n = 0
    i = first_index
    block_size = 4096
    while True:
        block = [item(i + k) for k in range(block_size)]
        cost = sum(map(len, block)) + len(sep) * (block_size - (0 if n else 1))
        if used + cost <= budget:
            parts.append((sep if n else "") + sep.join(block))
            used += cost
            n += block_size
            i += block_size
            continue
        for piece in block:
            extra = len(piece) + (len(sep) if n else 0)
            if used + extra > budget:
                parts.append(suffix)
                return "".join(parts), n
            parts.append((sep if n else "") + piece)
            used += extra
            n += 1


def tensor(name, begin=0, end=0):
    return '"%s":{"dtype":"U8","shape":[%d],"data_offsets":[%d,%d]}' % (name, end - begin, begin, end)


VALID = tensor("t", 0, 0)
ENTRY = '"t":{"dtype":"U8","shape":[0],"data_offsets":[0,0],'  # an entry to hang an ignored field on
# Below the top-level object (1), a tensor entry (2) and its ignored array
# field (3): 124 more levels make 127, the most compat accepts.
DEPTH_UNDER_IGNORED_FIELD = 124
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in '"\\')


def short_key(i):
    """The i-th shortest distinct JSON key of printable ASCII (bijective base 93)."""
    digits = []
    i += 1
    while i > 0:
        i -= 1
        digits.append(PRINTABLE[i % len(PRINTABLE)])
        i //= len(PRINTABLE)
    return "".join(digits)


# ------------------------------------------------------- header families
# Each returns (header text, items) or (header text, items, data bytes):
# the header is about `size` bytes; items is what the header repeats.


def fam_zero_size_tensors(size):
    # Zero-size tensors in object form, all at offset 0 (scripts/make-worst-case-header.py).
    return _fill("{", lambda i: '"t%08d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}' % i, ",", "}", size)


def fam_array_form_entries(size):
    # The shortest entry the reference accepts, "%x":["U8",[0],[0,0]] (306 each).
    return _fill("{", lambda i: '"%x":["U8",[0],[0,0]]' % i, ",", "}", size)


def fam_short_names_array_form(size):
    # The shortest distinct names: the most entries a header can hold.
    return _fill("{", lambda i: '"%s":["U8",[0],[0,0]]' % short_key(i), ",", "}", size)


def fam_repeated_tensor_name(size):
    # One name, "a", in array form, repeated (311 and 306 each; the last wins).
    return _fill("{", '"a":["U8",[0],[0,0]]', ",", "}", size)


def fam_repeated_tensor_name_objects(size):
    # One name repeated, in object form.
    return _fill("{", '"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}', ",", "}", size)


def fam_escaped_names(size):
    # Distinct names whose first character is escaped (\u0074...).
    return _fill("{", lambda i: '"\\u0074%x":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}' % i, ",", "}", size)


def fam_escaped_repeated_names(size):
    # One decoded name ("a") written escaped: duplicates found only after decoding.
    return _fill("{", '"\\u0061":["U8",[0],[0,0]]', ",", "}", size)


def fam_long_names_common_prefix(size):
    # Distinct 4,000-byte names that differ in their last bytes.
    stem = "p" * 3990
    return _fill("{", lambda i: '"%s%08x":["U8",[0],[0,0]]' % (stem, i), ",", "}", size)


def fam_unknown_field_every_entry(size):
    # An unknown field in every entry (308 each): no entry is plain.
    return _fill("{", lambda i: '"t%x":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"u":0}' % i, ",", "}", size)


def fam_dtype_object_form(size):
    # Every dtype written {"U8":null} (314 each).
    return _fill("{", lambda i: '"t%x":{"dtype":{"U8":null},"shape":[0],"data_offsets":[0,0]}' % i, ",", "}", size)


def fam_duplicate_fields(size):
    # One entry whose dtype field repeats (309 for each repeat).
    return _fill('{"t":{', '"dtype":"U8"', ",", ',"shape":[0],"data_offsets":[0,0]}}', size)


def fam_duplicate_shape_fields(size):
    # One entry whose shape field repeats.
    return _fill('{"t":{"dtype":"U8","data_offsets":[0,0],', '"shape":[0]', ",", "}}", size)


def fam_tiled_tensors(size):
    # Tensors that really tile a data section, one byte each (the file holds the data).
    header, n = _fill("{", lambda i: '"t%x":{"dtype":"U8","shape":[1],"data_offsets":[%d,%d]}' % (i, i, i + 1), ",", "}", size)
    return header, n, n


def fam_reversed_tiled_tensors(size):
    # The same tiling with names and offsets in opposite orders.
    _, n = _fill("{", lambda i: '"t%x":{"dtype":"U8","shape":[1],"data_offsets":[%d,%d]}' % (i, i, i + 1), ",", "}", size)
    body = ",".join('"t%x":{"dtype":"U8","shape":[1],"data_offsets":[%d,%d]}' % (i, n - i - 1, n - i)
                    for i in range(n))
    return "{" + body + "}", n, n


def fam_overlapping_tensors(size):
    # Every tensor over the same byte (603 for each, capped).
    header, n = _fill("{", lambda i: '"t%x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}' % i, ",", "}", size)
    return header, n, 1


def fam_repeated_metadata_keys(size):
    # One __metadata__ key repeated (312 each): the review's 29-second case.
    return _fill('{"__metadata__":{', '"k":"v"', ",", "}," + VALID + "}", size)


def fam_shortest_metadata_members(size):
    # The shortest member an object can hold, `"":0` (a value that is not a
    # string: an error, still read): the most keys a text of this size has.
    return _fill('{"__metadata__":{', '"":0', ",", "}," + VALID + "}", size)


def fam_distinct_metadata_keys(size):
    # Distinct __metadata__ keys.
    return _fill('{"__metadata__":{', lambda i: '"%x":"v"' % i, ",", "}," + VALID + "}", size)


def fam_escaped_metadata_keys(size):
    # One __metadata__ key written escaped (\u006b), repeated: equal only after decoding.
    return _fill('{"__metadata__":{', '"\\u006b":"v"', ",", "}," + VALID + "}", size)


def fam_escaped_distinct_metadata_keys(size):
    # Distinct escaped __metadata__ keys.
    return _fill('{"__metadata__":{', lambda i: '"\\u006b%x":"v"' % i, ",", "}," + VALID + "}", size)


def fam_metadata_keys_common_prefix(size):
    # Distinct 4,000-byte keys that differ in their last bytes: the sort compares whole keys.
    stem = "k" * 3990
    return _fill('{"__metadata__":{', lambda i: '"%s%08x":"v"' % (stem, i), ",", "}," + VALID + "}", size)


def fam_metadata_control_values(size):
    # Every value holds a control character (323 under each policy's action).
    return _fill('{"__metadata__":{', lambda i: '"%x":"\\u0001"' % i, ",", "}," + VALID + "}", size)


def fam_metadata_nested_values(size):
    # Metadata values nested to depth 127 (metadata object at 2, value from 3): 325 each.
    depth = 125
    item = "[" * depth + "]" * depth
    return _fill('{"__metadata__":{', lambda i: '"%x":%s' % (i, item), ",", "}," + VALID + "}", size)


def fam_metadata_fanout_object(size):
    # One metadata value that is an object of many members (325, and all of it read).
    return _fill('{"__metadata__":{"k":{', lambda i: '"%x":"v"' % i, ",", "}}," + VALID + "}", size)


def fam_long_shape(size):
    # One shape of millions of 1s (605: it does not match data_offsets).
    return _fill('{"t":{"dtype":"U8","data_offsets":[0,1],"shape":[', "1", ",", "]}}", size)


def fam_long_shape_rejected_by_rank(size):
    # Under default, a rank past 64; under compat a long shape that overflows.
    return _fill('{"t":{"dtype":"U8","data_offsets":[0,1],"shape":[', "4294967296", ",", "]}}", size)


def fam_long_data_offsets(size):
    # data_offsets with millions of items (the reference wants two: 303).
    return _fill('{"t":{"dtype":"U8","shape":[0],"data_offsets":[', "0", ",", "]}}", size)


def fam_unknown_field_array(size):
    # An unknown field holding an array of millions of 0s.
    return _fill("{" + ENTRY + '"x":[', "0", ",", "]}}", size)


def fam_unknown_field_objects(size):
    # An unknown field holding an object of members [{}].
    return _fill("{" + ENTRY + '"x":{', lambda i: '"%x":[{}]' % i, ",", "}}}", size)


def fam_nested_arrays(size):
    # Arrays nested 120 deep, repeated.
    item = "[" * 120 + "]" * 120
    return _fill("{" + ENTRY + '"x":[', item, ",", "]}}", size)


def fam_nested_arrays_127(size):
    # Arrays nested to depth 127, the most compat accepts, repeated.
    d = DEPTH_UNDER_IGNORED_FIELD
    return _fill("{" + ENTRY + '"x":[', "[" * d + "]" * d, ",", "]}}", size)


def fam_nested_objects_127(size):
    # Objects nested to depth 127 ({"a":{"a":...}}), repeated.
    d = DEPTH_UNDER_IGNORED_FIELD
    return _fill("{" + ENTRY + '"x":[', '{"a":' * (d - 1) + "{}" + "}" * (d - 1), ",", "]}}", size)


def fam_invalid_entries_nested(size):
    # Tensor entries that are arrays nested to depth 127 (302 each, all of it read).
    d = 126
    return _fill("{", lambda i: '"t%x":%s' % (i, "[" * d + "]" * d), ",", "}", size)


def fam_floats_in_ignored_field(size):
    # The largest f64, repeated in an unknown field.
    return _fill("{" + ENTRY + '"x":[', "1.7976931348623157e308", ",", "]}}", size)


def fam_wide_integers_in_ignored_field(size):
    # 10^300 (an integer read as an f64), repeated in an unknown field.
    return _fill("{" + ENTRY + '"x":[', "1" + "0" * 300, ",", "]}}", size)


def fam_mixed_numbers_in_ignored_field(size):
    # Every kind of number serde_json reads: zero, -0, negatives, u64, past u64,
    # past i64, fractions, exponents of both signs, subnormal and tiny.
    kinds = ["0", "-0", "-1", "18446744073709551615", "18446744073709551616",
             "-9223372036854775809", "0.1", "-2.5E+300", "1e-320", "4.9e-324",
             "123456789012345678901234567890e-10", "1E0", "-0.0e-0"]
    return _fill("{" + ENTRY + '"x":[', ",".join(kinds), ",", "]}}", size)


def fam_long_fraction_number(size):
    # One number of n digits after the point (accepted: it rounds).
    n = max(1, size - len(ENTRY) - 20)
    return "{" + ENTRY + '"x":0.' + "1" * n + "}}", n


def fam_long_integer_number(size):
    # One integer of n digits (an f64 past its range: 208, after reading it all).
    n = max(1, size - len(ENTRY) - 20)
    return "{" + ENTRY + '"x":' + "9" * n + "}}", n


def fam_long_exponent_number(size):
    # 1e-000...0001: an exponent of n digits (serde_json reads the exponent's digits).
    n = max(1, size - len(ENTRY) - 20)
    return "{" + ENTRY + '"x":1e-' + "0" * (n - 1) + "1}}", n


def fam_long_name(size):
    # One tensor whose name is all DEL bytes (legal raw in JSON).
    n = max(1, size - len(tensor("", 0, 0)) - 2)
    return "{" + tensor("\x7f" * n, 0, 0) + "}", n


def fam_long_escaped_name(size):
    # One tensor name of n/6 escaped DEL characters (\u007f).
    n = max(1, (size - len(tensor("", 0, 0)) - 2) // 6)
    return "{" + tensor("\\u007f" * n, 0, 0) + "}", n


def fam_long_dtype_string(size):
    # An unknown dtype of n bytes (501; the message keeps 80).
    n = max(1, size - 60)
    return '{"t":{"dtype":"' + "X" * n + '","shape":[0],"data_offsets":[0,0]}}', n


def fam_long_metadata_value(size):
    # One __metadata__ value of n bytes.
    n = max(1, size - 40 - len(VALID))
    return '{"__metadata__":{"k":"' + "v" * n + '"},' + VALID + "}", n


def fam_escaped_metadata_value(size):
    # One __metadata__ value of n/6 escapes (\u0076).
    n = max(1, (size - 40 - len(VALID)) // 6)
    return '{"__metadata__":{"k":"' + "\\u0076" * n + '"},' + VALID + "}", n


def fam_surrogate_pairs_metadata_value(size):
    # Escaped surrogate pairs (U+1F600), 12 bytes of text each.
    n = max(1, (size - 40 - len(VALID)) // 12)
    return '{"__metadata__":{"k":"' + "\\ud83d\\ude00" * n + '"},' + VALID + "}", n


def fam_long_escaped_metadata_key(size):
    # One __metadata__ key of n/6 escapes.
    n = max(1, (size - 40 - len(VALID)) // 6)
    return '{"__metadata__":{"' + "\\u006b" * n + '":"v"},' + VALID + "}", n


def fam_long_escaped_ignored_string(size):
    # An ignored field's string of short escapes.
    n = max(1, (size - len(ENTRY) - 20) // 2)
    return "{" + ENTRY + '"x":"' + "\\n" * n + '"}}', n


def fam_trailing_padding(size):
    # A valid header padded with spaces (writers pad to 8 bytes; this pads 100 MB).
    n = max(0, size - len(VALID) - 2)
    return "{" + VALID + "}" + " " * n, n


def fam_leading_whitespace(size):
    # n newlines before the JSON (203).
    n = max(0, size - len(VALID) - 2)
    return "\n" * n + "{" + VALID + "}", n


def fam_whitespace_between_members(size):
    # Members separated by 1,000 bytes of whitespace each.
    gap = " \n\t\r" * 250
    return _fill("{", lambda i: tensor("t%x" % i), "," + gap, "}", size)


HEADER_FAMILIES = {name[4:]: fn for name, fn in sorted(globals().items()) if name.startswith("fam_")}
# The name families.py kept before the other kinds came.
FAMILIES = HEADER_FAMILIES


def header_of(family, size):
    result = HEADER_FAMILIES[family](size)
    header, items = result[0], result[1]
    data = result[2] if len(result) > 2 else 0
    return header.encode("utf-8"), items, data


def write_safetensors(path, header, data_bytes=0):
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        if data_bytes:
            f.write(b"\0" * data_bytes)


def write(family, size, out):
    header, n, data = header_of(family, size)
    write_safetensors(out, header, data)
    return n


# ---------------------------------------------------------- every kind


@dataclass
class Case:
    """One input, built: how to run `stguard check` on it."""
    args: list  # paths after the options
    items: int  # what the input repeats, at this size
    stdin: str = ""  # a file to feed through a pipe to standard input ("" = none)
    flags: list = field(default_factory=list)  # options beyond --policy and --format


@dataclass
class Family:
    name: str
    kind: str  # header, stdin, index, dir, pickle, jobs, report
    unit: str  # what n counts: "bytes", "files", "levels"
    limit: int  # 16n
    build: Callable  # build(n, directory) -> Case
    doc: str
    item: str = "item"  # what Case.items counts
    policies: tuple = ("compat", "default")
    fmt: str = "json"


def _doc(fn):
    return " ".join((fn.__doc__ or "").split()) or _comment_of(fn)


def _comment_of(fn):
    # The comment lines right above a header family's body, as its description.
    import inspect
    try:
        lines = inspect.getsource(fn).splitlines()[1:]
    except OSError:
        return ""
    out = []
    for line in lines:
        s = line.strip()
        if not s.startswith("#"):
            break
        out.append(s.lstrip("# "))
    return " ".join(out)


def _header_case(family, deep=False, stdin=False):
    def build(n, directory):
        path = os.path.join(directory, "h.safetensors")
        items = write(family, n, path)
        flags = ["--deep"] if deep else []
        if stdin:
            return Case(["-"], items, stdin=path, flags=flags)
        return Case([path], items, flags=flags)
    return build


def _tiny_shard(path, names=("t0",)):
    header = "{" + ",".join(tensor(n) for n in names) + "}"
    write_safetensors(path, header.encode())


def _write_index(directory, body, name="model.safetensors.index.json"):
    with open(os.path.join(directory, name), "w", encoding="utf-8") as f:
        f.write(body)


def _big_shard(path):
    """The shard the fan-out families share: a 20 MB header of zero-size tensors."""
    return write("zero_size_tensors", SHARD_HEADER_BYTES, path)


# index families growing in bytes: the index text is about n bytes.

def idx_distinct_keys_one_shard(n, directory):
    """A 100 MB index of distinct tensor names, every one put in one tiny shard
    ({"weight_map":{"t0":"s.safetensors",...}}): 806 for all but one (capped)."""
    body, items = _fill('{"weight_map":{', lambda i: '"t%d":"s.safetensors"' % i, ",", "}}", n)
    _write_index(directory, body)
    _tiny_shard(os.path.join(directory, "s.safetensors"))
    return Case([directory], items)


def idx_duplicate_keys(n, directory):
    """One weight_map key repeated ("a":"s"): the most entries an index can hold (803 each)."""
    body, items = _fill('{"weight_map":{', '"a":"s"', ",", "}}", n)
    _write_index(directory, body)
    _tiny_shard(os.path.join(directory, "s"), ("a",))
    return Case([directory], items)


def idx_short_distinct_keys(n, directory):
    """The shortest distinct keys (1-4 printable bytes) to a shard named "s"."""
    body, items = _fill('{"weight_map":{', lambda i: '"%s":"s"' % short_key(i), ",", "}}", n)
    _write_index(directory, body)
    _tiny_shard(os.path.join(directory, "s"), ("!",))
    return Case([directory], items)


def idx_escaped_duplicate_keys(n, directory):
    """One key written escaped ("\\u0061"), repeated: names compared after decoding."""
    body, items = _fill('{"weight_map":{', '"\\u0061":"s"', ",", "}}", n)
    _write_index(directory, body)
    _tiny_shard(os.path.join(directory, "s"), ("a",))
    return Case([directory], items)


def idx_missing_shards(n, directory):
    """Entries naming distinct shard files that do not exist (805 each, capped; past
    65,536 names, 904)."""
    body, items = _fill('{"weight_map":{', lambda i: '"t%d":"m%d.safetensors"' % (i, i), ",", "}}", n)
    _write_index(directory, body)
    return Case([directory], items)


def idx_big_metadata(n, directory):
    """An index whose metadata object holds n bytes of distinct keys."""
    body, items = _fill('{"metadata":{', lambda i: '"%x":0' % i, ",", '},"weight_map":{"t0":"s.safetensors"}}', n)
    _write_index(directory, body)
    _tiny_shard(os.path.join(directory, "s.safetensors"))
    return Case([directory], items)


def idx_nested_ignored_values(n, directory):
    """Top-level keys the index does not use, each an array nested to depth 127."""
    d = 126
    body, items = _fill("{", lambda i: '"x%x":%s' % (i, "[" * d + "]" * d), ",",
                        ',"weight_map":{"t0":"s.safetensors"}}', n)
    _write_index(directory, body)
    _tiny_shard(os.path.join(directory, "s.safetensors"))
    return Case([directory], items)


# index families growing in files.

def idx_one_tensor_many_shards(n, directory):
    """One tensor name repeated in weight_map, each time for another shard, every
    shard holding it: {"t":"s0.safetensors","t":"s1.safetensors",...}."""
    entries = []
    for i in range(n):
        _tiny_shard(os.path.join(directory, "s%d.safetensors" % i), ("t",))
        entries.append('"t":"s%d.safetensors"' % i)
    _write_index(directory, '{"weight_map":{' + ",".join(entries) + "}}")
    return Case([directory], n)


def idx_many_tiny_shards(n, directory):
    """An index naming n distinct shards, each holding its one tensor."""
    entries = []
    for i in range(n):
        _tiny_shard(os.path.join(directory, "s%d.safetensors" % i), ("t%d" % i,))
        entries.append('"t%d":"s%d.safetensors"' % (i, i))
    _write_index(directory, '{"weight_map":{' + ",".join(entries) + "}}")
    return Case([directory], n)


def idx_symlinks_to_big_shard(n, directory):
    """n symlinks to one shard with a 20 MB header, each named in the index (the
    review's 200-symlink case, grown): the shard must be validated once."""
    tensors = _big_shard(os.path.join(directory, "s.safetensors"))
    entries = []
    for i in range(n):
        os.symlink("s.safetensors", os.path.join(directory, "l%d.safetensors" % i))
        entries.append('"t%08d":"l%d.safetensors"' % (i % tensors, i))
    _write_index(directory, '{"weight_map":{' + ",".join(entries) + "}}")
    return Case([directory], n)


def idx_many_indexes_one_shard(n, directory):
    """n indexes that each name one shard with a 20 MB header (read by 16 at most, then 904)."""
    _big_shard(os.path.join(directory, "s.safetensors"))
    for i in range(n):
        _write_index(directory, '{"weight_map":{"t00000000":"s.safetensors"}}',
                     name="m%d.safetensors.index.json" % i)
    return Case([directory], n)


# directory families.

def dir_many_small_files(n, directory):
    """n small safetensors files in one directory."""
    for i in range(n):
        _tiny_shard(os.path.join(directory, "f%d.safetensors" % i), ("t%d" % i,))
    return Case([directory], n)


def dir_symlinks_to_one_file(n, directory):
    """n symlinks to one file with a 20 MB header (validated once)."""
    _big_shard(os.path.join(directory, "s.safetensors"))
    for i in range(n):
        os.symlink("s.safetensors", os.path.join(directory, "l%d.safetensors" % i))
    return Case([directory], n)


def dir_hardlinks_to_one_file(n, directory):
    """n hard links to one file with a 20 MB header (validated once)."""
    target = os.path.join(directory, "s.safetensors")
    _big_shard(target)
    for i in range(n):
        os.link(target, os.path.join(directory, "l%d.safetensors" % i))
    return Case([directory], n)


def dir_deep_chain(n, directory):
    """A chain of n nested directories, one small file at each level (as deep as
    PATH_MAX lets a path name the last file)."""
    n = min(n, (4095 - len(os.path.abspath(directory)) - len("/f.safetensors")) // 2)
    d = directory
    for i in range(n):
        _tiny_shard(os.path.join(d, "f.safetensors"), ("t%d" % i,))
        d = os.path.join(d, "d")
        os.mkdir(d)
    return Case([directory], n)


def dir_many_subdirs(n, directory):
    """n sibling directories, one small file in each."""
    for i in range(n):
        d = os.path.join(directory, "d%d" % i)
        os.mkdir(d)
        _tiny_shard(os.path.join(d, "f.safetensors"), ("t%d" % i,))
    return Case([directory], n)


PICKLE_REBUILD = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nq\x00)\x81q\x01."
PICKLE_EXPLOIT = b"cos\nsystem\n(S'echo hi'\ntR."


def dir_many_pickles(n, directory):
    """n pickles (*.bin), alternately a tensor-rebuild one (107) and an exploit (106)."""
    for i in range(n):
        with open(os.path.join(directory, "p%d.bin" % i), "wb") as f:
            f.write(PICKLE_REBUILD if i % 2 == 0 else PICKLE_EXPLOIT)
    _tiny_shard(os.path.join(directory, "model.safetensors"))
    return Case([directory], n)


def dir_many_config_files(n, directory):
    """n config files (*.json, skipped by name) beside one model."""
    for i in range(n):
        with open(os.path.join(directory, "c%d.json" % i), "w") as f:
            f.write('{"hidden_size": %d}\n' % i)
    _tiny_shard(os.path.join(directory, "model.safetensors"))
    return Case([directory], n)


def dir_many_unnamed_files(n, directory):
    """n files of no known name (judged by their first bytes: 1 KiB of text each)."""
    text = b"x" * 1024
    for i in range(n):
        with open(os.path.join(directory, "f%d" % i), "wb") as f:
            f.write(text)
    _tiny_shard(os.path.join(directory, "model.safetensors"))
    return Case([directory], n)


# single pickles growing in bytes (a directory scan judges them as model files).

def _pickle_file(directory, body):
    path = os.path.join(directory, "p.bin")
    with open(path, "wb") as f:
        f.write(b"\x80\x04" + body + b".")
    return path


def pkl_distinct_globals(n, directory):
    """One pickle importing n bytes of distinct globals (GLOBAL, POP)."""
    body, items = _fill("", lambda i: "cm%x\nf\n0" % i, "", "", n)
    return Case([_pickle_file(directory, body.encode())], items)


def pkl_memo_puts(n, directory):
    """One pickle that memoizes an empty tuple over and over (memo past its 2^18 cap)."""
    body, items = _fill("", ")\x940", "", "", n)
    return Case([_pickle_file(directory, body.encode("latin-1"))], items)


def pkl_marks(n, directory):
    """One pickle of MARK opcodes (the stack past its 2^16 cap)."""
    body, items = _fill("", "(", "", "", n)
    return Case([_pickle_file(directory, body.encode())], items)


# --jobs 4 over four big files, and the report's size.

WORST_HEADER_FAMILY = "repeated_tensor_name"  # the highest peak at 100 MB (reports/resources.md)


def jobs4_worst_case(n, directory):
    """Four files with n-byte headers of the worst family for memory, under --jobs 4."""
    paths = []
    items = 0
    for i in range(4):
        path = os.path.join(directory, "f%d.safetensors" % i)
        items += write(WORST_HEADER_FAMILY, n, path)
        paths.append(path)
    return Case(paths, items, flags=["--jobs", "4"])


def report_deep_long_name(n, directory):
    """--deep --format json on a tensor named by n DEL bytes (each 6 bytes escaped in JSON)."""
    path = os.path.join(directory, "h.safetensors")
    items = write("long_name", n, path)
    return Case([path], items, flags=["--deep"])


def report_deep_many_tensors(n, directory):
    """--deep --format json on a header of zero-size tensors: the manifest lists each."""
    path = os.path.join(directory, "h.safetensors")
    items = write("zero_size_tensors", n, path)
    return Case([path], items, flags=["--deep"])


def report_sarif_many_files(n, directory):
    """--format sarif over n small rejected files."""
    for i in range(n):
        write_safetensors(os.path.join(directory, "f%d.safetensors" % i), b'{"t":1}')
    return Case([directory], n)


def _all_families():
    out = []
    for name, fn in HEADER_FAMILIES.items():
        doc = _comment_of(fn)
        out.append(Family(name, "header", "bytes", LIMIT, _header_case(name), doc))
    # Standard input: the same headers through a pipe. What stdin adds (the
    # bytes it keeps) does not depend on the policy: compat only.
    for name, fn in HEADER_FAMILIES.items():
        out.append(Family("stdin_" + name, "stdin", "bytes", LIMIT, _header_case(name, stdin=True),
                          "the header family %s on standard input (check -)" % name,
                          policies=("compat",)))
    out.append(Family("stdin_deep_zero_size_tensors", "stdin", "bytes", LIMIT,
                      _header_case("zero_size_tensors", deep=True, stdin=True),
                      "zero_size_tensors on standard input with --deep (the stream plans its scan)",
                      item="tensor", policies=("compat",)))
    for fn in (idx_distinct_keys_one_shard, idx_duplicate_keys, idx_short_distinct_keys,
               idx_escaped_duplicate_keys, idx_missing_shards, idx_big_metadata,
               idx_nested_ignored_values):
        out.append(Family("index_" + fn.__name__[4:], "index", "bytes", LIMIT, fn,
                          _doc(fn), item="entry"))
    for fn in (idx_one_tensor_many_shards, idx_many_tiny_shards, idx_symlinks_to_big_shard,
               idx_many_indexes_one_shard):
        out.append(Family("index_" + fn.__name__[4:], "index", "files", FILE_COUNT_LIMIT, fn,
                          _doc(fn), item="file"))
    # ext4 allows 65,000 links to a file.
    out.append(Family("dir_hardlinks_to_one_file", "dir", "files", 64000, dir_hardlinks_to_one_file,
                      _doc(dir_hardlinks_to_one_file), item="file"))
    for fn in (dir_many_small_files, dir_symlinks_to_one_file,
               dir_many_subdirs, dir_many_pickles, dir_many_config_files, dir_many_unnamed_files):
        out.append(Family(fn.__name__, "dir", "files", FILE_COUNT_LIMIT, fn, _doc(fn), item="file"))
    out.append(Family("dir_deep_chain", "dir", "levels", DEPTH_LIMIT, dir_deep_chain,
                      _doc(dir_deep_chain), item="level"))
    for fn in (pkl_distinct_globals, pkl_memo_puts, pkl_marks):
        out.append(Family("pickle_" + fn.__name__[4:], "pickle", "bytes", LIMIT, fn, _doc(fn),
                          item="opcode"))
    out.append(Family("jobs4_worst_case", "jobs", "bytes", LIMIT, jobs4_worst_case,
                      _doc(jobs4_worst_case), item="entry"))
    out.append(Family("report_deep_long_name", "report", "bytes", LIMIT, report_deep_long_name,
                      _doc(report_deep_long_name), item="byte", policies=("compat",)))
    out.append(Family("report_deep_many_tensors", "report", "bytes", LIMIT,
                      report_deep_many_tensors, _doc(report_deep_many_tensors), item="tensor",
                      policies=("compat",)))
    out.append(Family("report_sarif_many_files", "report", "files", FILE_COUNT_LIMIT,
                      report_sarif_many_files, _doc(report_sarif_many_files), item="file",
                      policies=("compat",), fmt="sarif"))
    return {f.name: f for f in out}


ALL = _all_families()


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "list":
        for f in ALL.values():
            print("%-42s %-7s %-7s %d" % (f.name, f.kind, f.unit, f.limit))
        return
    if len(sys.argv) == 5 and sys.argv[1] == "build":
        case = ALL[sys.argv[2]].build(int(sys.argv[3]), sys.argv[4])
        print(json.dumps(case.__dict__))
        return
    if len(sys.argv) == 5 and sys.argv[1] == "write":
        print(write(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
