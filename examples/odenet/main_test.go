package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/continuum-ml/continuum/models/classify"
)

const dataPath = "" // the embedded digits

func TestLoadDigits(t *testing.T) {
	d, err := loadDigits(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	if d.len() != 1797 || len(d.X) != 1797*pixels {
		t.Fatalf("%d images, %d values", d.len(), len(d.X))
	}
	train, test := d.split(0.25, 1)
	if train.len()+test.len() != d.len() || test.len() < 440 || test.len() > 460 {
		t.Fatalf("split %d + %d", train.len(), test.len())
	}
	var perClass [classes]int
	for _, y := range test.Y {
		perClass[y]++
	}
	for c, n := range perClass {
		if n < 44 || n > 47 {
			t.Errorf("class %d has %d test images", c, n)
		}
	}
	_, test2 := d.split(0.25, 1)
	if !slicesEqual(test.Y, test2.Y) {
		t.Error("the split is not deterministic")
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSmoke trains both models briefly, saves them, predicts from a saved model with the
// same accuracy, and resumes training from it.
func TestSmoke(t *testing.T) {
	cfg := defaultConfig()
	cfg.Data, cfg.Out = dataPath, t.TempDir()
	cfg.Epochs, cfg.Hidden, cfg.Width, cfg.Blocks = 2, 16, 16, 2
	var log bytes.Buffer
	res, err := run(cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + log.String())
	if len(res) != 2 || res[0].Kind != classify.KindODENet || res[1].Kind != classify.KindResNet {
		t.Fatalf("results %+v", res)
	}
	if res[0].TestNFE == 0 || res[0].TrainNFE == 0 || res[0].Params >= res[1].Params {
		t.Errorf("ODE-Net %+v, ResNet %+v", res[0], res[1])
	}
	for _, r := range res {
		if r.TestAcc < 0.5 {
			t.Errorf("%s: test accuracy %.3f after two epochs", r.Kind, r.TestAcc)
		}
	}

	pcfg := cfg
	pcfg.Predict = res[0].Saved
	pres, err := run(pcfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	if pres[0].TestAcc != res[0].TestAcc || pres[0].Params != res[0].Params {
		t.Errorf("predicting from %s: %+v, training reported %+v", pcfg.Predict, pres[0], res[0])
	}

	rcfg := cfg
	rcfg.Resume, rcfg.Out = res[0].Saved, filepath.Join(t.TempDir(), "resumed")
	var rlog bytes.Buffer
	rres, err := run(rcfg, &rlog)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rlog.String(), "after 2 epochs (84 Adam steps)") || rres[0].Kind != classify.KindODENet {
		t.Errorf("resume:\n%s", rlog.String())
	}
}

// TestFull is the documented run (default flags): the ODE-Net reaches at least 97% test
// accuracy, within 0.5 points of the ResNet baseline, with at most half its parameters.
func TestFull(t *testing.T) {
	if testing.Short() {
		t.Skip("full training run")
	}
	cfg := defaultConfig()
	cfg.Data, cfg.Out = dataPath, ""
	var log bytes.Buffer
	res, err := run(cfg, &log)
	t.Log("\n" + log.String())
	if err != nil {
		t.Fatal(err)
	}
	ode, resnet := res[0], res[1]
	if ode.TestAcc < 0.97 {
		t.Errorf("ODE-Net test accuracy %.4f < 0.97", ode.TestAcc)
	}
	// "Within 0.5 points": the ODE-Net may not trail the ResNet by more (it may lead).
	if ode.TestAcc < resnet.TestAcc-0.005 {
		t.Errorf("ODE-Net %.4f trails the ResNet %.4f by more than 0.5 points", ode.TestAcc, resnet.TestAcc)
	}
	if 2*ode.Params > resnet.Params {
		t.Errorf("ODE-Net has %d parameters, more than half the ResNet's %d", ode.Params, resnet.Params)
	}
}
