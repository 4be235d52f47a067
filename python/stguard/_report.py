"""Reports of files and checkpoints, read out of the C API's handles."""
from __future__ import annotations

import ctypes
import weakref
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from . import _native
from ._errors import check

SEVERITIES = ("info", "warning", "error")
VERDICTS = ("accept", "reject")
ROLES = ("safetensors", "index", "shard", "model-file")
SKIPPED_REASONS = ("text-or-config", "not-a-model", "not-a-regular-file",
                   "directory-symlink", "git-metadata")


def decode_name(raw: bytes) -> str:
    """Names and paths: UTF-8, other bytes kept as surrogate escapes (PEP 383)."""
    return raw.decode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class Finding:
    """One finding: ``code`` 311, ``id`` "duplicate-tensor-name" (docs/codes.md)."""
    code: int
    id: str
    severity: str          # "info", "warning" or "error"
    offset: int            # byte offset in the file
    tensor: Optional[str]  # the tensor's name, or None
    message: str


@dataclass(frozen=True)
class TensorInfo:
    """A tensor of the table: data offsets relative to the data section."""
    name: str
    dtype: str             # "F32", "BF16", ...
    shape: Tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class TensorContent:
    """A deep-scanned tensor: its SHA-256 and the values counted."""
    name: str
    dtype: str
    begin: int
    end: int
    sha256: str
    nan_count: int
    inf_count: int
    invalid_bool_count: int


@dataclass(frozen=True)
class Content:
    """What a deep scan read: the file's SHA-256 and each tensor's."""
    sha256: str
    tensors_scanned: bool
    tensors: Tuple[TensorContent, ...]


def finding_of(f: _native.Finding) -> Finding:
    tensor = decode_name(_native.string_at(f.tensor, f.tensor_length)) if f.has_tensor else None
    return Finding(code=f.code, id=f.id.decode("ascii"), severity=SEVERITIES[f.severity],
                   offset=f.offset, tensor=tensor,
                   message=f.message.decode("utf-8", "surrogateescape"))


def _dtype_names() -> Dict[int, str]:
    return {0: "BOOL", 1: "F4", 2: "F6_E2M3", 3: "F6_E3M2", 4: "U8", 5: "I8", 6: "F8_E5M2",
            7: "F8_E4M3", 8: "F8_E8M0", 9: "F8_E4M3FNUZ", 10: "F8_E5M2FNUZ", 11: "I16",
            12: "U16", 13: "F16", 14: "BF16", 15: "I32", 16: "U32", 17: "F32", 18: "C64",
            19: "F64", 20: "I64", 21: "U64"}


DTYPE_NAMES = _dtype_names()


def _out(function, handle: int, ctype=ctypes.c_uint64):
    """The value a C getter function(handle, &out) writes."""
    value = ctype()
    check(function(handle, ctypes.byref(value)))
    return value.value


def _json(function, handle: int, flags: int) -> str:
    """A string a C function(handle, ..., flags, &text, &length) returns."""
    out = ctypes.c_void_p()
    length = ctypes.c_size_t()
    check(function(handle, flags, ctypes.byref(out), ctypes.byref(length)))
    return _native.take_string(out, length)


class _Handle:
    """An owned C handle, freed once: by close(), a ``with`` block or the GC."""

    __slots__ = ("_handle", "_finalizer", "__weakref__")

    def _own(self, handle: int, free) -> None:
        self._handle = handle
        self._finalizer = weakref.finalize(self, free, handle)

    @property
    def handle(self) -> int:
        if not self._finalizer.alive:
            raise ValueError(f"{type(self).__name__} is closed (its C handle was freed)")
        return self._handle

    def close(self) -> None:
        """Frees the C handle now; what was read out stays, to_json() then fails."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Report(_Handle):
    """The validation of one file: verdict, findings, and what was asked for.

    A rejection is a Report with ``verdict == "reject"``, never an exception.
    """

    __slots__ = ("verdict", "file_size", "header_bytes", "tensor_count", "findings",
                 "_tensors", "_content")

    def __init__(self, handle: int, tensors: bool, deep: bool) -> None:
        self._own(handle, _native.lib.stguard_report_free)
        lib = _native.lib
        self.verdict: str = VERDICTS[_out(lib.stguard_report_verdict, handle, ctypes.c_int)]
        self.file_size: int = _out(lib.stguard_report_file_size, handle)
        self.header_bytes: int = _out(lib.stguard_report_header_bytes, handle)
        self.tensor_count: int = _out(lib.stguard_report_tensor_count, handle)
        count = _out(lib.stguard_report_finding_count, handle, ctypes.c_size_t)
        f = _native.Finding()
        findings = []
        for i in range(count):
            check(lib.stguard_report_finding(handle, i, ctypes.byref(f)))
            findings.append(finding_of(f))
        self.findings: Tuple[Finding, ...] = tuple(findings)
        self._tensors = self._read_tensors(handle) if tensors else None
        self._content = self._read_content(handle) if deep else None

    @staticmethod
    def _read_tensors(handle: int) -> Tuple[TensorInfo, ...]:
        # The hot loop of a large table (100k tensors): names bound once, one
        # reused struct and byref, the status tested inline.
        lib = _native.lib
        size = _out(lib.stguard_report_tensor_table_size, handle, ctypes.c_size_t)
        t = _native.Tensor()
        ref = ctypes.byref(t)
        struct_size = ctypes.sizeof(t)
        get = lib.stguard_report_tensor
        string_at = ctypes.string_at
        dtype_names = DTYPE_NAMES
        tensors = []
        append = tensors.append
        for i in range(size):
            status = get(handle, i, ref, struct_size)
            if status:
                check(status)
            append(TensorInfo(
                string_at(t.name, t.name_length).decode("utf-8", "surrogateescape"),
                dtype_names[t.dtype], tuple(t.shape[:t.rank]), t.data_begin, t.data_end))
        return tuple(tensors)

    @staticmethod
    def _read_content(handle: int) -> Content:
        lib = _native.lib
        digest = (ctypes.c_char * 65)()
        check(lib.stguard_report_sha256(handle, digest))
        scanned = ctypes.c_int()
        count = ctypes.c_size_t()
        check(lib.stguard_report_hashed_tensor_count(handle, ctypes.byref(scanned),
                                                     ctypes.byref(count)))
        h = _native.TensorHash()
        tensors = []
        for i in range(count.value):
            check(lib.stguard_report_hashed_tensor(handle, i, ctypes.byref(h), ctypes.sizeof(h)))
            tensors.append(TensorContent(
                name=decode_name(_native.string_at(h.name, h.name_length)),
                dtype=DTYPE_NAMES.get(h.dtype, str(h.dtype)), begin=h.data_begin,
                end=h.data_end, sha256=h.sha256.decode("ascii"), nan_count=h.nan_count,
                inf_count=h.inf_count, invalid_bool_count=h.invalid_bool_count))
        return Content(sha256=digest.value.decode("ascii"), tensors_scanned=bool(scanned.value),
                       tensors=tuple(tensors))

    @property
    def accepted(self) -> bool:
        return self.verdict == "accept"

    @property
    def tensors(self) -> Tuple[TensorInfo, ...]:
        """The tensor table (check(..., tensors=True)), sorted by data offset."""
        if self._tensors is None:
            raise ValueError("no tensor table: call check(..., tensors=True)")
        return self._tensors

    @property
    def content(self) -> Content:
        """The deep scan's hashes (check(..., deep=True))."""
        if self._content is None:
            raise ValueError("no content: call check(..., deep=True)")
        return self._content

    def to_json(self, path: Optional[str] = None, lines: bool = False) -> str:
        """What ``stguard check --format json`` prints for this file (jsonl with lines=True).

        ``path``: the path written in the report (default: the path checked,
        or "-" for bytes and streams).
        """
        raw = None if path is None else path.encode("utf-8", "surrogateescape")
        return _json(lambda h, *rest: _native.lib.stguard_report_json(h, raw, *rest),
                     self.handle, _native.JSON_LINE if lines else 0)

    def __repr__(self) -> str:
        return (f"<stguard.Report {self.verdict} findings={len(self.findings)} "
                f"file_size={self.file_size}>")


@dataclass(frozen=True)
class JudgedFile:
    """One file of a checkpoint or directory, as ``stguard check`` lists it."""
    path: str
    role: str                # "safetensors", "index", "shard", "model-file"
    index: Optional[str]     # a shard: the index naming it
    io_ok: bool
    io_error: Optional[str]
    verdict: str
    findings: Tuple[Finding, ...]
    file_size: int
    header_bytes: int
    tensor_count: int

    @property
    def accepted(self) -> bool:
        return self.verdict == "accept"


class Checkpoint(_Handle):
    """A directory, an index with its shards, or a file, judged as ``stguard check PATH``."""

    __slots__ = ("verdict", "files", "skipped")

    def __init__(self, handle: int) -> None:
        self._own(handle, _native.lib.stguard_checkpoint_free)
        lib = _native.lib
        self.verdict: str = VERDICTS[_out(lib.stguard_checkpoint_verdict, handle, ctypes.c_int)]
        count = _out(lib.stguard_checkpoint_file_count, handle, ctypes.c_size_t)
        j = _native.JudgedFile()
        f = _native.Finding()
        files = []
        for i in range(count):
            check(lib.stguard_checkpoint_file(handle, i, ctypes.byref(j), ctypes.sizeof(j)))
            findings = []
            for k in range(j.finding_count):
                check(lib.stguard_checkpoint_finding(handle, i, k, ctypes.byref(f)))
                findings.append(finding_of(f))
            index = ctypes.string_at(j.index) if j.index else b""
            files.append(JudgedFile(
                path=decode_name(_native.string_at(j.path, j.path_length)),
                role=ROLES[j.role], index=decode_name(index) if j.role == 2 else None,
                io_ok=bool(j.io_ok),
                io_error=None if j.io_ok else j.io_error.decode("utf-8", "surrogateescape"),
                verdict=VERDICTS[j.verdict], findings=tuple(findings), file_size=j.file_size,
                header_bytes=j.header_bytes, tensor_count=j.tensor_count))
        self.files: Tuple[JudgedFile, ...] = tuple(files)
        skipped = (ctypes.c_uint64 * len(SKIPPED_REASONS))()
        check(lib.stguard_checkpoint_skipped(handle, skipped, len(SKIPPED_REASONS)))
        self.skipped: Dict[str, int] = dict(zip(SKIPPED_REASONS, skipped))

    @property
    def accepted(self) -> bool:
        """True when at least one file was judged and every one was read and accepted."""
        return self.verdict == "accept"

    def to_json(self, lines: bool = False) -> str:
        """What ``stguard check --format json PATH`` prints (jsonl with lines=True)."""
        return _json(_native.lib.stguard_checkpoint_json, self.handle,
                     _native.JSON_LINE if lines else 0)

    def __repr__(self) -> str:
        return f"<stguard.Checkpoint {self.verdict} files={len(self.files)}>"


__all__ = ["Finding", "TensorInfo", "TensorContent", "Content", "Report", "JudgedFile",
           "Checkpoint"]
