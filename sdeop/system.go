package sdeop

import (
	"github.com/pkg/errors"
)

// system is an SDE bound to a state size and a Brownian dimension: it evaluates the
// drift and diffusion and applies the diffusion to Brownian increments according to
// the noise type. Its state has m entries, the first n of them driven by the noise;
// the rest (the logqp channel of SolveKL) have a drift only. It is the tabSys of the
// forward solves.
type system struct {
	f, g  func(t float64, y, out []float64) // drift (m entries) and diffusion (glen) at y (m)
	noise Noise
	n, m  int // noisy entries, state size
	bmDim int // Brownian dimension
	nd    int // General: columns of g
	blk   int // Scalar and General: states per block
	glen  int // length of g
	gbuf  []float64
	stats Stats // evaluations of an SDE bound by newSystem
}

// newSystem checks sde against a state of size n and a Brownian motion of dimension m,
// and counts its evaluations in stats.
func newSystem(sde SDE, n, m int) (*system, error) {
	if sde.Drift == nil || sde.Diffusion == nil {
		return nil, errors.Wrap(ErrSDE, "drift and diffusion must not be nil")
	}
	if sde.Calculus != Ito && sde.Calculus != Stratonovich {
		return nil, errors.Wrapf(ErrSDE, "unknown calculus %v", sde.Calculus)
	}
	s := &system{noise: sde.Noise, n: n, m: n, bmDim: m, glen: n}
	s.f = func(t float64, y, out []float64) { s.stats.NFE++; sde.Drift(t, y, out) }
	s.g = func(t float64, y, out []float64) { s.stats.NFEDiffusion++; sde.Diffusion(t, y, out) }
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
		s.gbuf = make([]float64, s.glen)
	default:
		return nil, errors.Wrapf(ErrSDE, "unknown noise type %v", sde.Noise)
	}
	return s, nil
}

func (s *system) size() int    { return s.m }
func (s *system) negFrom() int { return s.m }

func (s *system) driftInto(dst []float64, t float64, y []float64) { s.f(t, y, dst) }

// noiseInto writes G(y) dW into dst[:n] and leaves dst[n:] alone (stage buffers start
// at zero and only this method writes them).
func (s *system) noiseInto(dst []float64, t float64, y, dw []float64) {
	g := dst[:s.n]
	switch s.noise {
	case Diagonal, Additive:
		s.g(t, y, g)
		mulBy(g, dw)
	case Scalar:
		s.g(t, y, g)
		for b, v := range dw {
			blk := g[b*s.blk : (b+1)*s.blk]
			for i := range blk {
				blk[i] *= v
			}
		}
	default:
		s.g(t, y, s.gbuf)
		clear(g)
		s.prodAdd(g, s.gbuf, dw, 1)
	}
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

// elementwise reports whether G dW is g ⊙ dW (diagonal and additive noise).
func (s *system) elementwise() bool { return s.noise == Diagonal || s.noise == Additive }
