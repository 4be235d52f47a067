#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for stguard.
#
# Remote checks' I/O (libcurl) is left out (-DSTGUARD_REMOTE=OFF): the
# parsers fuzz_remote_response drives need no libcurl.
#
# Inputs (OSS-Fuzz conventions): $CC $CXX $CFLAGS $CXXFLAGS
# $LIB_FUZZING_ENGINE $SRC $OUT $WORK. The source tree is $SRC/stguard
# (override with STGUARD_SRC). simdjson: built from $SRC/simdjson with the
# same flags when the Dockerfile cloned it (needed for MSan builds),
# otherwise the system package (libsimdjson-dev) is used.
#
# Puts in $OUT, for each target: the fuzzer, <target>_seed_corpus.zip (seeds
# + regression inputs), <target>.dict and <target>.options.
#
# Local run (what fuzz/ci-smoke does):
#   SRC=/tmp/src (with /tmp/src/stguard -> the repo) OUT=/tmp/out WORK=/tmp/work \
#   CC=clang-14 CXX=clang++-14 CFLAGS="-fsanitize=address,undefined" \
#   CXXFLAGS="-fsanitize=address,undefined" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#   fuzz/oss-fuzz/build.sh

STGUARD_SRC=${STGUARD_SRC:-$SRC/stguard}
TARGETS="fuzz_check fuzz_policies fuzz_paths fuzz_header fuzz_structured fuzz_policy fuzz_stream
  fuzz_index fuzz_walk fuzz_manifest fuzz_pickle fuzz_capi fuzz_remote_response"
GENERATOR=""
if command -v ninja >/dev/null 2>&1; then GENERATOR="-G Ninja"; fi

PREFIX_ARGS=()
if [ -d "$SRC/simdjson" ]; then
  cmake -S "$SRC/simdjson" -B "$WORK/simdjson-build" $GENERATOR \
    -DCMAKE_BUILD_TYPE=Release -DSIMDJSON_DEVELOPER_MODE=OFF -DBUILD_SHARED_LIBS=OFF \
    -DCMAKE_INSTALL_PREFIX="$WORK/simdjson-install"
  cmake --build "$WORK/simdjson-build" --parallel "$(nproc)"
  cmake --install "$WORK/simdjson-build"
  PREFIX_ARGS=(-DCMAKE_PREFIX_PATH="$WORK/simdjson-install")
fi

# Coverage feedback for the library: OSS-Fuzz's CFLAGS already carry
# -fsanitize=fuzzer-no-link for libFuzzer builds (and afl-clang-fast
# instruments by itself); add it when a local run left it out.
CORE_FLAGS=""
if [ "$LIB_FUZZING_ENGINE" = "-fsanitize=fuzzer" ] && [[ "$CXXFLAGS" != *fuzzer-no-link* ]]; then
  CORE_FLAGS="-fsanitize=fuzzer-no-link"
fi

cmake -S "$STGUARD_SRC" -B "$WORK/stguard-build" $GENERATOR \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTGUARD_BUILD_TESTS=OFF \
  -DSTGUARD_SANITIZE=OFF \
  -DSTGUARD_BUILD_FUZZERS=ON \
  -DSTGUARD_REMOTE=OFF \
  -DSTGUARD_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DSTGUARD_FUZZ_CORE_FLAGS="$CORE_FLAGS" \
  "${PREFIX_ARGS[@]}"
# shellcheck disable=SC2086
cmake --build "$WORK/stguard-build" --parallel "$(nproc)" --target $TARGETS

zip_dir() {  # zip_dir ARCHIVE DIR...: flat archive of the regular files in DIRs
  python3 - "$@" <<'PY'
import os, sys, zipfile
archive, dirs = sys.argv[1], sys.argv[2:]
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
    for d in dirs:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.isfile(p) and name != "README.md":
                z.write(p, os.path.basename(d) + "-" + name)
PY
}

for target in $TARGETS; do
  cp "$WORK/stguard-build/fuzz/$target" "$OUT/$target"
  cp "$STGUARD_SRC/fuzz/$target.options" "$OUT/$target.options"
  case "$target" in
    fuzz_policy) cp "$STGUARD_SRC/fuzz/dict/policy.dict" "$OUT/$target.dict" ;;
    fuzz_index) cp "$STGUARD_SRC/fuzz/dict/index.dict" "$OUT/$target.dict" ;;
    fuzz_walk) cp "$STGUARD_SRC/fuzz/dict/walk.dict" "$OUT/$target.dict" ;;
    fuzz_manifest) cp "$STGUARD_SRC/fuzz/dict/manifest.dict" "$OUT/$target.dict" ;;
    fuzz_pickle) cp "$STGUARD_SRC/fuzz/dict/pickle.dict" "$OUT/$target.dict" ;;
    fuzz_remote_response) cp "$STGUARD_SRC/fuzz/dict/remote.dict" "$OUT/$target.dict" ;;
    *) cp "$STGUARD_SRC/fuzz/dict/safetensors.dict" "$OUT/$target.dict" ;;
  esac
  rm -f "$OUT/${target}_seed_corpus.zip"
  seeds=$target
  [ "$target" = fuzz_policies ] && seeds=fuzz_check  # the same inputs: shared seeds
  [ "$target" = fuzz_capi ] && seeds=fuzz_stream
  zip_dir "$OUT/${target}_seed_corpus.zip" "$STGUARD_SRC/corpus/seeds/$seeds" \
    "$STGUARD_SRC/corpus/regressions"
done
