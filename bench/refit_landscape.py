#!/usr/bin/env python3
"""Re-computes, with NumPy (and SciPy where installed), the numbers of a landscape/summary.json that do not
come from the tail-fit code already checked against `powerlaw` (bench/refit_comparisons.py): the sample
statistics, the whole-sample exponential (rate 1/mean, KS distance), the paper's 40-bin histogram and its
least-squares lines, and the MLE exponent at the reported x_min. Exits non-zero on a disagreement.

Usage: python3 bench/refit_landscape.py RUN/landscape [more folders...]
"""
import json
import os
import sys

import numpy as np


def close(a, b, rel=1e-9, abs_=1e-12):
    return abs(a - b) <= rel * max(abs(a), abs(b)) + abs_


def check(folder):
    summary = json.load(open(os.path.join(folder, "summary.json")))
    bad = 0
    for source in summary["sources"]:
        for r in source["responses"]:
            x = np.load(os.path.join(folder, r["file"]))
            a = r["analysis"]
            n = len(x)
            mean = x.mean()
            rate = 1 / mean
            xs = np.sort(x)
            cdf = -np.expm1(-rate * xs)
            ks = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(0, n) / n))
            counts, edges = np.histogram(x, bins=40)
            centers = (edges[:-1] + edges[1:]) / 2
            p = counts / counts.sum()
            checks = [("n", n, a["n"]), ("zeros", int((x == 0).sum()), a["zeros"]), ("mean", mean, a["mean"]),
                      ("median", float(np.median(x)), a["median"]), ("max", float(x.max()), a["maximum"]),
                      ("exponential_rate", rate, a["exponential_rate"]), ("exponential_ks", ks, a["exponential_ks"])]
            checks += [(f"histogram p[{i}]", p[i], a["histogram_probabilities"][i]) for i in range(40)]
            checks += [(f"histogram centre[{i}]", centers[i], a["histogram_centers"][i]) for i in range(40)]
            for key, semilog in (("semi_log_fit", True), ("log_log_fit", False)):
                if a.get(key) is None:
                    continue
                keep = (p > 0) & (semilog | (centers > 0))
                u = centers[keep] if semilog else np.log(centers[keep])
                slope = np.polyfit(u, np.log(p[keep]), 1)[0]
                checks.append((key + ".exponent", -slope, a[key]["exponent"]))
            t = a.get("tail")
            if t is not None:
                tail = xs[xs >= t["xmin"]]
                alpha = 1 + len(tail) / np.sum(np.log(tail / t["xmin"]))
                checks += [("tail n", len(tail), t["n_tail"]), ("tail alpha (MLE at x_min)", alpha, t["alpha"])]
            for name, mine, theirs in checks:
                # KS and the histogram count ties at bin edges the same way; sums differ in the last bits.
                if not close(float(mine), float(theirs), rel=1e-7, abs_=1e-12):
                    print(f"{folder}: {r['file']}: {name}: NumPy {mine!r}, Criticality {theirs!r}")
                    bad += 1
    return bad


if __name__ == "__main__":
    failures = sum(check(f) for f in sys.argv[1:])
    print("all landscape numbers agree" if failures == 0 else f"{failures} disagreements")
    sys.exit(1 if failures else 0)
