"""python -m stguard: the CLI's exit codes and output (it runs the CLI carried
with the package's library: these check that it is that CLI, and that
arguments, standard input and exit statuses pass through)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import CORPUS, corpus_files

BOOL_FILE = os.path.join(CORPUS, "real", "dtype_bool.safetensors")


def run(args, stdin=None):
    return subprocess.run([sys.executable, "-m", "stguard"] + args, capture_output=True,
                          stdin=stdin)


def both(cli, args, stdin_path=None):
    def go(command):
        if stdin_path is None:
            return subprocess.run(command + args, capture_output=True)
        with open(stdin_path, "rb") as f:
            return subprocess.run(command + args, capture_output=True, stdin=f)
    return go([sys.executable, "-m", "stguard"]), go([cli])


@pytest.mark.parametrize("args", [
    ["check", BOOL_FILE],
    ["check", "-f", "json", BOOL_FILE],
    ["check", "--format", "jsonl", "--deep", BOOL_FILE],
    ["check", "-f", "json", "--deep", os.path.join(CORPUS, "real", "gpt2_float32_sharded")],
    ["check", "-p", "strict", "-f", "json", os.path.join(CORPUS, "examples")],
    ["check", "-f", "json", BOOL_FILE, os.path.join(CORPUS, "real", "dtype_int8.safetensors")],
    ["check", BOOL_FILE, "/nonexistent/x.safetensors"],
    ["check", "-f", "json", "/nonexistent/x.safetensors"],
    ["check"] + corpus_files("examples", "rejected", "*"),
    ["check", "-f", "json", os.path.join(CORPUS, "real", "GENERATED.txt")],
    # Whole directories in text: roles, shards, model files, escaped names,
    # hashes and the skipped summary as the CLI writes them.
    ["check", "--deep", os.path.join(CORPUS, "foreign"), os.path.join(CORPUS, "regressions")],
    ["check", "-p", "compat", os.path.join(CORPUS, "real")],
    # Options and commands the CLI has (all of them pass through).
    ["check", "-q", "-j", "2", "--fail-on", "warning", os.path.join(CORPUS, "examples")],
    ["check", "-f", "sarif", "--sarif-root", CORPUS, os.path.join(CORPUS, "real", "bert_float32")],
    ["check", "--exclude", "*.bin", os.path.join(CORPUS, "foreign")],
    ["explain", "ST311"],
    ["codes"],
    ["policy", "strict"],
])
def test_same_output_and_exit_code_as_the_cli(cli, args):
    mine, theirs = both(cli, args)
    assert mine.returncode == theirs.returncode, mine.stderr
    assert mine.stdout == theirs.stdout


def test_standard_input(cli):
    for path in [BOOL_FILE] + corpus_files("examples", "rejected", "*")[:3]:
        for fmt in ("json", "jsonl", "text"):
            mine, theirs = both(cli, ["check", "-f", fmt, "--deep", "-"], stdin_path=path)
            assert (mine.returncode, mine.stdout) == (theirs.returncode, theirs.stdout)


def test_it_is_the_carried_cli_of_the_library():
    import stguard
    version = run(["--version"])
    assert version.returncode == 0
    assert stguard.__version__ in version.stdout.decode().split()
    carried = os.path.join(os.path.dirname(stguard.library_path), "stguard")
    if "/_lib/" in stguard.library_path:
        assert os.access(carried, os.X_OK), carried


def test_exit_codes(tmp_path):
    assert run(["check", BOOL_FILE]).returncode == 0
    assert run(["check", corpus_files("examples", "rejected", "*")[0]]).returncode == 1
    assert run(["check", str(tmp_path / "missing")]).returncode == 2
    assert run(["check", "-p", "no-such-policy", BOOL_FILE]).returncode == 2
    assert run(["check", "--no-such-option", BOOL_FILE]).returncode == 2
    assert run(["check", "-", "-"]).returncode == 2
    assert run([]).returncode == 2
    empty = run(["check", str(tmp_path)])
    assert empty.returncode == 3 and b"nothing to check" in empty.stderr
