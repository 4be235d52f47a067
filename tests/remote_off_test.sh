#!/usr/bin/env bash
# The CLI built without remote checks (-DSTGUARD_REMOTE=OFF), as a packager
# without libcurl builds it: it links no libcurl, checks local files and
# directories exactly as the full build does (byte-equal JSON), and refuses
# a URL or hf:// argument with a usage error that says why, before reading
# any other argument.
#
# usage: tests/remote_off_test.sh FULL_BUILD_DIR [SOURCE_DIR]
#   FULL_BUILD_DIR: a built tree with remote checks (its stguard is the reference).
set -euo pipefail

full=$(cd "$1" && pwd)
source_dir=$(cd "${2:-$(dirname "$0")/..}" && pwd)
build="$full/remote-off"
fail() { echo "remote_off_test: FAIL: $*"; exit 1; }

# Debug: compiled for this test only, so the quickest build will do.
cmake -S "$source_dir" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTGUARD_REMOTE=OFF \
  -DSTGUARD_BUILD_TESTS=OFF -DSTGUARD_WERROR=ON >/dev/null
ninja -C "$build" stguard >/dev/null
off="$build/validator/stguard"
on="$full/validator/stguard"
[ -x "$off" ] || fail "no CLI at $off"

if ldd "$off" | grep -q libcurl; then fail "the STGUARD_REMOTE=OFF CLI links libcurl"; fi
ldd "$on" | grep -q libcurl || fail "the reference CLI ($on) has no libcurl: not a remote build"

# Local checks: the same report from both builds, for files, a sharded
# checkpoint directory and foreign formats, under every built-in policy.
inputs=("$source_dir/corpus/real/bert_float32" "$source_dir/corpus/real/bert_float32_sharded"
        "$source_dir/corpus/foreign")
for policy in compat default strict; do
  set +e
  "$on" check --format json --policy "$policy" "${inputs[@]}" >"$build/on.json"
  on_rc=$?
  "$off" check --format json --policy "$policy" "${inputs[@]}" >"$build/off.json"
  off_rc=$?
  set -e
  [ "$on_rc" = "$off_rc" ] || fail "policy $policy: exit $off_rc, the full build's $on_rc"
  cmp -s "$build/on.json" "$build/off.json" || fail "policy $policy: the JSON reports differ"
done

# Remote arguments: exit 2 and the reason, whatever comes with them.
for arg in https://example.invalid/model.safetensors http://127.0.0.1:9/x.safetensors \
           hf://org/name hf://org/name@main/model.safetensors; do
  set +e
  "$off" check "$source_dir/corpus/real/bert_float32" "$arg" >"$build/out.txt" 2>"$build/err.txt"
  rc=$?
  set -e
  [ "$rc" = 2 ] || fail "$arg: exit $rc, not 2"
  grep -q "built without remote checks" "$build/err.txt" || fail "$arg: no reason given"
  [ ! -s "$build/out.txt" ] || fail "$arg: a report was written before the refusal"
done
echo "remote_off_test: passed (no libcurl; local reports equal under 3 policies; 4 remote arguments refused)"
