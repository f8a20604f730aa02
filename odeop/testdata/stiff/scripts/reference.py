# Reference solutions of the stiff test problems, computed with scipy (an independent solver).
# Command (from the repository root; Debian's python3 with its python3-scipy, 1.10.1 here):
#   /usr/bin/python3 odeop/testdata/stiff/scripts/reference.py
# Writes odeop/testdata/stiff/{robertson,vanderpol_mu1000,vanderpol_scaled_mu1000}.csv.
#
# The problems are defined in problems.py. Each solver integrates from one output time to the
# next, restarting there from its own value (every output is a step end point: no dense
# output, no interpolation). The reference is scipy's Radau (order 5) at rtol 1e-12 with the
# analytic Jacobian. The same outputs are recomputed with BDF and LSODA (tolerances in the
# calls below: BDF at rtol 1e-12 except on the standard Van der Pol, where it fails at the
# jumps with "step size is less than spacing between numbers" at rtol 1e-12, 1e-11 and at
# rtol 1e-10 with atol 1e-12, and runs at rtol = atol = 1e-10; LSODA at rtol 1e-13, since on
# the standard Van der Pol at rtol 1e-11 and 1e-12 its error after t = 1000 stalls near 5e-7),
# and with Radau itself at rtol 1e-10 (atol 100 times the reference's) as a self-convergence
# check. The columns diff_bdf, diff_lsoda and diff_radau10
# hold max over components of |y_ref - y_other| / |y_ref|, so the data carry their own
# cross-check.
import os
import sys

import numpy as np
import scipy
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import problems as P  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RTOL = 1e-12


def trajectory(fun, jac, y0, times, method, rtol, atol):
    out, t, y = [], 0.0, np.array(y0, dtype=float)
    for t1 in times:
        sol = solve_ivp(fun, (t, t1), y, method=method, rtol=rtol, atol=atol, jac=jac)
        if not sol.success or sol.t[-1] != t1:
            raise RuntimeError(f"{method} failed on [{t}, {t1}]: {sol.message}")
        t, y = t1, sol.y[:, -1]
        out.append(y)
    return out


def reldiff(a, b):
    return float(np.max(np.abs(a - b) / np.abs(a)))


def table(name, fun, jac, y0, times, atol, bdf_tol, lsoda_tol):
    ref = trajectory(fun, jac, y0, times, "Radau", RTOL, atol)
    radau10 = trajectory(fun, jac, y0, times, "Radau", 1e-10, 100 * atol)
    bdf = trajectory(fun, jac, y0, times, "BDF", *bdf_tol)
    lsoda = trajectory(fun, jac, y0, times, "LSODA", *lsoda_tol)
    n = len(y0)
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        f.write(",".join(["t"] + [f"y{i + 1}" for i in range(n)] + ["diff_bdf", "diff_lsoda", "diff_radau10"]) + "\n")
        for t, yr, yb, yl, y10 in zip(times, ref, bdf, lsoda, radau10):
            row = [t, *yr, reldiff(yr, yb), reldiff(yr, yl), reldiff(yr, y10)]
            f.write(",".join("%.17g" % v for v in row) + "\n")
            print(name, "t=%g" % t, yr, "diff_bdf=%.2g diff_lsoda=%.2g diff_radau10=%.2g" % tuple(row[-3:]), flush=True)
    print("wrote", path, "with scipy", scipy.__version__, flush=True)


if __name__ == "__main__":
    table("robertson.csv", P.rober, P.rober_jac, P.ROBER_Y0,
          [0.4, 4.0, 40.0, 400.0, 4000.0, 40000.0, 100000.0, 400000.0], 1e-22,
          (1e-12, 1e-22), (1e-13, 1e-22))
    table("vanderpol_scaled_mu1000.csv", P.vdps, P.vdps_jac, P.VDP_Y0,
          [0.1, 0.5, 1.0, 1.4, 2.0, 3.0], 1e-14,
          (1e-12, 1e-12), (1e-13, 1e-14))
    table("vanderpol_mu1000.csv", P.vdp, P.vdp_jac, P.VDP_Y0,
          [1.0, 10.0, 100.0, 400.0, 700.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0], 1e-14,
          (1e-10, 1e-10), (1e-13, 1e-14))
