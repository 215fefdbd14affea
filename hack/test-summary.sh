#!/usr/bin/env bash
# test-summary.sh LOG... — summarise `go test -v` logs: counts of passed,
# failed and skipped tests, the list of skipped and failed ones. Fails when a
# log is missing or records a failure, so a run that did not happen never
# looks green.
set -euo pipefail
status=0
for log in "$@"; do
  if [ ! -s "$log" ]; then echo "test summary: $log missing or empty (tests did not run)"; status=1; continue; fi
  pass=$(grep -cE '^\s*--- PASS' "$log" || true)
  fail=$(grep -cE '^\s*--- FAIL' "$log" || true)
  skip=$(grep -cE '^\s*--- SKIP' "$log" || true)
  echo "test summary: $(basename "$log"): $pass passed, $fail failed, $skip skipped"
  grep -E '^\s*--- (SKIP|FAIL)' "$log" | sed 's/^/  /' || true
  if [ "$fail" != 0 ] || grep -qE '^(FAIL|panic:)' "$log"; then status=1; fi
done
exit $status
