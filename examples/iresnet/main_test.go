package main

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestRunShort is the smoke test of the example: a few iterations of a small flow, the
// exact held-out NLL, the checkpoint and the two pictures.
func TestRunShort(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Hidden, cfg.Blocks = []int{8}, 2
	cfg.Iters, cfg.Batch, cfg.Eval, cfg.Grid, cfg.Points, cfg.Every = 5, 32, 300, 30, 300, 2
	cfg.Out = t.TempDir()
	cfg.Save = filepath.Join(cfg.Out, "ires.ckpt")
	w := io.Discard
	if testing.Verbose() {
		w = os.Stdout
	}
	res, err := Run(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pictures) != 2 {
		t.Errorf("pictures %v", res.Pictures)
	}
	for _, p := range append(res.Pictures, cfg.Save) {
		st, err := os.Stat(p)
		if err != nil || st.Size() < 500 {
			t.Errorf("file %s missing or tiny (%v)", p, err)
		}
	}
	if math.IsNaN(res.HeldOutNLL) || res.HeldOutNLL <= 0 || len(res.Lipschitz) != 2 {
		t.Errorf("result %+v", res)
	}
	cfg.Estimator = "bogus"
	if _, err := Run(cfg, io.Discard); err == nil {
		t.Error("unknown estimator accepted")
	}
}
