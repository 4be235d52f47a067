#!/usr/bin/env bash
# The check step of the stguard GitHub Action (action.yml), a script of its
# own so that CI runs exactly these steps (tests/action_test.sh).
#
#   packaging/action-check.sh POLICY SARIF_FILE PATH...
#
# Checks every PATH (directories are walked: safetensors files, sharded
# indexes with their shards, pickles and other loadable files), writes the
# SARIF report to SARIF_FILE, prints the text report to the log, and exits
# with stguard's status: 0 all accepted, 1 a file rejected, 2 an I/O or
# usage error (the job fails on 1 and 2).
set -uo pipefail
if [ $# -lt 3 ]; then
  echo "usage: action-check.sh POLICY SARIF_FILE PATH..." >&2
  exit 2
fi
policy=$1
sarif=$2
shift 2
stguard=${STGUARD:-stguard}

status=0
# Locations relative to the workspace (uriBaseId %SRCROOT%), as code
# scanning resolves them; fingerprints then do not depend on the runner.
"$stguard" check --policy "$policy" --format sarif --sarif-root "${GITHUB_WORKSPACE:-$PWD}" "$@" \
  >"$sarif" || status=$?
if [ "$status" -ge 2 ] && [ ! -s "$sarif" ]; then
  echo "stguard could not check the paths (exit $status)" >&2
  exit "$status"
fi
# The same check as text, for the job's log (the verdict is the SARIF run's).
"$stguard" check --policy "$policy" "$@" || true
case $status in
  0) echo "stguard: every file accepted" ;;
  1) echo "stguard: a file was rejected under policy $policy (details above and in $sarif)" ;;
  *) echo "stguard: I/O or usage error (exit $status)" ;;
esac
exit "$status"
