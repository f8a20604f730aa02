package sdeop

import (
	"github.com/pkg/errors"
)

// system is an SDE bound to a state size and a Brownian dimension: it evaluates the
// drift and diffusion (counting evaluations) and applies the diffusion to Brownian
// increments according to the noise type.
type system struct {
	drift, diffusion func(t float64, y, out []float64)
	noise            Noise
	n                int // state size
	m                int // Brownian dimension
	nd               int // General: columns of g
	blk              int // Scalar and General: states per block
	glen             int // length of g
	stats            Stats
}

// newSystem checks sde against a state of size n and a Brownian motion of dimension m.
func newSystem(sde SDE, n, m int) (*system, error) {
	if sde.Drift == nil || sde.Diffusion == nil {
		return nil, errors.Wrap(ErrSDE, "drift and diffusion must not be nil")
	}
	if sde.Calculus != Ito && sde.Calculus != Stratonovich {
		return nil, errors.Wrapf(ErrSDE, "unknown calculus %v", sde.Calculus)
	}
	s := &system{drift: sde.Drift, diffusion: sde.Diffusion, noise: sde.Noise, n: n, m: m, glen: n}
	switch sde.Noise {
	case Diagonal, Additive:
		if m != n {
			return nil, errors.Wrapf(ErrBrownian, "%v noise needs a Brownian motion of dimension len(y) = %d, got %d", sde.Noise, n, m)
		}
		s.blk = 1
	case Scalar:
		if m <= 0 || n%m != 0 {
			return nil, errors.Wrapf(ErrBrownian, "scalar noise needs a Brownian dimension dividing len(y) = %d, got %d", n, m)
		}
		s.blk = n / m
	case General:
		if sde.NoiseDim <= 0 {
			return nil, errors.Wrapf(ErrSDE, "general noise needs NoiseDim > 0, got %d", sde.NoiseDim)
		}
		if m <= 0 || m%sde.NoiseDim != 0 || n%(m/sde.NoiseDim) != 0 {
			return nil, errors.Wrapf(ErrBrownian, "general noise with NoiseDim %d and len(y) = %d needs a Brownian dimension B*%d with B dividing %d, got %d",
				sde.NoiseDim, n, sde.NoiseDim, n, m)
		}
		s.nd = sde.NoiseDim
		s.blk = n / (m / sde.NoiseDim)
		s.glen = n * sde.NoiseDim
	default:
		return nil, errors.Wrapf(ErrSDE, "unknown noise type %v", sde.Noise)
	}
	return s, nil
}

// brownianDim is the Brownian dimension an SDE with state size n needs by default.
func brownianDim(sde SDE, n int) int {
	switch sde.Noise {
	case Scalar:
		return 1
	case General:
		return sde.NoiseDim
	}
	return n
}

func (s *system) f(t float64, y, out []float64) {
	s.stats.NFE++
	s.drift(t, y, out)
}

func (s *system) g(t float64, y, out []float64) {
	s.stats.NFEDiffusion++
	s.diffusion(t, y, out)
}

// expand writes the Brownian increment seen by each state into xi (diagonal-like noise):
// dw itself for diagonal and additive noise, the block's increment for scalar noise.
func (s *system) expand(xi, dw []float64) []float64 {
	if s.noise != Scalar {
		return dw
	}
	for b, v := range dw {
		blk := xi[b*s.blk : (b+1)*s.blk]
		for i := range blk {
			blk[i] = v
		}
	}
	return xi
}

// prodAdd adds alpha * g dW to dst; for diagonal-like noise dw may be expanded or not.
func (s *system) prodAdd(dst, g, dw []float64, alpha float64) {
	switch s.noise {
	case Diagonal, Additive:
		for i := range dst {
			dst[i] += alpha * g[i] * dw[i]
		}
	case Scalar:
		if len(dw) == s.n {
			for i := range dst {
				dst[i] += alpha * g[i] * dw[i]
			}
			return
		}
		for b, v := range dw {
			a := alpha * v
			lo := b * s.blk
			for i := lo; i < lo+s.blk; i++ {
				dst[i] += a * g[i]
			}
		}
	case General:
		nd := s.nd
		for i := range dst {
			b := i / s.blk
			row := g[i*nd : (i+1)*nd]
			w := dw[b*nd : (b+1)*nd]
			var acc float64
			for j, gij := range row {
				acc += gij * w[j]
			}
			dst[i] += alpha * acc
		}
	}
}

// diagonalLike reports whether g has one entry per state.
func (s *system) diagonalLike() bool { return s.noise != General }
