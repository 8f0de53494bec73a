#!/usr/bin/env bash
# Builds the LD_PRELOAD allocation counter used by `criticality bench` to show that a training step
# allocates nothing (see docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")"
cc -O2 -shared -fPIC -o malloc_count.so malloc_count.c
echo "built $(pwd)/malloc_count.so"
