#!/usr/bin/env python3
"""The pickle walker's imports against CPython's own unpickler.

  pickle_differential_test.py STGUARD_CLI [--cases N] [--seed S]

Generates protocol-4 pickles that juggle str values through the memo in
every way an unpickler allows (MEMOIZE, PUT/BINPUT/LONG_BINPUT at the next
index, at small and at sparse indexes, overwrites, GET/BINGET/LONG_BINGET of
written and unwritten keys) and import them with STACK_GLOBAL, whose two
operands are whatever the memo handed back. The truth is what CPython's
C unpickler asks `find_class` for (recorded, never imported) before it
returns or fails. stguard sees each pickle twice:
  - as `case-N.safetensors`: not safetensors, named by identification
    (finding 105), whose detail lists every import ("imports a, b"); a
    pickle that fails before STOP without calling what it imported is not
    named there, by design;
  - as `case-N.pkl`: a model file, graded (finding 106 lists the imports
    outside the tensor-rebuild allowlist; here that is all but
    collections.OrderedDict).
Where CPython loads the pickle, both lists must equal CPython's (in order of
first use for 105, as a set for 106). Where CPython fails part-way, both must
hold at least what it imported before failing: an unpickler has run those.
Also checks that the generated cases reach the memo's two stores (indexes
written in order, and sparse ones) and the failure paths, so the test
cannot pass by generating only easy pickles.
"""

import argparse
import json
import os
import pickle
import random
import re
import struct
import subprocess
import sys
import tempfile
from collections import Counter

MODULES = ["os", "posix", "builtins", "subprocess", "collections"]
NAMES = ["system", "eval", "Popen", "getattr", "OrderedDict"]
ALLOWED = {"collections.OrderedDict"}  # on the grader's allowlist among these
MAX_IMPORTS = 8  # identification lists 8 names before "and N more"


class Imported:
    """What find_class hands back: never a real module's attribute."""


class Recorder(pickle.Unpickler):
    def __init__(self, data):
        import io
        super().__init__(io.BytesIO(data))
        self.imports = []

    def find_class(self, module, name):
        self.imports.append("%s.%s" % (module, name))
        return Imported


def truth(data):
    """(imports CPython asked for in order, whether it loaded the whole pickle)."""
    recorder = Recorder(data)
    try:
        recorder.load()
        return recorder.imports, True
    except Exception:  # any unpickling error: what ran before it still ran
        return recorder.imports, False


def short_unicode(text):
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def memo_opcode(rng, key, text, one_byte, four_byte):
    """PUT or GET of `key` in one of its three forms: the decimal text line
    (PUT/GET), a one-byte index (BINPUT/BINGET) or a four-byte one
    (LONG_BINPUT/LONG_BINGET)."""
    form = rng.random()
    if form < 0.2:
        return text + b"%d\n" % key
    if key < 256 and form < 0.7:
        return one_byte + bytes([key])
    return four_byte + struct.pack("<I", key)


def generate(rng, stats):
    """One pickle program; `stats` counts the memo paths it takes. A model of
    the stack's kinds ("s" a str, "o" anything else) and of the memo steers
    it toward pickles that load, with some that do not."""
    out = bytearray(b"\x80\x04")
    stack = []
    memo = {}  # key -> kind written (a model to steer by; CPython is the truth)
    imports = 0
    for _ in range(rng.randint(4, 60)):
        r = rng.random()
        if r < 0.30 or not stack:
            out += short_unicode(rng.choice(MODULES + NAMES))
            stack.append("s")
        elif r < 0.34:
            out += b"N"
            stack.append("o")
        elif r < 0.54:
            pick = rng.random()
            if pick < 0.5:
                key = len(memo)
                stats["put at the next index"] += 1
            elif pick < 0.75:
                key = rng.randint(0, 20)
            else:
                key = rng.randint(300, 100000)
                stats["put at a sparse index"] += 1
            if key in memo:
                stats["put over a written key"] += 1
            memo[key] = stack[-1]
            out += memo_opcode(rng, key, b"p", b"q", b"r")
        elif r < 0.64:
            if memo and max(memo) >= len(memo):
                stats["memoize after a sparse key"] += 1
            memo[len(memo)] = stack[-1]
            out += b"\x94"
        elif r < 0.80:
            if memo and rng.random() < 0.97:
                key = rng.choice(sorted(memo))
                stack.append(memo[key])
            else:
                key = rng.randint(0, 400)
                if key not in memo:
                    stats["get of an unwritten key"] += 1
                stack.append(memo.get(key, "o"))
            if key >= 300:
                stats["get of a sparse key"] += 1
            out += memo_opcode(rng, key, b"g", b"h", b"j")
        elif r < 0.92:
            strings = len(stack) >= 2 and stack[-1] == stack[-2] == "s"
            if len(stack) >= 2 and imports < MAX_IMPORTS and (strings or rng.random() < 0.1):
                out += b"\x93"
                del stack[-2:]
                stack.append("o")
                imports += 1
        elif stack:
            out += b"0"
            stack.pop()
    if not stack:
        out += b"N"
    out += b"."
    return bytes(out)


IDENTIFIED = re.compile(r"; (?:no imports|imports (.*?))"
                        r"(?: in the bytes read| before it turns malformed at byte \d+)?\); loading")
GRADED = re.compile(r"imports (.*?), outside the tensor-rebuild allowlist")


def names(listed):
    return [] if not listed else listed.split(", ")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cli")
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20261203)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    stats = Counter()
    cases = []
    with tempfile.TemporaryDirectory(prefix="stguard-pickle-diff-") as work:
        for i in range(args.cases):
            data = generate(rng, stats)
            imported, loaded = truth(data)
            stats["loaded by CPython" if loaded else "failed in CPython"] += 1
            if imported:
                stats["cases with imports"] += 1
            for suffix in (".safetensors", ".pkl"):
                with open(os.path.join(work, "case-%05d%s" % (i, suffix)), "wb") as f:
                    f.write(data)
            cases.append((data, imported, loaded))
        run = subprocess.run([args.cli, "check", "-f", "jsonl", work], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        if run.returncode not in (0, 1):
            sys.exit("stguard check failed (exit %d): %s" % (run.returncode, run.stderr))
        reports = {}
        for line in run.stdout.splitlines():
            entry = json.loads(line)
            if "path" in entry:
                reports[os.path.basename(entry["path"])] = entry

    failures = []
    for i, (data, imported, loaded) in enumerate(cases):
        first_seen = list(dict.fromkeys(imported))
        # Identification: every import, in order of first use.
        ident = reports.get("case-%05d.safetensors" % i)
        messages = [f["message"] for f in (ident or {}).get("findings", []) if f["code"] == 105]
        match = IDENTIFIED.search(messages[0]) if messages else None
        if match is None:
            # A pickle that breaks before STOP is named only when it called
            # what it imported (format_identify.cc: safetensors length
            # prefixes can read as PROTO 2); grading, below, still sees it.
            if loaded:
                failures.append((i, "a whole pickle not named by identification", data,
                                 imported, messages))
            else:
                stats["failed, not named (by design)"] += 1
        else:
            walker = names(match.group(1))
            if loaded and walker != first_seen:
                failures.append((i, "identification lists %s, CPython imported %s" % (
                    walker, first_seen), data, imported, messages))
            if not loaded and not set(first_seen) <= set(walker):
                failures.append((i, "identification misses imports CPython ran before failing: %s"
                                 % sorted(set(first_seen) - set(walker)), data, imported,
                                 messages))
        # Grading as a model file: the imports outside the allowlist.
        graded = reports.get("case-%05d.pkl" % i)
        messages = [f["message"] for f in (graded or {}).get("findings", []) if f["code"] == 106]
        walker = set(names(GRADED.search(messages[0]).group(1))) if messages else set()
        unsafe = set(first_seen) - ALLOWED
        if loaded and walker != unsafe:
            failures.append((i, "grading lists %s outside the allowlist, CPython imported %s" % (
                sorted(walker), sorted(unsafe)), data, imported, messages))
        if not loaded and not unsafe <= walker:
            failures.append((i, "grading misses unsafe imports CPython ran before failing: %s" %
                             sorted(unsafe - walker), data, imported, messages))

    for key in sorted(stats):
        print("  %-32s %d" % (key, stats[key]))
    needed = ["put at the next index", "put at a sparse index", "put over a written key",
              "memoize after a sparse key", "get of a sparse key", "get of an unwritten key",
              "loaded by CPython", "failed in CPython", "cases with imports"]
    thin = [k for k in needed if stats[k] < 20]
    if thin:
        failures.append((-1, "the cases reach too few of: %s" % ", ".join(thin), b"", [], []))
    for i, why, data, imported, messages in failures[:10]:
        print("FAIL case %d: %s\n  bytes %r\n  CPython: %s\n  stguard: %s" % (
            i, why, data, imported, messages))
    if failures:
        sys.exit("pickle_differential_test: %d failures in %d cases" % (len(failures),
                                                                       len(cases)))
    print("pickle_differential_test: %d cases, imports equal to CPython's "
          "(identification and grading)" % len(cases))


if __name__ == "__main__":
    main()
