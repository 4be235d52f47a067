"""Exceptions, and the one place a C status becomes one."""
from __future__ import annotations

from typing import NoReturn, Optional

from . import _native


class StguardError(Exception):
    """Base of stguard's own exceptions (an internal error of the library)."""


class PolicyError(StguardError, ValueError):
    """An unknown policy name, or a policy file that cannot be read or is invalid."""


class UnsupportedDtype(StguardError, TypeError):
    """load_file: a tensor's dtype has no equivalent in the framework asked for."""

    def __init__(self, message: str, dtype: str, tensor: str) -> None:
        super().__init__(message)
        self.dtype = dtype
        self.tensor = tensor


class UnsupportedShape(StguardError, ValueError):
    """load_file: a tensor's shape has a dimension above 2**63 - 1 (allowed by
    safetensors when another dimension is 0, held by neither NumPy nor torch)."""

    def __init__(self, message: str, shape: tuple, tensor: str) -> None:
        super().__init__(message)
        self.shape = shape
        self.tensor = tensor


class RejectedFile(StguardError):
    """load_file: the validator rejected the file; ``.report`` says why."""

    def __init__(self, path: str, report: "object") -> None:
        self.path = path
        self.report = report
        findings = [f for f in getattr(report, "findings", ()) if f.severity == "error"]
        first = f": {findings[0].id}: {findings[0].message}" if findings else ""
        super().__init__(f"{path}: rejected by stguard ({len(findings)} error(s)){first}")


def raise_status(status: int, what: Optional[str] = None) -> NoReturn:
    """Raises the exception for a failed call's status (stguard_last_error says why)."""
    message = _native.last_error()
    if what:
        message = f"{what}: {message}" if message else what
    if status in (_native.ERR_UNKNOWN_POLICY, _native.ERR_BAD_POLICY):
        raise PolicyError(message)
    if status == _native.ERR_IO:
        code = _native.errno_of(message)
        if code is not None:
            raise OSError(code, message)
        raise OSError(message)
    if status == _native.ERR_INVALID_ARGUMENT:
        raise ValueError(message)
    if status == _native.ERR_NO_MEMORY:
        raise MemoryError(message)
    raise StguardError(f"status {status}: {message}")


def check(status: int, what: Optional[str] = None) -> None:
    if status != _native.OK:
        raise_status(status, what)
