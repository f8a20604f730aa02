package main

import (
	"bytes"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestSmoke trains briefly, twice: the marginal error falls, the logged numbers are
// identical (seeded and deterministic) and the pictures are PNG files. -short trains
// for fewer iterations.
func TestSmoke(t *testing.T) {
	cfg := defaultConfig()
	cfg.Iters, cfg.TestFreq, cfg.Out = 60, 30, t.TempDir()
	if testing.Short() {
		cfg.Iters, cfg.TestFreq, cfg.ModelPaths, cfg.DataPaths = 20, 10, 64, 128
	}
	var log bytes.Buffer
	res, err := run(cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + log.String())
	if !strings.Contains(log.String(), "marginal error") || len(res.Marginal) < 2 {
		t.Fatalf("log:\n%s", log.String())
	}
	if first, last := res.Marginal[0], res.Marginal[len(res.Marginal)-1]; !(last < first) {
		t.Errorf("marginal error did not fall: %.4f -> %.4f", first, last)
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
	if res.Forward.Steps == 0 || res.Backward.NFE == 0 {
		t.Errorf("statistics %+v, %+v", res.Forward, res.Backward)
	}
	cfg.Out = ""
	again, err := run(cfg, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Marginal, again.Marginal) {
		t.Errorf("two runs differ: %v vs %v", res.Marginal, again.Marginal)
	}
}

// TestBadConfig checks the flags' validation.
func TestBadConfig(t *testing.T) {
	for _, mut := range []func(*config){
		func(c *config) { c.Process = "heston" },
		func(c *config) { c.Grad = "backprop" },
		func(c *config) { c.ModelPaths = 1 },
		func(c *config) { c.Dt = 0 },
	} {
		c := defaultConfig()
		mut(&c)
		if _, err := run(c, &bytes.Buffer{}); err == nil {
			t.Errorf("config %+v: no error", c)
		}
	}
}

// TestFirstLogLine checks that every logged line, the one before training included,
// carries a real loss (it logged "loss NaN" before the first step).
func TestFirstLogLine(t *testing.T) {
	cfg := defaultConfig()
	cfg.Iters, cfg.TestFreq, cfg.ModelPaths, cfg.DataPaths, cfg.Out = 2, 1, 16, 32, ""
	var log bytes.Buffer
	res, err := run(cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "Iter 0000 | loss ") {
		t.Fatalf("log:\n%s", log.String())
	}
	if strings.Contains(log.String(), "NaN") {
		t.Errorf("log has a NaN:\n%s", log.String())
	}
	for i, l := range res.Losses {
		if !(l >= 0) || math.IsInf(l, 0) {
			t.Errorf("loss %d is %v", i, l)
		}
	}
}
