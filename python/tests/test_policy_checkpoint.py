"""Policies and check_checkpoint (against the CLI's JSON)."""
from __future__ import annotations

import glob
import os
import subprocess

import pytest

import stguard
from conftest import CORPUS, REPO


def test_builtin_load_resolve():
    for name in ("compat", "default", "strict"):
        with stguard.Policy.builtin(name) as p:
            assert p.name == name
        assert stguard.Policy.resolve(name).name == name
    policy_files = sorted(glob.glob(os.path.join(REPO, "policies", "*.json")))
    assert policy_files
    for path in policy_files:
        p = stguard.Policy.load(path)
        assert p.name
        assert stguard.Policy.resolve(path).name == p.name
        assert stguard.Policy.load(os.fsencode(path)).name == p.name
        stguard.check(os.path.join(CORPUS, "real", "dtype_int8.safetensors"), policy=p)


def test_policy_errors(tmp_path):
    with pytest.raises(stguard.PolicyError):
        stguard.Policy.builtin("lenient")
    with pytest.raises(stguard.PolicyError):
        stguard.Policy.load(str(tmp_path / "missing.json"))
    with pytest.raises(stguard.PolicyError):
        stguard.Policy.resolve("no-such-policy-anywhere")
    bad = tmp_path / "bad.json"
    bad.write_text('{"extends": "default", "no_such_knob": 1}')
    with pytest.raises(stguard.PolicyError):
        stguard.Policy.load(bad)
    with pytest.raises(TypeError):
        stguard.Policy.builtin(b"default")
    with pytest.raises(TypeError):
        stguard.Policy.load(42)
    p = stguard.Policy.builtin("strict")
    p.close()
    with pytest.raises(ValueError):
        stguard.check(os.path.join(CORPUS, "real", "dtype_int8.safetensors"), policy=p)
    assert "closed" in repr(p)


def test_checkpoints_as_the_cli_judges_them(cli, tmp_path):
    paths = sorted(glob.glob(os.path.join(CORPUS, "real", "*_sharded")))
    paths += sorted(glob.glob(os.path.join(CORPUS, "real", "*_sharded", "*.index.json")))[:2]
    paths += [os.path.join(CORPUS, "examples"), os.path.join(CORPUS, "foreign"),
              str(tmp_path / "missing")]
    for path in paths:
        for policy in ("default", "strict"):
            cp = stguard.check_checkpoint(path, policy=policy)
            run = subprocess.run([cli, "check", "-p", policy, "-f", "json", path],
                                 capture_output=True)
            assert cp.to_json().encode() == run.stdout, path
            if run.returncode == 0:
                assert cp.accepted
            else:
                assert cp.verdict == "reject"
            lines = subprocess.run([cli, "check", "-p", policy, "-f", "jsonl", path],
                                   capture_output=True)
            assert cp.to_json(lines=True).encode() == lines.stdout
    sharded = stguard.check_checkpoint(os.path.join(CORPUS, "real", "gpt2_float32_sharded"))
    roles = [f.role for f in sharded.files]
    assert roles[0] == "index" and roles.count("shard") == 4
    assert all(f.index == sharded.files[0].path for f in sharded.files[1:])
    assert sharded.skipped["text-or-config"] == 2
    missing = stguard.check_checkpoint(str(tmp_path / "missing"))
    assert missing.verdict == "reject" and not missing.files[0].io_ok
    assert "No such file" in missing.files[0].io_error


def test_checkpoint_bytes_path_and_bad_arguments(tmp_path):
    raw = os.fsencode(str(tmp_path)) + b"/d\xff"
    os.mkdir(raw)
    with open(raw + b"/m.safetensors", "wb") as out, \
            open(os.path.join(CORPUS, "real", "dtype_int8.safetensors"), "rb") as src:
        out.write(src.read())
    cp = stguard.check_checkpoint(raw)
    assert cp.accepted and os.fsencode(cp.files[0].path) == raw + b"/m.safetensors"
    assert "\\udcff" in cp.to_json()
    with pytest.raises(TypeError):
        stguard.check_checkpoint(None)
    with pytest.raises(TypeError):
        stguard.check_checkpoint(str(tmp_path), deep="no")
    with pytest.raises(stguard.PolicyError):
        stguard.check_checkpoint(str(tmp_path), policy="nope")
