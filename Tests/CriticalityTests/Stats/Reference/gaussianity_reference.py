#!/usr/bin/env python3
"""Reference values for GaussianityTests: SciPy's D'Agostino–Pearson normality test (stats.normaltest),
the biased skewness and excess kurtosis (stats.skew, stats.kurtosis), the normal MLE (stats.norm.fit),
and the Hill tail index computed here from its definition. The samples are generated from formulas that
the Swift test repeats. Run: python3 gaussianity_reference.py > gaussianity_reference.json"""
import json
import math

import numpy as np
from scipy import stats


def samples():
    n = 600
    # A nearly Gaussian sample (Irwin–Hall: a sum of 12 uniforms of the LCG x ← 1664525·x + 1013904223
    # mod 2³², from x = 1, minus 6), a heavy-tailed one (Cauchy quantiles), and one with the uniform's
    # light tails (a Weyl sequence).
    state = 1
    gaussian_like = []
    for i in range(n):
        total = 0.0
        for k in range(12):
            state = (1664525 * state + 1013904223) % 2**32
            total += state / 2**32
        gaussian_like.append(total - 6)
    cauchy = [math.tan(math.pi * ((i + 0.5) / n - 0.5)) for i in range(n)]
    uniform = [((i * 0.618033988749895) % 1.0) - 0.5 for i in range(n)]
    return {"gaussian_like": gaussian_like, "cauchy": cauchy, "uniform": uniform}


def hill(x, k):
    a = np.sort(np.abs(np.asarray(x)))[::-1]
    return float(k / np.sum(np.log(a[:k] / a[k])))


out = {}
for name, x in samples().items():
    x = np.asarray(x)
    k2, p = stats.normaltest(x)
    mu, sd = stats.norm.fit(x)
    k = max(10, len(x) // 100)
    out[name] = {"k2": float(k2), "p": float(p), "skewness": float(stats.skew(x)), "excess_kurtosis": float(stats.kurtosis(x)),
                 "mean": float(mu), "sd": float(sd), "hill_k": k, "hill_alpha": hill(x, k)}
print(json.dumps(out, indent=1))
