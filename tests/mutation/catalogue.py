"""The mutant catalogue (tests/mutation/mutants.txt) and the scratch tree the
mutants are applied in, shared by tests/mutation/run (the test suite's
mutation score) and fuzz/mutation-score (the fuzzers').

Catalogue format, one block per mutant:

    === ID
    file: path from the repository root
    what: one line for the report
    targets: fuzz_a, fuzz_b     (optional: the fuzz targets that reach the
                                 mutated code; default fuzz_check, fuzz_structured)
    equivalent: why the mutant cannot be killed   (optional)
    fuzz-note: what would let the fuzzers find it (optional; for the
               fuzzer report's list of misses)
    <<<
    exact original snippet (must occur exactly once in the file)
    ---
    replacement
    >>>

Python 3 standard library only.
"""
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CATALOGUE = os.path.join(ROOT, "tests", "mutation", "mutants.txt")
DEFAULT_TARGETS = ("fuzz_check", "fuzz_structured")


def parse_catalogue(path=CATALOGUE):
    """The mutants of `path`, in order: dicts with id, file, what, targets,
    equivalent, orig and repl (the snippets, as text)."""
    mutants = []
    current = None
    mode = None
    for number, raw in enumerate(open(path, encoding="utf-8").read().split("\n"), 1):
        if mode in ("orig", "repl"):
            if raw == "---" and mode == "orig":
                mode = "repl"
                continue
            if raw == ">>>":
                mode = None
                continue
            current[mode].append(raw)
            continue
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("=== "):
            current = {"id": line[4:].strip(), "file": None, "orig": [], "repl": [],
                       "equivalent": None, "what": "", "targets": list(DEFAULT_TARGETS),
                       "targets_set": False, "fuzz_note": None}
            mutants.append(current)
        elif current is None:
            sys.exit(f"mutants.txt:{number}: text before the first '=== ID': {raw!r}")
        elif line.startswith("file:"):
            current["file"] = line[5:].strip()
        elif line.startswith("what:"):
            current["what"] = line[5:].strip()
        elif line.startswith("targets:"):
            current["targets"] = [t.strip() for t in line[8:].split(",") if t.strip()]
            current["targets_set"] = True
        elif line.startswith("equivalent:"):
            current["equivalent"] = line[11:].strip()
        elif line.startswith("fuzz-note:"):
            current["fuzz_note"] = line[10:].strip()
        elif line == "<<<":
            mode = "orig"
        else:
            sys.exit(f"mutants.txt:{number}: cannot parse line: {raw!r}")
    for m in mutants:
        m["orig"] = "\n".join(m["orig"])
        m["repl"] = "\n".join(m["repl"])
    return mutants


def validate(mutants, source_root):
    """Exits (status 2) listing every mutant whose snippet does not occur
    exactly once in its file under `source_root`; sets each mutant's line."""
    errors = []
    ids = set()
    for m in mutants:
        if m["id"] in ids:
            errors.append(f"{m['id']}: duplicate id")
        ids.add(m["id"])
        if not m["file"] or not m["orig"]:
            errors.append(f"{m['id']}: needs a file and an original snippet")
            continue
        if m["targets_set"] and not m["targets"]:
            errors.append(f"{m['id']}: an empty targets: line")
        for t in m["targets"]:
            if not t.startswith("fuzz_"):
                errors.append(f"{m['id']}: target {t!r} is not a fuzz_* target")
        path = os.path.join(source_root, m["file"])
        if not os.path.exists(path):
            errors.append(f"{m['id']}: no file {m['file']}")
            continue
        text = open(path, encoding="utf-8").read()
        count = text.count(m["orig"])
        if count != 1:
            errors.append(f"{m['id']}: snippet found {count} times in {m['file']} (must be 1):\n"
                          f"{m['orig']}")
            continue
        if m["orig"] == m["repl"]:
            errors.append(f"{m['id']}: replacement equals the original")
        m["line"] = text[:text.index(m["orig"])].count("\n") + 1
    if errors:
        print("MUTANT CATALOGUE ERRORS:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(2)


class Applied:
    """`with Applied(tree, mutant):` the mutant's replacement in the scratch
    tree's copy of its file, the pristine text put back on the way out."""

    def __init__(self, tree, mutant):
        self.path = os.path.join(tree, mutant["file"])
        self.mutant = mutant
        self.pristine = None

    def __enter__(self):
        self.pristine = open(self.path, encoding="utf-8").read()
        mutated = self.pristine.replace(self.mutant["orig"], self.mutant["repl"], 1)
        open(self.path, "w", encoding="utf-8").write(mutated)
        return self

    def __exit__(self, *exc):
        open(self.path, "w", encoding="utf-8").write(self.pristine)
        return False


def run(cmd, cwd, timeout=None, log=None, env=None):
    """Runs cmd; returns (exit code, stdout+stderr). -1 on a timeout."""
    start = time.time()
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", timeout=timeout, env=env)
        out, code = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
        out += "\n[timeout]"
        code = -1
    if log:
        with open(log, "a") as f:
            f.write(f"$ {' '.join(cmd)}  ({time.time() - start:.1f}s, exit {code})\n{out}\n")
    return code, out


def copy_tree(dst, src=ROOT):
    """Mirrors the working tree `src` into `dst` (build dirs and .git
    excluded), writing only files whose content differs, so a scratch build
    there stays incremental."""
    os.makedirs(dst, exist_ok=True)
    seen = set()
    for d, dirs, files in os.walk(src):
        rel = os.path.relpath(d, src)
        if rel == ".":
            dirs[:] = [x for x in dirs if not x.startswith("build") and x != ".git"]
        for f in files:
            src_path = os.path.join(d, f)
            rel_path = os.path.normpath(os.path.join(rel, f))
            seen.add(rel_path)
            dst_path = os.path.join(dst, rel_path)
            data = open(src_path, "rb").read()
            if os.path.exists(dst_path) and open(dst_path, "rb").read() == data:
                continue
            os.makedirs(os.path.dirname(dst_path), exist_ok=True)
            open(dst_path, "wb").write(data)
            shutil.copymode(src_path, dst_path)
    for d, dirs, files in os.walk(dst):
        rel = os.path.relpath(d, dst)
        if rel == ".":
            dirs[:] = [x for x in dirs if not x.startswith("build") and x != ".git"]
        for f in files:
            rel_path = os.path.normpath(os.path.join(rel, f))
            if rel_path not in seen:
                os.remove(os.path.join(d, f))
