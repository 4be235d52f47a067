"""load_file: values round-trip, dtypes refused clearly, rejections raise,
and the arrays live in private memory read once."""
from __future__ import annotations

import os

import numpy as np
import pytest

import stguard
from conftest import (CORPUS, NUMPY_DTYPES, accepted_corpus_files, parse_safetensors,
                      safetensors_bytes)

try:
    import torch
except ImportError:  # numpy-only machines run the rest
    torch = None

TORCH_DTYPE_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
                     "C64": "complex64", "I64": "int64", "I32": "int32", "I16": "int16",
                     "I8": "int8", "U8": "uint8", "BOOL": "bool"}


def sample(np_dtype: str, shape):
    rng = np.random.default_rng(abs(hash((np_dtype, shape))) % 2**32)
    n = int(np.prod(shape)) if shape else 1
    dt = np.dtype(np_dtype)
    if dt.kind == "b":
        values = rng.integers(0, 2, n).astype(bool)
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        values = rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)
    elif dt.kind == "c":
        values = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dt)
    else:
        values = rng.standard_normal(n).astype(dt)
    return values.reshape(shape)


def write(path, arrays):
    tensors = {name: (st, a.shape, a.astype(np_dtype).tobytes()) for name, (st, np_dtype, a)
               in arrays.items()}
    blob = safetensors_bytes(tensors)
    with open(path, "wb") as f:
        f.write(blob)
    return blob


def test_every_numpy_dtype_round_trips(tmp_path):
    arrays = {}
    for st, np_dtype in NUMPY_DTYPES:
        for shape in ((), (0,), (3,), (2, 3, 4)):
            arrays[f"{st}/{len(shape)}/{sum(shape)}"] = (st, np_dtype, sample(np_dtype, shape))
    path = tmp_path / "all.safetensors"
    write(path, arrays)
    loaded = stguard.load_file(path)
    assert set(loaded) == set(arrays)
    for name, (st, np_dtype, a) in arrays.items():
        got = loaded[name]
        assert got.shape == a.shape, name
        assert got.dtype == np.dtype(np_dtype).newbyteorder("=") or got.dtype == np.dtype(np_dtype)
        np.testing.assert_array_equal(got, a, err_msg=name)
    if torch is not None:
        # Those torch has (1.13: no U16, U32, U64), in a file of their own.
        arrays = {name: v for name, v in arrays.items()
                  if hasattr(torch, TORCH_DTYPE_NAMES.get(v[0], "-"))}
        write(path, arrays)
        loaded = stguard.load_file(str(path), framework="torch")
        assert set(loaded) == set(arrays)
        for name, (st, np_dtype, a) in arrays.items():
            t = loaded[name]
            assert t.dtype == getattr(torch, TORCH_DTYPE_NAMES[st])
            np.testing.assert_array_equal(t.numpy(), a, err_msg=name)


def reference_values(blob: bytes, framework: str):
    """Values by the independent parser: NumPy from the raw bytes, or torch for BF16."""
    out = {}
    for name, (dtype, shape, raw) in parse_safetensors(blob).items():
        if framework == "torch":
            t = torch.frombuffer(bytearray(raw), dtype=getattr(torch, TORCH_DTYPE_NAMES[dtype])) \
                if raw else torch.empty(0, dtype=getattr(torch, TORCH_DTYPE_NAMES[dtype]))
            out[name] = t.reshape(shape)
        else:
            np_dtype = dict(NUMPY_DTYPES)[dtype]
            out[name] = np.frombuffer(raw, dtype=np_dtype).reshape(shape)
    return out


def loadable(blob: bytes, framework: str) -> bool:
    names = TORCH_DTYPE_NAMES if framework == "torch" else dict(NUMPY_DTYPES)
    return all(d in names for d, _, _ in parse_safetensors(blob).values())


def test_accepted_corpus_files_load_to_their_values():
    files = accepted_corpus_files()
    assert len(files) > 30
    frameworks = ["numpy"] + (["torch"] if torch is not None else [])
    checked = 0
    for path in files:
        with open(path, "rb") as f:
            blob = f.read()
        if not stguard.check(blob, deep=True).accepted:
            continue
        for framework in frameworks:
            if not loadable(blob, framework):
                with pytest.raises(stguard.UnsupportedDtype) as e:
                    stguard.load_file(path, framework=framework)
                assert e.value.dtype in str(e.value)
                continue
            got = stguard.load_file(path, framework=framework)
            want = reference_values(blob, framework)
            assert set(got) == set(want), path
            for name in want:
                if framework == "torch":
                    assert got[name].dtype == want[name].dtype
                    assert torch.equal(got[name], want[name]), (path, name)
                else:
                    np.testing.assert_array_equal(got[name], want[name], err_msg=path)
            checked += 1
    assert checked > 30


def test_adversarial_files_accepted_by_default_load_as_the_reference_reads_them():
    """Every file of corpus/reference/adversarial stguard accepts and NumPy can hold."""
    directory = os.path.join(CORPUS, "reference", "adversarial")
    loaded = huge = 0
    for entry in sorted(os.listdir(directory)):
        path = os.path.join(directory, entry)
        with open(path, "rb") as f:
            blob = f.read()
        # The loader deep-scans: BOOL bytes other than 0 and 1 reject.
        if not stguard.check(blob, deep=True).accepted or not loadable(blob, "numpy"):
            continue
        try:
            got = stguard.load_file(path)
        except stguard.UnsupportedShape as e:
            assert max(e.shape) >= 2**63 and 0 in e.shape
            huge += 1
            continue
        want = reference_values(blob, "numpy")
        assert set(got) == set(want), path
        for name in want:
            np.testing.assert_array_equal(got[name], want[name].astype(got[name].dtype)
                                          if want[name].dtype == bool else want[name])
        loaded += 1
    assert loaded > 100 and huge > 0


def test_unsupported_dtypes_are_named(tmp_path):
    bf16 = os.path.join(CORPUS, "real", "dtype_bfloat16.safetensors")
    with pytest.raises(stguard.UnsupportedDtype) as e:
        stguard.load_file(bf16)
    assert "BF16" in str(e.value) and e.value.dtype == "BF16"
    f8 = os.path.join(CORPUS, "real", "dtype_float8_e4m3fn.safetensors")
    with pytest.raises(stguard.UnsupportedDtype):
        stguard.load_file(f8)
    if torch is not None and not hasattr(torch, "uint16"):
        u16 = os.path.join(CORPUS, "real", "dtype_uint16.safetensors")
        with pytest.raises(stguard.UnsupportedDtype) as e:
            stguard.load_file(u16, framework="torch")
        assert "U16" in str(e.value) and torch.__version__ in str(e.value)
    if torch is not None and not hasattr(torch, "float8_e4m3fn"):
        with pytest.raises(stguard.UnsupportedDtype):
            stguard.load_file(f8, framework="torch")


def test_rejected_files_raise_with_their_report(tmp_path):
    bad = tmp_path / "bad_bool.safetensors"
    with open(bad, "wb") as f:  # a BOOL byte of 2: only the deep scan sees it
        f.write(safetensors_bytes({"b": ("BOOL", (2,), b"\x01\x02")}))
    assert stguard.check(bad).accepted  # the header alone is fine
    with pytest.raises(stguard.RejectedFile) as e:
        stguard.load_file(bad)
    assert e.value.report.verdict == "reject"
    assert any(f.code == 609 for f in e.value.report.findings)
    assert '"verdict":"reject"' in e.value.report.to_json()
    for path in sorted(os.listdir(os.path.join(CORPUS, "examples", "rejected"))):
        with pytest.raises(stguard.RejectedFile):
            stguard.load_file(os.path.join(CORPUS, "examples", "rejected", path))
    # compat warns about the BOOL byte, and deep=False does not look at it:
    # either way the loader gives true bools.
    for kwargs in ({"policy": "compat"}, {"deep": False}):
        got = stguard.load_file(bad, **kwargs)["b"]
        assert got.dtype == bool and got.tolist() == [True, True]
        if torch is not None:
            got = stguard.load_file(bad, framework="torch", **kwargs)["b"]
            assert got.dtype == torch.bool and got.tolist() == [True, True]


def test_errors_of_arguments_and_files(tmp_path):
    good = os.path.join(CORPUS, "real", "dtype_int8.safetensors")
    with pytest.raises(FileNotFoundError):
        stguard.load_file(tmp_path / "missing.safetensors")
    with pytest.raises(IsADirectoryError):
        stguard.load_file(tmp_path)
    with pytest.raises(ValueError):
        stguard.load_file(good, framework="jax")
    with pytest.raises(TypeError):
        stguard.load_file(None)
    with pytest.raises(TypeError):
        stguard.load_file(good, device=0)
    with pytest.raises(TypeError):
        stguard.load_file(good, deep=None)
    with pytest.raises(stguard.PolicyError):
        stguard.load_file(good, policy="nope")
    raw = os.fsencode(str(tmp_path)) + b"/\xfe.safetensors"
    with open(raw, "wb") as out, open(good, "rb") as src:
        out.write(src.read())
    assert set(stguard.load_file(raw)) == {"scalar", "t"}


def test_arrays_are_private_memory_read_once(tmp_path):
    a = np.arange(1024, dtype="<f4")
    path = tmp_path / "m.safetensors"
    write(path, {"a": ("F32", "<f4", a)})
    got = stguard.load_file(path)["a"]
    base = got
    while isinstance(base.base, np.ndarray):
        base = base.base
    assert base.base is None  # NumPy's own allocation, not a mapping of the file
    # The file changes after the load: what was loaded does not.
    write(path, {"a": ("F32", "<f4", a * 0 - 1)})
    np.testing.assert_array_equal(got, a)
