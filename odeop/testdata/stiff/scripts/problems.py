"""Right-hand sides and Jacobians of the stiff reference problems (shared by the scripts here).

Robertson (Hairer & Wanner, Solving ODEs II, Sec. IV.1):
    y1' = -k1 y1 + k3 y2 y3
    y2' =  k1 y1 - k2 y2^2 - k3 y2 y3
    y3' =  k2 y2^2
    k1 = 0.04, k2 = 3e7, k3 = 1e4, y(0) = (1, 0, 0).

Van der Pol, standard (unscaled) form, the classic stiff benchmark ("vdp1000"):
    y1' = y2
    y2' = mu (1 - y1^2) y2 - y1,     mu = 1000, y(0) = (2, 0),
whose relaxation period is about (3 - 2 ln 2) mu = 1614 (the classical relaxation-oscillation
estimate); followed to t = 3000 (a bit under two periods; jumps near t = 807, 1614, 2421).

Van der Pol, scaled form (Hairer & Wanner II, Sec. IV.1, with eps = 1/mu):
    y1' = y2
    y2' = mu ((1 - y1^2) y2 - y1),   mu = 1000, y(0) = (2, 0),
whose period is about 3 - 2 ln 2 = 1.614 whatever mu; followed to t = 3. This is the standard
form with mu_std = sqrt(mu) = 31.6 after the change of time t_std = mu_std t, so it is far
less stiff than the standard form with mu = 1000 (which is the scaled form with eps = 1e-6).
"""
import numpy as np

K1, K2, K3 = 0.04, 3e7, 1e4
ROBER_Y0 = np.array([1.0, 0.0, 0.0])
VDP_MU = 1000.0
VDP_Y0 = np.array([2.0, 0.0])


def rober(t, y):
    y1, y2, y3 = y
    return np.array([-K1 * y1 + K3 * y2 * y3,
                     K1 * y1 - K2 * y2 * y2 - K3 * y2 * y3,
                     K2 * y2 * y2])


def rober_jac(t, y):
    y1, y2, y3 = y
    return np.array([[-K1, K3 * y3, K3 * y2],
                     [K1, -2 * K2 * y2 - K3 * y3, -K3 * y2],
                     [0.0, 2 * K2 * y2, 0.0]])


def vdp(t, y):
    y1, y2 = y
    return np.array([y2, VDP_MU * (1 - y1 * y1) * y2 - y1])


def vdp_jac(t, y):
    y1, y2 = y
    return np.array([[0.0, 1.0],
                     [-2 * VDP_MU * y1 * y2 - 1, VDP_MU * (1 - y1 * y1)]])


def vdps(t, y):
    y1, y2 = y
    return np.array([y2, VDP_MU * ((1 - y1 * y1) * y2 - y1)])


def vdps_jac(t, y):
    y1, y2 = y
    return np.array([[0.0, 1.0],
                     [VDP_MU * (-2 * y1 * y2 - 1), VDP_MU * (1 - y1 * y1)]])
