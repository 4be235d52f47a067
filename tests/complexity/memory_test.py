#!/usr/bin/env python3
"""Memory ceilings (ctest `memory_test`, label `memory`): the peak RSS of the
stguard CLI on the worst case of each family of hostile input, at the limit.

Time is never asserted here (tests/complexity/run reports it); memory is,
because a gatekeeper that can be made to take gigabytes is a gatekeeper an
upload can take down. Each check builds its input in a temporary directory
(generated, never committed), runs the CLI once under --policy compat (the
largest limits; default too where it reads the input differently) and
compares its peak RSS with the ceiling:

  a header of 100,000,000 bytes, from a file and from standard input   300 MB
  the same header by range requests (stguard check http://127.0.0.1)    300 MB
    (with --remote: tests/remote/serve.py serves it)
  an index of 100,000,000 bytes (with its shard)                        500 MB
  --jobs 4 over four 100,000,000-byte worst-case headers         4 x 320 MiB
  200 symlinks to a shard with a 20 MB header, each named in the index  300 MB
  --deep --format json on a name of 100 MB of DEL bytes: the report    2 x 100 MB + 1 MiB
    (and the process 300 MB)

The worst families were chosen from reports/resources.md (the highest peak
of each kind); the runner measures all of them. MB = 1,000,000 bytes.

usage: memory_test.py STGUARD [--tmp DIR] [--only NAME,...] [--remote]
Only meaningful without sanitizers (ASan's shadow memory): CMake registers
it only when STGUARD_SANITIZE is OFF.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import families as F  # noqa: E402
from measure import measure  # noqa: E402

MB = 1_000_000
MIB = 1 << 20
LIMIT = F.LIMIT

HEADER_CEILING = 300 * MB
INDEX_CEILING = 500 * MB
JOBS4_CEILING = 4 * 320 * MIB  # four jobs of kPerJobMemoryBytes (stguard/scan.h)
SYMLINKS_CEILING = 300 * MB
# The hardening issue's bound on a report: about twice the header plus a
# constant per finding. DEL is written raw, so a name of DEL bytes costs 1x.
REPORT_BYTES_CEILING = 2 * LIMIT + 1 * MIB
REPORT_RSS_CEILING = 300 * MB

# The families with the highest peak at the limit (reports/resources.md), one
# of each structure: one name repeated (the duplicate resolution), the most
# distinct entries (the largest table), one metadata key repeated (the key
# list), the shortest members (the most keys a 100 MB text holds). The first
# three on standard input too, where they peak highest.
WORST_HEADERS = ["repeated_tensor_name", "short_names_array_form", "repeated_metadata_keys",
                 "shortest_metadata_members"]
WORST_STDIN = WORST_HEADERS[:3]
# The most weight_map entries (12.5 million); index_short_distinct_keys peaks
# the same (the entry table's growth) and takes 8 s more to generate.
WORST_INDEX = ["index_duplicate_keys"]


class Checks:
    def __init__(self, stguard, tmp):
        self.stguard = stguard
        self.tmp = tmp
        self.rows = []
        self.failures = []

    def run(self, name, policy, args, ceiling, stdin=None, flags=(), fmt="json",
            out_ceiling=None):
        cmd = [self.stguard, "check", "--policy", policy, "--format", fmt, *flags, *args]
        m = measure(cmd, stdin, timeout=300)
        what = "%s (%s%s)" % (name, policy, ", stdin" if stdin else "")
        self.rows.append((what, m, ceiling, out_ceiling))
        if m["timeout"] or m["exit"] not in (0, 1):
            self.failures.append("%s: stguard did not finish its work (exit %s%s): %s"
                                 % (what, m["exit"], ", timed out" if m["timeout"] else "",
                                    m["stderr"].strip()))
            return
        if m["peak_rss"] > ceiling:
            self.failures.append("%s: peak RSS %.1f MB (%d bytes) is over the ceiling of %.1f MB"
                                 % (what, m["peak_rss"] / MB, m["peak_rss"], ceiling / MB))
        if out_ceiling is not None and m["out_bytes"] > out_ceiling:
            self.failures.append("%s: the report is %d bytes (%.1f MB), over the ceiling of %d bytes"
                                 % (what, m["out_bytes"], m["out_bytes"] / MB, out_ceiling))

    def fresh_dir(self, name):
        d = os.path.join(self.tmp, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return d


def check_headers(c):
    for family in WORST_HEADERS:
        d = c.fresh_dir("header")
        path = os.path.join(d, "h.safetensors")
        F.write(family, LIMIT, path)
        for policy in ("compat", "default"):
            c.run("100 MB header " + family, policy, [path], HEADER_CEILING)
        if family in WORST_STDIN:
            c.run("100 MB header " + family, "compat", ["-"], HEADER_CEILING, stdin=path)
        shutil.rmtree(d)


def check_remote(c):
    """The remote path holds the header it fetched (a second range request
    for the bytes past the first 64 KiB): the file's ceiling applies."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "remote"))
    from remote_test import Server  # noqa: E402
    for family in WORST_STDIN:
        d = c.fresh_dir("remote")
        F.write(family, LIMIT, os.path.join(d, "h.safetensors"))
        server = Server(d)
        try:
            c.run("100 MB header " + family + ", by range requests", "compat",
                  [server.base + "/files/h.safetensors"], HEADER_CEILING)
            fetched = sum(e.get("bytes", 0) for e in server.entries())
            if fetched > LIMIT + 8 + 65536:
                c.failures.append("remote %s: %d bytes fetched for a header of %d"
                                  % (family, fetched, LIMIT))
        finally:
            server.stop()
        shutil.rmtree(d)


def check_indexes(c):
    for family in WORST_INDEX:
        d = c.fresh_dir("index")
        case = F.ALL[family].build(LIMIT, d)
        for policy in ("compat", "default"):
            c.run("100 MB index " + family, policy, case.args, INDEX_CEILING)
        shutil.rmtree(d)


def check_jobs4(c):
    d = c.fresh_dir("jobs")
    case = F.ALL["jobs4_worst_case"].build(LIMIT, d)
    c.run("--jobs 4, four 100 MB headers " + F.WORST_HEADER_FAMILY, "compat", case.args,
          JOBS4_CEILING, flags=case.flags)
    shutil.rmtree(d)


def check_symlinks(c):
    d = c.fresh_dir("symlinks")
    case = F.ALL["index_symlinks_to_big_shard"].build(200, d)
    for policy in ("compat", "default"):
        c.run("200 symlinks to a 20 MB-header shard in an index", policy, case.args,
              SYMLINKS_CEILING)
    shutil.rmtree(d)


def check_report(c):
    d = c.fresh_dir("report")
    case = F.ALL["report_deep_long_name"].build(LIMIT, d)
    c.run("--deep --format json, a 100 MB DEL name", "compat", case.args, REPORT_RSS_CEILING,
          flags=case.flags, out_ceiling=REPORT_BYTES_CEILING)
    shutil.rmtree(d)


CHECKS = {"headers": check_headers, "indexes": check_indexes, "jobs4": check_jobs4,
          "symlinks": check_symlinks, "report": check_report, "remote": check_remote}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stguard")
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--only", default=None)
    ap.add_argument("--remote", action="store_true",
                    help="stguard was built with STGUARD_REMOTE: check the remote path too")
    args = ap.parse_args()
    if args.only is None:
        args.only = ",".join(name for name in CHECKS if name != "remote" or args.remote)
    start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="stguard-memory-", dir=args.tmp)
    c = Checks(os.path.abspath(args.stguard), tmp)
    try:
        for name in args.only.split(","):
            CHECKS[name](c)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%-62s %10s %10s %12s %8s" % ("case", "peak MB", "ceiling", "report", "CPU s"))
    for what, m, ceiling, out_ceiling in c.rows:
        print("%-62s %10.1f %10.1f %12d %8.2f%s"
              % (what, m["peak_rss"] / MB, ceiling / MB, m["out_bytes"], m["cpu_s"],
                 "  over" if m["peak_rss"] > ceiling or (out_ceiling and m["out_bytes"] > out_ceiling)
                 else ""))
    print("%.0f s" % (time.monotonic() - start))
    if c.failures:
        print("\n%d ceiling(s) failed:" % len(c.failures))
        for f in c.failures:
            print("FAIL " + f)
        sys.exit(1)
    print("every ceiling held")


if __name__ == "__main__":
    main()
