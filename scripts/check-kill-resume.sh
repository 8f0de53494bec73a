#!/usr/bin/env bash
# End-to-end check of `criticality resume` after a real `kill -9` between checkpoints:
# trains mlp5 on Fashion-MNIST for 3,000 steps uninterrupted, trains the same run again and kills it
# with SIGKILL partway (not at a checkpoint), resumes it, and compares metrics.csv and parameters.npy
# byte for byte. Usage: scripts/check-kill-resume.sh [path/to/criticality]
set -euo pipefail
bin=${1:-.build/release/criticality}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(train --model mlp5 --steps 3000 --checkpoint-every 700 --eval-every 250 --seed 4)
"$bin" "${args[@]}" --out "$work/full" >/dev/null 2>&1
"$bin" "${args[@]}" --out "$work/killed" >/dev/null 2>&1 &
pid=$!
# Wait until the first checkpoint after step 0 exists (step ≥ 700), then a little longer, then kill.
for _ in $(seq 1 400); do
  if grep -q '"step" : [1-9]' "$work/killed/checkpoint/state.json" 2>/dev/null; then break; fi
  sleep 0.01
done
sleep 0.05
kill -9 "$pid" 2>/dev/null || { echo "FAIL: the run finished before it could be killed"; exit 1; }
wait "$pid" 2>/dev/null || true
at=$(grep '"step"' "$work/killed/checkpoint/state.json" | tr -dc 0-9)
rows=$(($(wc -l < "$work/killed/metrics.csv") - 1))
echo "killed with SIGKILL: last checkpoint at step $at, metrics.csv had $rows rows"
"$bin" resume "$work/killed" >/dev/null 2>&1
for f in metrics.csv parameters.npy checkpoint/parameters.npy; do
  cmp "$work/full/$f" "$work/killed/$f" || { echo "FAIL: $f differs after kill -9 and resume"; exit 1; }
done
echo "PASS: resumed run is bit-identical to the uninterrupted one (metrics.csv, parameters.npy)"
