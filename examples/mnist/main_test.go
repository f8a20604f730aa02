package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlagErrors(t *testing.T) {
	for _, mod := range []func(*config){
		func(c *config) { c.Model = "mlp" },
		func(c *config) { c.Epochs, c.Iters = 0, 0 },
		func(c *config) { c.Batch = 0 },
		func(c *config) { c.LR = -1 },
		func(c *config) { c.Tol = 0 },
		func(c *config) { c.TestBatch = 0 },
		func(c *config) { c.Test = 20000 },
		func(c *config) { c.EvalEvery = -1 },
	} {
		c := defaultConfig()
		mod(&c)
		if err := c.check(); !errors.Is(err, errFlag) {
			t.Errorf("%+v: %v, want errFlag", c, err)
		}
	}
}

func TestLRSchedule(t *testing.T) {
	c := defaultConfig()
	for _, tc := range []struct {
		it   int
		want float64
	}{{0, 0.1}, {374, 0.1}, {375, 0.01}, {625, 0.001}, {875, 0.0001}, {999, 0.0001}} {
		if got := lrAt(c, tc.it, 1000); got < tc.want*0.999 || got > tc.want*1.001 {
			t.Errorf("lr at %d/1000 = %g, want %g", tc.it, got, tc.want)
		}
	}
}

// TestTrainSavePredict trains two tiny iterations of each model, saves them and
// evaluates the saved files.
func TestTrainSavePredict(t *testing.T) {
	if testing.Short() {
		t.Skip("reads MNIST and runs the networks")
	}
	dir := t.TempDir()
	for _, m := range []string{"odenet", "resnet"} {
		c := defaultConfig()
		c.Model, c.Iters, c.Batch, c.Test, c.TestBatch, c.Out = m, 2, 4, 8, 4, dir
		res, err := train(c, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Loss) != 2 || res.Params == 0 {
			t.Fatalf("%s: %+v", m, res)
		}
		for _, f := range []string{m + ".ckpt", m + "-log.csv"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
		var out strings.Builder
		c.Predict = filepath.Join(dir, m+".ckpt")
		if err := predict(c, &out); err != nil || !strings.Contains(out.String(), "test error") {
			t.Errorf("%s predict: %v %q", m, err, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "odenet-nfe.png")); err != nil {
		t.Error(err)
	}
}
