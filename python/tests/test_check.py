"""stguard.check over every kind of source, its errors, and the Report."""
from __future__ import annotations

import errno
import io
import os
import pathlib
import subprocess

import pytest

import stguard
from conftest import CORPUS, corpus_files, safetensors_bytes

BOOL_FILE = os.path.join(CORPUS, "real", "dtype_bool.safetensors")
GPT2 = os.path.join(CORPUS, "real", "gpt2_float32", "model.safetensors")
REJECTED = corpus_files("examples", "rejected", "*")


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def test_path_kinds_give_one_report(tmp_path):
    expected = stguard.check(BOOL_FILE, tensors=True, deep=True)
    assert expected.verdict == "accept" and expected.accepted
    assert expected.file_size == os.path.getsize(BOOL_FILE)
    assert expected.header_bytes == 152 and expected.tensor_count == 2
    assert [t.name for t in expected.tensors] == ["scalar", "t"]
    assert expected.tensors[1].shape == (3, 5) and expected.tensors[1].dtype == "BOOL"
    assert len(expected.content.sha256) == 64
    for source in (pathlib.Path(BOOL_FILE), read(BOOL_FILE), bytearray(read(BOOL_FILE)),
                   memoryview(read(BOOL_FILE)), memoryview(bytearray(read(BOOL_FILE)))[0:],
                   io.BytesIO(read(BOOL_FILE))):
        r = stguard.check(source, tensors=True, deep=True)
        assert r.verdict == "accept"
        assert r.tensors == expected.tensors
        assert r.content == expected.content
        assert r.findings == expected.findings


def test_open_files_pipes_and_object_streams_give_the_buffer_report():
    for path in [GPT2] + REJECTED:
        blob = read(path)
        expected = stguard.check(blob, deep=True).to_json()
        with open(path, "rb") as f:  # seekable, buffered: through its descriptor
            f.read(3)
            f.seek(0)
            assert stguard.check(f, deep=True).to_json() == expected
            assert f.read() == b""  # consumed
        with open(path, "rb", buffering=0) as f:
            assert stguard.check(f, deep=True).to_json() == expected
        assert stguard.check(io.BytesIO(blob), deep=True).to_json() == expected
        # A pipe, read by a thread-free writer: the data fits the pipe buffer
        # only for small files, so a subprocess writes it.
        writer = subprocess.Popen(["cat", path], stdout=subprocess.PIPE)
        try:
            assert stguard.check(writer.stdout, deep=True).to_json() == expected
        finally:
            writer.stdout.close()
            writer.wait()


class Trickle(io.RawIOBase):
    """A stream with no descriptor giving at most 5 bytes a read."""

    def __init__(self, blob: bytes, fail_at: int = -1) -> None:
        self.blob, self.pos, self.fail_at = blob, 0, fail_at

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.fail_at >= 0 and self.pos >= self.fail_at:
            raise OSError(errno.EIO, "device went away")
        n = min(len(b), 5, len(self.blob) - self.pos)
        b[:n] = self.blob[self.pos:self.pos + n]
        self.pos += n
        return n


class ReadOnly:
    """An object with only read()."""

    def __init__(self, blob: bytes, kind=bytes) -> None:
        self.stream, self.kind = io.BytesIO(blob), kind

    def read(self, n: int):
        return self.kind(self.stream.read(n))


def test_streams_in_pieces_truncated_and_failing():
    blob = read(BOOL_FILE)
    expected = stguard.check(blob, deep=True).to_json()
    assert stguard.check(Trickle(blob), deep=True).to_json() == expected
    assert stguard.check(ReadOnly(blob), deep=True).to_json() == expected
    assert stguard.check(ReadOnly(blob, bytearray), deep=True).to_json() == expected
    # A stream that ends early is a truncated file: a rejection, as in memory.
    for keep in (0, 5, 8, 50, len(blob) - 1):
        short = stguard.check(Trickle(blob[:keep]), deep=True)
        assert short.verdict == "reject"
        assert short.to_json() == stguard.check(blob[:keep], deep=True).to_json()
    # The stream's own exception comes out unchanged.
    with pytest.raises(OSError) as e:
        stguard.check(Trickle(blob, fail_at=20))
    assert e.value.errno == errno.EIO
    with pytest.raises(TypeError):
        stguard.check(ReadOnly(blob, lambda b: b.decode("latin-1")))


def test_wrong_types_and_closed_files(tmp_path):
    for bad in (None, 3, 2.5, ["a"], object()):
        with pytest.raises(TypeError):
            stguard.check(bad)
    with pytest.raises(TypeError):
        stguard.check(BOOL_FILE, deep=1)
    with pytest.raises(TypeError):
        stguard.check(BOOL_FILE, tensors="yes")
    with pytest.raises(TypeError):
        stguard.check(BOOL_FILE, policy=3)
    f = open(BOOL_FILE, "rb")
    f.close()
    with pytest.raises(ValueError):
        stguard.check(f)
    with open(BOOL_FILE, "r", encoding="latin-1") as text:
        with pytest.raises(TypeError):
            stguard.check(text)
    with pytest.raises(ValueError):
        stguard.check(BOOL_FILE + "\0x")
    with pytest.raises(ValueError):
        stguard.check(memoryview(bytes(16))[::2])


def test_missing_files_are_oserror_with_errno(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        stguard.check(str(tmp_path / "missing.safetensors"))
    assert e.value.errno == errno.ENOENT
    with pytest.raises(OSError) as e:
        stguard.check(str(tmp_path))  # a directory
    assert e.value.errno == errno.EISDIR


def test_bad_policies_are_policy_errors(tmp_path):
    with pytest.raises(stguard.PolicyError):
        stguard.check(BOOL_FILE, policy="no-such-policy")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(stguard.PolicyError):
        stguard.check(BOOL_FILE, policy=str(bad))
    assert isinstance(stguard.PolicyError("x"), ValueError)


def test_non_utf8_paths_and_names(tmp_path):
    raw_dir = os.fsencode(str(tmp_path))
    name = raw_dir + b"/caf\xe9-\xff.safetensors"
    with open(name, "wb") as f:
        f.write(read(BOOL_FILE))
    as_str = os.fsdecode(name)
    r = stguard.check(as_str)
    assert r.accepted
    assert '"path":"' in r.to_json()
    assert stguard.check(pathlib.Path(as_str)).accepted
    # Header text that is not UTF-8 is a finding at its offset, with no name;
    # names are decoded exactly, NUL and non-ASCII included.
    blob = safetensors_bytes({"a": ("U8", (1,), b"\x01")}).replace(b'"a"', b'"\xff"')
    r = stguard.check(blob, tensors=True)
    assert r.verdict == "reject" and r.tensors == ()
    assert [(f.id, f.offset, f.tensor) for f in r.findings] == [("header-invalid-utf8", 10, None)]
    blob = safetensors_bytes({"a\x00b": ("U8", (1,), b"\x01"), "caf\u00e9": ("U8", (1,), b"\x01")})
    r = stguard.check(blob, tensors=True, policy="compat")
    assert [t.name for t in r.tensors] == ["a\x00b", "caf\u00e9"]
    assert [f.tensor for f in r.findings] == ["a\x00b"]


def test_findings_of_rejected_files():
    assert REJECTED
    for path in REJECTED:
        r = stguard.check(path)
        assert r.verdict == "reject" and not r.accepted
        assert any(f.severity == "error" for f in r.findings)
        for f in r.findings:
            assert isinstance(f.code, int) and f.id and f.message
            assert f.severity in ("info", "warning", "error")
            assert f.tensor is None or isinstance(f.tensor, str)
            assert 0 <= f.offset <= r.file_size


def test_report_needs_what_it_was_asked_for_and_closes():
    r = stguard.check(BOOL_FILE)
    with pytest.raises(ValueError):
        r.tensors
    with pytest.raises(ValueError):
        r.content
    with r:
        text = r.to_json()
    assert r.verdict == "accept"  # read out before the close
    with pytest.raises(ValueError):
        r.to_json()
    r.close()  # twice: nothing happens
    assert text.endswith("\n")
    assert stguard.check(BOOL_FILE).to_json(lines=True).count("\n") == 1


def test_json_equals_the_cli(cli):
    files = corpus_files("examples", "*", "*") + corpus_files("real", "dtype_*.safetensors")
    for path in files:
        for deep in (False, True):
            args = [cli, "check", "--format", "json"] + (["--deep"] if deep else []) + [path]
            run = subprocess.run(args, capture_output=True)
            report = stguard.check(path, deep=deep)
            assert report.to_json().encode() == run.stdout, path
            assert run.returncode == (0 if report.accepted else 1)
            lines = subprocess.run(args[:3] + ["jsonl"] + args[4:], capture_output=True)
            assert report.to_json(lines=True).encode() == lines.stdout


def test_raw_pipe_is_read_through_its_descriptor():
    blob = read(BOOL_FILE)
    r, w = os.pipe()
    os.write(w, blob)
    os.close(w)
    with open(r, "rb", buffering=0) as f:
        assert stguard.check(f, deep=True).to_json() == stguard.check(blob, deep=True).to_json()


def test_buffers_of_any_shape_and_empty_ones():
    import numpy as np
    assert stguard.check(b"").verdict == "reject"
    assert stguard.check(bytearray()).file_size == 0
    blob = read(BOOL_FILE)
    as_rows = np.frombuffer(blob, dtype=np.uint8).reshape(-1, 16)  # 2-D, read-only
    assert stguard.check(memoryview(as_rows)).to_json() == stguard.check(blob).to_json()
    fortran = np.asfortranarray(np.zeros((4, 4), dtype=np.uint8))
    with pytest.raises(ValueError):
        stguard.check(memoryview(fortran))


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_handles_are_freed():
    """Reports, checkpoints and policies dropped (or closed) free their C
    handles: thousands of them leave the resident size where it was."""
    blob = read(GPT2)
    gpt2_dir = os.path.dirname(GPT2)

    def churn(n):
        for i in range(n):
            r = stguard.check(blob, deep=True, tensors=True)
            r.to_json()
            if i % 2:
                r.close()
            stguard.check_checkpoint(gpt2_dir).to_json()
            with stguard.Policy.builtin("strict"):
                pass

    churn(200)  # allocator pools and caches settle
    before = rss_bytes()
    churn(1500)
    grown = rss_bytes() - before
    assert grown < 2 << 20, f"resident size grew by {grown} bytes"  # 15 MB if reports leak
