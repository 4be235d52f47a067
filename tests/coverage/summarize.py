#!/usr/bin/env python3
"""Turns gcovr's JSON into reports/coverage.json and reports/coverage.md."""
import json
import os
import re
import sys
from datetime import datetime, timezone

root, detail_path, summary_path, ctest_status, labels = sys.argv[1:6]
detail = json.load(open(detail_path))
summary = json.load(open(summary_path))

# Reasons for code that tests cannot reach, recognised by what the line says.
REASONS = [
    (r"bad_alloc|nothrow|kResourceExhausted|out of memory|_capacity_ = 0|new \(std::nothrow\)",
     "allocation failure: needs fault injection, not reachable from a test input"),
    (r"kInternalError|unexpected exception|catch \(\.\.\.\)|catch \(const std::exception",
     "internal-error / exception guard: unreachable unless the library has a bug"),
    (r"[Dd]esync|lost step", "JSON cursor desync guard: unreachable once simdjson accepted the text"),
    (r"pread|EINTR|shrank|strerror|fstat|S_ISREG|S_ISDIR", "I/O error path of the file source"),
    (r"return \"error\";|return \"reject\";|unsupported kind",
     "fallthrough after an exhaustive switch (unreachable)"),
]


def reason_for(lines_text):
    for pattern, why in REASONS:
        if any(re.search(pattern, t) for t in lines_text):
            return why
    return ""


def ranges(numbers):
    out = []
    for n in sorted(numbers):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


line_pct = round(summary["line_percent"], 2)
branch_pct = round(summary["branch_percent"], 2)
os.makedirs(os.path.join(root, "reports"), exist_ok=True)
json.dump({"line": line_pct, "branch": branch_pct,
           "lines_covered": summary["line_covered"], "lines_total": summary["line_total"],
           "branches_covered": summary["branch_covered"],
           "branches_total": summary["branch_total"],
           "ctest_labels": labels, "ctest_exit": int(ctest_status),
           "tool": "gcc --coverage + gcovr --exclude-throw-branches --exclude-unreachable-branches",
           "scope": "validator/src (excluding *_test.cc)"},
          open(os.path.join(root, "reports", "coverage.json"), "w"), indent=2)
open(os.path.join(root, "reports", "coverage.json"), "a").write("\n")

md = []
md.append("# Coverage of validator/src\n")
md.append(f"Measured {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} by "
          "`tests/coverage/run` (gcc `--coverage -O0`, gcovr with "
          "`--exclude-throw-branches --exclude-unreachable-branches`), running "
          f"`ctest -L '{labels}'` (exit status {ctest_status}).\n")
md.append(f"- **Lines: {line_pct}%** ({summary['line_covered']}/{summary['line_total']})")
md.append(f"- **Branches: {branch_pct}%** ({summary['branch_covered']}/{summary['branch_total']})\n")
md.append("| file | lines | branches |")
md.append("|---|---|---|")
for f in sorted(summary["files"], key=lambda f: f["filename"]):
    md.append(f"| {f['filename']} | {f['line_percent']}% ({f['line_covered']}/{f['line_total']}) "
              f"| {f['branch_percent']}% ({f['branch_covered']}/{f['branch_total']}) |")
md.append("\n## Not covered\n")
md.append("Uncovered lines (line ranges), then lines with a branch never taken. "
          "The reason column is filled where the code says why it cannot be reached "
          "from a test input; otherwise it is a gap the tests could close.\n")
for f in sorted(detail["files"], key=lambda f: f["file"]):
    path = os.path.join(root, f["file"])
    try:
        source = open(path, encoding="utf-8", errors="replace").read().split("\n")
    except OSError:
        source = []
    uncovered = [l["line_number"] for l in f["lines"]
                 if not l.get("gcovr/noncode") and l["count"] == 0]
    partial = []
    for l in f["lines"]:
        if l["count"] == 0 or not l.get("branches"):
            continue
        missed = [b for b in l["branches"] if b["count"] == 0]
        if missed:
            partial.append((l["line_number"], len(missed), len(l["branches"])))
    if not uncovered and not partial:
        continue
    md.append(f"### {f['file']}\n")
    if uncovered:
        md.append("| lines not run | code | reason |")
        md.append("|---|---|---|")
        for a, b in ranges(uncovered):
            text = [source[i - 1].strip() for i in range(a, b + 1) if 0 < i <= len(source)]
            first = (text[0] if text else "")[:70].replace("|", "\\|")
            span = f"{a}" if a == b else f"{a}-{b}"
            md.append(f"| {span} | `{first}` | {reason_for(text[:2])} |")
        md.append("")
    if partial:
        md.append("| line | branches not taken | code | reason |")
        md.append("|---|---|---|---|")
        for n, missed, total in partial:
            text = source[n - 1].strip() if 0 < n <= len(source) else ""
            md.append(f"| {n} | {missed}/{total} | `{text[:70].replace('|', chr(92) + '|')}` "
                      f"| {reason_for([text])} |")
        md.append("")
open(os.path.join(root, "reports", "coverage.md"), "w").write("\n".join(md) + "\n")
print(f"line {line_pct}%  branch {branch_pct}%")
