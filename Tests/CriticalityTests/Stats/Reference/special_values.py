"""Reference values for SpecialFunctionTests (ln erfcx, the half-line Gaussian, the cut-off
power law's moments, the weighted chi-square survival function), computed with mpmath at 40
significant digits by direct quadrature of the defining integrals -- independently of the
closed forms and series the Swift code uses.

Run: python3 Tests/CriticalityTests/Stats/Reference/special_values.py
"""
import mpmath as mp

mp.mp.dps = 40


def log_erfcx(t):
    t = mp.mpf(t)
    return mp.log(mp.exp(t * t) * mp.erfc(t))


def half_line_gaussian(a, b):
    """ln Z, E[u], E[u^2] of exp(-a u - b u^2) on u >= 0."""
    a, b = mp.mpf(a), mp.mpf(b)
    f = lambda u, k: u**k * mp.exp(-a * u - b * u * u)
    # split the range at a few scales so that quad resolves the mass wherever it sits
    mode = max(mp.mpf(0), -a / (2 * b)) if b > 0 else mp.mpf(0)
    width = 1 / mp.sqrt(2 * b) if b > 0 else 1 / a
    if a > 0:
        width = min(width, 1 / a)
    pts = [0] + [mode + k * width for k in (1, 3, 10, 30, 100, 300)] + [mp.inf]
    pts = sorted(set(p for p in pts if p >= 0))
    z = [mp.quad(lambda u: f(u, k), pts) for k in range(3)]
    return mp.log(z[0]), z[1] / z[0], z[2] / z[0]


def cutoff(p, z):
    """ln E_p(z), E[ln t], E[t] of t^-p exp(-z t) on t >= 1 (in v = ln t)."""
    p, z = mp.mpf(p), mp.mpf(z)
    g = lambda v: mp.exp((1 - p) * v - z * mp.exp(v))
    peak = max(mp.mpf(0), mp.log((2 - p) / z)) if p < 2 else mp.mpf(0)
    top = max(peak, mp.log(200 / z)) + 3  # z e^v > 4000 beyond: every integrand below e^-4000
    pts = [0, peak / 2, peak, peak + 1, peak + 3, peak + 10, top]
    pts = sorted(set(x for x in pts if 0 <= x <= top))
    e0 = mp.quad(g, pts)
    e1 = mp.quad(lambda v: v * g(v), pts)
    e2 = mp.quad(lambda v: mp.exp(v) * g(v), pts)
    return mp.log(e0), e1 / e0, e2 / e0


def weighted_chi2_survival(a, b, q):
    """P(a Z1^2 + b Z2^2 > q) = E over Z2 of P(Z1^2 > (q - b Z2^2)/a)."""
    a, b, q = mp.mpf(a), mp.mpf(b), mp.mpf(q)
    phi = lambda y: mp.exp(-y * y / 2) / mp.sqrt(2 * mp.pi)
    inner = lambda y: mp.erfc(mp.sqrt(max(q - b * y * y, 0) / (2 * a))) if q - b * y * y > 0 else mp.mpf(1)
    edge = mp.sqrt(q / b)
    return 2 * (mp.quad(lambda y: inner(y) * phi(y), [0, edge]) + mp.quad(phi, [edge, mp.inf]))


if __name__ == "__main__":
    print("logErfcx")
    for t in [-30, -3, 0, 0.5, 5, 7.99, 8, 8.01, 20, 1e3, 1e8]:
        print(f"  ({t!r}, {mp.nstr(log_erfcx(t), 17)}),")
    print("half-line Gaussian (a, b): lnZ, E u, E u^2")
    for a, b in [(3, 1e-6), (3, 0.0351), (3, 0.03517), (0.5, 0.36), (-5, 0.2), (-50, 0.1), (1e-3, 2), (4.2, 1e-12)]:
        r = half_line_gaussian(a, b)
        print(f"  ({a!r}, {b!r}, {', '.join(mp.nstr(x, 17) for x in r)}),")
    print("cut-off (p, z): lnE, E ln t, E t")
    for p, z in [(2.5, 0.3), (-0.5, 2.0), (1.7, 1e-4), (4.0, 1e-8), (1.05, 1e-10), (0.3, 50.0)]:
        r = cutoff(p, z)
        print(f"  ({p!r}, {z!r}, {', '.join(mp.nstr(x, 17) for x in r)}),")
    print("weighted chi-square survival (a, b, q)")
    for a, b, q in [(2.0, 0.5, 3.0), (1.0, 1e-3, 2.0), (1.0, 1.0, 4.0), (10.0, 0.1, 0.5), (1e4, 1.0, 3e4)]:
        print(f"  ({a!r}, {b!r}, {q!r}, {mp.nstr(weighted_chi2_survival(a, b, q), 17)}),")
