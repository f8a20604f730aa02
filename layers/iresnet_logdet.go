package layers

import (
	"fmt"
	"math"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/rng"
)

// LogDetMethod chooses how a Residual estimates log det(I + J_g).
type LogDetMethod int

const (
	// LogDetSeries truncates the power series
	//
	//	log det(I + J) = Σ_{k≥1} (-1)^{k+1}/k tr(J^k)
	//
	// after Terms terms and estimates each trace by Hutchinson's vᵀJ^k v with one probe v
	// per sample (Behrmann et al. 2019, equation 6): biased by the truncation.
	LogDetSeries LogDetMethod = iota
	// LogDetRoulette is the unbiased Russian-roulette estimator of Residual Flows (Chen et
	// al. 2019, equation 6): the series is cut at n = Terms + N with N ~ Geometric(P) on
	// {1, 2, ...}, one draw per call, and term k is divided by P(n ≥ k) (1 for k ≤ Terms,
	// (1-P)^(k-Terms-1) beyond), so its expectation is the whole series.
	LogDetRoulette
	// LogDetExact computes the Jacobian with Dim forward-mode products and its
	// log-determinant by LU decomposition: exact, for evaluation on small dimensions; it
	// has no gradient here.
	LogDetExact
)

// String names the estimator.
func (m LogDetMethod) String() string {
	switch m {
	case LogDetSeries:
		return "series"
	case LogDetRoulette:
		return "roulette"
	case LogDetExact:
		return "exact"
	}
	return fmt.Sprintf("LogDetMethod(%d)", int(m))
}

// LogDetGrad chooses the gradient of the log-determinant estimate.
type LogDetGrad int

const (
	// GradBackprop is the exact gradient of the estimate itself (what automatic
	// differentiation through the power series gives, Behrmann et al.): with a_j = (Jᵀ)^j v,
	// b_m = J^m v and c_k the coefficient of vᵀJ^k v, the gradient of Σ_k c_k vᵀJ^k v is
	// that of Σ_{m<n} w_mᵀ J b_m with w_m = Σ_{j<n-m} c_{j+m+1} a_j held fixed: n
	// second-order products in one stacked pass.
	GradBackprop LogDetGrad = iota
	// GradNeumann is Residual Flows' Neumann-series gradient (Chen et al. 2019, equation 8):
	// the gradient of wᵀ J v with w = Σ_{k<n} (-1)^k a_k / P(n ≥ k+1) held fixed, an
	// unbiased estimate of the gradient of the true log-determinant (with the roulette;
	// of the truncated series otherwise) at the cost of one second-order product, but not
	// the gradient of the estimate itself. Term k is the derivative of term k+1 of the
	// series (∂ tr(J^{k+1})/(k+1) = tr(J^k ∂J)), hence its weight 1/P(n ≥ k+1).
	// (Residual Flows' code sums k up to n with weights 1/P(n ≥ k): also unbiased, one
	// more product.)
	GradNeumann
)

// String names the gradient.
func (g LogDetGrad) String() string {
	switch g {
	case GradBackprop:
		return "backprop"
	case GradNeumann:
		return "neumann"
	}
	return fmt.Sprintf("LogDetGrad(%d)", int(g))
}

// LogDet configures the log-determinant estimator of a Residual. The zero value is the
// 5-term series with Rademacher probes and the backpropagated gradient.
type LogDet struct {
	// Method chooses the estimator (default LogDetSeries).
	Method LogDetMethod
	// Terms is the number of series terms (LogDetSeries, default 5), or the number of
	// terms always computed before the roulette starts (LogDetRoulette, default 2, Residual
	// Flows' n_exact_terms in training).
	Terms int
	// P is the parameter of the roulette's geometric distribution (default 0.5, as
	// Residual Flows).
	P float64
	// MaxTerms caps the roulette's n (default 100; P(N > 98) = 2^-98 at P = 0.5).
	MaxTerms int
	// Grad chooses the gradient (default GradBackprop).
	Grad LogDetGrad
	// Probe is the distribution of Hutchinson's probes (default Rademacher).
	Probe Probe
}

// Check reports whether e is a valid configuration: an error that names the field
// otherwise.
func (e LogDet) Check() error {
	_, err := e.fill()
	return err
}

// fill validates e and fills its defaults.
func (e LogDet) fill() (LogDet, error) {
	switch e.Method {
	case LogDetSeries, LogDetRoulette, LogDetExact:
	default:
		return e, errors.Wrapf(ErrSpec, "log-det: unknown method %d", int(e.Method))
	}
	switch e.Grad {
	case GradBackprop, GradNeumann:
	default:
		return e, errors.Wrapf(ErrSpec, "log-det: unknown gradient %d", int(e.Grad))
	}
	if e.Probe != Rademacher && e.Probe != Gaussian {
		return e, errors.Wrapf(ErrSpec, "log-det: unknown probe %d", int(e.Probe))
	}
	if e.Terms < 0 {
		return e, errors.Wrapf(ErrSpec, "log-det: %d terms", e.Terms)
	}
	if e.Terms == 0 {
		switch e.Method {
		case LogDetSeries:
			e.Terms = 5
		case LogDetRoulette:
			e.Terms = 2
		}
	}
	if e.Method != LogDetRoulette && (e.P != 0 || e.MaxTerms != 0) {
		return e, errors.Wrapf(ErrSpec, "log-det: P and MaxTerms are options of the roulette, not of %v", e.Method)
	}
	if e.Method == LogDetRoulette {
		if e.P == 0 {
			e.P = 0.5
		}
		if !(e.P > 0 && e.P < 1) {
			return e, errors.Wrapf(ErrSpec, "log-det: geometric parameter %g, want 0 < P < 1", e.P)
		}
		if e.MaxTerms == 0 {
			e.MaxTerms = 100
		}
		if e.MaxTerms <= e.Terms {
			return e, errors.Wrapf(ErrSpec, "log-det: MaxTerms %d, want more than Terms %d", e.MaxTerms, e.Terms)
		}
	}
	return e, nil
}

// coefficients draws the number of terms n and returns the weights 1/P(n ≥ k) of terms
// k = 1..n (all 1 for the series).
func (e LogDet) coefficients(seed, key uint64) []float64 {
	n := e.Terms
	if e.Method == LogDetRoulette {
		src := rng.NewStream(rng.Derive(seed, key), 0x726f756c)
		extra := 1
		for src.Float64() >= e.P && e.Terms+extra < e.MaxTerms {
			extra++
		}
		n += extra
	}
	w := make([]float64, n)
	for k := 1; k <= n; k++ {
		w[k-1] = 1
		if e.Method == LogDetRoulette && k > e.Terms {
			w[k-1] = 1 / math.Pow(1-e.P, float64(k-e.Terms-1))
		}
	}
	return w
}
