"""Path arguments as the bytes the C API takes."""
from __future__ import annotations

import os


def fspath_bytes(path: object) -> bytes:
    """str, bytes or os.PathLike -> the file system's bytes (TypeError otherwise).

    A str that came from os.fsdecode (surrogate escapes) gives back its bytes.
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"expected a path (str, bytes or os.PathLike), "
                        f"not {type(path).__name__}")
    raw = os.fsencode(path)
    if b"\0" in raw:
        raise ValueError("embedded NUL byte in path")
    return raw
