#!/usr/bin/env python3
"""Side-by-side table of `criticality bench --json` files (docs/benchmarks.md, issue 13).

    python3 bench/compare_bench.py before=B1.json,B2.json after=A1.json,A2.json

Each label's value is the median over its files of each figure (steps/s plain and tracked per model,
sgemm GFLOP/s, fit seconds); the last column is the ratio of the last label to the first.
"""
import json, statistics, sys

def load(paths):
    return [json.load(open(p)) for p in paths.split(",")]

def figures(runs):
    out = {}
    def add(key, v):
        if v is not None:
            out.setdefault(key, []).append(v)
    for r in runs:
        add(("sgemm", "GFLOP/s"), r.get("sgemm_gflops"))
        for m in r.get("models", []):
            add((m["model"], "plain steps/s"), m.get("steps_per_second"))
            add((m["model"], "tracked steps/s"), m.get("tracked_steps_per_second"))
        f = r.get("fits") or {}
        for k in ["continuous_scan_1e6_seconds", "bootstrap_1000x1e4_seconds", "comparisons_3x2e4_seconds", "interval_fit_1e6_seconds"]:
            add(("fit", k), f.get(k))
    return {k: statistics.median(v) for k, v in out.items()}

def main(args):
    labels, tables = [], []
    for a in args:
        label, paths = a.split("=", 1)
        labels.append(label)
        tables.append(figures(load(paths)))
    keys = [k for k in tables[0] if all(k in t for t in tables)]
    print("| what | " + " | ".join(labels) + f" | {labels[-1]}/{labels[0]} |")
    print("| --- |" + " ---: |" * (len(labels) + 1))
    for k in keys:
        vals = [t[k] for t in tables]
        fmt = (lambda v: f"{v:.3f}") if k[0] == "fit" else (lambda v: f"{v:,.1f}")
        print(f"| {k[0]} {k[1]} | " + " | ".join(fmt(v) for v in vals) + f" | {vals[-1] / vals[0]:.3f} |")

if __name__ == "__main__":
    main(sys.argv[1:])
