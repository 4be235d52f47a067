#!/usr/bin/env bash
# The GitHub Action's steps (action.yml) as a script: its check step
# (packaging/action-check.sh, what the action runs) on a scratch repository
# with one good and one bad file, then with the good one only; the SARIF it
# writes; and action.yml itself (inputs used are declared, the script it
# runs exists, the job fails on a rejection).
#
# usage: tests/action_test.sh STGUARD_BINARY SOURCE_DIR
set -euo pipefail
stguard=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
source_dir=$(cd "$2" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/stguard-action-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
export STGUARD=$stguard

repo=$work/repo
mkdir -p "$repo/models"
cp "$source_dir/corpus/examples/accepted/gpt2_float32.safetensors" "$repo/models/good.safetensors"
cp "$source_dir/corpus/examples/rejected/off_overlap.safetensors" "$repo/models/bad.safetensors"
echo "# a model repository" >"$repo/README.md"
cd "$repo"

# run_check WANT_EXIT PATH...
run_check() {
  local want=$1; shift
  local got=0
  bash "$source_dir/packaging/action-check.sh" default "$work/out.sarif" "$@" >"$work/log" 2>&1 ||
    got=$?
  if [ "$got" != "$want" ]; then fail "action-check.sh $* exit $got, want $want"; cat "$work/log"; fi
}
run_check 1 .
python3 - "$work/out.sarif" <<'PY' || fail "the SARIF of a rejection"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["version"] == "2.1.0", doc.get("version")
results = doc["runs"][0]["results"]
uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in results for loc in r.get("locations", [])}
assert any(u.endswith("bad.safetensors") for u in uris), uris
assert not any(u.endswith("good.safetensors") for u in uris), uris
assert any(r.get("level") == "error" for r in results)
# Relative to the workspace (the repository here), as code scanning wants.
for r in results:
    for loc in r.get("locations", []):
        art = loc["physicalLocation"]["artifactLocation"]
        assert art.get("uriBaseId") == "%SRCROOT%" and not art["uri"].startswith("file:"), art
PY
grep -q "bad.safetensors" "$work/log" || fail "the job log does not name the rejected file"
grep -q "rejected under policy default" "$work/log" || fail "the job log has no verdict line"

rm models/bad.safetensors
run_check 0 .
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert not [r for r in d['runs'][0]['results'] if r.get('level')=='error']" \
  "$work/out.sarif" || fail "the SARIF of an accepted repository holds errors"
run_check 2 ./no-such-dir

# action.yml: every input it reads is declared; its check step runs the
# script tested above; the last step fails the job on a non-zero status.
python3 - "$source_dir/action.yml" <<'PY' || fail "action.yml"
import re, sys, yaml, os
doc = yaml.safe_load(open(sys.argv[1]))
assert doc["runs"]["using"] == "composite"
declared = set(doc["inputs"])
text = open(sys.argv[1]).read()
used = set(re.findall(r"inputs\.([a-z0-9-]+)", text))
assert used <= declared, used - declared
steps = doc["runs"]["steps"]
check = [s for s in steps if s.get("id") == "check"][0]
assert "packaging/action-check.sh" in check["run"]
assert os.path.exists(os.path.join(os.path.dirname(sys.argv[1]), "packaging", "action-check.sh"))
assert any("upload-sarif" in s.get("uses", "") for s in steps)
assert "exit 1" in steps[-1]["run"]
PY
# The example workflow uses the action.
grep -q "uses: stguard/stguard@" "$source_dir/examples/ci/github-actions.yml" ||
  fail "examples/ci/github-actions.yml does not use the action"

if [ "$failures" != 0 ]; then echo "action_test: $failures failure(s)"; exit 1; fi
echo "action_test: passed"
