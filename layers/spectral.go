package layers

import (
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"

	"github.com/continuum-ml/continuum/internal/rng"
)

// Spectral is the spectral normalisation of one weight matrix W (Rows×Cols, row-major,
// acting as x·W) by power iteration (Miyato et al. 2018), in the form the invertible
// residual networks use it (Behrmann et al. 2019, section 3): the normalised weight is
//
//	W̃ = W / max(1, σ̂/Coeff),   σ̂ = vᵀ W u,
//
// so that its spectral norm is at most Coeff (< 1 for an invertible block). U (Cols) and
// V (Rows) are the power-iteration state, unit vectors that persist from one training
// step to the next (one iteration per step suffices once they have converged, as in
// PyTorch's spectral_norm); a Residual keeps them in nodes so that they are saved with the
// model. The gradient treats U and V as constants (∂σ̂/∂W = v uᵀ), as PyTorch does.
type Spectral struct {
	Rows, Cols int
	Coeff      float64
	U, V       []float64
}

// NewSpectral returns the normalisation of a rows×cols weight with coefficient coeff, its
// state drawn as random unit vectors from the stream (seed, key).
func NewSpectral(rows, cols int, coeff float64, seed, key uint64) (*Spectral, error) {
	if rows < 1 || cols < 1 {
		return nil, errors.Wrapf(ErrSpec, "spectral: weight shape %d×%d", rows, cols)
	}
	if !(coeff > 0) || math.IsInf(coeff, 0) {
		return nil, errors.Wrapf(ErrSpec, "spectral: coefficient %g, want a positive finite number", coeff)
	}
	s := &Spectral{Rows: rows, Cols: cols, Coeff: coeff, U: make([]float64, cols), V: make([]float64, rows)}
	src := rng.NewStream(seed, key)
	src.FillNormal(s.U)
	src.FillNormal(s.V)
	unit(s.U)
	unit(s.V)
	return s, nil
}

// unit scales x to unit length (a zero vector becomes the first unit vector) and returns
// its former length.
func unit(x []float64) float64 {
	n := 0.0
	for _, v := range x {
		n += v * v
	}
	n = math.Sqrt(n)
	if n == 0 || math.IsNaN(n) {
		clear(x)
		x[0] = 1
		return n
	}
	for i := range x {
		x[i] /= n
	}
	return n
}

// Iterate runs n power iterations on w (v ← normalise(W u), u ← normalise(Wᵀ v)),
// updating U and V, and returns σ̂ = vᵀ W u.
func (s *Spectral) Iterate(w []float64, n int) float64 {
	s.check(w)
	for it := 0; it < n; it++ {
		for i := 0; i < s.Rows; i++ {
			row := w[i*s.Cols : (i+1)*s.Cols]
			a := 0.0
			for j, u := range s.U {
				a += row[j] * u
			}
			s.V[i] = a
		}
		unit(s.V)
		clear(s.U)
		for i, v := range s.V {
			row := w[i*s.Cols : (i+1)*s.Cols]
			for j := range s.U {
				s.U[j] += v * row[j]
			}
		}
		unit(s.U)
	}
	return s.Sigma(w)
}

// Sigma returns σ̂ = vᵀ W u for the current state.
func (s *Spectral) Sigma(w []float64) float64 {
	s.check(w)
	sig := 0.0
	for i, v := range s.V {
		row := w[i*s.Cols : (i+1)*s.Cols]
		a := 0.0
		for j, u := range s.U {
			a += row[j] * u
		}
		sig += v * a
	}
	return sig
}

// Scale returns the factor 1/max(1, σ̂/Coeff) that W̃ = scale·W applies, and σ̂.
func (s *Spectral) Scale(w []float64) (scale, sigma float64) {
	sigma = s.Sigma(w)
	if sigma > s.Coeff {
		return s.Coeff / sigma, sigma
	}
	return 1, sigma
}

// Normalize writes W̃ into dst and returns its scale and σ̂ (see Scale).
func (s *Spectral) Normalize(dst, w []float64) (scale, sigma float64) {
	scale, sigma = s.Scale(w)
	for i, v := range w[:s.Rows*s.Cols] {
		dst[i] = scale * v
	}
	return scale, sigma
}

// Backward turns the gradient g with respect to W̃ into the gradient with respect to W,
// written to dw (which may be g):
//
//	dW = G                                       when σ̂ ≤ Coeff,
//	dW = (c/σ̂) G - (c/σ̂²) ⟨G, W⟩ v uᵀ         otherwise (c = Coeff).
func (s *Spectral) Backward(dw, g, w []float64) {
	scale, sigma := s.Scale(w)
	n := s.Rows * s.Cols
	if scale == 1 {
		copy(dw[:n], g[:n])
		return
	}
	dot := 0.0
	for i, v := range w[:n] {
		dot += g[i] * v
	}
	k := scale * dot / sigma
	for i := 0; i < s.Rows; i++ {
		vi := s.V[i]
		for j, u := range s.U {
			p := i*s.Cols + j
			dw[p] = scale*g[p] - k*vi*u
		}
	}
}

func (s *Spectral) check(w []float64) {
	if len(w) != s.Rows*s.Cols || len(s.U) != s.Cols || len(s.V) != s.Rows {
		panic("layers: spectral: weight or state of the wrong length")
	}
}

// SpectralNorm returns the largest singular value of the rows×cols matrix w (row-major),
// computed by a singular value decomposition (gonum's mat.SVD).
func SpectralNorm(w []float64, rows, cols int) float64 {
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(rows, cols, append([]float64(nil), w[:rows*cols]...)), mat.SVDNone) {
		return math.NaN()
	}
	return svd.Values(nil)[0]
}
