package sdeop

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/odeop"
)

// sqrtDyn is s * sqrt(0.5 - t) * z (s one value per dimension): NaN for t > 0.5.
type sqrtDyn struct{ gbmDyn }

func (d *sqrtDyn) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	return &sqrtEval{newGBMEval(theta[0], batch*dim)}, nil
}

type sqrtEval struct{ e *gbmEval }

func (e *sqrtEval) Eval(dst []float64, t float64, z []float64) {
	scaleTo(dst, e.e.pe, z, math.Sqrt(0.5-t))
}
func (e *sqrtEval) VJP(f, dz, dth []float64, t float64, z, a []float64) {
	c := math.Sqrt(0.5 - t)
	if f != nil {
		scaleTo(f, e.e.pe, z, c)
	}
	if dz != nil {
		scaleTo(dz, e.e.pe, a, c)
	}
	if dth != nil {
		rowSums(dth, a, z, nil)
		for i := range dth {
			dth[i] *= c
		}
	}
}

// TestNodeNonFiniteNamesTheStep: the node reports a NaN at the step
// where it appeared (the drift is NaN from t > 0.5 on: Midpoint's stage at t = 0.55 of
// the step from 0.5 to 0.6), not at the output time t = 1, and names the same step as
// Integrate on the same SDE and path.
func TestNodeNonFiniteNamesTheStep(t *testing.T) {
	zs, err := runFailing(t, func(g *G.ExprGraph) odeop.Dynamics {
		return &sqrtDyn{gbmDyn{p: vecNode(g, "s", []float64{0.5})}}
	})
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("got %v, want ErrNonFinite", err)
	}
	const step = "from t=0.5 to t=0.6"
	if !strings.Contains(err.Error(), step) {
		t.Errorf("node error %q does not name the step %s", err, step)
	}
	sde := SDE{Calculus: Stratonovich,
		Drift:     func(tt float64, y, f []float64) { scaleTo(f, []float64{0.5, 0.5}, y, math.Sqrt(0.5-tt)) },
		Diffusion: func(_ float64, y, g []float64) { scaleTo(g, []float64{0.1, 0.1}, y, 1) },
	}
	bm, _, err := BrownianOf(zs)
	if err != nil {
		t.Fatal(err)
	}
	_, ierr := Integrate(sde, []float64{1, 2}, []float64{0, 1}, bm, WithStep(0.1))
	if !errors.Is(ierr, ErrNonFinite) || !strings.Contains(ierr.Error(), step) {
		t.Errorf("Integrate: %v, want ErrNonFinite %s", ierr, step)
	}
}

// runtimePanicEval indexes out of range when evaluated.
type runtimePanicEval struct{}

func (runtimePanicEval) Eval(dst []float64, t float64, z []float64) { _ = dst[len(dst)+int(t)] }
func (runtimePanicEval) VJP(f, dz, dth []float64, t float64, z, a []float64) {
	_ = dz[len(dz)+int(t)]
}

type runtimePanicDyn struct{ gbmDyn }

func (d *runtimePanicDyn) Bind([][]float64, int, int) (odeop.Evaluator, error) {
	return runtimePanicEval{}, nil
}

// TestNodePanicErrorWrapsSentinel: a dynamics that panics with an
// error value (here a runtime error, an index out of range) comes out of RunAll wrapping
// ErrDynamics (and ErrSDE, as a string panic does), with the runtime error still
// reachable by errors.As.
func TestNodePanicErrorWrapsSentinel(t *testing.T) {
	_, err := runFailing(t, func(g *G.ExprGraph) odeop.Dynamics {
		return &runtimePanicDyn{gbmDyn{p: vecNode(g, "mu", []float64{1})}}
	})
	var re runtime.Error
	if !errors.Is(err, ErrDynamics) || !errors.Is(err, ErrSDE) || !errors.As(err, &re) {
		t.Errorf("got %v, want ErrDynamics and ErrSDE wrapping the runtime error", err)
	}
}

// runFailing runs the forward solve over [0, 1] (Stratonovich midpoint, dt 0.1) of z0 =
// [1, 2] (batch 2, dim 1) with the drift of the graph made by drift and the diffusion
// 0.1 z, and returns the node and the cause of RunAll's error.
func runFailing(t *testing.T, drift func(g *G.ExprGraph) odeop.Dynamics) (*G.Node, error) {
	g := G.NewGraph()
	zs, err := Solve(matNode(g, "y0", 2, 1, []float64{1, 2}), drift(g), &gbmDyn{p: vecNode(g, "sig", []float64{0.1})},
		[]float64{0, 1}, WithStep(0.1), WithCalculus(Stratonovich))
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	return zs, odeop.Cause(m.RunAll())
}
