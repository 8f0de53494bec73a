#!/usr/bin/env bash
# The fuzzer (issue 12): libFuzzer targets for every parser of user input, Sources/CriticalityFuzz.
#   scripts/fuzz.sh                      build, then run every target 3 s over its seed corpus (the test command)
#   scripts/fuzz.sh --seconds 600        the long run: 10 minutes per target (docs/fuzzing.md has the figures)
#   scripts/fuzz.sh --runs 100000 …      stop each target after N inputs instead (or whichever comes first)
#   scripts/fuzz.sh --targets npy,yaml   only these
#   scripts/fuzz.sh --seeds              rewrite Fuzz/corpus/ from real objects (then review and commit)
#   scripts/fuzz.sh --no-build …         use the binary already built (e.g. two runs side by side)
# Built -O with every Swift check on (no -Ounchecked) and AddressSanitizer into .build-fuzz. New inputs go to a
# temporary folder, so the committed corpus stays as it is; a crash, sanitizer report, hang (>10 s per
# input) or memory over 2 GiB is written to Fuzz/findings/ and makes the script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=3; runs=-1; targets="idx,gzip,cifar,npy,csv,yaml,layout,manifest,checkpoint,observer-state,run,fit"; seeds=0; build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --seeds) seeds=1; shift ;;
    --no-build) build=0; shift ;;
    *) echo "scripts/fuzz.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
fuzz_build() {
  CRITICALITY_FUZZ=1 swift build -c release --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address --product criticality-fuzz 2>&1 \
    | grep -E "error|Compiling Criticality |Build" | grep -v "ld.gold" || true
}
bin=.build-fuzz/release/criticality-fuzz
if [ "$build" != 0 ]; then
  fuzz_build
  # Seen here: after a public signature of another module changed (a default argument added), the
  # incremental build kept the fuzz target's old object and failed to link; rebuilding that target
  # from scratch fixes it (a clean clone, as CI has, never meets this).
  if [ ! -x "$bin" ]; then
    echo "the fuzz build did not link; rebuilding the fuzz target from scratch"
    rm -rf .build-fuzz/x86_64-unknown-linux-gnu/release/CriticalityFuzz.build
    fuzz_build
  fi
fi
[ -x "$bin" ] || { echo "FAIL: the fuzz build did not produce $bin"; exit 1; }
export SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0
if [ "$seeds" = 1 ]; then
  rm -rf Fuzz/corpus && mkdir -p Fuzz/corpus
  CRITICALITY_FUZZ_WRITE_SEEDS="$PWD/Fuzz/corpus" "$bin" >/dev/null
  find Fuzz/corpus -type f | sort
  exit 0
fi
mkdir -p Fuzz/findings
status=0
printf '%-16s %10s %9s %8s  %s\n' target inputs "inputs/s" coverage result
for t in ${targets//,/ }; do
  work=$(mktemp -d)
  log=$(mktemp)
  set +e
  CRITICALITY_FUZZ_TARGET=$t "$bin" "$work" "Fuzz/corpus/$t" -max_total_time="$seconds" -runs="$runs" \
    -timeout=10 -rss_limit_mb=2048 -max_len=400000 -detect_leaks=0 -print_final_stats=1 \
    -artifact_prefix="Fuzz/findings/$t-" >"$log" 2>&1
  code=$?
  set -e
  done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -1 || true)
  n=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}' || true)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}' || true)
  if [ -z "$cov" ]; then result_note=" (no coverage reported: is the build instrumented?)"; else result_note=""; fi
  if [ "$code" -eq 0 ] && [ -n "$done_line" ] && [ -n "$cov" ]; then result="ok"; elif [ "$code" -eq 0 ] && [ -n "$done_line" ]; then result="FAIL$result_note"; status=1; else result="FOUND (exit $code): $(grep -E 'ERROR|Fatal error|SUMMARY' "$log" | head -2 | tr '\n' ' ')"; status=1; fi
  printf '%-16s %10s %9s %8s  %s\n' "$t" "${n:-?}" "${rate:-?}" "${cov:-?}" "$result"
  rm -rf "$work" "$log"
done
exit $status
