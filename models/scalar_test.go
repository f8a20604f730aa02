package models_test

import (
	"math"
	"path/filepath"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/models"
)

// scalarProblem is loss = (theta - 3)^2 + sum((w - 1)^2) with theta a 0-d scalar and w a
// vector: the case of a physical model's parameters (an OU process's theta, mu, sigma).
func scalarProblem(t *testing.T, dt tensor.Dtype) (*G.ExprGraph, G.Nodes, *G.Node) {
	t.Helper()
	g := G.NewGraph()
	var theta *G.Node
	if dt == tensor.Float64 {
		theta = G.NewScalar(g, dt, G.WithName("theta"), G.WithValue(0.5))
	} else {
		theta = G.NewScalar(g, dt, G.WithName("theta"), G.WithValue(float32(0.5)))
	}
	w := G.NewVector(g, dt, G.WithShape(2), G.WithName("w"), G.WithInit(G.Zeroes()))
	three, one := G.NewConstant(3.0), G.NewConstant(1.0)
	if dt == tensor.Float32 {
		three, one = G.NewConstant(float32(3)), G.NewConstant(float32(1))
	}
	d := G.Must(G.Sub(theta, three))
	e := G.Must(G.Sub(w, one))
	loss := G.Must(G.Add(G.Must(G.Mul(d, d)), G.Must(G.Sum(G.Must(G.HadamardProd(e, e))))))
	if _, err := G.Grad(loss, theta, w); err != nil {
		t.Fatal(err)
	}
	return g, G.Nodes{theta, w}, loss
}

func scalarOf(n *G.Node) float64 {
	switch v := n.Value().(type) {
	case *G.F64:
		return float64(*v)
	case *G.F32:
		return float64(*v)
	}
	return math.NaN()
}

// TestScalarParameters trains a 0-d parameter with this package's Adam (one step checked
// against Adam's formula, then convergence to the minimum) and saves and loads it with
// its optimizer state, in float64 and float32 graphs.
func TestScalarParameters(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			g, params, _ := scalarProblem(t, dt)
			vm := G.NewTapeMachine(g, G.BindDualValues(params...))
			defer vm.Close()
			opt := models.NewAdam(0.1)
			step := func() {
				t.Helper()
				vm.Reset()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				if err := opt.Step(G.NodesToValueGrads(params)); err != nil {
					t.Fatalf("adam step: %v", err)
				}
			}
			// The first Adam step moves every coordinate by -lr*sign(grad) (bias-corrected
			// m/sqrt(v) = g/|g|, up to eps): theta 0.5 -> 0.6.
			step()
			if got := scalarOf(params[0]); math.Abs(got-0.6) > 1e-6 {
				t.Fatalf("theta after one step %v, want 0.6", got)
			}
			for range 400 {
				step()
			}
			if got := scalarOf(params[0]); math.Abs(got-3) > 1e-2 {
				t.Fatalf("theta after training %v, want 3", got)
			}
			path := filepath.Join(t.TempDir(), "ou.ckpt")
			if err := models.Save(path, params, opt, nil); err != nil {
				t.Fatalf("save: %v", err)
			}
			want := scalarOf(params[0])
			step() // move away, then restore
			g2, params2, _ := scalarProblem(t, dt)
			_ = g2
			opt2 := models.NewAdam(0.1)
			ck, err := models.Load(path, params2, opt2)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if got := scalarOf(params2[0]); got != want {
				t.Fatalf("loaded theta %v, want %v", got, want)
			}
			if len(ck.Params) != 2 || len(ck.Params[0].Shape) != 0 || len(ck.Params[0].Data) != 1 {
				t.Fatalf("checkpoint holds %+v for the scalar", ck.Params[0])
			}
			if s := opt2.State(); s.Steps != opt.State().Steps-1 {
				t.Fatalf("restored optimizer at step %d, want %d", s.Steps, opt.State().Steps-1)
			}
			// A scalar in the model where the file holds a vector is a mismatch, not a panic.
			if _, err := models.Load(path, G.Nodes{params2[1], params2[0]}, nil); err != nil {
				t.Fatalf("order of nodes should not matter: %v", err)
			}
		})
	}
}
