# fitw.py prints the coefficients lw0..lw9 of vmath.go's log1pUnit: the Chebyshev
# interpolant of degree 9 of w(z) = (2 atanh(s) - 2s)/s³, s = sqrt(z), on [0, 1/9]
# (mpmath.chebyfit, 50 digits), rounded to float64, and its absolute error.
# Run: python3 fitw.py (needs mpmath).
import mpmath as mp

mp.mp.dps = 50


def w(z):
    if z == 0:
        return mp.mpf(2) / 3
    s = mp.sqrt(z)
    return (2 * mp.atanh(s) - 2 * s) / (s * z)


c, err = mp.chebyfit(w, [0, mp.mpf(1) / 9], 10, error=True)
for i, v in enumerate(c[::-1]):
    print("lw%d = %r" % (i, float(v)))
print("max abs error of w:", mp.nstr(err, 3))
