#!/usr/bin/env python3
"""Reference values for StabilityTests (Spearman's rho with its p-value, the one-sample t-test, and the
regularized incomplete beta) from SciPy. Run: python3 stability_reference.py > stability_reference.json"""
import json

import numpy as np
from scipy import special, stats

x = [0.31, 0.12, 0.55, 0.55, 0.91, 0.47, 0.23, 0.77, 0.64, 0.08, 0.39, 0.86]
y = [0.29, 0.20, 0.41, 0.62, 0.88, 0.35, 0.30, 0.70, 0.70, 0.15, 0.52, 0.79]
d = list(np.array(x) - np.array(y))
rho, p = stats.spearmanr(x, y)
t = stats.ttest_1samp(d, 0.0)
betas = [[a, b, z, float(special.betainc(a, b, z))] for a, b, z in
         [(0.5, 0.5, 0.3), (2.0, 3.0, 0.4), (5.0, 0.5, 0.9), (30.0, 0.5, 0.999), (0.5, 40.0, 0.01), (100.0, 100.0, 0.5)]]
print(json.dumps({"x": x, "y": y, "spearman_rho": float(rho), "spearman_p": float(p),
                  "t_statistic": float(t.statistic), "t_p": float(t.pvalue), "betainc": betas}, indent=1))
