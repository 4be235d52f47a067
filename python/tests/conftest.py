"""Shared fixtures: the repository's corpus, the CLI binary, a safetensors
writer and a small parser independent of stguard (to compare values with)."""
from __future__ import annotations

import glob
import json
import os
import shutil
import struct
from typing import Dict, Optional, Tuple

import pytest

REPO = os.path.abspath(os.environ.get("STGUARD_REPO",
                                      os.path.join(os.path.dirname(__file__), "..", "..")))
CORPUS = os.path.join(REPO, "corpus")


def find_cli() -> Optional[str]:
    """The stguard binary: $STGUARD_CLI, else build/*/validator/stguard, else PATH."""
    env = os.environ.get("STGUARD_CLI")
    if env:
        return env
    for path in sorted(glob.glob(os.path.join(REPO, "build", "*", "validator", "stguard"))):
        if os.access(path, os.X_OK) and "asan" not in path and "fuzz" not in path:
            return path
    return shutil.which("stguard")


@pytest.fixture(scope="session")
def cli() -> str:
    path = find_cli()
    if path is None:
        pytest.skip("no stguard binary (set STGUARD_CLI)")
    return path


# (safetensors dtype, numpy dtype) of every dtype NumPy has.
NUMPY_DTYPES = [("F64", "<f8"), ("F32", "<f4"), ("F16", "<f2"), ("C64", "<c8"),
                ("I64", "<i8"), ("I32", "<i4"), ("I16", "<i2"), ("I8", "i1"),
                ("U64", "<u8"), ("U32", "<u4"), ("U16", "<u2"), ("U8", "u1"), ("BOOL", "?")]


def safetensors_bytes(tensors: Dict[str, Tuple[str, Tuple[int, ...], bytes]],
                      metadata: Optional[Dict[str, str]] = None) -> bytes:
    """A safetensors file: 8-byte LE length, JSON header (padded with spaces
    to a multiple of 8), data. tensors: name -> (dtype, shape, raw bytes)."""
    header = {}
    data = b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def parse_safetensors(blob: bytes) -> Dict[str, Tuple[str, Tuple[int, ...], bytes]]:
    """The reference's reading, in a few lines: name -> (dtype, shape, raw bytes)."""
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    data = blob[8 + n:]
    return {name: (e["dtype"], tuple(e["shape"]), data[e["data_offsets"][0]:e["data_offsets"][1]])
            for name, e in header.items()}


def corpus_files(*parts: str):
    return sorted(glob.glob(os.path.join(CORPUS, *parts)))


def accepted_corpus_files():
    """Every file of corpus/examples/accepted and every safetensors file of corpus/real."""
    files = corpus_files("examples", "accepted", "*.safetensors")
    files += corpus_files("real", "*.safetensors")
    files += corpus_files("real", "*", "*.safetensors")
    return files
