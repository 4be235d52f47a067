#!/usr/bin/env python3
"""`stguard check --format sarif` validates against the OASIS SARIF 2.1.0
schema and carries what GitHub code scanning uses.

usage: sarif_schema_test.py STGUARD CORPUS_DIR SARIF_SCHEMA REPORT_FORMAT_MD

Checks, over a tree of rejected and accepted files (names with a space,
'%', '#' and a byte that is not UTF-8), a file outside the sarif root and
standard input:
- every document validates against tests/schema/sarif-schema-2.1.0.json;
- files under --sarif-root have a relative, percent-encoded uri with
  uriBaseId %SRCROOT% that names the file again; originalUriBaseIds has the
  root as a file:// URI ending in '/'; a file outside the root and standard
  input have an absolute file:// URI and no uriBaseId;
- partialFingerprints are the same across runs from different working
  directories and from a copy of the tree elsewhere (another machine), and
  differ between results;
- every rule has a security-severity (a number 0.0..10.0 as a string), the
  tag "security", a fullDescription, and help.text equal to what
  `stguard explain` prints;
- every region has byteOffset and a byteLength of at least 1;
- the security-severity table in docs/report-format.md gives every code the
  severity its rule has.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

import jsonschema

# RFC 3986 characters of a URI reference once percent-encoded.
URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")
ODD_NAMES = [b"with space.safetensors", b"per%cent.safetensors", b"hash#tag.safetensors",
             b"bad\xff.safetensors"]


def build_tree(corpus, top):
    """The sarif root (a repository) and a file outside it."""
    root = os.path.join(top, "repo")
    models = os.path.join(root, "models")
    os.makedirs(models)
    rejected = os.path.join(corpus, "examples", "rejected")
    for name in sorted(os.listdir(rejected)):
        shutil.copy(os.path.join(rejected, name), os.path.join(models, name))
    shutil.copy(os.path.join(corpus, "real", "dtype_float32.safetensors"),
                os.path.join(models, "good.safetensors"))
    odd_source = os.path.join(rejected, "dup_tensor_name_diff_offsets.safetensors")
    for name in ODD_NAMES:
        shutil.copy(odd_source, os.fsencode(models) + b"/" + name)
    outside = os.path.join(top, "outside")
    os.makedirs(outside)
    shutil.copy(os.path.join(rejected, "off_overlap.safetensors"),
                os.path.join(outside, "elsewhere.safetensors"))
    return root, os.path.join(outside, "elsewhere.safetensors")


def run_sarif(stguard, cwd, root, paths, stdin_file=None):
    args = [stguard, "check", "--format", "sarif", "--sarif-root", root, *paths]
    with open(stdin_file, "rb") if stdin_file else open(os.devnull, "rb") as stdin:
        run = subprocess.run(args, cwd=cwd, stdin=stdin, capture_output=True, check=False)
    assert run.returncode == 1, (run.returncode, run.stderr)  # files are rejected
    return json.loads(run.stdout)


def fingerprints(doc):
    """(rule, uri) -> sorted fingerprints; uri relative when under the root."""
    out = {}
    for r in doc["runs"][0]["results"]:
        loc = r["locations"][0]["physicalLocation"]["artifactLocation"]
        key = (r["ruleId"], loc["uri"] if "uriBaseId" in loc else "(outside)")
        out.setdefault(key, []).append(r["partialFingerprints"]["stguard/v1"])
    return {k: sorted(v) for k, v in out.items()}


def check_document(doc, validator, root, outside):
    validator.validate(doc)
    run = doc["runs"][0]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file:///") and base.endswith("/"), base
    assert urllib.parse.unquote_to_bytes(base[len("file://"):]) == os.fsencode(root) + b"/", base
    rules = run["tool"]["driver"]["rules"]
    for rule in rules:
        severity = rule["properties"]["security-severity"]
        assert isinstance(severity, str) and re.fullmatch(r"\d+\.\d", severity), rule
        assert 0.0 <= float(severity) <= 10.0, rule
        assert "security" in rule["properties"]["tags"], rule
        assert rule["fullDescription"]["text"], rule
        assert rule["help"]["text"].startswith(rule["id"][2:] + " " + rule["name"]), rule
    seen_inside = seen_outside = seen_stdin = 0
    all_prints = []
    for result in run["results"]:
        physical = result["locations"][0]["physicalLocation"]
        loc = physical["artifactLocation"]
        uri = loc["uri"]
        assert URI_CHARS.match(uri), uri
        region = physical["region"]
        assert region["byteOffset"] >= 0 and region["byteLength"] >= 1, region
        fp = result["partialFingerprints"]["stguard/v1"]
        assert re.fullmatch(r"[0-9a-f]{64}", fp), fp
        all_prints.append(fp)
        if "uriBaseId" in loc:
            assert loc["uriBaseId"] == "%SRCROOT%", loc
            assert not uri.startswith("/") and ":" not in uri.split("/")[0], uri
            path = os.path.join(os.fsencode(root), urllib.parse.unquote_to_bytes(uri))
            assert os.path.isfile(path), (uri, path)
            seen_inside += 1
        elif uri == "file:///dev/stdin":
            seen_stdin += 1
        else:
            assert uri.startswith("file:///"), uri
            assert urllib.parse.unquote_to_bytes(uri[len("file://"):]) == os.fsencode(outside), uri
            seen_outside += 1
    assert seen_inside and seen_outside and seen_stdin, (seen_inside, seen_outside, seen_stdin)
    assert len(set(all_prints)) == len(all_prints), "two results share a fingerprint"
    return rules


def documented_severities(report_format_md):
    """code number -> severity, from the table under **security-severity.**"""
    with open(report_format_md) as f:
        text = f.read()
    table = text[text.index("**security-severity.**"):]
    out = {}
    for line in table.splitlines():
        match = re.match(r"^\| (\d+\.\d) \| ([0-9, -]+) \|", line)
        if not match:
            continue
        for item in match.group(2).split(","):
            first, _, last = item.strip().partition("-")
            for code in range(int(first), int(last or first) + 1):
                assert code not in out, code
                out[code] = match.group(1)
    return out


def main():
    stguard, corpus, schema_path, report_format_md = (os.path.abspath(a) for a in sys.argv[1:5])
    with open(schema_path) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    with tempfile.TemporaryDirectory() as top:
        root, outside = build_tree(corpus, top)
        stdin_file = os.path.join(root, "models", "off_overlap.safetensors")
        # From the root, with relative paths.
        first = run_sarif(stguard, root, root, ["models", outside, "-"], stdin_file)
        rules = check_document(first, validator, root, outside)
        # From elsewhere, with absolute paths.
        second = run_sarif(stguard, top, root, [os.path.join(root, "models"), outside, "-"],
                           stdin_file)
        check_document(second, validator, root, outside)
        # Another machine: the same tree at another place.
        moved_top = tempfile.mkdtemp(dir=top)
        moved_root = os.path.join(moved_top, "checkout")
        shutil.copytree(root, moved_root, symlinks=True)
        third = run_sarif(stguard, "/", moved_root, [os.path.join(moved_root, "models"), outside])
        check_document_moved = {k: v for k, v in fingerprints(third).items()}

        one, two = fingerprints(first), fingerprints(second)
        assert one == two, "fingerprints change with the working directory"
        inside = {k: v for k, v in one.items() if k[1] != "(outside)"}
        moved_inside = {k: v for k, v in check_document_moved.items() if k[1] != "(outside)"}
        assert inside == moved_inside, "fingerprints change with the root's location"
        uris = {k[1] for k in inside}
        for name in ODD_NAMES:
            encoded = "models/" + urllib.parse.quote_from_bytes(name, safe="/")
            assert encoded in uris, (encoded, sorted(uris))

        documented = documented_severities(report_format_md)
        given = {int(r["id"][2:]): r["properties"]["security-severity"] for r in rules}
        # Ranges in the table may span numbers no code has.
        assert {c: documented[c] for c in given if c in documented} == given, \
            sorted(set(given.items()) ^ set(documented.items()))
        # The rule help is what `stguard explain` prints.
        for rule in rules:
            explain = subprocess.run([stguard, "explain", rule["id"]], capture_output=True,
                                     check=True, text=True)
            assert rule["help"]["text"] == explain.stdout, (rule["id"], explain.stdout)
    print("sarif_schema_test: %d results and %d rules valid" %
          (len(first["runs"][0]["results"]), len(rules)))


if __name__ == "__main__":
    main()
