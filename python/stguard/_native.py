"""ctypes declarations of libstguard's C API (validator/include/stguard/stguard.h).

The library is looked for, in order: the copy carried in this package
(``stguard/_lib/libstguard.so.0``, put there by setup.py), the file named by
the ``STGUARD_LIBRARY`` environment variable, then the system's
(``libstguard.so.0`` as the .deb installs it, or ``ctypes.util.find_library``).

ctypes releases the GIL around every foreign call, so a validation never
holds up other Python threads.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno as _errno
import os
from typing import Optional

# Status codes (stguard_status).
OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_UNKNOWN_POLICY = 2
ERR_BAD_POLICY = 3
ERR_IO = 4
ERR_NO_MEMORY = 5
ERR_INTERNAL = 6
ERR_NEED_MORE_DATA = 7

FLAG_DEEP_SCAN = 1
FLAG_TENSORS = 2
FLAG_VALUE_RULES = 4
JSON_LINE = 1

# The revision this binding needs: 3 adds stguard_validate_reader.
REQUIRED_REVISION = 3

c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_size_t = ctypes.c_size_t
c_uint32 = ctypes.c_uint32
c_uint64 = ctypes.c_uint64
c_int = ctypes.c_int


class Finding(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint32),
        ("id", c_char_p),
        ("severity", c_int),
        ("offset", c_uint64),
        ("has_tensor", c_int),
        ("tensor", c_void_p),
        ("tensor_length", c_size_t),
        ("message", c_char_p),
    ]


class Tensor(ctypes.Structure):
    _fields_ = [
        ("name", c_void_p),
        ("name_length", c_size_t),
        ("dtype", c_int),
        ("dtype_name", c_char_p),
        ("rank", c_size_t),
        ("shape", ctypes.POINTER(c_uint64)),
        ("data_begin", c_uint64),
        ("data_end", c_uint64),
    ]


class TensorHash(ctypes.Structure):
    _fields_ = [
        ("name", c_void_p),
        ("name_length", c_size_t),
        ("dtype", c_int),
        ("data_begin", c_uint64),
        ("data_end", c_uint64),
        ("sha256", ctypes.c_char * 65),
        ("nan_count", c_uint64),
        ("inf_count", c_uint64),
        ("invalid_bool_count", c_uint64),
    ]


class JudgedFile(ctypes.Structure):
    _fields_ = [
        ("path", c_void_p),
        ("path_length", c_size_t),
        ("role", c_int),
        ("index", c_void_p),
        ("io_ok", c_int),
        ("io_error", c_char_p),
        ("verdict", c_int),
        ("finding_count", c_size_t),
        ("file_size", c_uint64),
        ("header_bytes", c_uint64),
        ("tensor_count", c_uint64),
    ]


# int64_t (*)(void* user_data, char* buffer, size_t capacity)
READ_FUNCTION = ctypes.CFUNCTYPE(ctypes.c_int64, c_void_p, c_void_p, c_size_t)

_P = c_void_p  # every handle is an opaque pointer
_PP = ctypes.POINTER(c_void_p)

_PROTOTYPES = {
    "stguard_version": (c_char_p, []),
    "stguard_api_version": (c_int, []),
    "stguard_api_revision": (c_int, []),
    "stguard_last_error": (c_char_p, []),
    "stguard_policy_builtin": (c_int, [c_char_p, _PP]),
    "stguard_policy_load_file": (c_int, [c_char_p, _PP]),
    "stguard_policy_resolve": (c_int, [c_char_p, _PP]),
    "stguard_policy_name": (c_int, [_P, ctypes.POINTER(c_char_p)]),
    "stguard_policy_free": (None, [_P]),
    "stguard_validate_file_ex": (c_int, [_P, c_char_p, c_uint32, _PP]),
    "stguard_validate_buffer_ex": (c_int, [_P, c_void_p, c_size_t, c_uint32, _PP]),
    "stguard_validate_fd": (c_int, [_P, c_int, c_uint32, _PP]),
    "stguard_validate_reader": (c_int, [_P, READ_FUNCTION, c_void_p, c_uint32, _PP]),
    "stguard_report_verdict": (c_int, [_P, ctypes.POINTER(c_int)]),
    "stguard_report_file_size": (c_int, [_P, ctypes.POINTER(c_uint64)]),
    "stguard_report_header_bytes": (c_int, [_P, ctypes.POINTER(c_uint64)]),
    "stguard_report_tensor_count": (c_int, [_P, ctypes.POINTER(c_uint64)]),
    "stguard_report_finding_count": (c_int, [_P, ctypes.POINTER(c_size_t)]),
    "stguard_report_finding": (c_int, [_P, c_size_t, ctypes.POINTER(Finding)]),
    "stguard_report_sha256": (c_int, [_P, ctypes.c_char * 65]),
    "stguard_report_free": (None, [_P]),
    "stguard_report_json": (c_int, [_P, c_char_p, c_uint32, ctypes.POINTER(c_void_p),
                                    ctypes.POINTER(c_size_t)]),
    "stguard_string_free": (None, [c_void_p]),
    "stguard_report_tensor_table_size": (c_int, [_P, ctypes.POINTER(c_size_t)]),
    "stguard_report_tensor": (c_int, [_P, c_size_t, ctypes.POINTER(Tensor), c_size_t]),
    "stguard_report_hashed_tensor_count": (c_int, [_P, ctypes.POINTER(c_int),
                                                   ctypes.POINTER(c_size_t)]),
    "stguard_report_hashed_tensor": (c_int, [_P, c_size_t, ctypes.POINTER(TensorHash),
                                             c_size_t]),
    "stguard_validate_checkpoint": (c_int, [_P, c_char_p, c_uint32, _PP]),
    "stguard_checkpoint_verdict": (c_int, [_P, ctypes.POINTER(c_int)]),
    "stguard_checkpoint_file_count": (c_int, [_P, ctypes.POINTER(c_size_t)]),
    "stguard_checkpoint_file": (c_int, [_P, c_size_t, ctypes.POINTER(JudgedFile), c_size_t]),
    "stguard_checkpoint_finding": (c_int, [_P, c_size_t, c_size_t, ctypes.POINTER(Finding)]),
    "stguard_checkpoint_skipped": (c_int, [_P, ctypes.POINTER(c_uint64), c_size_t]),
    "stguard_checkpoint_json": (c_int, [_P, c_uint32, ctypes.POINTER(c_void_p),
                                        ctypes.POINTER(c_size_t)]),
    "stguard_checkpoint_free": (None, [_P]),
}


def _candidates() -> list:
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lib", "libstguard.so.0")
    found = [here] if os.path.exists(here) else []
    env = os.environ.get("STGUARD_LIBRARY")
    if env:
        found.append(env)
    found.append("libstguard.so.0")
    system = ctypes.util.find_library("stguard")
    if system:
        found.append(system)
    return found


def _load() -> ctypes.CDLL:
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
            continue
        if not hasattr(lib, "stguard_api_revision"):
            errors.append(f"{path}: no stguard_api_revision (revision 1 library)")
            continue
        lib.stguard_api_revision.restype = c_int
        revision = lib.stguard_api_revision()
        if revision < REQUIRED_REVISION:
            errors.append(f"{path}: C API revision {revision} < {REQUIRED_REVISION}")
            continue
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        return lib
    raise ImportError("stguard: libstguard (C API revision >= %d) not found: %s"
                      % (REQUIRED_REVISION, "; ".join(errors)))


lib = _load()
library_path: str = lib._name


def last_error() -> str:
    message = lib.stguard_last_error()
    return message.decode("utf-8", "replace") if message else ""


# strerror text (lower case) -> errno, to give OSError its errno back from a
# message ("...: No such file or directory", the library's "is a directory").
_ERRNO_BY_TEXT = {}
for _code in sorted(_errno.errorcode):
    _ERRNO_BY_TEXT.setdefault(os.strerror(_code).lower(), _code)


def errno_of(message: str) -> Optional[int]:
    """The errno whose strerror text ends the message (None when none does)."""
    lowered = message.lower()
    for text, code in _ERRNO_BY_TEXT.items():
        if lowered.endswith(text):
            return code
    return None


def string_at(pointer: Optional[int], length: int) -> bytes:
    if not pointer or length == 0:
        return b""
    return ctypes.string_at(pointer, length)


def take_string(pointer: c_void_p, length: c_size_t) -> str:
    """A string returned through char** (stguard_*_json): copied and freed."""
    try:
        return ctypes.string_at(pointer.value, length.value).decode("utf-8")
    finally:
        lib.stguard_string_free(pointer)
