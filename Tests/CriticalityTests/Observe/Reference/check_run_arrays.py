"""Recomputes, with NumPy and from the raw update matrix, every array the update-statistics observer
writes for |Δθ| (docs/run-directory.md), and compares each with what np.load reads from the run.

    python3 check_run_arrays.py RUN UPDATES.npy       # prints OK or the mismatches, exit status 0/1

UPDATES.npy is steps × parameters (float32), the Δθ of every step exactly as applied. The scopes
(all, each layer, each segment) come from RUN/manifest.json's layout; windows and thresholds from
RUN/observers/updates/summary.json. Counts must match exactly; derived floats to 1e-12 relative.
"""
import json
import sys

import numpy as np

run, updates_path = sys.argv[1], sys.argv[2]
U = np.abs(np.load(updates_path).astype(np.float32))
manifest = json.load(open(f"{run}/manifest.json"))
summary = json.load(open(f"{run}/observers/updates/summary.json"))
scopes = {"all": np.arange(U.shape[1])}
for s in manifest["layout"]:
    idx = np.arange(s["offset"], s["offset"] + s["count"])
    scopes[f"{s['layer']}.{s['kind']}"] = idx
    scopes[s["layer"]] = np.concatenate([scopes.get(s["layer"], np.array([], dtype=int)), idx])
problems = []
checked = 0


def load(path, dtype=None):
    global checked
    a = np.load(path)
    checked += 1
    if dtype is not None and a.dtype != dtype:
        problems.append(f"{path}: dtype {a.dtype}, expected {dtype}")
    return a


def close(name, got, want, rel=1e-12):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        problems.append(f"{name}: shape {got.shape}, expected {want.shape}")
    elif not np.allclose(got, want, rtol=rel, atol=0, equal_nan=True):
        i = int(np.argmax(np.abs(got - want) > rel * np.abs(want)))
        problems.append(f"{name}: value {got.flat[i]!r} at {i}, expected {want.flat[i]!r}")


def edge(b):
    return np.array(np.asarray(b, dtype=np.uint32) << 19, dtype=np.uint32).view(np.float32).astype(np.float64)


for w in summary["windows"]:
    folder = f"{run}/observers/updates/{w['folder']}"
    W = U[w["start"]:w["end"]]
    for sc in w["scopes"]:
        name = sc["scope"]
        v = W[:, scopes[name]].ravel()
        pos = v[v > 0]
        bins = (pos.view(np.uint32) & 0x7FFFFFFF) >> 19
        lo, hi = bins.min(), bins.max()
        counts = np.bincount(bins - lo, minlength=hi - lo + 1)
        p = f"{folder}/update_{name}"
        close(p + "_logbin_counts.npy", load(p + "_logbin_counts.npy", np.float64), counts, 0)
        e = load(p + "_logbin_edges.npy", np.float64)
        close(p + "_logbin_edges.npy", e, edge(np.arange(lo, hi + 2)))
        centers = np.sqrt(e[:-1] * e[1:])
        if lo == 0:
            centers[0] = edge(1) / 2  # bin 0 (subnormals): arithmetic centre
        close(p + "_logbin_centers.npy", load(p + "_logbin_centers.npy", np.float64), centers)
        close(p + "_density.npy", load(p + "_density.npy", np.float64), counts / (v.size * np.diff(e)))
        close(p + "_ccdf.npy", load(p + "_ccdf.npy", np.float64), (counts.sum() - np.concatenate([[0], np.cumsum(counts)[:-1]])) / counts.sum())
        # the authors' histogram: 100 bins e_j = max·j/100 on [0, max], the last closed
        mx = float(v.max())
        edges = mx * np.arange(101) / 100.0
        lin = np.histogram(v.astype(np.float64), bins=edges)[0]
        close(p + "_xbins.npy", load(p + "_xbins.npy", np.float64), (edges[:-1] + edges[1:]) / 2)
        close(p + "_nums.npy", load(p + "_nums.npy", np.float64), lin / lin.sum())
        # the sample: a sub-multiset of the scope's values, of size min(k, N)
        r = load(p + "_reservoir.npy", np.float32)
        k = min(summary["settings"]["reservoir_size"], v.size)
        if r.size != k:
            problems.append(f"{p}_reservoir.npy: {r.size} values, expected {k}")
        vals, cnt = np.unique(v, return_counts=True)
        rv, rc = np.unique(r, return_counts=True)
        j = np.searchsorted(vals, rv)
        if np.any(j >= vals.size) or np.any(vals[np.minimum(j, vals.size - 1)] != rv) or np.any(cnt[np.minimum(j, vals.size - 1)] < rc):
            problems.append(f"{p}_reservoir.npy: holds values that are not the scope's")
        # inter-event intervals of large updates, pooled over the scope's parameters
        for t in w["timing"]:
            T = np.float32(t["threshold"])
            big = W[:, scopes[name]] >= T
            hist = np.zeros(W.shape[0] + 1, dtype=np.int64)
            for col in big.T:
                steps = np.nonzero(col)[0]
                if steps.size > 1:
                    hist += np.bincount(np.diff(steps), minlength=hist.size)[:hist.size]
            got = load(f"{folder}/interval_q{t['q']}_{name}_counts.npy", np.uint64)
            close(f"{folder}/interval_q{t['q']}_{name}_counts.npy", got, hist[:got.size], 0)
            if hist[got.size:].any():
                problems.append(f"interval_q{t['q']}_{name}: intervals beyond the file's length")
    # per-step series of the window
    close(f"{folder}/series_step.npy", load(f"{folder}/series_step.npy"), np.arange(w["start"], w["end"]))
    close(f"{folder}/series_update_norm.npy", load(f"{folder}/series_update_norm.npy", np.float64),
          np.sqrt((W.astype(np.float64) ** 2).sum(axis=1)), 1e-6)  # Σ Δθ² is summed in Float32 lanes (docs)
    close(f"{folder}/series_update_max.npy", load(f"{folder}/series_update_max.npy", np.float64), W.max(axis=1))
    ent = []
    for row in W:
        b = np.where(row > 0, (row.view(np.uint32) & 0x7FFFFFFF) >> 19, 4096).astype(np.int64)  # zeros: a bin of their own
        c = np.bincount(b)
        q = c[c > 0] / row.size
        ent.append(-(q * np.log(q)).sum())
    close(f"{folder}/series_update_entropy.npy", load(f"{folder}/series_update_entropy.npy", np.float64), ent, 1e-9)

if problems:
    print("\n".join(problems[:40]))
    sys.exit(1)
print(f"OK {checked} arrays")
