package physionet

import (
	"math"
	"testing"
	"time"

	"github.com/continuum-ml/continuum/odeop"
)

func fixturePatients(t testing.TB, quantum int) []Patient {
	t.Helper()
	stays := loadFixture(t)
	norm, err := FitNormaliser(stays)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Prepare(stays, norm, quantum)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestModelsTrainOnFixture trains every kind for a few iterations on the 24 fixture
// stays and checks that the loss is finite and falls, that predictions are
// probabilities, and that the solver statistics are reported.
func TestModelsTrainOnFixture(t *testing.T) {
	ps := fixturePatients(t, Hour)
	for _, k := range Kinds {
		m, err := NewModel(Config{Kind: k, Batch: 12, Hidden: 12, Units: 16, Latent: 6, HeadUnits: 8, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		hist, _, err := m.Train(ps[:16], ps[16:], TrainConfig{Epochs: 4, LR: 1e-2, Seed: 2})
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		first, last := hist[0], hist[len(hist)-1]
		if !(last.Loss < first.Loss) {
			t.Errorf("%s: loss %v after the first epoch, %v after the last", k, first.Loss, last.Loss)
		}
		if k != RNNDt && (first.Forward.NFE == 0 || first.Backward.NFE == 0) {
			t.Errorf("%s: NFE forward %d backward %d per batch", k, first.Forward.NFE, first.Backward.NFE)
		}
		p, err := m.Predict(ps)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range p {
			if !(x > 0 && x < 1) {
				t.Fatalf("%s: probability %v", k, x)
			}
		}
		t.Logf("%s: %d params, loss %.4g -> %.4g, val AUC %.3f, NFE fwd %d bwd %d, %v", k, m.NumParams(), first.Loss, last.Loss, last.ValAUC, last.Forward.NFE, last.Backward.NFE, time.Since(start))
		m.Close()
	}
}

// TestPaddingInvariance checks that a patient's prediction and reconstruction do not
// depend on the other rows of its batch: alone (padded with empty rows) and among the
// others. Exact for RNN-Δt; with a fixed-step solver exact for the ODE models too
// (every row takes the same steps in s whatever its neighbours).
func TestPaddingInvariance(t *testing.T) {
	ps := fixturePatients(t, Hour)
	for _, k := range Kinds {
		m, err := NewModel(Config{Kind: k, Batch: 8, Hidden: 10, Units: 12, Latent: 5, HeadUnits: 8, Seed: 3, Method: odeop.RK4, Step: 0.25})
		if err != nil {
			t.Fatal(err)
		}
		all, err := m.Predict(ps[:8])
		if err != nil {
			t.Fatal(err)
		}
		recAll, err := m.Reconstruct(ps[:8])
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, 5} {
			one, err := m.Predict(ps[i : i+1])
			if err != nil {
				t.Fatal(err)
			}
			rec, err := m.Reconstruct(ps[i : i+1])
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(one[0]-all[i]) > 1e-13 {
				t.Errorf("%s patient %d: alone %v, in the batch %v", k, i, one[0], all[i])
			}
			for j := range rec[0] {
				if math.Abs(rec[0][j]-recAll[i][j]) > 1e-12 {
					t.Fatalf("%s patient %d: reconstruction %d alone %v, in the batch %v", k, i, j, rec[0][j], recAll[i][j])
				}
			}
		}
		m.Close()
	}
}

// TestModelGradient checks the gradient of the whole training loss (through the GRU,
// the gap-scaled solves and the heads) against central finite differences on a few
// parameters, for each kind.
func TestModelGradient(t *testing.T) {
	ps := fixturePatients(t, Hour)[:6]
	for _, k := range Kinds {
		m, err := NewModel(Config{Kind: k, Batch: 6, Hidden: 6, Units: 8, Latent: 4, HeadUnits: 5, Seed: 4, Method: odeop.RK4, Step: 0.25})
		if err != nil {
			t.Fatal(err)
		}
		noise := func(dst []float64) {
			for i := range dst {
				dst[i] = math.Sin(float64(i))
			}
		}
		q, _, err := m.runBatch(ps, nil, true, 0.5, noise)
		if err != nil {
			t.Fatal(err)
		}
		grads := map[string][]float64{}
		for _, n := range q.learn {
			gv, err := n.Grad()
			if err != nil {
				t.Fatalf("%s %s: %v", k, n.Name(), err)
			}
			grads[n.Name()] = append([]float64(nil), gv.Data().([]float64)...)
		}
		for _, n := range q.learn {
			name := n.Name()
			g := grads[name]
			vals := m.vals[name].Data().([]float64)
			for _, i := range []int{0, len(vals) / 2} {
				old := vals[i]
				const h = 1e-6
				vals[i] = old + h
				_, rp, err := m.runBatch(ps, nil, false, 0.5, noise)
				if err != nil {
					t.Fatal(err)
				}
				vals[i] = old - h
				_, rm, _ := m.runBatch(ps, nil, false, 0.5, noise)
				vals[i] = old
				fd := (rp.loss - rm.loss) / (2 * h)
				if math.Abs(fd-g[i]) > 1e-5*(1+math.Abs(fd)) {
					t.Errorf("%s: d loss / d %s[%d] = %v, finite differences %v", k, name, i, g[i], fd)
				}
			}
		}
		m.Close()
	}
}

// TestSaveLoad checks that a loaded model predicts what the saved one did and carries its
// normaliser and quantisation.
func TestSaveLoad(t *testing.T) {
	ps := fixturePatients(t, SixMinute)
	norm, _ := FitNormaliser(loadFixture(t))
	m, err := NewModel(Config{Kind: ODERNN, Batch: 8, Hidden: 8, Units: 8, HeadUnits: 4, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Train(ps[:16], nil, TrainConfig{Epochs: 1}); err != nil {
		t.Fatal(err)
	}
	want, _ := m.Predict(ps)
	path := t.TempDir() + "/m.ckpt"
	if err := m.Save(path, norm, SixMinute, nil, map[string]string{"note": "x"}); err != nil {
		t.Fatal(err)
	}
	l, n2, q, c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := l.Predict(ps)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("patient %d: loaded %v, saved %v", i, got[i], want[i])
		}
	}
	if q != SixMinute || c.Meta["note"] != "x" || n2.Max[3] != norm.Max[3] {
		t.Errorf("quantum %d, meta %v", q, c.Meta["note"])
	}
}

// TestRowChunks checks that a patient's prediction does not depend on the solver's row
// chunk it lands in: with the default sizes (batch 50, 40 hidden units, dynamics
// 40-64-40) the solves split the rows in two chunks on two goroutines; the fixture's
// patients are predicted in rows 0.. and again behind 30 empty rows (in the second chunk).
func TestRowChunks(t *testing.T) {
	ps := fixturePatients(t, Hour)[:20]
	m, err := NewModel(Config{Kind: ODERNN, Seed: 5, Method: odeop.RK4, Step: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	front, err := m.Predict(ps)
	if err != nil {
		t.Fatal(err)
	}
	shifted := append(make([]Patient, 30), ps...)
	back, err := m.Predict(shifted)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		if math.Abs(front[i]-back[30+i]) > 1e-13 {
			t.Errorf("patient %d: %v in row %d, %v in row %d", i, front[i], i, back[30+i], 30+i)
		}
	}
}

// TestOutputsMatchLoss recomputes, from what Predict and Reconstruct return, the
// cross-entropy and the weighted squared error that the graph reports for the same
// batch: the outputs are the values the loss was computed from (the tape machine reuses
// node buffers in place, so reading a node's value after the run can give another
// operation's result).
func TestOutputsMatchLoss(t *testing.T) {
	ps := fixturePatients(t, Hour)[:10]
	for _, k := range Kinds {
		m, err := NewModel(Config{Kind: k, Batch: 10, Seed: 6})
		if err != nil {
			t.Fatal(err)
		}
		_, res, err := m.runBatch(ps, nil, false, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := m.Predict(ps)
		rec, _ := m.Reconstruct(ps)
		var bce, sq float64
		for i := range ps {
			if ps[i].Death {
				bce -= math.Log(p[i])
			} else {
				bce -= math.Log(1 - p[i])
			}
			n := float64(ps[i].Observed())
			for j, mk := range ps[i].Mask {
				if mk != 0 {
					e := rec[i][j] - ps[i].Values[j]
					sq += e * e / n
				}
			}
		}
		bce /= float64(len(ps))
		sq /= float64(len(ps))
		if math.Abs(bce-res.bce) > 1e-9*(1+bce) || math.Abs(sq-res.rec) > 1e-9*(1+sq) {
			t.Errorf("%s: from the outputs cross-entropy %v and squared error %v; the graph's %v and %v", k, bce, sq, res.bce, res.rec)
		}
		m.Close()
	}
}
