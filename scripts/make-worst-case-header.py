#!/usr/bin/env python3
"""Writes the worst-case safetensors file for header validation: a header of
exactly 100,000,000 bytes (the reference's limit) holding as many zero-size
tensors as fit (about 1.7 million), all at offset 0, then no data.

usage: make-worst-case-header.py OUT [HEADER_BYTES]
"""
import struct
import sys

def main() -> None:
    out = sys.argv[1]
    target = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000_000
    parts = ["{"]
    size = 1
    i = 0
    while True:
        entry = '"t%07d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}' % i
        extra = len(entry) + (1 if i else 0)
        if size + extra + 1 > target:
            break
        parts.append(("," if i else "") + entry)
        size += extra
        i += 1
    parts.append("}")
    header = "".join(parts).encode()
    header += b" " * (target - len(header))
    assert len(header) == target
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
    print(f"{out}: {i} zero-size tensors, header {len(header)} bytes")

if __name__ == "__main__":
    main()
