package physionet

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/odeop"
)

// maxLen is the largest number of observation times among ps.
func maxLen(ps []Patient) int {
	n := 0
	for i := range ps {
		if k := ps[i].Len(); k > n {
			n = k
		}
	}
	return n
}

// fill writes a batch into q: in are the rows' inputs, target their targets (nil: the
// inputs themselves), klw the KL weight and noise the reparameterisation noise of
// LatentODE (nil: zero, z0 = mu).
func (m *Model) fill(q *graph, in, target []Patient, klw float64, noise func([]float64)) {
	c := m.cfg
	B, D, S := c.Batch, NumParameters, q.steps
	if target == nil {
		target = in
	}
	nreal := float64(len(in))
	clear := func(s []float64) {
		for i := range s {
			s[i] = 0
		}
	}
	for j := 0; j < S; j++ {
		clear(q.x[j].data)
		clear(q.o[j].data)
	}
	for _, lists := range [][]input{q.gaps, q.dec} {
		for _, d := range lists {
			clear(d.data)
		}
	}
	if q.fin != nil {
		clear(q.fin.data)
	}
	clear(q.tw.data)
	clear(q.tgt.data)
	clear(q.y.data)
	clear(q.w.data)
	in1 := m.in()
	for r := range in {
		p := &in[r]
		K := p.Len()
		q.w.data[r] = 1 / nreal
		if p.Death {
			q.y.data[r] = 1
		}
		// the GRU input of observation k at step j
		put := func(j, k int, dt float64) {
			x := q.x[j].data[r*in1 : (r+1)*in1]
			any := false
			for d := 0; d < D; d++ {
				mk := p.Mask[k*D+d]
				x[d] = p.Values[k*D+d] * mk
				x[D+d] = mk
				any = any || mk != 0
			}
			if c.Kind == RNNDt {
				x[2*D] = dt * c.DtScale
			}
			if any {
				q.o[j].data[r] = 1
			}
		}
		last := 0.0 // RNN-Δt: the time of the row's last update
		for k := 0; k < K; k++ {
			prev := 0.0
			if k > 0 {
				prev = p.Times[k-1]
			}
			switch c.Kind {
			case LatentODE:
				j := K - 1 - k // the encoder reads backwards
				if j > 0 {
					q.gaps[j-1].data[r] = (p.Times[k+1] - p.Times[k]) * c.TimeScale
				}
				put(j, k, 0)
				q.dec[k].data[r] = (p.Times[k] - prev) * c.TimeScale
			case ODERNN:
				q.gaps[k].data[r] = (p.Times[k] - prev) * c.TimeScale
				put(k, k, 0)
			case RNNDt:
				put(k, k, p.Times[k]-last)
				if q.o[k].data[r] != 0 {
					last = p.Times[k]
				}
			}
		}
		if q.fin != nil {
			q.fin.data[r] = p.Times[0] * c.TimeScale
		}
		tp := &target[r]
		n := float64(tp.Observed())
		if n == 0 {
			continue
		}
		for k := 0; k < tp.Len() && k < S; k++ {
			for d := 0; d < D; d++ {
				if mk := tp.Mask[k*D+d]; mk != 0 {
					i := (k*B+r)*D + d
					q.tgt.data[i] = tp.Values[k*D+d]
					q.tw.data[i] = 1 / (n * nreal)
				}
			}
		}
	}
	if c.Kind == LatentODE {
		clear(q.kw.data)
		for r := range in {
			for l := 0; l < c.Latent; l++ {
				q.kw.data[r*c.Latent+l] = 1 / nreal
			}
		}
		if noise != nil {
			noise(q.eps.data)
		} else {
			clear(q.eps.data)
		}
		G.Let(q.klw.node, klw)
	}
}

// result is what one run of a batch gives.
type result struct {
	loss, bce, rec, kl float64
	fwd, bwd           odeop.Stats
}

func (m *Model) runBatch(in, target []Patient, grad bool, klw float64, noise func([]float64)) (*graph, result, error) {
	var res result
	if len(in) == 0 || len(in) > m.cfg.Batch {
		return nil, res, errors.Wrapf(ErrConfig, "batch of %d rows, the model takes 1..%d", len(in), m.cfg.Batch)
	}
	if target != nil && len(target) != len(in) {
		return nil, res, errors.Wrapf(ErrConfig, "%d targets for %d inputs", len(target), len(in))
	}
	n := maxLen(in)
	if target != nil {
		for r := range target {
			if target[r].Len() != in[r].Len() {
				return nil, res, errors.Wrapf(ErrConfig, "target %d has %d times, its input %d", r, target[r].Len(), in[r].Len())
			}
		}
	}
	q, err := m.graph(roundSteps(n), grad)
	if err != nil {
		return nil, res, err
	}
	m.fill(q, in, target, klw, noise)
	q.vm.Reset()
	if err := q.vm.RunAll(); err != nil {
		return nil, res, errors.Wrap(odeop.Cause(err), "run batch")
	}
	sc := func(v G.Value) float64 {
		if v == nil {
			return 0
		}
		return v.Data().(float64)
	}
	res.loss, res.bce, res.rec, res.kl = sc(q.lossV), sc(q.bceV), sc(q.recV), sc(q.klV)
	if math.IsNaN(res.loss) || math.IsInf(res.loss, 0) {
		return nil, res, errors.Wrapf(odeop.ErrNonFinite, "loss %v", res.loss)
	}
	for _, s := range q.solve {
		f, b, _ := odeop.StatsOf(s)
		res.fwd = res.fwd.Add(f)
		res.bwd = res.bwd.Add(b)
	}
	return q, res, nil
}

// Predict returns the predicted probability of in-hospital death of every patient
// (LatentODE: from the mean of q(z0)).
func (m *Model) Predict(ps []Patient) ([]float64, error) {
	out := make([]float64, 0, len(ps))
	for lo := 0; lo < len(ps); lo += m.cfg.Batch {
		hi := lo + m.cfg.Batch
		if hi > len(ps) {
			hi = len(ps)
		}
		q, _, err := m.runBatch(ps[lo:hi], nil, false, 1, nil)
		if err != nil {
			return nil, errors.Wrapf(err, "predict rows %d..%d", lo, hi-1)
		}
		l := q.logitV.Data().([]float64)
		for r := 0; r < hi-lo; r++ {
			out = append(out, 1/(1+math.Exp(-l[r])))
		}
	}
	return out, nil
}

// Reconstruct returns, for every patient of in, the model's values at each of its
// observation times ((Len, NumParameters) row-major, normalised): LatentODE's decoded
// trajectory from the mean of q(z0) (so from all of in's values), and for ODERNN and
// RNNDt the one-step prediction of each time from the values before it.
func (m *Model) Reconstruct(in []Patient) ([][]float64, error) {
	D, B := NumParameters, m.cfg.Batch
	out := make([][]float64, 0, len(in))
	for lo := 0; lo < len(in); lo += B {
		hi := lo + B
		if hi > len(in) {
			hi = len(in)
		}
		q, _, err := m.runBatch(in[lo:hi], nil, false, 1, nil)
		if err != nil {
			return nil, errors.Wrapf(err, "reconstruct rows %d..%d", lo, hi-1)
		}
		pred := q.predV.Data().([]float64)
		for r := lo; r < hi; r++ {
			K := in[r].Len()
			v := make([]float64, K*D)
			for k := 0; k < K; k++ {
				copy(v[k*D:(k+1)*D], pred[(k*B+r-lo)*D:(k*B+r-lo+1)*D])
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// HeldOutMSE is the mean squared error, over the values where held's Mask is 1, of the
// model's reconstruction from in (HoldOut's two parts); n is the number of values.
func (m *Model) HeldOutMSE(in, held []Patient) (mse float64, n int, err error) {
	rec, err := m.Reconstruct(in)
	if err != nil {
		return 0, 0, err
	}
	var sum float64
	for i := range held {
		for k, mk := range held[i].Mask {
			if mk != 0 {
				e := rec[i][k] - held[i].Values[k]
				sum += e * e
				n++
			}
		}
	}
	if n == 0 {
		return 0, 0, errors.Wrap(ErrData, "held-out MSE: no held-out value")
	}
	return sum / float64(n), n, nil
}

// ReconstructSamples is Reconstruct of LatentODE with z0 drawn from q(z0) instead of its
// mean: samples draws per patient (seeded), out[s][i] for draw s of patient i.
func (m *Model) ReconstructSamples(in []Patient, samples int, seed uint64) ([][][]float64, error) {
	if m.cfg.Kind != LatentODE {
		return nil, errors.Wrapf(ErrConfig, "reconstruct samples: %s has no latent state to sample", m.cfg.Kind)
	}
	D, B := NumParameters, m.cfg.Batch
	r := newRand(seed)
	noise := func(dst []float64) {
		for i := range dst {
			dst[i] = r.NormFloat64()
		}
	}
	out := make([][][]float64, samples)
	for s := range out {
		for lo := 0; lo < len(in); lo += B {
			hi := minInt(lo+B, len(in))
			q, _, err := m.runBatch(in[lo:hi], nil, false, 1, noise)
			if err != nil {
				return nil, errors.Wrapf(err, "reconstruct samples rows %d..%d", lo, hi-1)
			}
			pred := q.predV.Data().([]float64)
			for i := lo; i < hi; i++ {
				K := in[i].Len()
				v := make([]float64, K*D)
				for k := 0; k < K; k++ {
					copy(v[k*D:(k+1)*D], pred[(k*B+i-lo)*D:(k*B+i-lo+1)*D])
				}
				out[s] = append(out[s], v)
			}
		}
	}
	return out, nil
}
