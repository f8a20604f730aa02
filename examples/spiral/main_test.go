package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/layers"
)

// TestSmoke runs a few iterations, twice: the logged losses are identical (seeded and
// deterministic) and the pictures are PNG files.
func TestSmoke(t *testing.T) {
	cfg := defaultConfig()
	cfg.Iters, cfg.TestFreq, cfg.Out = 40, 20, t.TempDir()
	var log bytes.Buffer
	res, err := run(cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Losses) != 2 || !strings.Contains(log.String(), "Iter 0040 | Total Loss") {
		t.Fatalf("logged %v:\n%s", res.Losses, log.String())
	}
	if len(res.Pictures) != 3 {
		t.Fatalf("pictures %v", res.Pictures)
	}
	for _, p := range res.Pictures {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG", p)
		}
	}
	if res.NFE.NFE == 0 || res.NFEBack.NFE == 0 {
		t.Errorf("NFE %+v, %+v", res.NFE, res.NFEBack)
	}
	cfg.Out = ""
	again, err := run(cfg, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Losses, again.Losses) {
		t.Errorf("two runs differ: %v, %v", res.Losses, again.Losses)
	}
}

// TestFull is the documented run of the demo (2000 iterations): the median of the last
// ten logged full-trajectory losses is at most 0.26 (the PyTorch reference's). Slow only
// by the standards of -short; its training time is logged, not asserted.
func TestFull(t *testing.T) {
	if testing.Short() {
		t.Skip("full 2000-iteration run")
	}
	cfg := defaultConfig()
	cfg.Out = ""
	res, err := run(cfg, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	n := len(res.Losses)
	t.Logf("last ten logged losses %.4f; median %.4f; training %.2fs; last solve NFE forward %d backward %d",
		res.Losses[n-10:], res.Median10, res.TrainTime.Seconds(), res.NFE.NFE, res.NFEBack.NFE)
	if res.Median10 > 0.26 {
		t.Errorf("median of the last ten logged losses %.4f > 0.26", res.Median10)
	}
}

// TestCubedVJP checks the cubed dynamics' VJP against central differences.
func TestCubedVJP(t *testing.T) {
	net, err := layers.NewMLP(G.NewGraph(), "f", layers.Spec{In: 2, Init: normalInit(3, 0.5),
		Layers: []layers.LayerSpec{layers.Linear(7, layers.Tanh), layers.Linear(2, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	f := cubed{net}
	const batch = 3
	ev, err := f.Bind(net.Values(), batch, 2)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	z, a := make([]float64, 2*batch), make([]float64, 2*batch)
	for i := range z {
		z[i], a[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	dz := make([]float64, len(z))
	ev.VJP(nil, dz, nil, 0, z, a)
	out := make([]float64, len(z))
	dot := func(zz []float64) float64 {
		ev.Eval(out, 0, zz)
		s := 0.0
		for i, v := range out {
			s += a[i] * v
		}
		return s
	}
	const h = 1e-6
	for i := range z {
		zp, zm := slices.Clone(z), slices.Clone(z)
		zp[i] += h
		zm[i] -= h
		fd := (dot(zp) - dot(zm)) / (2 * h)
		if math.Abs(fd-dz[i]) > 1e-6*(1+math.Abs(fd)) {
			t.Errorf("dz[%d] = %g, finite differences %g", i, dz[i], fd)
		}
	}
}
