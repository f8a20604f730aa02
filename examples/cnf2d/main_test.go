package main

import (
	"io"
	"math"
	"os"
	"testing"
)

// TestRunShort is the smoke test of the demo: a few iterations of a small flow on each of
// two data sets, then the held-out NLL and the three pictures.
func TestRunShort(t *testing.T) {
	for _, c := range []struct {
		data, trace string
		kinetic     float64
		trainT      bool
	}{
		{"8gaussians", "exact", 0, false},
		{"checkerboard", "hutchinson", 0.01, true},
	} {
		cfg := DefaultConfig()
		cfg.Data, cfg.Trace, cfg.Kinetic, cfg.Jacobian, cfg.TrainT = c.data, c.trace, c.kinetic, c.kinetic, c.trainT
		cfg.Hidden = []int{16, 16}
		cfg.Iters, cfg.Batch, cfg.Eval, cfg.Grid, cfg.Points, cfg.Snaps = 5, 64, 500, 40, 500, 3
		cfg.Bar, cfg.Every = false, 2
		cfg.Out = t.TempDir()
		w := io.Discard
		if testing.Verbose() {
			w = os.Stdout
		}
		res, err := Run(cfg, w)
		if err != nil {
			t.Fatalf("%s: %v", c.data, err)
		}
		if len(res.Pictures) != 3 {
			t.Errorf("%s: pictures %v", c.data, res.Pictures)
		}
		for _, p := range res.Pictures {
			st, err := os.Stat(p)
			if err != nil || st.Size() < 1000 {
				t.Errorf("%s: picture %s missing or tiny (%v)", c.data, p, err)
			}
		}
		if math.IsNaN(res.HeldOutNLL) || res.HeldOutNLL <= 0 || res.NFEForward == 0 || res.NFEBackward == 0 {
			t.Errorf("%s: result %+v", c.data, res)
		}
	}
}
