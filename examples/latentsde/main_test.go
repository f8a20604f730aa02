package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestSmoke runs both problems for a few iterations and checks the report and the
// pictures.
func TestSmoke(t *testing.T) {
	cfg := defaultConfig()
	cfg.ToyIters, cfg.CO2Iters, cfg.Paths, cfg.Samples, cfg.Batch, cfg.Stride = 3, 3, 8, 20, 8, 2
	cfg.Out = t.TempDir()
	var log bytes.Buffer
	res, err := run(cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Toy) != 1 || len(res.CO2) != 1 || len(res.Pictures) != 2 {
		t.Fatalf("%d toy results, %d co2 results, %d pictures:\n%s", len(res.Toy), len(res.CO2), len(res.Pictures), log.String())
	}
	if c := res.CO2[0]; c.Held == 0 || c.Coverage < 0 || c.Coverage > 1 || !(c.Width > 0) {
		t.Errorf("co2 result %+v", c)
	}
	if r := res.Toy[0]; !(r.WidthSeen > 0) || !(r.WidthBeyond > 0) {
		t.Errorf("toy result %+v", r)
	}
	if !strings.Contains(log.String(), "mean coverage of the 90% band") {
		t.Errorf("no report in the log:\n%s", log.String())
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
