#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds, runs the end-to-end
# kill -9/resume check on the release binary, a sweep of four runs through a real single-node SLURM
# (scripts/test-slurm.sh: installs slurm-wlm and munge, starts and stops its own daemons; ~30 s), the
# smoke-scale reproduction rendered in headless Chromium, then the unit tests (release build, ~1 minute to compile, seconds to run), then each fuzz
# target for 2 seconds (scripts/fuzz.sh; about 2 minutes to build with the sanitizers).
# Long checks stay behind CRITICALITY_LONG_TESTS=1 (none in the default suite takes more than seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/check-kill-resume.sh .build/release/criticality
bash scripts/test-slurm.sh .build/release/criticality
smoke=$(mktemp -d)
.build/release/criticality reproduce --scale smoke --out "$smoke" 2>&1 | grep -E '^\[|report.html' || { echo "FAIL: reproduce --scale smoke"; exit 1; }
bash scripts/check-report.sh "$smoke/report.html" "$smoke/report.png"
grep -q 'Updates are heavy-tailed in a Transformer too' "$smoke/report.html" || { echo "FAIL: the smoke report has no Transformer claims row"; exit 1; }
rm -rf "$smoke"
log=$(mktemp)
set +e
swift test -c release -Xswiftc -enable-testing >"$log" 2>&1
status=$?
set -e
grep -E '^Test Suite|failed|error:|Executed [0-9]+ tests' "$log" || true
if [ "$status" -ne 0 ]; then tail -40 "$log"; fi
rm -f "$log"
if [ "$status" -ne 0 ]; then exit "$status"; fi
# every parser under libFuzzer for a few seconds (a sanitized build of its own, .build-fuzz)
bash scripts/fuzz.sh --seconds 2
