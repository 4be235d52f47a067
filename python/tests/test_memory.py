"""Peak memory of the binding at the size limit: a 100,000,000-byte worst-case
header (tests/complexity/families.py, the family with the highest peak in
tests/complexity/memory_test.py) checked through stguard.check from a path,
from bytes and from a file object without a descriptor (the callback
stream). The ceiling is the CLI's for the same header (300 MB) plus what
the input itself occupies in the process (the bytes, for check(bytes)) and
the interpreter (50 MB): the binding adds no copy of its own. Each check
runs in a fresh interpreter so that its peak RSS (VmHWM) is its own."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO

MB = 1_000_000
CLI_CEILING = 300 * MB  # tests/complexity/memory_test.py HEADER_CEILING
INTERPRETER = 50 * MB
LIMIT = 100_000_000

PROBE = r"""
import io, sys
import stguard
path, how = sys.argv[1], sys.argv[2]
if how == "path":
    report = stguard.check(path, policy="compat")
elif how == "bytes":
    with open(path, "rb") as f:
        data = f.read()
    report = stguard.check(data, policy="compat")
else:  # a file object with no descriptor: read through the callback
    class Reader(io.RawIOBase):
        def __init__(self, f):
            self.f = f
        def readable(self):
            return True
        def readinto(self, b):
            return self.f.readinto(b)
    with open(path, "rb") as f:
        report = stguard.check(io.BufferedReader(Reader(f)), policy="compat")
# VmHWM, not ru_maxrss: after fork and exec, ru_maxrss still holds the
# parent's resident size at the fork (pytest's, with torch loaded).
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
print(report.verdict, len(report.findings), hwm)
"""


@pytest.fixture(scope="module")
def worst_header(tmp_path_factory):
    sys.path.insert(0, os.path.join(REPO, "tests", "complexity"))
    import families
    path = str(tmp_path_factory.mktemp("memory") / "h.safetensors")
    families.write("repeated_tensor_name", LIMIT, path)
    yield path
    os.unlink(path)


@pytest.mark.parametrize("how,extra", [("path", 0), ("bytes", LIMIT + 8), ("stream", 0)])
def test_peak_memory_at_the_header_limit(worst_header, how, extra):
    run = subprocess.run([sys.executable, "-c", PROBE, worst_header, how],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    verdict, findings, max_rss_kib = run.stdout.split()
    peak = int(max_rss_kib) * 1024
    ceiling = CLI_CEILING + INTERPRETER + extra
    print(f"{how}: {verdict}, {findings} findings, peak {peak / MB:.1f} MB "
          f"(ceiling {ceiling / MB:.0f} MB)")
    assert peak <= ceiling, f"{how}: peak RSS {peak / MB:.1f} MB over {ceiling / MB:.0f} MB"
