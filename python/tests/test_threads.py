"""Threads: concurrent checks give the sequential reports, and a validation
runs without the GIL (other Python threads keep running)."""
from __future__ import annotations

import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import stguard
from conftest import corpus_files


def test_concurrent_checks_give_the_same_reports():
    files = (corpus_files("examples", "*", "*") + corpus_files("real", "*.safetensors")
             + corpus_files("real", "*", "*.safetensors"))
    policy = stguard.Policy.builtin("strict")  # one handle shared by every thread

    def run(path):
        r = stguard.check(path, policy=policy, deep=True, tensors=True)
        return r.to_json(), r.tensors, r.findings

    expected = [run(p) for p in files]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(run, files)) == expected


def big_header(header_bytes: int) -> bytes:
    """Zero-size tensors filling a header (scripts/make-worst-case-header.py)."""
    entries = []
    size, i = 2, 0
    while True:
        entry = '"t%07d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}' % i
        if size + len(entry) + 1 > header_bytes:
            break
        entries.append(entry)
        size += len(entry) + 1
        i += 1
    header = ("{" + ",".join(entries) + "}").encode()
    header += b" " * (header_bytes - len(header))
    return struct.pack("<Q", len(header)) + header


def test_validation_releases_the_gil():
    blob = big_header(30_000_000)
    start = time.perf_counter()
    assert stguard.check(blob).accepted
    alone = time.perf_counter() - start
    assert alone > 0.02, "the header validates too fast to show anything"

    def longest_pause() -> float:
        done = threading.Event()

        def validate():
            for _ in range(3):
                stguard.check(blob)
            done.set()

        worker = threading.Thread(target=validate)
        worker.start()
        # This thread keeps running Python while the other validates: the
        # longest pause between two of its steps stays far below one
        # validation (with the GIL held through the C call it would be at
        # least `alone`).
        longest, steps, last = 0.0, 0, time.perf_counter()
        while not done.is_set():
            now = time.perf_counter()
            longest = max(longest, now - last)
            last = now
            steps += 1
        worker.join()
        assert steps > 1000
        return longest

    # A busy machine may deschedule this thread once: up to three tries.
    pauses = []
    for _ in range(3):
        pauses.append(longest_pause())
        if pauses[-1] < alone / 2:
            break
    assert min(pauses) < alone / 2, (pauses, alone)
