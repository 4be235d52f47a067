"""``python -m stguard check``: the CLI's check over the C API.

Same options as ``stguard check`` for what it supports (paths, ``-`` for
standard input, -p/--policy, --deep, -f/--format text|json|jsonl), same exit
codes (0 accepted, 1 rejected, 2 usage or I/O error, 3 nothing to check).
JSON for one path (or ``-``) is byte-for-byte the CLI's (the C API renders
it); with several paths the files are listed path by path (the CLI lists
indexes with their shards first, and names a file met twice once, with
"also_at"). Text is rendered here from the same JSON as cli/render.cc does
(escapes included), without colour.
Not supported: -q, -j, --include/--exclude, --fail-on, -o, sarif, --root,
verify, explain, policy, codes: use the stguard binary for those.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional, Sequence

from . import _native
from ._check import check, check_checkpoint
from ._errors import PolicyError
from ._policy import as_policy
from ._report import SKIPPED_REASONS

EXIT_ACCEPT, EXIT_REJECT, EXIT_ERROR, EXIT_NOTHING = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stguard",
                                     description="Validate safetensors files (libstguard).")
    commands = parser.add_subparsers(dest="command", required=True)
    c = commands.add_parser("check", help="validate files, directories, indexes or stdin ('-')")
    c.add_argument("paths", nargs="+", metavar="PATH")
    c.add_argument("-p", "--policy", default="default",
                   help="compat|default|strict, an installed policy's name, or a policy file")
    c.add_argument("--deep", action="store_true", help="also read and hash the data section")
    c.add_argument("-f", "--format", choices=("text", "json", "jsonl"), default="text")
    return parser


def _is_bidi_control(code: int) -> bool:
    return code in (0x061C, 0x200E, 0x200F) or 0x202A <= code <= 0x202E or \
        0x2066 <= code <= 0x2069


def _utf8_length(raw: bytes, i: int) -> int:
    """Length of the valid UTF-8 sequence at raw[i], 0 when there is none."""
    lead = raw[i]
    n = 1 if lead < 0x80 else 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF \
        else 4 if 0xF0 <= lead <= 0xF4 else 0
    try:
        raw[i:i + n].decode("utf-8") if n else None
    except UnicodeDecodeError:
        return 0
    return n if n and i + n <= len(raw) else 0


def _escape(text: str) -> str:
    """The CLI's terminal-safe text (cli/render.cc TerminalSafe): C0, DEL, C1 and
    bytes that are not UTF-8 as \\xHH, bidi controls as \\u{hhhh}."""
    raw = text.encode("utf-8", "surrogateescape")
    out = []
    i = 0
    while i < len(raw):
        c = raw[i]
        n = _utf8_length(raw, i)
        if n == 0 or c < 0x20 or c == 0x7F:
            out.append("\\x%02x" % c)
            i += 1
        elif n == 2 and c == 0xC2 and raw[i + 1] <= 0x9F:
            out.append("\\x%02x\\x%02x" % (c, raw[i + 1]))
            i += 2
        else:
            char = raw[i:i + n].decode("utf-8")
            if n > 1 and _is_bidi_control(ord(char)):
                out.append("\\u{%s}" % format(ord(char), "06x" if ord(char) > 0xFFFF else "04x"))
            else:
                out.append(char)
            i += n
    return "".join(out)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


SKIPPED_TEXT = ("config or text", "not a model file", "not a regular file",
                "symlink to a directory", "under .git")


def _finding_text(f: dict) -> str:
    tensor = f' tensor "{_escape(f["tensor"])}"' if f.get("tensor") is not None else ""
    return (f"  {f['severity']:<7} {f['code']} {f['id']} at byte {f['offset']}{tensor}: "
            f"{_escape(f['message'])}")


def _file_text(obj: dict) -> List[str]:
    """A file's block of the CLI's text report (cli/render.cc RenderText), from its JSON."""
    path = _escape(obj["path"])
    if "role" not in obj:
        return [f"{path}: ERROR cannot read: {_escape(obj['error'])}"]
    findings = obj["findings"]
    errors = sum(f["severity"] == "error" for f in findings)
    warnings = sum(f["severity"] == "warning" for f in findings)
    role = obj["role"]
    if role == "index":
        entries = obj["tensor_count"]
        what = (f"{entries} {'entry' if entries == 1 else 'entries'} in "
                f"{_plural(obj['shards'], 'shard')}, index {obj['file_size']} bytes")
    elif role == "model-file":
        what = f"model file, {obj['file_size']} bytes"
    elif len(findings) == 1 and findings[0]["code"] in (104, 105):
        # Named as another format (render.cc IsNamedForeignFormat).
        what = f"not safetensors, file {obj['file_size']} bytes"
    else:
        what = (f"{_plural(obj['tensor_count'], 'tensor')}, header {obj['header_bytes']} "
                f"bytes, file {obj['file_size']} bytes")
        if role == "shard":
            what += f"; shard of {_escape(obj['index'])}"
    lines = [f"{path}: {obj['verdict'].upper()} ({_plural(errors, 'error')}, "
             f"{_plural(warnings, 'warning')}; {what})"]
    also = obj.get("also_at", [])
    if also:
        line = "  also at " + ", ".join(_escape(a) for a in also[:3])
        if len(also) > 3:
            line += f" and {len(also) - 3} more"
        lines.append(line)
    lines.extend(_finding_text(f) for f in findings)
    content = obj.get("content")
    if content is not None:
        line = f"  sha256 {content['sha256']}"
        if content["tensors_scanned"]:
            tensors = content["tensors"]
            line += (f" ({_plural(len(tensors), 'tensor')} hashed; "
                     f"{sum(t['nan'] for t in tensors)} NaN, {sum(t['inf'] for t in tensors)} "
                     f"Inf)")
        else:
            line += " (tensors not scanned: the header or layout is broken)"
        lines.append(line)
    return lines


class _Run:
    """The results of every path: JSON lines (files, errors), text, counts."""

    def __init__(self) -> None:
        self.file_lines: List[str] = []
        self.error_lines: List[str] = []
        self.text: List[str] = []
        self.skipped = dict.fromkeys(SKIPPED_REASONS, 0)
        self.accepted = self.rejected = self.unreadable = 0

    def add_lines(self, lines: str) -> None:
        """Adds the JSON lines of a checkpoint or a report (one per file, in order)."""
        # "\n" only (JSON escapes it in strings); splitlines() would also cut
        # at U+2028 and other separators a name may hold.
        for line in lines.split("\n"):
            if not line:
                continue
            obj = json.loads(line)
            if "role" not in obj:
                self.error_lines.append(line)
                self.unreadable += 1
            else:
                self.file_lines.append(line)
                if obj["verdict"] == "accept":
                    self.accepted += 1
                else:
                    self.rejected += 1
            self.text.extend(_file_text(obj))

    def summary(self, policy_name: str) -> str:
        files = self.accepted + self.rejected + self.unreadable
        line = (f"{_plural(files, 'file')} checked with policy {_escape(policy_name)}: "
                f"{self.accepted} accepted, {self.rejected} rejected, "
                f"{self.unreadable} unreadable")
        total = sum(self.skipped.values())
        if total:
            reasons = [f"{n} {text}" for n, text in zip(self.skipped.values(), SKIPPED_TEXT) if n]
            line += f"; {total} skipped ({', '.join(reasons)})"
        return line + "\n"

    def exit_code(self) -> int:
        if self.unreadable:
            return EXIT_ERROR
        if self.accepted + self.rejected == 0:
            return EXIT_NOTHING
        return EXIT_REJECT if self.rejected else EXIT_ACCEPT


def _document(run: _Run, policy_name: str) -> str:
    def listed(lines: List[str]) -> str:
        return "[\n" + ",\n".join(lines) + "]" if lines else "[]"
    tool = json.dumps({"name": "stguard", "version": _native.lib.stguard_version().decode()},
                      separators=(",", ":"))
    skipped = json.dumps(run.skipped, separators=(",", ":"))
    return (f'{{"tool":{tool},"policy":{json.dumps(policy_name)},"files":'
            f'{listed(run.file_lines)},"errors":{listed(run.error_lines)},'
            f'"skipped":{skipped}}}\n')


def _check_path(run: _Run, path: str, policy, deep: bool, single: bool) -> Optional[str]:
    """Checks one path into run; returns the CLI's whole JSON when it is the only one."""
    if path == "-":
        with check(sys.stdin.buffer, policy=policy, deep=deep) as report:
            run.add_lines(report.to_json(lines=True))
            return report.to_json() if single else None
    with check_checkpoint(path, policy=policy, deep=deep) as cp:
        run.add_lines(cp.to_json(lines=True))
        for name, count in cp.skipped.items():
            run.skipped[name] += count
        return cp.to_json() if single else None


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.paths.count("-") > 1:
        print("stguard: standard input ('-') can be checked once", file=sys.stderr)
        return EXIT_ERROR
    try:
        policy = as_policy(args.policy)
    except PolicyError as e:
        print(f"stguard: {e}", file=sys.stderr)
        return EXIT_ERROR
    run = _Run()
    whole: Optional[str] = None
    try:
        for path in args.paths:
            whole = _check_path(run, path, policy, args.deep, len(args.paths) == 1)
    except OSError as e:  # standard input unreadable
        print(f"stguard: {e}", file=sys.stderr)
        return EXIT_ERROR
    out = sys.stdout
    if args.format == "json":
        out.write(whole if whole is not None else _document(run, policy.name))
    elif args.format == "jsonl":
        out.write("".join(line + "\n" for line in run.file_lines + run.error_lines))
    else:
        out.write("".join(line + "\n" for line in run.text))
        out.write(run.summary(policy.name))
    out.flush()
    code = run.exit_code()
    if code == EXIT_NOTHING:
        skipped = sum(run.skipped.values())
        print(f"stguard: nothing to check: no model file found ({skipped} skipped)",
              file=sys.stderr)
    return code


def _entry() -> None:
    sys.exit(main())
