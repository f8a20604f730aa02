package main

import (
	"bytes"
	"math"
	"os"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestBounceGradients: the bounce times of the event chain and their gradients with
// respect to h and e against the closed form t_k = t1 (1 + 2 S_k), t1 = sqrt(2h/g),
// S_k = e + ... + e^(k-1): dt_k/dh = (1 + 2 S_k)/(g t1), dt_k/de = 2 t1 dS_k/de.
func TestBounceGradients(t *testing.T) {
	const h0, e0, n = 1.3, 0.6, 4
	want := closedTimes(h0, e0, n)
	for k := 0; k < n; k++ {
		g := G.NewGraph()
		h := G.NewTensor(g, tensor.Float64, 1, G.WithShape(1), G.WithName("h"), G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{h0}))))
		e := G.NewTensor(g, tensor.Float64, 1, G.WithShape(1), G.WithName("e"), G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{e0}))))
		times, err := bounceTimes(g, h, e, k+1)
		if err != nil {
			t.Fatal(err)
		}
		loss := G.Must(G.Sum(times[k]))
		wrt := G.Nodes{h, e}
		if k == 0 { // the first landing does not depend on e
			wrt = wrt[:1]
		}
		gr, err := G.Grad(loss, wrt...)
		if err != nil {
			t.Fatal(err)
		}
		m := G.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		t1 := math.Sqrt(2 * h0 / grav)
		S, dS := 0.0, 0.0
		for j := 1; j <= k; j++ {
			S += math.Pow(e0, float64(j))
			dS += float64(j) * math.Pow(e0, float64(j-1))
		}
		dh, de := (1+2*S)/(grav*t1), 2*t1*dS
		tk := loss.Value().Data().(float64)
		gh, ge := gr[0].Value().Data().([]float64)[0], 0.0
		if k > 0 {
			ge = gr[1].Value().Data().([]float64)[0]
		}
		m.Close()
		if math.Abs(tk-want[k]) > 1e-9 {
			t.Errorf("bounce %d: t = %.12g, want %.12g", k+1, tk, want[k])
		}
		if math.Abs(gh-dh) > 1e-8*math.Abs(dh) || math.Abs(ge-de) > 1e-8*math.Abs(de) {
			t.Errorf("bounce %d: dt/dh %.12g want %.12g, dt/de %.12g want %.12g", k+1, gh, dh, ge, de)
		}
	}
}

// TestSmoke fits briefly, twice: the loss falls, the runs are identical, the pictures are
// PNG files.
func TestSmoke(t *testing.T) {
	cfg := defaultConfig()
	cfg.Iters, cfg.Out = 60, t.TempDir()
	var log bytes.Buffer
	res, err := run(cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + log.String())
	if first, last := res.Losses[0], res.Losses[len(res.Losses)-1]; !(last < first/10) {
		t.Errorf("loss %.3g -> %.3g, want a tenfold fall", first, last)
	}
	if len(res.Pictures) != 2 {
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
	cfg.Out = ""
	again, err := run(cfg, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Losses, again.Losses) {
		t.Errorf("two runs differ")
	}
}

// TestBadConfig: invalid flags are errors.
func TestBadConfig(t *testing.T) {
	for _, mut := range []func(*config){
		func(c *config) { c.Iters = 0 },
		func(c *config) { c.Bounces = 0 },
		func(c *config) { c.Noise = -1 },
		func(c *config) { c.LR = 0 },
	} {
		c := defaultConfig()
		mut(&c)
		if _, err := run(c, &bytes.Buffer{}); err == nil {
			t.Errorf("config %+v: no error", c)
		}
	}
}
