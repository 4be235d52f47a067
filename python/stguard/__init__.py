"""stguard: validate safetensors files before anything parses them.

A ctypes binding of libstguard's C API (stguard/stguard.h):

    report = stguard.check("model.safetensors")          # a Report, never raises on reject
    report.verdict, report.findings, report.to_json()
    stguard.check_checkpoint("models/llama/")             # a directory or an index
    tensors = stguard.load_file("model.safetensors")      # validated bytes, loaded

See python/README.md.
"""
from __future__ import annotations

from . import _native
from ._check import check, check_checkpoint
from ._errors import (PolicyError, RejectedFile, StguardError, UnsupportedDtype,
                      UnsupportedShape)
from ._load import load_file
from ._policy import Policy
from ._report import (Checkpoint, Content, Finding, JudgedFile, Report, TensorContent,
                      TensorInfo)

__version__: str = _native.lib.stguard_version().decode("ascii")
library_path: str = _native.library_path

__all__ = ["check", "check_checkpoint", "load_file", "Policy", "Report", "Checkpoint",
           "Finding", "TensorInfo", "TensorContent", "Content", "JudgedFile", "StguardError",
           "PolicyError", "RejectedFile", "UnsupportedDtype", "UnsupportedShape", "__version__",
           "library_path"]
