package physionet

import (
	"math"
	"time"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/odeop"
)

// TrainConfig configures Train. Zero fields take the documented defaults.
type TrainConfig struct {
	Epochs   int     // passes over the training patients (default 20)
	Iters    int     // if positive, stop after this many iterations whatever Epochs says
	LR       float64 // Adam's learning rate (default 1e-2, as Rubanova et al.)
	LRDecay  float64 // the learning rate is multiplied by this after every iteration (default 0.999, as Rubanova et al.; 1: constant)
	KLWarmup int     // LatentODE: the KL weight rises linearly from 0 to 1 over this many iterations (default 1 epoch)
	Seed     uint64  // seeds the batch order and the reparameterisation noise
	// Progress is called after every iteration with the epoch, the iteration within it,
	// the number of iterations per epoch and the batch loss.
	Progress func(epoch, iter, perEpoch int, loss float64)
	// Epoch is called after every epoch with its summary.
	Epoch func(EpochStats)
}

// EpochStats summarises one epoch of training.
type EpochStats struct {
	Epoch      int
	Loss       float64       // mean batch loss
	BCE        float64       // mean batch cross-entropy
	Time       time.Duration // training time of the epoch (without the validation pass)
	Forward    odeop.Stats   // solver work per batch, summed over the batch's solves
	Backward   odeop.Stats
	ValAUC     float64 // on the validation patients (NaN without them)
	ValBCE     float64
	Best       bool // the best validation AUC so far: Train keeps these parameters
	Iterations int
}

// Train fits the model to the training patients with Adam, batch by batch in a seeded
// order; after every epoch it computes the validation AUC and keeps the parameters of
// the best epoch (the last epoch without validation patients). It returns every epoch's
// summary and the optimiser.
func (m *Model) Train(train, val []Patient, tc TrainConfig) ([]EpochStats, *models.Adam, error) {
	if len(train) == 0 {
		return nil, nil, errors.Wrap(ErrData, "train: no training patient")
	}
	if tc.Epochs <= 0 {
		tc.Epochs = 20
	}
	if tc.LR <= 0 {
		tc.LR = 1e-2
	}
	if tc.LRDecay <= 0 || tc.LRDecay > 1 {
		tc.LRDecay = 0.999
	}
	B := m.cfg.Batch
	per := (len(train) + B - 1) / B
	if tc.KLWarmup <= 0 {
		tc.KLWarmup = per
	}
	opt := models.NewAdam(tc.LR)
	r := newRand(tc.Seed)
	noise := func(dst []float64) {
		for i := range dst {
			dst[i] = r.NormFloat64()
		}
	}
	var hist []EpochStats
	best := math.Inf(-1)
	var bestVals map[string][]float64
	it := 0
	batch := make([]Patient, 0, B)
	for ep := 0; ep < tc.Epochs; ep++ {
		order := r.Perm(len(train))
		st := EpochStats{Epoch: ep, ValAUC: math.NaN(), ValBCE: math.NaN()}
		start := time.Now()
		nb := 0
		for lo := 0; lo < len(order); lo += B {
			if tc.Iters > 0 && it >= tc.Iters {
				break
			}
			batch = batch[:0]
			for _, k := range order[lo:minInt(lo+B, len(order))] {
				batch = append(batch, train[k])
			}
			klw := math.Min(1, float64(it+1)/float64(tc.KLWarmup))
			q, res, err := m.runBatch(batch, nil, true, klw, noise)
			if err != nil {
				return hist, opt, errors.Wrapf(err, "train: epoch %d iteration %d", ep, it)
			}
			if err := opt.Step(G.NodesToValueGrads(q.learn)); err != nil {
				return hist, opt, errors.Wrapf(err, "train: optimiser step %d", it)
			}
			opt.LR *= tc.LRDecay
			st.Loss += res.loss
			st.BCE += res.bce
			st.Forward = st.Forward.Add(res.fwd)
			st.Backward = st.Backward.Add(res.bwd)
			nb++
			it++
			if tc.Progress != nil {
				tc.Progress(ep, nb, per, res.loss)
			}
		}
		st.Time = time.Since(start)
		if nb == 0 {
			break
		}
		st.Iterations = nb
		st.Loss /= float64(nb)
		st.BCE /= float64(nb)
		st.Forward = divStats(st.Forward, nb)
		st.Backward = divStats(st.Backward, nb)
		if len(val) > 0 {
			p, err := m.Predict(val)
			if err != nil {
				return hist, opt, errors.Wrapf(err, "train: validation after epoch %d", ep)
			}
			st.ValBCE = meanBCE(p, val)
			if auc, err := AUC(p, val); err == nil {
				st.ValAUC = auc
			}
		}
		if len(val) == 0 || st.ValAUC > best || bestVals == nil {
			if !math.IsNaN(st.ValAUC) {
				best = st.ValAUC
			}
			st.Best = true
			bestVals = m.snapshot()
		}
		hist = append(hist, st)
		if tc.Epoch != nil {
			tc.Epoch(st)
		}
	}
	if bestVals != nil {
		m.restore(bestVals)
	}
	return hist, opt, nil
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func divStats(s odeop.Stats, n int) odeop.Stats {
	return odeop.Stats{NFE: s.NFE / n, Steps: s.Steps / n, Rejected: s.Rejected / n}
}

func meanBCE(p []float64, ps []Patient) float64 {
	var s float64
	for i, x := range p {
		x = math.Min(math.Max(x, 1e-12), 1-1e-12)
		if ps[i].Death {
			s -= math.Log(x)
		} else {
			s -= math.Log(1 - x)
		}
	}
	return s / float64(len(p))
}

func (m *Model) snapshot() map[string][]float64 {
	out := make(map[string][]float64, len(m.vals))
	for name, v := range m.vals {
		out[name] = append([]float64(nil), v.Data().([]float64)...)
	}
	return out
}

func (m *Model) restore(s map[string][]float64) {
	for name, v := range m.vals {
		copy(v.Data().([]float64), s[name])
	}
}
