#!/usr/bin/env bash
# End-to-end test of `criticality sweep --slurm` on a real SLURM (issue 18): starts a single-node SLURM
# on this machine (scripts/slurm-local.sh: installs slurm-wlm and munge when missing), submits a sweep
# of four short runs as a job array with its report job, waits for both, checks that every run
# directory is complete and analysed and that the report lists all four, and stops the daemons it
# started (also on failure). Usage: bash scripts/test-slurm.sh [path/to/criticality]   (~1–2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(readlink -f "${1:-.build/release/criticality}")
work=$(mktemp -d /tmp/criticality-slurm.XXXXXX)
cleanup() { bash scripts/slurm-local.sh stop "$work/slurm" >/dev/null 2>&1 || true; }
trap cleanup EXIT
eval "$(bash scripts/slurm-local.sh start "$work/slurm")"
cat > "$work/four.yaml" <<'SPEC'
name: slurm-e2e
description: Four short runs through SLURM (scripts/test-slurm.sh).
base: {model: mlp, widths: [784, 32, 10], dataset: synthetic, steps: 400, windows: "0:200,200:400",
       information: false, kl: false, eval-every: 200, checkpoint-every: 100}
axes:
  optimizer: [sgd, adam]
seeds: [1, 2]
panels:
  - {id: E2E, title: "SGD and Adam", claim: heavy-tailed}
SPEC
# sbatch missing is a clear error, before anything is written
if PATH=/nonexistent "$bin" sweep "$work/four.yaml" --out "$work/none" --slurm 2>"$work/err.txt"; then
  echo "FAIL: --slurm without sbatch succeeded"; exit 1
fi
grep -q "sbatch, which is not on PATH" "$work/err.txt" || { echo "FAIL: no clear error without sbatch:"; cat "$work/err.txt"; exit 1; }
[ ! -e "$work/none" ] || { echo "FAIL: --slurm without sbatch wrote $work/none"; exit 1; }
"$bin" sweep "$work/four.yaml" --out "$work/sweep" --slurm --dry-run | grep -q -- "--array=0-3" || { echo "FAIL: --dry-run has no --array=0-3"; exit 1; }
[ ! -e "$work/sweep" ] || { echo "FAIL: --dry-run wrote the sweep folder"; exit 1; }
"$bin" sweep "$work/four.yaml" --out "$work/sweep" --slurm --cpus-per-task 1 --mem 1G --time 10:00
jobs=$(python3 -c "import json,sys; d=json.load(open('$work/sweep/slurm/jobs.json')); print(d['array'], d['report'])")
echo "submitted: array and report jobs $jobs"
for _ in $(seq 600); do
  left=$(squeue -h -j "$(echo $jobs | tr ' ' ,)" 2>/dev/null | wc -l)
  [ "$left" -eq 0 ] && break
  sleep 1
done
[ "$left" -eq 0 ] || { echo "FAIL: the jobs did not finish within 10 minutes"; squeue; exit 1; }
"$bin" sweep status "$work/sweep"
status=$("$bin" sweep status "$work/sweep")
echo "$status" | grep -q "^4 done, 0 running, 0 failed, 0 to do" || { echo "FAIL: not every run is done"; tail -20 "$work"/sweep/logs/*.log; exit 1; }
for run in "$work"/sweep/runs/*/; do
  python3 -c "import json,sys; m=json.load(open('$run/manifest.json')); sys.exit(0 if m['status']=='complete' else 1)" || { echo "FAIL: $run is not complete"; exit 1; }
  [ -s "$run/observers/updates/fits.json" ] || { echo "FAIL: $run has no fits"; exit 1; }
done
[ -s "$work/sweep/report.html" ] || { echo "FAIL: the report job wrote no report"; cat "$work"/sweep/slurm/report-*.out; exit 1; }
for name in optimizer-sgd_seed-1 optimizer-sgd_seed-2 optimizer-adam_seed-1 optimizer-adam_seed-2; do
  grep -q "$name" "$work/sweep/report.html" || { echo "FAIL: the report does not list $name"; exit 1; }
done
grep -q "Updates are heavy-tailed in every condition" "$work/sweep/report.html" || { echo "FAIL: the report has no panel claim"; exit 1; }
# a second submission of a finished sweep trains nothing and only rewrites the report
"$bin" sweep "$work/four.yaml" --out "$work/sweep" --slurm | grep -q "no runs left to train" || { echo "FAIL: resubmitting a finished sweep trained again"; exit 1; }
echo "slurm end-to-end: ok (4 runs through a job array, report by the afterany job)"
rm -rf "$work/sweep" "$work/four.yaml"
