#!/bin/bash
# Compares ParseSerdeNumber with the real serde_json on random literals.
# usage: tests/tools/serde-oracle/compare.sh FIRST_SEED LAST_SEED [COUNT_PER_SEED]
# Needs what README.md lists; not run by CI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=${TMPDIR:-/tmp}/stguard-serde-oracle
mkdir -p "$work"
(cd "$here" && cargo build --release --quiet --target-dir "$work/target")
g++ -std=c++20 -O2 -I"$repo/validator/src" "$here/cpp_driver.cc" \
    "$repo/validator/src/serde_number.cc" -o "$work/cpp_driver"
grammar='^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$'
total=0
for seed in $(seq "$1" "$2"); do
  "$work/target/release/gen" "$seed" "${3:-1000000}" | grep -aE "$grammar" > "$work/lits"
  "$work/target/release/numbers" < "$work/lits" > "$work/serde_json"
  "$work/cpp_driver" < "$work/lits" > "$work/ours"
  n=$(wc -l < "$work/lits")
  total=$((total + n))
  if ! cmp -s "$work/serde_json" "$work/ours"; then
    echo "seed $seed: $(diff "$work/serde_json" "$work/ours" | grep -c '^<' || true) of $n differ:"
    diff "$work/serde_json" "$work/ours" | head -6 || true
  fi
done
echo "$total literals compared"
