package latent

import (
	"math"
	"sort"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/internal/rng"
)

// TrainConfig configures the training loops of ODE, ODERNN, RNNDt and SDE.
// Zero fields take the documented defaults.
type TrainConfig struct {
	Iters     int                          // iterations (default 300)
	Batch     int                          // sequences per iteration (default 50; all of them when fewer)
	LearnRate float64                      // learning rate of the default optimizer (default 1e-2)
	Optimizer G.Solver                     // default: Gorgonia's Adam with LearnRate
	KLWarmup  int                          // the KL weight rises linearly from 0 to 1 over this many iterations (default Iters/4; negative: weight 1 from the start)
	Seed      uint64                       // seeds batches and the reparameterization noise
	Progress  func(iter int, loss float64) // called after every iteration with the loss (negative ELBO per sequence)
}

func (c TrainConfig) withDefaults(n int) TrainConfig {
	if c.Iters <= 0 {
		c.Iters = 300
	}
	if c.Batch <= 0 {
		c.Batch = 50
	}
	if c.Batch > n {
		c.Batch = n
	}
	if c.LearnRate <= 0 {
		c.LearnRate = 1e-2
	}
	if c.KLWarmup == 0 {
		c.KLWarmup = c.Iters / 4
	}
	if c.Optimizer == nil {
		c.Optimizer = G.NewAdamSolver(G.WithLearnRate(c.LearnRate))
	}
	return c
}

// klWeight is the KL weight at iteration it (0-based).
func (c TrainConfig) klWeight(it int) float64 {
	if c.KLWarmup <= 0 {
		return 1
	}
	return math.Min(1, float64(it+1)/float64(c.KLWarmup))
}

// checkPair checks that in and target are valid series of the same sequences on the same
// grid with dimension d.
func checkPair(in, target *Series, d int) error {
	if err := in.Validate(); err != nil {
		return errors.Wrap(err, "input")
	}
	if err := target.Validate(); err != nil {
		return errors.Wrap(err, "target")
	}
	if in.D != d || target.D != d {
		return errors.Wrapf(ErrSeries, "dimensions %d (input) and %d (target); the model has %d", in.D, target.D, d)
	}
	if in.N != target.N || len(in.Times) != len(target.Times) {
		return errors.Wrapf(ErrSeries, "input has %d sequences on %d times, target %d on %d", in.N, len(in.Times), target.N, len(target.Times))
	}
	for i, t := range in.Times {
		if target.Times[i] != t {
			return errors.Wrapf(ErrSeries, "input and target grids differ at %d: %v and %v", i, t, target.Times[i])
		}
	}
	return nil
}

// latRun resets and runs a machine (Reset before every RunAll: Gorgonia's TapeMachine
// keeps its program counter otherwise). odeop.Cause unwraps its errors for errors.Is.
func latRun(m G.VM) error {
	m.Reset()
	return m.RunAll()
}

// scalarOf reads a scalar node's value.
func scalarOf(n *G.Node) float64 {
	switch v := n.Value().Data().(type) {
	case float64:
		return v
	case []float64:
		return v[0]
	}
	return math.NaN()
}

// Predictive is a predictive distribution of a latent model at query times: Samples
// holds the mean of the observation model along each of S sampled latent trajectories
// (S slices of N*len(Times)*D values, laid out as Series.Values), and Std the standard
// deviation of the Gaussian observation noise per dimension (all zero for a
// deterministic model). The predictive distribution of each value is the mixture over
// samples of N(sample, Std²).
type Predictive struct {
	Times   []float64
	N, D    int
	Samples [][]float64
	Std     []float64
}

// T is the number of query times.
func (p *Predictive) T() int { return len(p.Times) }

// Index is the offset of (sequence n, time t, dimension d) in a sample.
func (p *Predictive) Index(n, t, d int) int { return (n*len(p.Times)+t)*p.D + d }

// Mean is the predictive mean: the average of the samples.
func (p *Predictive) Mean() []float64 {
	out := make([]float64, len(p.Samples[0]))
	for _, s := range p.Samples {
		for i, v := range s {
			out[i] += v
		}
	}
	for i := range out {
		out[i] /= float64(len(p.Samples))
	}
	return out
}

// Quantile is the q-quantile (0 < q < 1) of the predictive distribution of every value:
// the root of the mixture's distribution function, found by bisection; without
// observation noise, the empirical quantile of the samples.
func (p *Predictive) Quantile(q float64) []float64 {
	out := make([]float64, len(p.Samples[0]))
	vals := make([]float64, len(p.Samples))
	for i := range out {
		for s, smp := range p.Samples {
			vals[s] = smp[i]
		}
		sd := 0.0
		if p.Std != nil {
			sd = p.Std[i%p.D]
		}
		out[i] = mixtureQuantile(vals, sd, q)
	}
	return out
}

// Band is the central predictive interval of probability level (0.9: the 5% and 95%
// quantiles).
func (p *Predictive) Band(level float64) (lo, hi []float64) {
	a := (1 - level) / 2
	return p.Quantile(a), p.Quantile(1 - a)
}

// mixtureQuantile is the q-quantile of the equal mixture of N(m, sd²) over means.
func mixtureQuantile(means []float64, sd, q float64) float64 {
	if sd <= 0 {
		s := append([]float64(nil), means...)
		sort.Float64s(s)
		// Linear interpolation between order statistics (type 7).
		h := q * float64(len(s)-1)
		i := int(math.Floor(h))
		if i+1 >= len(s) {
			return s[len(s)-1]
		}
		return s[i] + (h-float64(i))*(s[i+1]-s[i])
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range means {
		lo = math.Min(lo, m)
		hi = math.Max(hi, m)
	}
	lo -= 10 * sd
	hi += 10 * sd
	cdf := func(y float64) float64 {
		c := 0.0
		for _, m := range means {
			c += 0.5 * math.Erfc(-(y-m)/(sd*math.Sqrt2))
		}
		return c / float64(len(means))
	}
	for it := 0; it < 60 && hi-lo > 1e-10*(1+math.Abs(lo)); it++ {
		mid := 0.5 * (lo + hi)
		if cdf(mid) < q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return 0.5 * (lo + hi)
}

// Coverage is the fraction of the values of s observed under mask (nil: s.Mask) that lie
// within [lo, hi] (laid out as s.Values), and their number.
func Coverage(s *Series, mask, lo, hi []float64) (frac float64, n int) {
	if mask == nil {
		mask = s.Mask
	}
	in := 0
	for i, m := range mask {
		if m == 0 {
			continue
		}
		n++
		if v := s.Values[i]; v >= lo[i] && v <= hi[i] {
			in++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(in) / float64(n), n
}

// latNoise fills dst with standard normal variates from a stream of seed and counter.
func latNoise(dst []float64, seed, counter uint64) {
	src := rng.NewStream(seed, counter)
	src.FillNormal(dst)
}

// latNewBatches returns the batch iterator of a training run.
func latNewBatches(n, b int, seed uint64) *latBatches {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	src := rng.NewStream(seed, 0x6261746368)
	return &latBatches{perm: perm, b: b, src: &src}
}
