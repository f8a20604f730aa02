# An explicit, fully independent check of the standard Van der Pol reference across its first
# jump (t = 807) and the following slow phase: scipy's DOP853 (explicit Runge-Kutta of order
# 8, step size limited by stability, so far more accurate than asked) from the stored value at
# t = 700 to t = 1000 and on to 1500, against the stored values there.
# Command (from the repository root; a few minutes, about 2.5e5 explicit steps):
#   /usr/bin/python3 odeop/testdata/stiff/scripts/check_dop853.py
import csv
import os
import sys

import numpy as np
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import problems as P  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

with open(os.path.join(HERE, "vanderpol_mu1000.csv")) as f:
    ref = {float(r["t"]): np.array([float(r["y1"]), float(r["y2"])]) for r in csv.DictReader(f)}
y = ref[700.0]
for a, b in [(700.0, 1000.0), (1000.0, 1500.0)]:
    sol = solve_ivp(P.vdp, (a, b), y, method="DOP853", rtol=1e-13, atol=1e-15)
    if not sol.success:
        raise RuntimeError(sol.message)
    y = sol.y[:, -1]
    d = np.max(np.abs(y - ref[b]) / np.abs(ref[b]))
    print(f"DOP853 [{a:g}, {b:g}]: {len(sol.t) - 1} steps, max relative difference from the reference at t = {b:g}: {d:.2g}", flush=True)
