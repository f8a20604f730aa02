package classify_test

import (
	"errors"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/models/classify"
)

// TestClassifierShapes checks the parameter counts of both architectures against their
// formulas, the shape of the logits, and configuration errors.
func TestClassifierShapes(t *testing.T) {
	cfg := classify.Config{In: 64, Hidden: 64, Width: 64, Blocks: 6}
	ode, res := newNet(t, classify.KindODENet, cfg), newNet(t, classify.KindResNet, cfg)
	stemHead := 64*64 + 64 + 64*10 + 10
	if want := stemHead + (65*64+64)*2; ode.NumParams() != want {
		t.Errorf("ODE-Net has %d parameters, want %d", ode.NumParams(), want)
	}
	if want := stemHead + 6*2*(64*64+64); res.NumParams() != want {
		t.Errorf("ResNet has %d parameters, want %d", res.NumParams(), want)
	}
	if 2*ode.NumParams() > res.NumParams() {
		t.Errorf("ODE-Net %d parameters, ResNet %d", ode.NumParams(), res.NumParams())
	}
	if ode.Block() == nil || res.Block() != nil {
		t.Error("Block() wrong")
	}
	g := G.NewGraph()
	c, err := classify.NewODENet(g, classify.Config{In: 5, Classes: 3, Hidden: 4})
	if err != nil {
		t.Fatal(err)
	}
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(7, 5), G.WithName("x"), G.WithInit(G.Ones()))
	logits, err := c.Fwd(x)
	if err != nil {
		t.Fatal(err)
	}
	if !logits.Shape().Eq(tensor.Shape{7, 3}) {
		t.Errorf("logits shape %v", logits.Shape())
	}
	if _, err := classify.NewODENet(g, classify.Config{In: 5, Classes: 3, Hidden: 4}); err == nil {
		t.Error("a second model of the same name in one graph was accepted")
	}
	bad := G.NewMatrix(g, tensor.Float64, G.WithShape(7, 6), G.WithName("bad"), G.WithInit(G.Ones()))
	if _, err := c.Fwd(bad); !errors.Is(err, models.ErrConfig) {
		t.Errorf("input of the wrong width: %v", err)
	}
	for _, cfg := range []classify.Config{{}, {In: 4, Classes: 1}, {In: 4, Rtol: -1}} {
		if _, err := classify.NewODENet(G.NewGraph(), cfg); !errors.Is(err, models.ErrConfig) {
			t.Errorf("%+v: error %v", cfg, err)
		}
	}
	if _, err := classify.New(G.NewGraph(), "mlp", cfg); !errors.Is(err, models.ErrConfig) {
		t.Errorf("unknown kind: %v", err)
	}
}

func newNet(t testing.TB, kind string, cfg classify.Config) *classify.Model {
	t.Helper()
	c, err := classify.New(G.NewGraph(), kind, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
