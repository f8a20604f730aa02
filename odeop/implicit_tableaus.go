package odeop

import "github.com/pkg/errors"

// The implicit methods as Tableaus: the ESDIRK coefficients of implicit_coeffs.go with
// their diagonal in Tableau.Diag, the strictly lower part in A, the embedded error
// weights b - bHat, the Newton predictor and the cubic Hermite dense output (diffrax's for
// these methods; Tableau.Dense weights through hermiteDense).

// ImplicitMethods lists the implicit methods, for stiff problems.
func ImplicitMethods() []Method { return []Method{Kvaerno3, Kvaerno4, Kvaerno5} }

func kvaerno3Tableau() *Tableau { return esdirkTableau(kvaerno3Coeffs()) }
func kvaerno4Tableau() *Tableau { return esdirkTableau(kvaerno4Coeffs()) }
func kvaerno5Tableau() *Tableau { return esdirkTableau(kvaerno5Coeffs()) }

// esdirkTableau writes an ESDIRK method as a Tableau. The methods are stiffly accurate
// (b = a[s-1]) and so FSAL: y1 is the last stage's argument and f(t1, y1) its derivative.
func esdirkTableau(co *esdirkCoeffs) *Tableau {
	s := len(co.c)
	tb := &Tableau{Name: co.name, C: clone(co.c), B: clone(co.b), BErr: clone(co.bErr), Order: co.order,
		ErrOrder: co.embeddedOrder, FSAL: true, Diag: make([]float64, s), A: make([][]float64, s), pred: cloneRows(co.predictor)}
	for i := range s {
		tb.A[i] = clone(co.a[i][:i])
		tb.Diag[i] = co.a[i][i]
	}
	tb.Dense = hermiteDense(tb.B, s-1)
	return tb
}

// diag returns the diagonal entry of stage i (0 for explicit tableaus).
func (tb *Tableau) diag(i int) float64 {
	if tb.Diag == nil {
		return 0
	}
	return tb.Diag[i]
}

// validateDiag checks the diagonal of an implicit tableau: one entry per stage, 0 for
// stage 0 (the explicit first stage) and one finite nonzero gamma for all the others
// (a singly diagonally implicit method: one Newton matrix I - h*gamma*J for every stage),
// and a FSAL tableau (y1 is the last stage's argument, so the Newton solve gives it).
func (tb *Tableau) validateDiag() error {
	d := tb.Diag
	if d == nil {
		return nil
	}
	name, s := tb.Name, len(tb.C)
	switch {
	case len(d) != s:
		return errors.Wrapf(ErrMethod, "tableau %s: Diag has %d entries, want %d (one per stage)", name, len(d), s)
	case d[0] != 0:
		return errors.Wrapf(ErrMethod, "tableau %s: Diag[0] = %g, want 0 (stage 0 is f(t0, y0))", name, d[0])
	case s < 2:
		return errors.Wrapf(ErrMethod, "tableau %s: an implicit tableau needs at least 2 stages", name)
	case !tb.FSAL:
		return errors.Wrapf(ErrMethod, "tableau %s: an implicit tableau must be FSAL (stiffly accurate: B = the last row of A and Diag)", name)
	}
	for i := 1; i < s; i++ {
		if !(d[i] > 0) || d[i] != d[1] || d[i] > 1e300 {
			return errors.Wrapf(ErrMethod, "tableau %s: Diag[%d] = %g, want Diag[1] = %g > 0 for every stage i >= 1 (singly diagonally implicit)", name, i, d[i], d[1])
		}
	}
	if len(tb.pred) != 0 && len(tb.pred) != s {
		return errors.Wrapf(ErrMethod, "tableau %s: predictor has %d rows, want %d", name, len(tb.pred), s)
	}
	return nil
}
