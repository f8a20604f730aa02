package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	var errs bytes.Buffer
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-model", "gru"}, "-model \"gru\""},
		{[]string{"-quantum", "0"}, "-quantum 0"},
		{[]string{"-load", "m.ckpt", "-eval", "x.csv"}, "-load, -eval and -eval-outcomes go together"},
		{[]string{"-method", "nope"}, "-method \"nope\""},
		{[]string{"-holdout", "1"}, "-holdout 1"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		if _, err := parse(c.args, &errs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
	cfg, err := parse(nil, &errs)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Model != defaultModel || !strings.HasSuffix(cfg.Data, filepath.Join("testdata", "physionet", "physionet2012-a.csv.gz")) {
		t.Errorf("defaults: model %q, data %q", cfg.Model, cfg.Data)
	}
}

// TestTrainSaveEval trains each model for two iterations on the 24-stay fixture, writes
// the pictures and the model, and evaluates the saved model on the fixture through the
// command line: the last line is "test AUC <value>".
func TestTrainSaveEval(t *testing.T) {
	dir := t.TempDir()
	fx := func(n string) string { return filepath.Join("..", "..", "testdata", "physionet", n) }
	var out bytes.Buffer
	cfg, err := parse([]string{"-data", fx("fixture.csv"), "-outcomes", fx("fixture-outcomes.csv"), "-model", "all",
		"-iters", "2", "-epochs", "1", "-batch", "8", "-hidden", "8", "-units", "8", "-out", dir, "-plots", "2"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := train(&out, cfg); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, f := range []string{"roc.png", "patients.png", "odernn.ckpt", "latentode.ckpt", "rnndt.ckpt"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	ecfg, err := parse([]string{"-load", filepath.Join(dir, "latentode.ckpt"), "-eval", fx("fixture.csv"), "-eval-outcomes", fx("fixture-outcomes.csv")}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if auc, err := evaluate(&out, ecfg); err != nil || !(auc >= 0 && auc <= 1) {
		t.Errorf("evaluate: AUC %v, %v", auc, err)
	}
	if testing.Short() {
		return
	}
	cmd := exec.Command("go", "run", ".", "-load", filepath.Join(dir, "odernn.ckpt"), "-eval", fx("fixture.csv"), "-eval-outcomes", fx("fixture-outcomes.csv"))
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "test AUC 0.") && last != "test AUC 1.0000" {
		t.Errorf("last line %q", last)
	}
}
