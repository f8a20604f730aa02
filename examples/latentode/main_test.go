package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestSmoke runs every data set and task for a few iterations on small data and checks
// the report and the pictures.
func TestSmoke(t *testing.T) {
	cfg := defaultConfig()
	cfg.Seeds, cfg.Iters, cfg.Batch, cfg.Train, cfg.Test, cfg.Scale = 1, 3, 8, 16, 4, 0.25
	cfg.Out = t.TempDir()
	var log bytes.Buffer
	res, err := run(cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 4 || len(res.Pictures) != 4 {
		t.Fatalf("%d rows, %d pictures:\n%s", len(res.Rows), len(res.Pictures), log.String())
	}
	for _, r := range res.Rows {
		if r.Held == 0 || !(r.LatentODE > 0) || !(r.RNN > 0) {
			t.Errorf("row %+v", r)
		}
	}
	if !strings.Contains(log.String(), "held-out mean squared error") {
		t.Errorf("no table in the log:\n%s", log.String())
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
}
