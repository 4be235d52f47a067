#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and uses it as a consumer
# would: pkg-config + cc for examples/c/check.c (C API only), and a CMake
# project with find_package(stguard) using the C API and, without setting a
# C++ standard itself, the C++ API. Registered in tests/CMakeLists.txt.
#
# usage: install_test.sh BUILD_DIR SOURCE_DIR [CC] [CXX] [EXTRA_FLAGS]
#   EXTRA_FLAGS: compile and link flags the build used (sanitizers), so the
#   consumer links with the same runtime.
set -euo pipefail

build_dir=$1
source_dir=$2
cc=${3:-cc}
cxx=${4:-c++}
extra_flags=${5:-}

work=$(mktemp -d "${TMPDIR:-/tmp}/stguard-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

echo "== cmake --install into $prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" || {
  cat "$work/install.log"; exit 1; }

for f in bin/stguard include/stguard/stguard.h include/stguard/validate.h; do
  [[ -e $prefix/$f ]] || fail "not installed: $f"
done
pc_dir=$(dirname "$(find "$prefix" -name stguard.pc | head -1)")
[[ -f $pc_dir/stguard.pc ]] || { echo "FAIL: stguard.pc not installed"; exit 1; }
libdir=$(PKG_CONFIG_PATH=$pc_dir pkg-config --variable=libdir stguard)
for f in libstguard.so libstguard.a cmake/stguard/stguardConfig.cmake \
         cmake/stguard/stguardConfigVersion.cmake cmake/stguard/stguardTargets.cmake; do
  [[ -e $libdir/$f ]] || fail "not installed: $libdir/$f"
done
"$prefix/bin/stguard" codes >/dev/null || fail "installed bin/stguard does not run"

# A sanitized libstguard.so needs the sanitizers' C++ runtime (UBSan's vptr
# checks), which a C link does not bring unless asked to.
link_flags=""
if [ -n "$extra_flags" ]; then link_flags="-fsanitize-link-c++-runtime -lstdc++"; fi

echo "== pkg-config --cflags: include directories only"
# The library's private definitions (simdjson's -DSIMDJSON_THREADS_ENABLED)
# must not reach a consumer's compile line.
cflags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags stguard)
echo "pkg-config --cflags stguard: $cflags"
for word in $cflags; do
  case $word in
    -I*) [[ -d ${word#-I} ]] || fail "pkg-config --cflags names a missing directory: $word" ;;
    *) fail "pkg-config --cflags stguard leaks $word" ;;
  esac
done
[[ -n $cflags ]] || fail "pkg-config --cflags stguard is empty"
static_libs=$(PKG_CONFIG_PATH=$pc_dir pkg-config --static --libs stguard)
echo "pkg-config --static --libs stguard: $static_libs"
for lib in -lstguard -lsimdjson -lcrypto; do
  [[ " $static_libs " == *" $lib "* ]] || fail "pkg-config --static --libs lacks $lib"
done

echo "== pkg-config + $cc: examples/c/check.c"
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs stguard)
echo "pkg-config --cflags --libs stguard: $flags"
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Wextra -Werror $extra_flags $link_flags \
  "$source_dir/examples/c/check.c" -o "$work/check" $flags -Wl,-rpath,"$libdir"

# expect EXIT PROGRAM ARGS...
expect() {
  local want=$1; shift
  local got=0
  "$@" >"$work/out.txt" 2>&1 || got=$?
  if [[ $got != "$want" ]]; then
    fail "exit $got (want $want): $*"
    sed 's/^/    /' "$work/out.txt"
  fi
}

run_examples() {
  local program=$1
  local n=0
  for f in "$source_dir"/corpus/examples/accepted/*.safetensors; do
    expect 0 "$program" default "$f"; n=$((n + 1))
  done
  for f in "$source_dir"/corpus/examples/rejected/*; do
    expect 1 "$program" default "$f"; n=$((n + 1))
  done
  expect 2 "$program" no-such-policy "$f"
  expect 2 "$program" default "$work/missing.safetensors"
  expect 2 "$program" default
  echo "$program: $n files checked"
}
run_examples "$work/check"

# check.c --json prints the C API's JSON report: the CLI's, byte for byte.
n=0
for f in "$source_dir"/corpus/examples/accepted/*.safetensors "$source_dir"/corpus/examples/rejected/*; do
  "$work/check" default "$f" --json >"$work/capi.json" 2>&1 || true
  "$prefix/bin/stguard" check --policy default --format json "$f" >"$work/cli.json" 2>&1 || true
  cmp -s "$work/capi.json" "$work/cli.json" || {
    fail "check --json differs from stguard check --format json: $f"
    diff "$work/capi.json" "$work/cli.json" | head -5
  }
  n=$((n + 1))
done
echo "check --json: $n reports equal to the CLI's"

echo "== find_package(stguard): examples/cmake-consumer"
if ! cmake -S "$source_dir/examples/cmake-consumer" -B "$work/consumer" \
     -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
     -DCMAKE_C_FLAGS="$extra_flags" -DCMAKE_CXX_FLAGS="$extra_flags" \
     -DCMAKE_EXE_LINKER_FLAGS="$extra_flags $link_flags" >"$work/consumer.log" 2>&1 ||
   ! cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1; then
  cat "$work/consumer.log"
  fail "CMake consumer project does not build"
else
  run_examples "$work/consumer/check_shared"
  run_examples "$work/consumer/check_static"
  run_examples "$work/consumer/check_cxx"
fi

if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "install test passed"
