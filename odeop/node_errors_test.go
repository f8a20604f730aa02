package odeop

import (
	"runtime"
	"strings"
	"testing"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestSolveShapeErrorSaysSentinelOnce: a Check error that wraps ErrShape already is not
// wrapped in it a second time (the message said "shape mismatch" twice).
func TestSolveShapeErrorSaysSentinelOnce(t *testing.T) {
	g := G.NewGraph()
	z0 := matNode(g, "z0", 2, 3, make([]float64, 6))
	A := matNode(g, "A", 3, 3, make([]float64, 9))
	f := NewGraphDynamics(G.Nodes{A}, func(t, z *G.Node, ps G.Nodes) (*G.Node, error) { return G.Sum(z, 1) })
	_, err := Solve(z0, f, []float64{0, 1})
	if !errors.Is(err, ErrShape) {
		t.Fatalf("error %v, want ErrShape", err)
	}
	if n := strings.Count(err.Error(), ErrShape.Error()); n != 1 {
		t.Errorf("error %q says %q %d times, want once", err, ErrShape, n)
	}
	// a Check error of the user's own still gets the sentinel
	_, err = Solve(z0, &linearDyn{A: matNode(g, "B", 2, 2, make([]float64, 4))}, []float64{0, 1})
	if !errors.Is(err, ErrShape) || strings.Count(err.Error(), ErrShape.Error()) != 1 {
		t.Errorf("user Check error: %v, want ErrShape once", err)
	}
}

// indexDyn is linearDyn whose evaluation indexes out of range.
type indexDyn struct{ linearDyn }

func (d *indexDyn) Bind(theta [][]float64, batch, dim int) (Evaluator, error) {
	return indexEval{}, nil
}

type indexEval struct{}

func (indexEval) Eval(dst []float64, t float64, z []float64) { _ = dst[len(z)+len(dst)] }
func (indexEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	_ = z[len(z)+len(a)]
}

// TestDynamicsPanicWrapsErrDynamics: a dynamics that panics with an error value (a runtime
// error) comes back as an error of the run that wraps ErrDynamics, and still holds the
// runtime error.
func TestDynamicsPanicWrapsErrDynamics(t *testing.T) {
	g := G.NewGraph()
	z0 := matNode(g, "z0", 2, 2, []float64{1, 0, 0, 1})
	A := matNode(g, "A", 2, 2, []float64{-1, 0, 0, -1})
	zs, err := Solve(z0, &indexDyn{linearDyn{A: A}}, []float64{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	err = Cause(m.RunAll())
	_ = zs
	if !errors.Is(err, ErrDynamics) {
		t.Fatalf("error %v, want one wrapping ErrDynamics", err)
	}
	var re runtime.Error
	if !errors.As(err, &re) {
		t.Errorf("error %v does not hold the runtime error", err)
	}
}

// TestSolveRefusesEmptyAndHugeStates: z0 with no rows or no columns is refused (as
// Integrate refuses an empty y0), and so is one whose output len(ts)*batch*dim would
// overflow.
func TestSolveRefusesEmptyAndHugeStates(t *testing.T) {
	for _, shape := range [][2]int{{0, 2}, {2, 0}, {1 << 62, 4}, {1 << 40, 1 << 20}} {
		g := G.NewGraph()
		z0 := G.NewMatrix(g, tensor.Float64, G.WithShape(shape[0], shape[1]), G.WithName("z0"))
		A := G.NewMatrix(g, tensor.Float64, G.WithShape(shape[1], shape[1]), G.WithName("A"))
		_, err := Solve(z0, &linearDyn{A: A}, []float64{0, 0.5, 1})
		if !errors.Is(err, ErrShape) {
			t.Errorf("z0 of shape %v: error %v, want ErrShape", shape, err)
		}
	}
}
