#!/usr/bin/env bash
# The pre-commit hook (.pre-commit-hooks.yaml) as a user meets it: Debian's
# pre-commit installs it in a scratch repository from a repository holding
# this checkout's hook file (pinned by commit, as the README shows), and
# `git commit` runs it. A good commit passes; a rejected safetensors file, a
# tampered index (a path out of the repository, a ghost tensor, a missing
# shard) and a pickle named .bin are each blocked.
#
# usage: tests/precommit_test.sh STGUARD_BINARY SOURCE_DIR
# Exit 77 (skipped) without git or pre-commit.
set -euo pipefail
stguard=$1
source_dir=$(cd "$2" && pwd)
command -v git >/dev/null && command -v pre-commit >/dev/null || {
  echo "precommit_test: SKIPPED (needs git and pre-commit)"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/stguard-precommit-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME=$work/cache PATH="$(cd "$(dirname "$stguard")" && pwd):$PATH"
export GIT_CONFIG_GLOBAL=$work/gitconfig GIT_CONFIG_NOSYSTEM=1
git config --global user.email test@example.invalid
git config --global user.name test
git config --global init.defaultBranch main
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The hooks repository: this checkout's hook file, committed and pinned.
hooks=$work/hooks
git init -q "$hooks"
cp "$source_dir/.pre-commit-hooks.yaml" "$hooks/"
git -C "$hooks" add .pre-commit-hooks.yaml
git -C "$hooks" commit -qm hooks
rev=$(git -C "$hooks" rev-parse HEAD)

repo=$work/repo
git init -q "$repo"
cd "$repo"
cat >.pre-commit-config.yaml <<YAML
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: stguard-check
YAML
pre-commit install >/dev/null

# commit_expect (pass|block) WHAT: commits what is staged.
commit_expect() {
  local want=$1 what=$2 got=pass
  git commit -qm "$what" >"$work/commit.log" 2>&1 || got=block
  if [ "$got" != "$want" ]; then
    fail "$what: commit ${got}ed, want $want"
    sed 's/^/    /' "$work/commit.log"
  elif [ "$want" = block ] && ! grep -q "stguard" "$work/commit.log"; then
    fail "$what: blocked, but not by stguard"; sed 's/^/    /' "$work/commit.log"
  fi
  if [ "$got" = block ]; then git reset -q --hard; git clean -qfd; fi
}

cp "$source_dir/corpus/examples/accepted/gpt2_float32.safetensors" model.safetensors
cp -r "$source_dir/corpus/real/bert_float32_sharded" sharded
echo "notes" >README.txt
git add -A
commit_expect pass "good model, sharded checkpoint and text"

cp "$source_dir/corpus/examples/rejected/off_overlap.safetensors" bad.safetensors
git add bad.safetensors
commit_expect block "a rejected safetensors file"

index=sharded/model.safetensors.index.json
tamper() {  # tamper PYTHON-EXPRESSION-ON-weight_map
  python3 - "$index" "$1" <<'PY'
import json, sys
path, change = sys.argv[1], sys.argv[2]
doc = json.load(open(path))
wm = doc["weight_map"]
exec(change)
json.dump(doc, open(path, "w"), indent=2)
PY
  git add "$index"
}
tamper 'wm[next(iter(wm))] = "../../../etc/passwd"'
commit_expect block "an index naming ../../../etc/passwd"
tamper 'wm["ghost.weight"] = sorted(set(wm.values()))[0]'
commit_expect block "an index naming a ghost tensor"
tamper 'wm[next(iter(wm))] = "model-00004-of-00003.safetensors"'
commit_expect block "an index naming a missing shard"

cp "$source_dir/corpus/foreign/pickle-proto0-exploit.pkl" pytorch_model.bin
git add pytorch_model.bin
commit_expect block "a pickle named pytorch_model.bin"

echo "notes, again" >>README.txt
git add README.txt
commit_expect pass "a text change after the blocked ones"

if [ "$failures" != 0 ]; then echo "precommit_test: $failures failure(s)"; exit 1; fi
echo "precommit_test: passed"
