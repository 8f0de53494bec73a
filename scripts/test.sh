#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds, runs the end-to-end
# kill -9/resume check on the release binary, then the unit tests.
# Long checks stay behind CRITICALITY_LONG_TESTS=1 (none in the default suite takes more than seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/check-kill-resume.sh .build/release/criticality
log=$(mktemp)
set +e
swift test -c release -Xswiftc -enable-testing >"$log" 2>&1
status=$?
set -e
grep -E '^Test Suite|failed|error:|Executed [0-9]+ tests' "$log" || true
if [ "$status" -ne 0 ]; then tail -40 "$log"; fi
rm -f "$log"
exit "$status"
