#!/bin/bash
# The benchmark session behind docs/benchmarks.md, "Speed on a real workstation (issue 14)":
#   bash bench/speed_session.sh OLD_BINARY NEW_BINARY OUT_DIR
# 1. before/after: `bench` of both binaries on 1 and 2 threads, alternated twice, as the environment
#    is (OPENBLAS_CORETYPE=Haswell here); tables with bench/compare_bench.py.
# 2. PyTorch beside us (bench/pytorch/compare.py), as the environment is and with OPENBLAS_CORETYPE and
#    OPENBLAS_L2_SIZE unset in that command alone.
# 3. contention: `bench --background 1` (first pass and replay with one busy process).
set -u
OLD=$1 NEW=$2 OUT=$3
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
for i in 1 2; do
  for t in 1 2; do
    OPENBLAS_CORETYPE=Haswell "$OLD" bench --models mlp5,mlp2,mlp-large,cnn,cnn-28 --repeats 3 --seconds 1 --no-fits --threads $t --json "$OUT/old-t$t-$i.json" > /dev/null
    OPENBLAS_CORETYPE=Haswell "$NEW" bench --models mlp5,mlp2,mlp-large,cnn,cnn-28 --repeats 3 --seconds 1 --no-fits --threads $t --json "$OUT/new-t$t-$i.json" > /dev/null
  done
done
for t in 1 2; do
  python3 bench/compare_bench.py before="$OUT/old-t$t-1.json,$OUT/old-t$t-2.json" after="$OUT/new-t$t-1.json,$OUT/new-t$t-2.json" > "$OUT/before-after-t$t.md"
done
OPENBLAS_CORETYPE=Haswell python3 bench/pytorch/compare.py --criticality "$NEW" --rounds 2 --markdown "$OUT/pytorch-asis.md"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/pytorch/compare.py --criticality "$NEW" --rounds 2 --markdown "$OUT/pytorch-unset.md"
OPENBLAS_CORETYPE=Haswell "$NEW" bench --models mlp5,mlp2,mlp-large,cnn,cnn-28 --repeats 1 --seconds 0.5 --no-fits --no-tracking \
  --background 1 --contention-steps 4000 --json "$OUT/contention.json" > "$OUT/contention.log" 2>&1
