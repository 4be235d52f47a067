#!/usr/bin/env bash
# Builds the .deb from a build directory (cpack -G DEB), installs it with
# apt-get as a user would, uses what it installed (the CLI, an installed
# policy by name, the man page, bash completion, the C example against the
# installed library through pkg-config), then removes it and checks that
# nothing is left. Needs root and apt-get: elsewhere it says why it skips.
#
# usage: tests/deb_test.sh BUILD_DIR [SOURCE_DIR]
#   BUILD_DIR must be configured with -DCMAKE_INSTALL_PREFIX=/usr and built.
set -euo pipefail

build_dir=$(cd "$1" && pwd)
source_dir=$(cd "${2:-$(dirname "$0")/..}" && pwd)
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "deb_test: SKIPPED (needs root and apt-get to install the package)"
  exit 0
fi
if dpkg-query -W -f='${Status}' stguard 2>/dev/null | grep -q "install ok installed"; then
  echo "deb_test: FAIL: a stguard package is already installed; remove it first"
  exit 1
fi
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build_dir/CMakeCache.txt")
if [ "$prefix" != /usr ]; then
  echo "deb_test: FAIL: $build_dir is configured with CMAKE_INSTALL_PREFIX=$prefix, not /usr"
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/stguard-deb-test.XXXXXX")
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then apt-get remove -y -qq stguard >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

echo "== cpack -G DEB in $build_dir"
(cd "$build_dir" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/pkg/stguard_*.deb)
echo "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n 's/^ *\(Package\|Version\|Depends\|Recommends\):/  &/p'
dpkg-deb --field "$deb" Depends | grep -q libsimdjson || fail "Depends lacks libsimdjson"

echo "== apt-get install ./$(basename "$deb")"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "$deb" >"$work/install.log" 2>&1 || {
  cat "$work/install.log"; exit 1; }
installed=1

for f in /usr/bin/stguard /usr/include/stguard/stguard.h /usr/share/stguard/policies/strict.json \
         /usr/share/stguard/policies/example-hub-f16-only.json /usr/share/doc/stguard/codes.md \
         /usr/share/doc/stguard/README.md /usr/share/man/man1/stguard.1.gz \
         /usr/share/bash-completion/completions/stguard; do
  [[ -e $f ]] || fail "not installed: $f"
done
libdir=$(pkg-config --variable=libdir stguard) || fail "pkg-config does not find stguard"
for f in libstguard.so libstguard.a cmake/stguard/stguardConfig.cmake pkgconfig/stguard.pc; do
  [[ -e $libdir/$f ]] || fail "not installed: $libdir/$f"
done

# expect EXIT COMMAND...
expect() {
  local want=$1; shift
  local got=0
  "$@" >"$work/out.txt" 2>&1 || got=$?
  if [[ $got != "$want" ]]; then fail "exit $got (want $want): $*"; sed 's/^/    /' "$work/out.txt"; fi
}
cd "$work"  # away from the source tree: nothing may come from it
good=$(ls "$source_dir"/corpus/examples/accepted/*.safetensors | head -1)
bad=$(ls "$source_dir"/corpus/examples/rejected/* | head -1)
expect 0 stguard --version
expect 0 stguard check "$good"
expect 1 stguard check "$bad"
expect 0 stguard check --policy strict "$good"
# An installed policy by name, outside the source tree.
expect 0 stguard policy example-hub-f16-only
grep -q '"name": "example-hub-f16-only"' "$work/out.txt" ||
  fail "stguard policy example-hub-f16-only does not print that policy"
expect 2 stguard check --policy no-such-policy "$good"
grep -q "example-hub-f16-only" "$work/out.txt" ||
  fail "an unknown policy's error does not list the installed ones"
if command -v man >/dev/null; then
  man -w stguard >/dev/null 2>&1 || fail "man -w stguard finds no page"
fi
zcat /usr/share/man/man1/stguard.1.gz | grep -q "check" || fail "the man page lacks the commands"
bash -c 'source /usr/share/bash-completion/completions/stguard 2>/dev/null; complete -p stguard' \
  >/dev/null 2>&1 || fail "the bash completion does not register"

echo "== examples/c/check.c against the installed library (pkg-config)"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Werror "$source_dir/examples/c/check.c" -o "$work/check" \
  $(pkg-config --cflags --libs stguard) || fail "examples/c/check.c does not build"
if [[ -x $work/check ]]; then
  expect 0 "$work/check" default "$good"
  expect 1 "$work/check" default "$bad"
fi

echo "== apt-get remove stguard"
apt-get remove -y -qq stguard >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "remove"; }
installed=0
for f in /usr/bin/stguard /usr/include/stguard /usr/share/stguard "$libdir/libstguard.so"; do
  [[ ! -e $f ]] || fail "left after removal: $f"
done
dpkg-query -W -f='${Status}' stguard 2>/dev/null | grep -q "install ok installed" &&
  fail "dpkg still lists stguard as installed"

if [ "$failures" != 0 ]; then echo "deb_test: $failures failure(s)"; exit 1; fi
echo "deb_test: passed"
