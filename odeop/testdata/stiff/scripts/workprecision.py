# Work-precision figures of scipy's Radau and BDF on the stiff reference problems.
# Command (from the repository root; Debian's python3 with its python3-scipy, 1.10.1 here;
# run reference.py first, whose CSV files give the reference solutions):
#   /usr/bin/python3 odeop/testdata/stiff/scripts/workprecision.py
# Writes odeop/testdata/stiff/workprecision.csv and prints the Markdown table of
# docs/stiff.md.
#
# Each run is one solve_ivp call from t = 0 to the final time with the analytic Jacobian,
# no dense output and no t_eval, so sol.t holds t0 and the accepted step end points only
# (steps = len(sol.t) - 1). The error is the largest relative error over the components of
# y(t_end) against the reference (Radau at rtol 1e-12, cross-checked with BDF and LSODA;
# see reference.py). atol is a scalar, atol = rtol * ATOL_FACTOR, with the factor per
# problem chosen so that rtol governs every component at t_end (Robertson's y2 is 2e-8 at
# t = 4e5, 7e-8 at 1e5; Van der Pol's y2 is about 1e-3 in the slow phases).
import csv
import os
import sys

import numpy as np
import scipy
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import problems as P  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name, reference file, right-hand side, Jacobian, y0, t_end, atol/rtol
PROBLEMS = [
    ("robertson", "robertson.csv", P.rober, P.rober_jac, P.ROBER_Y0, 1e5, 1e-10),
    ("robertson", "robertson.csv", P.rober, P.rober_jac, P.ROBER_Y0, 4e5, 1e-10),
    ("vanderpol_mu1000", "vanderpol_mu1000.csv", P.vdp, P.vdp_jac, P.VDP_Y0, 3000.0, 1e-6),
    ("vanderpol_scaled_mu1000", "vanderpol_scaled_mu1000.csv", P.vdps, P.vdps_jac, P.VDP_Y0, 3.0, 1e-6),
]


def reference(fname, t_end):
    with open(os.path.join(HERE, fname)) as f:
        for row in csv.DictReader(f):
            if float(row["t"]) == t_end:
                return np.array([float(row[k]) for k in row if k.startswith("y")])
    raise KeyError(f"{fname} has no row at t = {t_end}")


def main():
    rows = []
    for name, fname, fun, jac, y0, t_end, factor in PROBLEMS:
        ref = reference(fname, t_end)
        for method in ("Radau", "BDF"):
            for rtol in (1e-4, 1e-6, 1e-8):
                atol = rtol * factor
                sol = solve_ivp(fun, (0.0, t_end), y0, method=method, rtol=rtol, atol=atol, jac=jac)
                if not sol.success:
                    raise RuntimeError(f"{name} {method} rtol {rtol}: {sol.message}")
                rel = np.abs(sol.y[:, -1] - ref) / np.abs(ref)
                rows.append(dict(problem=name, t_end=t_end, method=method, rtol=rtol, atol=atol,
                                 steps=len(sol.t) - 1, nfev=sol.nfev, njev=sol.njev, nlu=sol.nlu,
                                 max_rel_err=float(rel.max()),
                                 rel_err=" ".join("%.3g" % v for v in rel)))
                print(rows[-1], flush=True)
    out = os.path.join(HERE, "workprecision.csv")
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: ("%.17g" % v if isinstance(v, float) else v) for k, v in r.items()})
    print("wrote", out, "with scipy", scipy.__version__, "numpy", np.__version__)
    print()
    print("| problem | t_end | method | rtol | atol | steps | nfev | njev | nlu | max rel err | rel err per component |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| {problem} | {t_end:g} | {method} | {rtol:g} | {atol:g} | {steps} | {nfev} | {njev} | {nlu} | {max_rel_err:.2g} | {rel_err} |".format(**r))


if __name__ == "__main__":
    main()
