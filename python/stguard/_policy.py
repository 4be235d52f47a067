"""Policies: built-in ("compat", "default", "strict"), files, or either by name."""
from __future__ import annotations

import ctypes
import os
import threading
import weakref
from typing import Dict, Union

from . import _native
from ._errors import check
from ._paths import fspath_bytes

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
BUILTIN_NAMES = ("compat", "default", "strict")


class Policy:
    """A validation policy (an immutable handle, shareable by threads).

    Freed when garbage collected, or at once with close() / a ``with`` block.
    """

    __slots__ = ("_handle", "_finalizer", "__weakref__")

    def __init__(self, handle: int) -> None:
        # Private: use builtin(), load() or resolve().
        self._handle = handle
        self._finalizer = weakref.finalize(self, _native.lib.stguard_policy_free, handle)

    @classmethod
    def _make(cls, function, argument: bytes, what: str) -> "Policy":
        out = ctypes.c_void_p()
        check(function(argument, ctypes.byref(out)), what)
        return cls(out.value)

    @classmethod
    def builtin(cls, name: str) -> "Policy":
        """A built-in policy: "compat", "default" or "strict" (PolicyError otherwise)."""
        if not isinstance(name, str):
            raise TypeError(f"policy name must be str, not {type(name).__name__}")
        return cls._make(_native.lib.stguard_policy_builtin, name.encode("utf-8"), name)

    @classmethod
    def load(cls, path: PathLike) -> "Policy":
        """A policy file (JSON, policies/README.md); PolicyError when unreadable or invalid."""
        raw = fspath_bytes(path)
        return cls._make(_native.lib.stguard_policy_load_file, raw, os.fsdecode(raw))

    @classmethod
    def resolve(cls, name_or_path: PathLike) -> "Policy":
        """As ``stguard check --policy``: a built-in or installed name, else a file."""
        raw = fspath_bytes(name_or_path)
        return cls._make(_native.lib.stguard_policy_resolve, raw, os.fsdecode(raw))

    @property
    def name(self) -> str:
        out = ctypes.c_char_p()
        check(_native.lib.stguard_policy_name(self.handle, ctypes.byref(out)))
        return out.value.decode("utf-8", "surrogateescape")

    @property
    def handle(self) -> int:
        if not self._finalizer.alive:
            raise ValueError("policy is closed")
        return self._handle

    def close(self) -> None:
        """Frees the handle now (later use raises ValueError)."""
        self._finalizer()

    def __enter__(self) -> "Policy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if not self._finalizer.alive:
            return "<stguard.Policy closed>"
        return f"<stguard.Policy {self.name!r}>"


_builtins: Dict[str, Policy] = {}
_builtins_lock = threading.Lock()


def as_policy(policy: Union[str, Policy, "os.PathLike[str]"]) -> Policy:
    """A Policy argument: a Policy, a built-in name (kept for reuse), or resolve()d."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, str) and policy in BUILTIN_NAMES:
        with _builtins_lock:
            found = _builtins.get(policy)
            if found is None:
                found = _builtins[policy] = Policy.builtin(policy)
            return found
    if isinstance(policy, (str, bytes, os.PathLike)):
        return Policy.resolve(policy)
    raise TypeError(f"policy must be a name, a path or a stguard.Policy, "
                    f"not {type(policy).__name__}")
