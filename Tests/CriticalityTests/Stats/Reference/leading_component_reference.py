#!/usr/bin/env python3
"""Reference for LeadingComponentTests: the leading right singular vector of the column-centred block
(NumPy's SVD; scikit-learn's PCA components_[0] up to sign) and the explained-variance ratio."""
import numpy as np

T, P = 30, 40
t = np.arange(T, dtype=np.float64)[:, None]
j = np.arange(P, dtype=np.float64)[None, :]
X = np.sin(0.37 * t + 0.11 * j * j) + 0.05 * t * np.cos(0.9 * j)
Xc = X - X.mean(axis=0)
U, S, Vt = np.linalg.svd(Xc, full_matrices=False)
v = Vt[0] * np.sign(Vt[0][np.argmax(np.abs(Vt[0]))])
print(repr(float(S[0] ** 2 / np.sum(S ** 2))), [repr(float(x)) for x in v[:4]], repr(float(v[-1])))
