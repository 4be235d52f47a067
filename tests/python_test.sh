#!/usr/bin/env bash
# The Python package (python/) as a user installs it: a fresh venv with
# Debian's site packages (numpy, torch, pytest, setuptools), `pip install
# --no-build-isolation ./python` carrying BUILD_DIR's libstguard.so.0, then
# python/tests under pytest, against BUILD_DIR's stguard CLI. The venv is
# removed however the run ends. Called by scripts/test after the g++ ctest
# stage (not from ctest: ctest runs again under ASan, where the library
# would need the sanitizer runtime preloaded into Python).
#
# usage: tests/python_test.sh BUILD_DIR
set -euo pipefail
build=$(realpath "${1:?usage: tests/python_test.sh BUILD_DIR}")
repo=$(cd "$(dirname "$0")/.." && pwd)
library="$build/validator/libstguard.so.0"
cli="$build/validator/stguard"
for f in "$library" "$cli"; do
  [ -e "$f" ] || { echo "python_test: $f missing (ninja -C $build stguard_shared stguard)" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Debian's interpreter: its dist-packages hold numpy, torch and pytest.
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
# The source is copied: setuptools writes build/ and *.egg-info beside setup.py.
cp -r "$repo/python" "$work/src"
rm -rf "$work/src/build" "$work/src/"*.egg-info
STGUARD_LIBRARY="$library" "$work/venv/bin/pip" install --quiet --no-index \
  --no-build-isolation "$work/src"
# The installed package is tested: run from an empty directory, with no
# STGUARD_LIBRARY, so that the carried library is what is loaded.
cd "$work"
env -u STGUARD_LIBRARY -u PYTHONPATH STGUARD_CLI="$cli" STGUARD_REPO="$repo" \
  "$work/venv/bin/python" -c 'import stguard, sys; p = stguard.library_path; print("stguard", stguard.__version__, "from", p); sys.exit(0 if "/venv/" in p else 1)'
env -u STGUARD_LIBRARY -u PYTHONPATH STGUARD_CLI="$cli" STGUARD_REPO="$repo" \
  "$work/venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir "$work" \
  "$repo/python/tests"

# The wheel hub workers install from a file: built, installed offline into
# a second venv, imported from its carried library, and used once.
bash "$repo/scripts/build-wheel" "$build" "$work/dist" >/dev/null
/usr/bin/python3 -m venv --system-site-packages "$work/wheel-venv"
"$work/wheel-venv/bin/pip" install --quiet --no-index "$work"/dist/stguard-*-py3-none-*.whl
env -u STGUARD_LIBRARY -u PYTHONPATH "$work/wheel-venv/bin/python" - "$repo" <<'PY'
import sys
import stguard
assert "/wheel-venv/" in stguard.library_path, stguard.library_path
report = stguard.check(sys.argv[1] + "/corpus/real/dtype_int8.safetensors")
assert report.accepted, report
print("wheel:", stguard.library_path)
PY
# The CLI carried in the wheel, executable once installed.
env -u STGUARD_LIBRARY -u PYTHONPATH "$work/wheel-venv/bin/python" -m stguard check -q \
  "$repo/corpus/real/dtype_int8.safetensors"
