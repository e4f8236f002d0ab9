#!/usr/bin/env python3
"""Independent references for lib/stats at 40 significant digits (mpmath), by other routes than the TS code:
- normal quantiles: sqrt(2)·erfinv(2p − 1);
- Student t quantiles: root of the t CDF written as an integral of the density (mpmath.quad), not via the
  incomplete beta function;
- Wilson bounds: the two roots p of the score-test quadratic (k/n − p)² = z²·p(1 − p)/n;
- quantiles of a sample: numpy.percentile (linear interpolation).

stdin: {"normal": [p], "t": [[p, df]], "wilson": [[k, n, level]], "percentile": {"xs": [x], "qs": [q]}}
stdout: {"normal": [x], "t": [x], "wilson": [[lo, hi]], "percentile": [x]}
"""
import json
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40


def t_quantile(p, df):
    df = mp.mpf(df)
    c = mp.gamma((df + 1) / 2) / (mp.sqrt(df * mp.pi) * mp.gamma(df / 2))
    cdf = lambda t: mp.mpf(1) / 2 + mp.quad(lambda u: c * (1 + u * u / df) ** (-(df + 1) / 2), [0, t])
    lo, hi = mp.mpf(0), mp.mpf(1)
    while cdf(hi) < p:
        lo, hi = hi, 2 * hi
    return mp.findroot(lambda t: cdf(t) - p, (lo, hi), solver="anderson")


def wilson(k, n, level):
    z = mp.sqrt(2) * mp.erfinv(mp.mpf(level))
    ph = mp.mpf(k) / n
    # (ph − p)² − z² p (1 − p)/n = 0  →  (1 + z²/n) p² − (2 ph + z²/n) p + ph² = 0
    a, b, c = 1 + z * z / n, -(2 * ph + z * z / n), ph * ph
    d = mp.sqrt(b * b - 4 * a * c)
    return [float((-b - d) / (2 * a)), float((-b + d) / (2 * a))]


req = json.load(sys.stdin)
out = {
    "normal": [float(mp.sqrt(2) * mp.erfinv(2 * mp.mpf(p) - 1)) for p in req["normal"]],
    "t": [float(t_quantile(mp.mpf(p), df)) for p, df in req["t"]],
    "wilson": [wilson(k, n, lv) for k, n, lv in req["wilson"]],
    "percentile": [float(v) for v in np.percentile(np.array(req["percentile"]["xs"]), [100 * q for q in req["percentile"]["qs"]])],
}
json.dump(out, sys.stdout)
