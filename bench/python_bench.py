#!/usr/bin/env python3
"""Benchmarks of the Python package (not timed tests; figures go to
reports/performance.md, section "Python", by hand).

1. Python overhead on the 100k-tensor header (bench_main.cc's "real" family:
   transformer-like names, BF16 [4,4], contiguous offsets; 13.5 MB file),
   validated in memory with policy default, header only:
     c       a C program calling stguard_validate_buffer_ex + stguard_report_free
             in a loop (compiled here with cc against the same library)
     ctypes  the same two calls through ctypes, no wrapper work
     check   stguard.check(bytes): the wrapper (Policy cache, argument checks,
             Report with verdict, sizes and findings read out)
     check+tensors  stguard.check(bytes, tensors=True): also 100k TensorInfo
2. load_file of a 1 GiB file (256 F32 tensors of 4 MiB) against
   numpy.fromfile of the same file, both from the page cache (warmed first),
   load_file(deep=False) (header and layout rules only), load_file with
   framework="torch" (CPU tensors), and load_file's two
   parts: reading into the private buffer, and the validation (value rules
   without hashes, STGUARD_FLAG_VALUE_RULES, + tensor table) of those bytes;
   and, for comparison, the full deep scan of the same buffer (two SHA-256
   streams: what load_file did before the flag).

Each figure is the minimum (and median) over --runs runs, variants
interleaved so that they share the machine's state.

usage: STGUARD_LIBRARY=build/gcc/validator/libstguard.so.0 PYTHONPATH=python \\
         python3 bench/python_bench.py [--runs N] [--gib G] [--dir DIR]
"""
import argparse
import ctypes
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

import stguard
from stguard import _native, _load

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

C_LOOP = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "stguard/stguard.h"
static double now(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9;
}
int main(int argc, char** argv) {
  FILE* f = fopen(argv[1], "rb"); int runs = atoi(argv[2]);
  fseek(f, 0, SEEK_END); long size = ftell(f); fseek(f, 0, SEEK_SET);
  char* data = malloc(size); if (fread(data, 1, size, f) != (size_t)size) return 2; fclose(f);
  stguard_policy* policy; if (stguard_policy_builtin("default", &policy)) return 2;
  for (int i = 0; i < runs; ++i) {
    stguard_report* report; double t0 = now();
    if (stguard_validate_buffer_ex(policy, data, size, 0, &report)) return 2;
    stguard_report_free(report);
    printf("%.9f\n", now() - t0);
  }
  stguard_policy_free(policy); free(data); return 0;
}
"""


def real_header_file(tensors: int) -> bytes:
    parts = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
             "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm"]
    size = 4 * 4 * 2
    entries = ['{"__metadata__":{"format":"pt"}']
    for i in range(tensors):
        entries.append(',"model.layers.%d.%s.weight":{"dtype":"BF16","shape":[4,4],'
                       '"data_offsets":[%d,%d]}' % (i // 8, parts[i % 8], i * size, (i + 1) * size))
    header = ("".join(entries) + "}").encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + bytes(tensors * size)


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def summary(name, times, base=None):
    lo, med = min(times), statistics.median(times)
    ratio = f"  {lo / base:.3f}x" if base else ""
    print(f"  {name:<22} min {lo * 1e3:9.2f} ms  median {med * 1e3:9.2f} ms{ratio}")
    return lo


def header_overhead(runs: int, work: str) -> None:
    blob = real_header_file(100_000)
    path = os.path.join(work, "real-100k.safetensors")
    with open(path, "wb") as f:
        f.write(blob)
    print(f"100k-tensor header: file {len(blob)} bytes, header "
          f"{struct.unpack('<Q', blob[:8])[0]} bytes")
    exe = os.path.join(work, "capi_loop")
    src = exe + ".c"
    with open(src, "w") as f:
        f.write(C_LOOP)
    library = _native.library_path
    subprocess.run(["cc", "-O2", "-o", exe, src, "-I", os.path.join(ROOT, "validator", "include"),
                    library, f"-Wl,-rpath,{os.path.dirname(library)}"], check=True)
    c_times = [float(x) for x in subprocess.run(
        [exe, path, str(runs)], check=True, capture_output=True, text=True).stdout.split()]

    lib = _native.lib
    policy = stguard.Policy.builtin("default")
    address = ctypes.cast(ctypes.c_char_p(blob), ctypes.c_void_p)
    out = ctypes.c_void_p()

    def raw():
        if lib.stguard_validate_buffer_ex(policy.handle, address, len(blob), 0,
                                          ctypes.byref(out)):
            raise RuntimeError(_native.last_error())
        lib.stguard_report_free(out)

    variants = {"ctypes": raw, "check": lambda: stguard.check(blob).close(),
                "check+tensors": lambda: stguard.check(blob, tensors=True).close()}
    times = {name: [] for name in variants}
    for _ in range(runs):
        for name, fn in variants.items():
            times[name].append(timed(fn))
    base = summary("c", c_times)
    for name in variants:
        summary(name, times[name], base)


def write_big(path: str, gib: float) -> int:
    tensor_bytes = 4 << 20
    count = int(gib * (1 << 30)) // tensor_bytes
    header = {}
    for i in range(count):
        header[f"layer.{i}.weight"] = {"dtype": "F32", "shape": [1024, 1024],
                                       "data_offsets": [i * tensor_bytes, (i + 1) * tensor_bytes]}
    import json
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    chunk = np.linspace(-1, 1, tensor_bytes // 4, dtype="<f4").tobytes()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for _ in range(count):
            f.write(chunk)
    return os.path.getsize(path)


def load_vs_fromfile(runs: int, work: str, gib: float) -> None:
    path = os.path.join(work, "big.safetensors")
    size = write_big(path, gib)
    print(f"load_file: {size} bytes, {size >> 22} F32 tensors of 4 MiB (page cache warm)")
    import torch  # imported before the timing
    print(f"torch {torch.__version__}")
    np.fromfile(path, dtype=np.uint8)  # warm the page cache
    pol = stguard.Policy.builtin("default")
    state = {}

    def read_only():
        state["buf"] = _load._read_private(os.fsencode(path))

    def validate_only():
        _load._validate_buffer(state["buf"], pol).close()

    def deep_scan_only():
        stguard.check(memoryview(state.pop("buf")), policy=pol, deep=True).close()

    variants = {"fromfile": lambda: np.fromfile(path, dtype=np.uint8),
                "load_file": lambda: stguard.load_file(path),
                "load_file deep=False": lambda: stguard.load_file(path, deep=False),
                "load_file torch": lambda: stguard.load_file(path, framework="torch"),
                "  read part": read_only, "  validate part": validate_only,
                "  deep scan of the buffer (hashes)": deep_scan_only}
    times = {name: [] for name in variants}
    for _ in range(runs):
        for name, fn in variants.items():
            times[name].append(timed(fn))
    base = summary("fromfile", times.pop("fromfile"))
    for name, t in times.items():
        summary(name, t, base)
    os.unlink(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    print(f"library {_native.library_path}; python {sys.version.split()[0]}; "
          f"numpy {np.__version__}; {os.cpu_count()} cpus; load {os.getloadavg()}")
    with tempfile.TemporaryDirectory(dir=args.dir) as work:
        header_overhead(args.runs, work)
        load_vs_fromfile(max(3, args.runs // 3), work, args.gib)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
