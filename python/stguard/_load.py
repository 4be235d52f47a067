"""load_file: the guarded loader. The bytes validated are the bytes loaded.

The file is read once, with read(2), into private anonymous memory (a NumPy
uint8 buffer: malloc'd pages, not a mapping of the file). Those bytes, and
only those, are validated in memory with the value rules (NaN/Inf, BOOL:
STGUARD_FLAG_VALUE_RULES, the deep scan's findings without its hashes) and
the tensor table (stguard_validate_buffer_ex); the arrays are then cut out of the same buffer
by the validator's table. A writer changing the file afterwards changes the
file, not the buffer: nothing can alter what was checked between the check
and the load. (A file mapping would not do: an unmodified MAP_PRIVATE page
still shows later writes to the file.)
"""
from __future__ import annotations

import ctypes
import os
import sys
from typing import Dict, Union

from . import _native
from ._errors import RejectedFile, UnsupportedDtype, UnsupportedShape, check as _check_status
from ._paths import fspath_bytes
from ._policy import Policy, as_policy
from ._report import Report

# Safetensors data is little-endian; '<' makes NumPy honour that on any host.
NUMPY_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "C64": "<c8",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1",
    "BOOL": "u1",  # read as bytes, turned into bool values (x != 0)
}
# torch attribute per dtype; looked up on the torch imported, so a later torch
# with uint16 or float8 gets them without a change here.
TORCH_DTYPES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
    "C64": "complex64", "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8",
    "U8": "uint8", "BOOL": "bool", "U16": "uint16", "U32": "uint32", "U64": "uint64",
    "F8_E5M2": "float8_e5m2", "F8_E4M3": "float8_e4m3fn",
    "F8_E4M3FNUZ": "float8_e4m3fnuz", "F8_E5M2FNUZ": "float8_e5m2fnuz",
    "F8_E8M0": "float8_e8m0fnu",
}
ITEM_BITS = {"F64": 64, "F32": 32, "F16": 16, "BF16": 16, "C64": 64, "I64": 64, "I32": 32,
             "I16": 16, "I8": 8, "U64": 64, "U32": 32, "U16": 16, "U8": 8, "BOOL": 8}


def _read_private(raw_path: bytes):
    """The file's bytes in a fresh NumPy buffer (anonymous memory), read once."""
    import numpy as np
    with open(raw_path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        buf = np.empty(size, dtype=np.uint8)
        view = memoryview(buf)
        got = 0
        while got < size:
            n = f.readinto(view[got:])
            if not n:
                break  # the file shrank: the bytes read are what is validated
            got += n
    return buf[:got]


def _validate_buffer(buf, pol: Policy, deep: bool = True) -> Report:
    # The value rules (NaN/Inf, BOOL) without the SHA-256 a deep scan adds:
    # the findings are those of check(deep=True), the hashes nobody loading
    # needs are not computed (they would bound the load's speed).
    out = ctypes.c_void_p()
    flags = _native.FLAG_TENSORS | (_native.FLAG_VALUE_RULES if deep else 0)
    address = buf.ctypes.data if buf.size else None
    _check_status(_native.lib.stguard_validate_buffer_ex(pol.handle, address, buf.size, flags,
                                                         ctypes.byref(out)))
    return Report(out.value, tensors=True, deep=False)


MAX_DIMENSION = 2**63 - 1  # NumPy's intp and torch's int64 sizes


def _check_shapes(report: Report) -> None:
    for t in report.tensors:
        if any(d > MAX_DIMENSION for d in t.shape):
            raise UnsupportedShape(
                f"tensor {t.name!r}: shape {list(t.shape)} has a dimension above 2**63 - 1, "
                f"which NumPy and torch cannot hold (it has 0 elements)", t.shape, t.name)


def _torch_dtypes(report: Report):
    import torch
    if sys.byteorder != "little":
        raise UnsupportedDtype("torch tensors are built on a little-endian host only", "", "")
    dtypes = {}
    for t in report.tensors:
        dtype = getattr(torch, TORCH_DTYPES.get(t.dtype, "?"), None)
        if dtype is None or t.dtype not in ITEM_BITS:
            raise UnsupportedDtype(
                f"tensor {t.name!r}: dtype {t.dtype} has no equivalent in torch "
                f"{torch.__version__}", t.dtype, t.name)
        dtypes[t.dtype] = dtype
    return torch, dtypes


def _numpy_dtypes(report: Report):
    import numpy as np
    for t in report.tensors:
        if t.dtype not in NUMPY_DTYPES:
            raise UnsupportedDtype(
                f"tensor {t.name!r}: dtype {t.dtype} has no NumPy dtype (use "
                f"framework='torch' for BF16; F8/F6/F4 are not loadable)", t.dtype, t.name)
    return np


def load_file(path: Union[str, bytes, "os.PathLike"], framework: str = "numpy",
              policy: Union[str, Policy, "os.PathLike[str]"] = "default",
              device: str = "cpu", deep: bool = True) -> Dict[str, object]:
    """Loads a safetensors file after validating the very bytes it loads.

    Returns {name: array} (framework "numpy": numpy.ndarray; "torch":
    torch.Tensor, moved to ``device``). The arrays share one private buffer
    holding the file (NumPy: views; torch: tensors over it, copied when a
    tensor's data is not aligned for its dtype). BOOL tensors are made of
    the bytes' truth values.

    The bytes are read once for the value rules (NaN/Inf and BOOL values,
    the findings check(deep=True) gives) without the SHA-256 hashes, which
    a load does not need. deep=False skips the value rules too: the header
    and layout rules only (BOOL tensors are still made of truth values).

    Raises RejectedFile (``.report``) when the policy rejects the file,
    UnsupportedDtype when a tensor's dtype has no equivalent in the framework
    (NumPy: BF16, F8*, F6*, F4; torch 1.13: U16, U32, U64, F8*, F6*, F4),
    UnsupportedShape when a dimension exceeds 2**63 - 1 (an empty tensor the
    format allows), both before any array is made; OSError when the file
    cannot be read.
    """
    if framework not in ("numpy", "torch"):
        raise ValueError(f"framework must be 'numpy' or 'torch', not {framework!r}")
    if not isinstance(device, str):
        raise TypeError(f"device must be str, not {type(device).__name__}")
    if not isinstance(deep, bool):
        raise TypeError(f"deep must be bool, not {type(deep).__name__}")
    raw_path = fspath_bytes(path)
    pol = as_policy(policy)
    buf = _read_private(raw_path)
    report = _validate_buffer(buf, pol, deep)
    try:
        if not report.accepted:
            raise RejectedFile(os.fsdecode(raw_path), report)
        _check_shapes(report)
        data_start = 8 + report.header_bytes
        if framework == "numpy":
            np = _numpy_dtypes(report)
            result = {}
            for t in report.tensors:
                raw = buf[data_start + t.begin:data_start + t.end]
                if t.dtype == "BOOL":
                    result[t.name] = (raw != 0).reshape(t.shape)
                else:
                    result[t.name] = raw.view(np.dtype(NUMPY_DTYPES[t.dtype])).reshape(t.shape)
            return result
        torch, dtypes = _torch_dtypes(report)
        whole = torch.from_numpy(buf)
        result = {}
        for t in report.tensors:
            begin = data_start + t.begin
            raw = whole[begin:data_start + t.end]
            if t.dtype == "BOOL":
                tensor = (raw != 0).reshape(t.shape)
            else:
                item = ITEM_BITS[t.dtype] // 8
                if begin % item != 0 or buf.ctypes.data % item != 0:
                    raw = raw.clone()  # unaligned data: an aligned copy
                tensor = raw.view(dtypes[t.dtype]).reshape(t.shape)
            if device != "cpu":
                tensor = tensor.to(device)
            result[t.name] = tensor
        return result
    finally:
        if report.accepted:
            report.close()  # a RejectedFile keeps its report readable (to_json)
