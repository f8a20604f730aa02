package main

import (
	"io"
	"math"
	"os"
	"testing"
)

// TestRunShort is the smoke test of the example: a few iterations of both models on a few
// images, the exact held-out NLL and the pictures.
func TestRunShort(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Data = ""
	cfg.Hidden, cfg.Mix = 4, 3
	cfg.Iters, cfg.Batch, cfg.Eval, cfg.Every, cfg.Steps = 3, 16, 20, 1, 2
	cfg.Out = t.TempDir()
	w := io.Discard
	if testing.Verbose() {
		w = os.Stdout
	}
	res, err := Run(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Models) != 2 {
		t.Fatalf("%d models", len(res.Models))
	}
	for _, m := range res.Models {
		if math.IsNaN(m.HeldOutBPD) || m.HeldOutBPD <= 0 || m.Params == 0 {
			t.Errorf("%+v", m)
		}
		st, err := os.Stat(m.Picture)
		if err != nil || st.Size() < 500 {
			t.Errorf("picture %s missing or tiny (%v)", m.Picture, err)
		}
	}
	// equal parameter counts, to within one hidden unit of the MLP
	if a, b := res.Models[0].Params, res.Models[1].Params; math.Abs(float64(a-b)) > float64(mlpParams(mlpWidth(a)+1)-mlpParams(mlpWidth(a))) {
		t.Errorf("parameter counts %d and %d", a, b)
	}
	cfg.Models = []string{"bogus"}
	if _, err := Run(cfg, io.Discard); err == nil {
		t.Error("unknown model accepted")
	}
}

// TestBitsPerDim checks the conversion at the uniform density on the pixel cube: 17
// equally likely levels per pixel are log2(17) bits.
func TestBitsPerDim(t *testing.T) {
	// uniform on the cube [-Scale/2, Scale/2]^64: -log p = 64 log Scale
	if got, want := bitsPerDim(pixels*math.Log(Scale)), math.Log2(levels); math.Abs(got-want) > 1e-12 {
		t.Fatalf("bits/dim %.15g, want %.15g", got, want)
	}
}
