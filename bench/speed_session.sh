#!/bin/bash
# The benchmark session behind docs/benchmarks.md, "Speed on a real workstation (issue 14)":
#   bash bench/speed_session.sh OLD_BINARY NEW_BINARY OUT_DIR
# Each step runs twice: with OPENBLAS_CORETYPE=Haswell (the workplace's setting for older OpenBLAS
# builds) and with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset in that command alone (OpenBLAS picks
# its kernels by CPUID: SkylakeX where the VM exposes AVX-512). The kernel that ran is in each JSON and
# table.
# 1. before/after: `bench` of both binaries on 1 and 2 threads, alternated twice; tables with
#    bench/compare_bench.py.
# 2. PyTorch beside us (bench/pytorch/compare.py): the MLPs and the CNN at batch 64, the Transformer at
#    the authors' batch 8.
# 3. contention: `bench --background 1` (first pass and replay with one busy process), every model.
set -u
OLD=$1 NEW=$2 OUT=$3
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
MODELS=mlp5,mlp2,mlp-large,cnn,cnn-28,transformer
run() {  # run haswell|unset COMMAND...
  local how=$1; shift
  if [ "$how" = haswell ]; then OPENBLAS_CORETYPE=Haswell "$@"; else env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; fi
}
for how in haswell unset; do
  for i in 1 2; do
    for t in 1 2; do
      run $how "$OLD" bench --models $MODELS --repeats 3 --seconds 1 --no-fits --threads $t --json "$OUT/old-$how-t$t-$i.json" > /dev/null
      run $how "$NEW" bench --models $MODELS --repeats 3 --seconds 1 --no-fits --threads $t --json "$OUT/new-$how-t$t-$i.json" > /dev/null
    done
  done
  for t in 1 2; do
    python3 bench/compare_bench.py before="$OUT/old-$how-t$t-1.json,$OUT/old-$how-t$t-2.json" \
      after="$OUT/new-$how-t$t-1.json,$OUT/new-$how-t$t-2.json" > "$OUT/before-after-$how-t$t.md"
  done
  run $how python3 bench/pytorch/compare.py --criticality "$NEW" --rounds 2 --markdown "$OUT/pytorch-$how.md"
  run $how python3 bench/pytorch/compare.py --criticality "$NEW" --rounds 2 --models transformer --batch-size 8 \
    --markdown "$OUT/pytorch-transformer-$how.md"
  run $how "$NEW" bench --models $MODELS --repeats 1 --seconds 0.5 --no-fits --no-tracking \
    --background 1 --contention-steps 4000 --json "$OUT/contention-$how.json" > "$OUT/contention-$how.log" 2>&1
done
