"""check() and check_checkpoint(): the validator over paths, bytes and streams."""
from __future__ import annotations

import ctypes
import io
import os
from typing import Optional, Union

from . import _native
from ._errors import check as _check_status
from ._paths import fspath_bytes
from ._policy import Policy, as_policy
from ._report import Checkpoint, Report

PolicyArg = Union[str, Policy, "os.PathLike[str]"]
_BUFFERS = (bytes, bytearray, memoryview)


def _flags(deep: bool, tensors: bool) -> int:
    if not isinstance(deep, bool) or not isinstance(tensors, bool):
        raise TypeError("deep and tensors must be bool")
    return (_native.FLAG_DEEP_SCAN if deep else 0) | (_native.FLAG_TENSORS if tensors else 0)


def check(source: Union[str, "os.PathLike", bytes, bytearray, memoryview, io.IOBase],
          policy: PolicyArg = "default", deep: bool = False, tensors: bool = False) -> Report:
    """Validates one safetensors file and returns its Report.

    source:
      - a path (str or os.PathLike; a str from os.fsdecode carries any bytes):
        the file is read (only its header, unless deep);
      - bytes, bytearray or memoryview: the whole file, validated in memory;
      - a binary file object: read from its current position to its end. A
        file with a real descriptor is read through it (stguard_validate_fd);
        any other object through its readinto()/read() in pieces
        (stguard_validate_reader), never whole.
    policy: "compat", "default", "strict", an installed policy's name, a policy
      file, or a Policy.
    deep: also read the data: SHA-256 of the file and of each tensor
      (Report.content), NaN/Inf and BOOL values judged by the policy.
    tensors: keep the tensor table (Report.tensors).

    A rejected file is a Report with verdict "reject". Raises OSError for a
    file or stream that cannot be read, PolicyError for a bad policy,
    TypeError/ValueError for bad arguments (a closed file: ValueError).
    """
    flags = _flags(deep, tensors)
    pol = as_policy(policy)
    out = ctypes.c_void_p()
    lib = _native.lib
    if isinstance(source, _BUFFERS):
        # The memoryview pins the buffer (a bytearray cannot be resized while
        # it is exported) for the duration of the call.
        with memoryview(source) as view:
            if not view.c_contiguous:
                raise ValueError("the buffer must be C-contiguous")
            with view.cast("B") as flat:
                keep, address = _address_of(flat)
                _check_status(lib.stguard_validate_buffer_ex(pol.handle, address, flat.nbytes,
                                                             flags, ctypes.byref(out)))
                del keep
    elif isinstance(source, (str, os.PathLike)):
        raw = fspath_bytes(source)
        _check_status(lib.stguard_validate_file_ex(pol.handle, raw, flags, ctypes.byref(out)))
    elif _is_stream(source):
        _validate_stream(source, pol, flags, out)
    else:
        raise TypeError(f"source must be a path, bytes-like or a binary file object, "
                        f"not {type(source).__name__}")
    return Report(out.value, tensors=tensors, deep=deep)


def _address_of(flat: memoryview):
    """(an object to keep alive, the address of flat's first byte) for a C call."""
    if flat.nbytes == 0:
        return None, None
    if not flat.readonly:
        # The ctypes object is released at once: flat stays exported by nothing.
        return None, ctypes.addressof(ctypes.c_char.from_buffer(flat))
    obj = flat.obj
    whole = obj if isinstance(obj, bytes) and len(obj) == flat.nbytes else flat.tobytes()
    # c_char_p points into the bytes object itself (no copy).
    return whole, ctypes.cast(ctypes.c_char_p(whole), ctypes.c_void_p).value


def _is_stream(source: object) -> bool:
    return hasattr(source, "readinto") or hasattr(source, "read")


def _descriptor(stream: object) -> Optional[int]:
    """The descriptor to read instead of the object, when that reads the same bytes.

    Only an unbuffered io.FileIO, or a seekable buffered file (its position is
    given to the descriptor first): a buffered pipe may hold bytes read ahead.
    """
    fileno = getattr(stream, "fileno", None)
    if fileno is None:
        return None
    try:
        fd = fileno()
    except (OSError, io.UnsupportedOperation, ValueError):
        return None
    if not isinstance(fd, int) or fd < 0:
        return None
    if isinstance(stream, io.FileIO):
        return fd
    try:
        seekable = stream.seekable()
    except (OSError, ValueError, AttributeError):
        return None
    if not seekable:
        return None
    os.lseek(fd, stream.tell(), os.SEEK_SET)
    return fd


def _validate_stream(stream, pol: Policy, flags: int, out: ctypes.c_void_p) -> None:
    if getattr(stream, "closed", False):
        raise ValueError("I/O operation on closed file")
    if isinstance(stream, io.TextIOBase):
        raise TypeError("a text stream: open the file in binary mode ('rb')")
    fd = _descriptor(stream)
    if fd is not None:
        _check_status(_native.lib.stguard_validate_fd(pol.handle, fd, flags, ctypes.byref(out)))
        if not isinstance(stream, io.FileIO):
            stream.seek(0, os.SEEK_END)  # consumed, as the descriptor was
        return
    failure = []
    readinto = getattr(stream, "readinto", None)

    def read(_user: int, buffer: int, capacity: int) -> int:
        try:
            target = (ctypes.c_char * capacity).from_address(buffer)
            if readinto is not None:
                got = readinto(memoryview(target).cast("B"))
                if got is None:
                    raise BlockingIOError("non-blocking stream has no data ready")
            else:
                data = stream.read(capacity)
                if data is None:
                    raise BlockingIOError("non-blocking stream has no data ready")
                if not isinstance(data, (bytes, bytearray)):
                    raise TypeError(f"read() returned {type(data).__name__}, not bytes")
                got = len(data)
                if got > capacity:
                    raise ValueError(f"read({capacity}) returned {got} bytes")
                ctypes.memmove(buffer, bytes(data), got)
            return got
        except BaseException as e:  # noqa: B902 - re-raised after the C call returns
            failure.append(e)
            return -1

    callback = _native.READ_FUNCTION(read)
    status = _native.lib.stguard_validate_reader(pol.handle, callback, None, flags,
                                                 ctypes.byref(out))
    if failure:
        raise failure[0]
    _check_status(status)


def check_checkpoint(path: Union[str, bytes, "os.PathLike"], policy: PolicyArg = "default",
                     deep: bool = False) -> Checkpoint:
    """Judges a directory, a ``*.safetensors.index.json`` with its shards, or a file,
    as ``stguard check PATH`` does (Checkpoint.files, .verdict, .to_json()).

    A missing or unreadable path is a file with io_ok False in the result (as the
    CLI lists it under "errors"), not an exception.
    """
    flags = _flags(deep, False)
    raw = fspath_bytes(path)
    pol = as_policy(policy)
    out = ctypes.c_void_p()
    _check_status(_native.lib.stguard_validate_checkpoint(pol.handle, raw, flags,
                                                          ctypes.byref(out)))
    return Checkpoint(out.value)
