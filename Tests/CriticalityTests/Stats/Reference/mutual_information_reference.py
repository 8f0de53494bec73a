#!/usr/bin/env python3
"""Reference values for MutualInformationTests: the authors' estimator (mi_gradient.py, copied as
authors-code-notes.md §2.4 gives it), the plain plug-in and its Miller–Madow correction, with NumPy, on
arrays both sides generate the same way. Run: python3 mutual_information_reference.py"""
import numpy as np

n = 5000
i = np.arange(n, dtype=np.float64)
w = np.abs(np.sin(i * 0.37)) ** 3
a = np.cos(i * 0.11) + 0.3 * w
for (x, y) in ((w, a), (w, np.cos(i * 0.013))):
    x = (x - x.mean()) / (x.std() + 1e-10)
    y = (y - y.mean()) / (y.std() + 1e-10)
    H, _, _ = np.histogram2d(x.flatten(), y.flatten(), bins=50)
    P = H / H.sum()
    pw = P.sum(axis=1, keepdims=True)
    pa = P.sum(axis=0, keepdims=True)
    nz = P > 0
    plugin = float(np.sum(P[nz] * np.log(P[nz] / (pw @ pa)[nz])))
    mm = plugin + ((pw > 0).sum() - 1 + (pa > 0).sum() - 1 - (nz.sum() - 1)) / (2 * n)
    P = P + 1e-10; pw = pw + 1e-10; pa = pa + 1e-10
    authors = float(np.sum(P * np.log(P / (pw @ pa))))
    print(repr(authors), repr(plugin), repr(float(mm)), int(nz.sum()))
