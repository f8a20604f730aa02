package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	old := flag.CommandLine
	defer func() { flag.CommandLine = old }()
	flag.CommandLine = flag.NewFlagSet("demo", flag.ContinueOnError)
	var out bytes.Buffer
	flag.CommandLine.SetOutput(&out)
	flag.Int("iters", 10, "training iterations")
	Usage("Trains a thing.", "Writes into -out: a.png.")
	flag.Usage()
	for _, want := range []string{"Usage of demo:", "Trains a thing.", "Writes into -out: a.png.", "-iters int", "(default 10)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, out.String())
		}
	}
}

// TestExamplesAlike checks every example's main: its -h says what it does and what it
// writes (cli.Usage), the progress bar follows the terminal, and the flags use the
// shared names (-iters, -batch, -seed or -seeds, -out), not the old ones.
func TestExamplesAlike(t *testing.T) {
	mains, err := filepath.Glob("../../*/main.go")
	if err != nil || len(mains) < 6 {
		t.Fatalf("examples: %v %v", mains, err)
	}
	flagName := regexp.MustCompile(`\b(?:flag|fs)\.\w+\([^,]+, "([a-zA-Z0-9-]+)"`)
	for _, p := range mains {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if !strings.Contains(s, "cli.Usage") || !strings.Contains(s, "Writes into -out") {
			t.Errorf("%s: no cli.Usage with what it writes", p)
		}
		if !strings.Contains(s, "cli.Terminal()") && !strings.Contains(s, "cli.Bar(") {
			t.Errorf("%s: the progress bar does not follow the terminal", p)
		}
		names := map[string]bool{}
		for _, m := range flagName.FindAllStringSubmatch(s, -1) {
			names[m[1]] = true
		}
		for _, bad := range []string{"niters", "batch-size", "progress", "epochs-out", "output"} {
			if names[bad] {
				t.Errorf("%s: flag -%s (use the shared names)", p, bad)
			}
		}
		if !names["out"] || !(names["seed"] || names["seeds"]) {
			t.Errorf("%s: lacks -out or -seed(s): %v", p, names)
		}
	}
}
