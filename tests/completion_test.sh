#!/usr/bin/env bash
# The bash completion (packaging/stguard.bash-completion) offers every long
# option each command's --help lists, and registers itself.
# usage: tests/completion_test.sh STGUARD_BINARY SOURCE_DIR
set -euo pipefail
stguard=$1
completion=$2/packaging/stguard.bash-completion
failures=0
for command in check verify; do
  for option in $("$stguard" "$command" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    grep -q -- "$option\b" "$completion" ||
      { echo "FAIL: '$command $option' is not offered by the completion"; failures=$((failures + 1)); }
  done
done
bash -c "source '$completion' && complete -p stguard" >/dev/null ||
  { echo "FAIL: the completion does not register"; failures=$((failures + 1)); }
[ "$failures" = 0 ] && echo "completion_test: passed"
exit "$failures"
