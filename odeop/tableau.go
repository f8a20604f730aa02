package odeop

// Tableau is a Runge-Kutta method as data: a Butcher tableau with an optional embedded
// error estimate and a dense-output rule, explicit, or ESDIRK with Diag set (then stage i
// also has h*Diag[i]*K[i] in its argument, see Diag). One engine steps every Tableau.
//
// A step from (t0, y0) with step h computes the stages
//
//	K[i] = f(t0 + C[i]*h, y0 + h*sum_{j<i} A[i][j]*K[j]),
//	y1   = y0 + h*sum_i B[i]*K[i],
//	err  = h*sum_i BErr[i]*K[i]            (BErr = b - bhat; nil for fixed-step methods)
//
// and the dense output on the step is
//
//	y(t0 + theta*h) = y0 + h*sum_i w_i(theta)*K[i],  0 <= theta <= 1,
//
// with w written by Dense. When the tableau is not FSAL, K has one more entry, K[s] =
// f(t0+h, y1) (the first stage of the next step, so it costs no extra evaluation); when it
// is FSAL, K[s-1] already is f(t0+h, y1).
type Tableau struct {
	Name     string
	C        []float64
	A        [][]float64 // row i holds the i coefficients A[i][0..i-1]
	B        []float64
	BErr     []float64 // error weights b - bhat; nil for methods without an embedded estimate
	Order    int       // order of y1
	ErrOrder int       // order of the embedded solution (0 when none)
	FSAL     bool      // the last stage is f(t0+h, y1)
	// Diag, when set, makes the method implicit (an ESDIRK method: explicit first stage,
	// then one implicit equation per stage): Diag[0] = 0 and Diag[i] = gamma for every
	// i >= 1, the diagonal of A, so that stage i solves
	// K[i] = f(t0 + C[i]*h, y0 + h*sum_{j<i} A[i][j]*K[j] + h*gamma*K[i]) by Newton's method
	// (implicit.go). nil for explicit methods.
	Diag []float64
	// pred, for the built-in implicit methods, is the Newton predictor: K[i] is first
	// guessed as sum_{j<i} pred[i][j]*K[j] (nil: K[i-1]).
	pred [][]float64
	// Dense writes into dst (length DenseLen()) the weights w_i(theta) of the dense output
	// (WithTableau fills in nil with the cubic Hermite interpolant).
	Dense func(dst []float64, theta float64)
}

// Stages is the number of stages s.
func (tb *Tableau) Stages() int { return len(tb.C) }

// DenseLen is the number of weights Dense writes: s when FSAL, s+1 otherwise.
func (tb *Tableau) DenseLen() int {
	if tb.FSAL {
		return len(tb.C)
	}
	return len(tb.C) + 1
}

// Implicit reports whether the tableau has implicit stages (Diag set).
func (tb *Tableau) Implicit() bool { return tb.Diag != nil }

// Adaptive reports whether the tableau has an embedded error estimate.
func (tb *Tableau) Adaptive() bool { return tb.BErr != nil }
