#!/usr/bin/env python3
"""Every JSON report the CLI writes validates against docs/report.schema.json.

usage: report_schema_test.py STGUARD CORPUS_DIR SCHEMA

Runs `stguard check --format json` and `--format jsonl` (with and without
--deep) over directories that exercise every role and field: a repository
with safetensors, a torch.save zip, a hostile pickle and config files; a Hub
cache with snapshot symlinks into blobs; a sharded checkpoint; a missing
path; a file name that is not UTF-8; a symlink leading outside the root.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema


def build_tree(corpus, root):
    repo = os.path.join(root, "repo")
    os.makedirs(repo)
    shutil.copy(os.path.join(corpus, "real", "dtype_float32.safetensors"),
                os.path.join(repo, "model.safetensors"))
    shutil.copy(os.path.join(corpus, "foreign", "torch-zip-state-dict.pt"),
                os.path.join(repo, "pytorch_model.bin"))
    shutil.copy(os.path.join(corpus, "foreign", "training_args.bin"),
                os.path.join(repo, "training_args.bin"))
    shutil.copy(os.path.join(corpus, "foreign", "model.gguf"), os.path.join(repo, "model.gguf"))
    with open(os.path.join(repo, "config.json"), "w") as f:
        f.write("{}")
    with open(os.fsencode(os.path.join(repo, "odd")) + b"\xff.safetensors", "wb") as f:
        f.write(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    os.symlink("/etc/hostname", os.path.join(repo, "outside.safetensors"))
    sharded = os.path.join(corpus, "real", "gpt2_float32_sharded")
    snapshot = os.path.join(root, "hub", "models--org--gpt2", "snapshots", "abc")
    blobs = os.path.join(root, "hub", "models--org--gpt2", "blobs")
    os.makedirs(snapshot)
    os.makedirs(blobs)
    for i, name in enumerate(sorted(os.listdir(sharded))):
        shutil.copy(os.path.join(sharded, name), os.path.join(blobs, "b%d" % i))
        os.symlink("../../blobs/b%d" % i, os.path.join(snapshot, name))
    shutil.copytree(sharded, os.path.join(root, "sharded"))
    return [repo, os.path.join(root, "hub"), os.path.join(root, "sharded"),
            os.path.join(root, "missing.safetensors")]


def main():
    stguard, corpus, schema_path = sys.argv[1:4]
    with open(schema_path) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    file_schema = {**schema["properties"]["files"]["items"]}
    error_schema = {**schema["properties"]["errors"]["items"]}
    checked = 0
    with tempfile.TemporaryDirectory() as root:
        paths = build_tree(corpus, root)
        for deep in ([], ["--deep"]):
            run = subprocess.run([stguard, "check", "--format", "json", *deep, *paths],
                                 capture_output=True, check=False)
            assert run.returncode == 2, (run.returncode, run.stderr)  # the missing path
            report = json.loads(run.stdout)
            validator.validate(report)
            roles = {f["role"] for f in report["files"]}
            assert roles == {"safetensors", "index", "shard", "model-file"}, roles
            assert any("also_at" in f for f in report["files"]), "no also_at met"
            assert report["skipped"]["text-or-config"] >= 1, report["skipped"]
            checked += 1
            run = subprocess.run([stguard, "check", "--format", "jsonl", *deep, *paths],
                                 capture_output=True, check=False)
            for line in run.stdout.splitlines():
                entry = json.loads(line)
                sub = error_schema if "error" in entry else file_schema
                jsonschema.Draft202012Validator(sub).validate(entry)
                checked += 1
    print("report_schema_test: %d documents and lines valid" % checked)


if __name__ == "__main__":
    main()
