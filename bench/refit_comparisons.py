#!/usr/bin/env python3
"""Independent re-fit of every model comparison in the fits.json files of run directories.

For each comparison `criticality analyze` wrote (|dtheta| and |theta| tails, interval histograms), this
script re-fits the alternative at the tool's own x_min with SciPy -- L-BFGS-B from several starts on
parameterizations whose bounds contain the power-law limit, normalizers by SciPy special functions,
quadrature or plain summation, nothing shared with the Swift code -- and re-derives the verdict with
its own coding of the procedure in docs/fit-json.md. It reports, per kind of alternative, how many
comparisons agree on the log-likelihood ratio within max(1 nat, 1%) and on the verdict, lists every
disagreement, and counts the tool's significant verdicts whose parameters sit at a numerical extreme
(beta < 1e-6, |mu| > 1e3, lambda outside 1e-250..1e250). Exit status 1 if there is either.

    python3 bench/refit_comparisons.py reproduction/runs/*      # or any run directories

Needs numpy and scipy (pip). Parameterizations (u = ln(x/x_min), t = x/x_min):
  lognormal            p(u) ∝ exp(-a u - b u^2), b >= 0   (b = 0: the power law, alpha = 1 + a)
  truncated power law  p(t) ∝ t^-alpha exp(-z t), z >= 0  (z = 0: the power law)
  stretched exp.       p(x) ∝ x^-1 exp(beta u - kappa expm1(beta u)/beta), beta >= 0 (beta = 0: alpha = 1 + kappa)
"""
import json
import math
import os
import sys

import numpy as np
from scipy import integrate, optimize, special, stats

LIMIT = "at the power-law limit"


# ---------------------------------------------------------------- the decision procedure
def weighted_chi2_sf(w1, w2, q):
    """P(w1 Z1^2 + w2 Z2^2 > q), by quadrature over Z2."""
    if q <= 0:
        return 1.0
    w1, w2 = max(w1, w2), min(w1, w2)
    if w2 <= 1e-12 * w1:
        return float(special.erfc(math.sqrt(q / (2 * w1)))) if w1 > 0 else 0.0
    edge = math.sqrt(q / w2)
    inner = lambda y: special.erfc(math.sqrt(max(q - w2 * y * y, 0) / (2 * w1))) * stats.norm.pdf(y)
    return 2 * (integrate.quad(inner, 0, edge, limit=200)[0] + stats.norm.sf(edge))


def decide(l, w, nested, at_limit, s, variance_weights=None, lr_only=False):
    """(verdict, LLR): the cut-off by the nested LR test alone (lr_only); the others by step 1
    (do the models coincide?) and step 2 (Vuong's normalized ratio)."""
    if at_limit:
        return "inconclusive", 0.0, LIMIT
    n = w.sum()
    llr = float((w * l).sum())
    mean = llr / n
    var = float((w * (l - mean) ** 2).sum() / n)
    if var <= 1e-20 * (mean * mean + var):
        var = 0.0
    sd = math.sqrt(n * var)
    vuong_p = float(special.erfc(abs(llr / sd) / math.sqrt(2))) if sd > 0 else 1.0
    if nested:
        p1 = float(stats.chi2.sf(2 * max(-llr, 0), 1))
    else:
        p1 = weighted_chi2_sf(variance_weights[0], variance_weights[1], n * var) if var > 0 else 1.0
    if lr_only:
        return ("alternative favoured" if p1 < s else "inconclusive"), llr, "LR test"
    if p1 >= s:
        return "inconclusive", llr, "coincide"
    if vuong_p >= s:
        return "inconclusive", llr, "neither closer"
    return ("power law favoured" if llr > 0 else "alternative favoured"), llr, ""


def variance_weights(sf, sg, i_f, i_g, w):
    """Eigenvalues of D B~ D B (Vuong's lambda^2 for two one-parameter models)."""
    n = w.sum()
    B = np.array([[(w * sf * sf).sum(), (w * sf * sg).sum()], [(w * sf * sg).sum(), (w * sg * sg).sum()]]) / n
    Bt = np.array([[B[0, 0], -B[0, 1]], [-B[0, 1], B[1, 1]]])
    D = np.diag([1 / i_f, 1 / i_g])
    ev = np.linalg.eigvals(D @ Bt @ D @ B)
    return sorted(np.maximum(ev.real, 0), reverse=True)


def best_of(objective, starts, bounds):
    """L-BFGS-B from every start; the lowest objective (a point where it fails counts as +inf)."""
    def safe(p):
        try:
            v = objective(p)
        except (ValueError, OverflowError, ZeroDivisionError, FloatingPointError):
            return 1e300
        return v if np.isfinite(v) else 1e300
    best = None
    for x0 in starts:
        try:
            r = optimize.minimize(safe, x0, method="L-BFGS-B", bounds=bounds,
                                  options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 2000})
        except (ValueError, FloatingPointError, OverflowError):
            continue
        if np.isfinite(r.fun) and (best is None or r.fun < best.fun):
            best = r
    # polish the best point by Nelder-Mead (ridges where L-BFGS-B's line searches stall)
    if best is not None:
        for _ in range(3):
            r = optimize.minimize(safe, best.x, method="Nelder-Mead", bounds=bounds,
                                  options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000, "adaptive": True})
            if not (np.isfinite(r.fun) and r.fun < best.fun - 1e-15):
                break
            best = r
    return best


# ---------------------------------------------------------------- continuous
def continuous(x, xmin, alt, s):
    u = np.log(x / xmin)
    n = len(x)
    m1, m2 = u.mean(), (u * u).mean()
    alpha = 1 + 1 / m1
    lpl = math.log(alpha - 1) - math.log(xmin) - alpha * u          # ln p_PL per point
    ones = np.ones(n)
    if alt == "exponential":
        d = x - xmin
        lam = 1 / d.mean()
        l = lpl - (math.log(lam) - lam * d)
        vw = variance_weights(1 / (alpha - 1) - u, 1 / lam - d, 1 / (alpha - 1) ** 2, 1 / lam ** 2, ones)
        return decide(l, ones, False, False, s, vw)
    if alt == "lognormal":
        def logz(a, b):
            if b == 0:
                return -math.log(a) if a > 0 else math.inf
            t = a / (2 * math.sqrt(b))
            return 0.5 * math.log(math.pi / (4 * b)) + math.log(special.erfcx(t))
        # scaled variables: A = a m1, Bs = b m2
        def nll(p):
            a, b = p[0] / m1, p[1] / m2
            z = logz(a, b)
            return (a * m1 + b * m2 + z) if np.isfinite(z) else 1e300
        starts = [[1.0, 0.0], [1.0, 1e-6], [1.0, 1e-3], [0.5, 0.1], [0.0, 1.0], [-2.0, 3.0]]
        r = best_of(nll, starts, [(-1e6, 1e6), (0, 1e8)])
        a, b = r.x[0] / m1, r.x[1] / m2
        lim = nll([1.0, 0.0])
        if r.fun >= lim or b == 0:
            return decide(None, None, True, True, s)
        l = lpl - (-a * u - b * u * u - logz(a, b) - math.log(xmin) - u)
        return decide(l, ones, True, False, s)
    if alt == "truncated-power-law":
        tt = x / xmin
        mt = tt.mean()

        def log_e(a, z):
            if z == 0:
                return -math.log(a - 1) if a > 1 else math.inf
            # integrand exp(g(v)), g = (1 - a) v - z e^v, scaled by its peak at v* = ln((1 - a)/z) (or 0)
            peak = max(0.0, math.log((1 - a) / z)) if a < 1 else 0.0
            g0 = (1 - a) * peak - z * math.exp(peak)
            f = lambda v: math.exp((1 - a) * v - z * math.exp(v) - g0)
            top = max(peak, math.log(200 / z)) + 3
            width = 1 / math.sqrt(max(z * math.exp(peak), 1e-300))  # curvature of g at the peak
            pts = sorted({0.0, max(peak - 5 * width, 0), peak, min(peak + 5 * width, top), min(peak + 3, top), top})
            val = sum(integrate.quad(f, lo, hi, limit=200, epsabs=0, epsrel=1e-13)[0] for lo, hi in zip(pts, pts[1:]))
            return g0 + math.log(val)

        def nll(p):
            a, z = p[0], p[1] / mt
            e = log_e(a, z)
            return (a * m1 + z * mt + e) if np.isfinite(e) else 1e300
        # starts: the power law, small cut-offs, and the Gaussian in t with the sample's mean and variance
        # (-alpha ln t - z t has its mode at -alpha/z and curvature alpha/t^2), for tails a few % wide
        vt = max(tt.var(), 1e-300)
        starts = [[alpha, 0.0], [alpha, 1e-4], [alpha - 0.5, 0.01], [1.5, 0.1], [0.5, 1.0], [alpha, 3.0],
                  [-mt * mt / vt, mt * mt / vt]]
        r = best_of(nll, starts, [(-1e7, 1e7), (0, 1e9)])
        a, z = r.x[0], r.x[1] / mt
        if r.fun >= nll([alpha, 0.0]) or z == 0:
            return decide(None, None, True, True, s)
        l = lpl - (-a * u - z * tt - log_e(a, z) - math.log(xmin))
        return decide(l, ones, True, False, s, lr_only=True)
    if alt == "stretched-exponential":
        def g(beta):
            return u if beta == 0 else np.expm1(beta * u) / beta

        def nll(p):
            logk, beta = p
            k = math.exp(logk)
            with np.errstate(over="ignore"):
                v = -(logk + (beta - 1) * m1 - k * g(beta).mean())
            return v if np.isfinite(v) else 1e300
        k0 = math.log(alpha - 1)
        starts = [[k0, 0.0], [k0, 1e-4 / m1], [k0, 0.01 / m1], [k0, 0.3 / m1], [k0 - 1, 1 / m1], [k0 - 3, 3 / m1]]
        r = best_of(nll, starts, [(-50, 50), (0, 50 / max(u.max(), 1e-12))])
        logk, beta = r.x
        if r.fun >= nll([k0, 0.0]) or beta == 0:
            return decide(None, None, True, True, s)
        l = lpl - (logk - math.log(xmin) + (beta - 1) * u - math.exp(logk) * g(beta))
        return decide(l, ones, True, False, s)
    raise ValueError(alt)


# ---------------------------------------------------------------- discrete
class Normalizer:
    """ln sum_{x >= xmin} exp(phi(x)): plain summation to xmin + 50,000, then the integral from X + 1/2
    in v = ln x by quad (midpoint rule; its error is below 1e-12 of the total there)."""

    def __init__(self, xmin):
        self.x = np.arange(xmin, xmin + 50_000, dtype=np.float64)
        self.u = np.log(self.x / xmin)
        self.lx = np.log(self.x)
        self.xmin = xmin

    def __call__(self, phi_vec, phi_scalar):
        p = phi_vec(self.x, self.lx, self.u)
        m = p.max()
        if not np.isfinite(m):
            return math.inf
        s = np.exp(p - m).sum()
        top = self.x[-1] + 0.5
        f = lambda v: math.exp(min(phi_scalar(math.exp(v), v, v - math.log(self.xmin)) + v - m, 700))
        v0 = math.log(top)
        tail = integrate.quad(f, v0, v0 + 200, limit=400, epsabs=0, epsrel=1e-12)[0]
        return m + math.log(s + tail)


def discrete(values, counts, xmin, alt, s):
    keep = values >= xmin
    v, c = values[keep], counts[keep]
    n = c.sum()
    u = np.log(v / xmin)
    m1, m2 = (c * u).sum() / n, (c * u * u).sum() / n
    slx = (c * np.log(v)).sum()
    res = optimize.minimize_scalar(lambda a: a * slx / n + math.log(special.zeta(a, xmin)), bounds=(1.0001, 50),
                                   method="bounded", options={"xatol": 1e-12})
    alpha = res.x
    lzeta = math.log(special.zeta(alpha, xmin))
    lpl = -alpha * np.log(v) - lzeta
    pl_nll = alpha * slx / n + lzeta
    Z = Normalizer(xmin)
    if alt == "exponential":
        d = v - xmin
        lam = math.log1p(1 / ((c * d).sum() / n))
        l = lpl - (math.log(-math.expm1(-lam)) - lam * d)
        # Var_PL(ln x) by summation
        lx = np.log(Z.x)
        wts = np.exp(-alpha * lx - lzeta)
        mu = (wts * lx).sum()
        var = (wts * (lx - mu) ** 2).sum()
        vw = variance_weights(-(np.log(v) - mu), 1 / math.expm1(lam) - d, var, math.exp(lam) / math.expm1(lam) ** 2, c)
        return decide(l, c, False, False, s, vw)
    if alt == "lognormal":
        def logz(a, b):
            return Z(lambda x, lx, uu: -lx - a * uu - b * uu * uu, lambda x, lx, uu: -lx - a * uu - b * uu * uu)

        def nll(p):
            a, b = p[0] / m1, p[1] / m2
            if b == 0 and a <= 0:
                return 1e300
            z = logz(a, b)
            return (slx / n + a * m1 + b * m2 + z) if np.isfinite(z) else 1e300
        a0 = (alpha - 1) * m1
        starts = [[a0, 0.0], [a0, 1e-4], [a0, 0.01], [0.5 * a0, 0.3], [0.0, 1.0], [-2.0, 3.0]]
        r = best_of(nll, starts, [(-1e4, 1e4), (0, 1e6)])
        a, b = r.x[0] / m1, r.x[1] / m2
        if r.fun >= pl_nll or b == 0:
            return decide(None, None, True, True, s)
        l = lpl - (-np.log(v) - a * u - b * u * u - logz(a, b))
        return decide(l, c, True, False, s)
    if alt == "truncated-power-law":
        t = v / xmin
        mt = (c * t).sum() / n

        def logz(a, z):
            return Z(lambda x, lx, uu: -a * uu - z * x / xmin, lambda x, lx, uu: -a * uu - z * x / xmin)

        def nll(p):
            a, z = p[0], p[1] / mt
            if z == 0 and a <= 1:
                return 1e300
            e = logz(a, z)
            return (a * m1 + z * mt + e) if np.isfinite(e) else 1e300
        vt = max((c * (t - mt) ** 2).sum() / n, 1e-300)
        starts = [[alpha, 0.0], [alpha, 1e-4], [alpha - 0.5, 0.01], [1.5, 0.1], [0.5, 1.0], [alpha, 3.0],
                  [-mt * mt / vt, mt * mt / vt]]
        r = best_of(nll, starts, [(-1e7, 1e7), (0, 1e9)])
        a, z = r.x[0], r.x[1] / mt
        if r.fun >= nll([alpha, 0.0]) or z == 0:
            return decide(None, None, True, True, s)
        # ln p_alt(x) = -a u - z t - ln Z (Z over the same terms); ln p_PL(x) = -alpha ln x - ln zeta
        l = lpl - (-a * u - z * t - logz(a, z))
        return decide(l, c, True, False, s, lr_only=True)
    if alt == "stretched-exponential":
        def gfun(beta, uu):
            return uu if beta == 0 else np.expm1(beta * uu) / beta

        def logz(k, beta):
            fv = lambda x, lx, uu: -lx + beta * uu - k * gfun(beta, uu)
            fs = lambda x, lx, uu: -lx + beta * uu - k * (uu if beta == 0 else math.expm1(beta * uu) / beta)
            return Z(fv, fs)

        def nll(p):
            k, beta = math.exp(p[0]), p[1]
            e = logz(k, beta)
            return (slx / n - beta * m1 + k * (c * gfun(beta, u)).sum() / n + e) if np.isfinite(e) else 1e300
        k0 = math.log(alpha - 1)
        um = max(u.max(), 1e-12)
        starts = [[k0, 0.0], [k0, 1e-3 / um], [k0, 0.03 / um], [k0 - 1, 0.3 / um], [k0 - 2, 1 / um], [k0 - 4, 3 / um]]
        r = best_of(nll, starts, [(-40, 20), (0, 30 / um)])
        k, beta = math.exp(r.x[0]), r.x[1]
        if r.fun >= nll([k0, 0.0]) or beta == 0:
            return decide(None, None, True, True, s)
        l = lpl - (-np.log(v) + beta * u - k * gfun(beta, u) - logz(k, beta))
        return decide(l, c, True, False, s)
    raise ValueError(alt)


# ---------------------------------------------------------------- driver
def main(runs):
    agree = {}
    disagreements = []
    extremes = []
    for run in runs:
        base = os.path.join(run, "observers", "updates")
        path = os.path.join(base, "fits.json")
        if not os.path.exists(path):
            print(f"{run}: no fits.json, skipped", file=sys.stderr)
            continue
        fits = json.load(open(path))
        for w in fits["windows"]:
            folder = os.path.join(base, w["folder"])
            for sc in w["scopes"]:
                jobs = []
                for kind, prefix in (("update", "update"), ("parameter", "param")):
                    f = sc.get(kind)
                    if f:
                        x = np.load(os.path.join(folder, f"{prefix}_{sc['scope']}_reservoir.npy")).astype(np.float64)
                        jobs.append((f"{kind}", f, lambda f=f, x=x, alt=None, s=None: continuous(x[x >= f["xmin"]], f["xmin"], alt, s)))
                for iv in sc["intervals"]:
                    f = iv["fit"]
                    counts = np.load(os.path.join(folder, f"interval_q{iv['q']}_{sc['scope']}_counts.npy")).astype(np.float64)
                    vals = np.nonzero(counts)[0]
                    vals = vals[vals >= 1]
                    jobs.append((f"intervals q={iv['q']}", f,
                                 lambda f=f, v=vals, cc=counts, alt=None, s=None: discrete(v.astype(np.float64), cc[v], f["xmin"], alt, s)))
                for kind, f, refit in jobs:
                    for cmp in f["comparisons"]:
                        alt = cmp["alternative"]
                        par = cmp["parameters"]
                        if cmp["verdict"] != "inconclusive" and (
                                par.get("beta", 1) < 1e-6 or abs(par.get("mu", 0)) > 1e3
                                or not 1e-250 < par.get("lambda", 1) < 1e250):
                            extremes.append(f"{run} {w['folder']} {sc['scope']} {kind} {alt}: {cmp['verdict']} with {par}")
                        verdict, llr, why = refit(alt=alt, s=cmp["significance"])
                        tool_llr = cmp["log_likelihood_ratio"]
                        ok_llr = abs(llr - tool_llr) <= max(1.0, 0.01 * abs(llr))
                        ok_verdict = verdict == cmp["verdict"]
                        key = ("discrete" if kind.startswith("intervals") else "continuous", alt)
                        a = agree.setdefault(key, [0, 0, 0, 0.0])
                        a[0] += 1
                        a[1] += ok_llr
                        a[2] += ok_verdict
                        a[3] = max(a[3], abs(llr - tool_llr))
                        if not (ok_llr and ok_verdict):
                            disagreements.append(f"{run} {w['folder']} {sc['scope']} {kind} {alt}: tool LLR {tool_llr:.6g} "
                                                 f"'{cmp['verdict']}' ({cmp.get('reason', '')}); re-fit LLR {llr:.6g} '{verdict}' {why}")
    total = sum(a[0] for a in agree.values())
    print(f"{total} comparisons re-fitted")
    print(f"{'data':<11} {'alternative':<23} {'n':>5} {'LLR agrees':>11} {'verdict agrees':>15} {'max |ΔLLR| (nats)':>18}")
    for (kind, alt), (n, l, v, d) in sorted(agree.items()):
        print(f"{kind:<11} {alt:<23} {n:>5} {l:>11} {v:>15} {d:>18.3g}")
    print(f"significant verdicts with a parameter at a numerical extreme (beta < 1e-6, |mu| > 1e3, "
          f"lambda outside 1e-250..1e250): {len(extremes)}")
    for e in extremes:
        print("EXTREME:", e)
    for d in disagreements:
        print("DISAGREES:", d)
    return 1 if disagreements or extremes else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    np.seterr(all="ignore")
    sys.exit(main(sys.argv[1:]))
