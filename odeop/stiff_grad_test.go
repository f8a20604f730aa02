package odeop

import (
	"math"
	"testing"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// robertsonDyn is Robertson's reaction with learnable log rate constants: one parameter
// node logk of shape (1, 3), k = exp(logk) (k1 = 0.04, k2 = 3e7, k3 = 1e4 for the
// standard problem), states of shape (batch, 3).
type robertsonDyn struct{ logk *G.Node }

func (d *robertsonDyn) Params() G.Nodes { return G.Nodes{d.logk} }
func (d *robertsonDyn) Check(batch, dim int) error {
	if dim != 3 {
		return errors.Errorf("robertson: dim %d, want 3", dim)
	}
	return nil
}
func (d *robertsonDyn) Bind(theta [][]float64, batch, dim int) (Evaluator, error) {
	return &robertsonEval{logk: theta[0], batch: batch}, nil
}

type robertsonEval struct {
	logk  []float64
	batch int
}

func (e *robertsonEval) k() (float64, float64, float64) {
	return math.Exp(e.logk[0]), math.Exp(e.logk[1]), math.Exp(e.logk[2])
}

func (e *robertsonEval) Eval(dst []float64, _ float64, z []float64) {
	k1, k2, k3 := e.k()
	for b := range e.batch {
		y, f := z[3*b:3*b+3], dst[3*b:3*b+3]
		f[0] = -k1*y[0] + k3*y[1]*y[2]
		f[2] = k2 * y[1] * y[1]
		f[1] = k1*y[0] - k2*y[1]*y[1] - k3*y[1]*y[2]
	}
}

func (e *robertsonEval) VJP(f, dz, dth []float64, t float64, z, a []float64) {
	if f != nil {
		e.Eval(f, t, z)
	}
	k1, k2, k3 := e.k()
	if dth != nil {
		clear(dth)
	}
	for b := range e.batch {
		y, c := z[3*b:3*b+3], a[3*b:3*b+3]
		if dz != nil {
			d := dz[3*b : 3*b+3]
			d[0] = k1 * (c[1] - c[0])
			d[1] = c[0]*k3*y[2] + c[1]*(-2*k2*y[1]-k3*y[2]) + c[2]*2*k2*y[1]
			d[2] = (c[0] - c[1]) * k3 * y[1]
		}
		if dth != nil {
			dth[0] += (c[1] - c[0]) * k1 * y[0]
			dth[1] += (c[2] - c[1]) * k2 * y[1] * y[1]
			dth[2] += (c[0] - c[1]) * k3 * y[1] * y[2]
		}
	}
}

var robertsonLogK = []float64{math.Log(0.04), math.Log(3e7), math.Log(1e4)}

// TestStiffRobertsonDynamicsMatchesFunc: the Dynamics above is the Robertson right-hand side
// of the reference tests, and its VJP is the transpose of its difference Jacobian.
func TestStiffRobertsonDynamicsVJP(t *testing.T) {
	e := &robertsonEval{logk: robertsonLogK, batch: 1}
	z := []float64{0.7, 3e-5, 0.3}
	f, g := make([]float64, 3), make([]float64, 3)
	e.Eval(f, 0, z)
	stiffRobertson(0, z, g)
	if d := maxAbsDiff(f, g); d > 1e-15 {
		t.Fatalf("Eval differs from stiffRobertson by %g", d)
	}
	a := []float64{0.3, -1.1, 0.7}
	dz, dth := make([]float64, 3), make([]float64, 3)
	e.VJP(nil, dz, dth, 0, z, a)
	fd := func(x []float64, i int) float64 {
		h := 1e-6 * math.Max(math.Abs(x[i]), 1e-6)
		old := x[i]
		x[i] = old + h
		e.Eval(f, 0, z)
		p := a[0]*f[0] + a[1]*f[1] + a[2]*f[2]
		x[i] = old - h
		e.Eval(f, 0, z)
		m := a[0]*f[0] + a[1]*f[1] + a[2]*f[2]
		x[i] = old
		return (p - m) / (2 * h)
	}
	e.logk = append([]float64(nil), robertsonLogK...)
	for i := range 3 {
		if w := fd(z, i); math.Abs(dz[i]-w) > 1e-6*math.Max(1, math.Abs(w)) {
			t.Errorf("dz[%d] = %g, finite differences %g", i, dz[i], w)
		}
		if w := fd(e.logk, i); math.Abs(dth[i]-w) > 1e-6*math.Max(1, math.Abs(w)) {
			t.Errorf("dtheta[%d] = %g, finite differences %g", i, dth[i], w)
		}
	}
}

// TestStiffAdjointRobertson: gradients of a weighted sum of Robertson's states at
// t = 0.4, 4, 40 (0.4, 4 under -short) through the Solve node with Kvaerno5 and the continuous adjoint (whose
// backward solve over [a, a_theta], on the forward solve's interpolant, runs Kvaerno5 too) against central finite differences
// of forward solves, with respect to z0 and to the three log rate constants.
func TestStiffAdjointRobertson(t *testing.T) {
	ts := []float64{0, 0.4, 4, 40}
	tol := 1e-12
	if testing.Short() {
		ts, tol = []float64{0, 0.4, 4}, 1e-11
	}
	z0d := []float64{1, 0, 0}
	var dyn *robertsonDyn
	mk := func(g *G.ExprGraph) Dynamics {
		dyn = &robertsonDyn{logk: matNode(g, "logk", 1, 3, append([]float64(nil), robertsonLogK...))}
		return dyn
	}
	opts := []Option{WithMethod(Kvaerno5), WithTol(tol, 1e-20), WithAdjointTol(tol, 1e-20)}
	_, grads, theta, _, c := solveGrads(t, mk, z0d, 1, 3, ts, opts...)
	fwd := []Option{WithMethod(Kvaerno5), WithTol(tol, 1e-20)}
	loss := func() float64 { return forwardLoss(t, dyn, theta, z0d, 1, 3, ts, c, fwd...) }
	fdth := fdGrad(theta[0], 1e-4, loss)
	e := relErr(grads[1], fdth)
	t.Logf("dL/dlogk: adjoint %.10g, finite differences %.10g, relative error %.3g", grads[1], fdth, e)
	if e > 1e-6 {
		t.Errorf("dL/dlogk: relative error %.3g > 1e-6", e)
	}
	fdz := fdGrad(z0d, 1e-6, loss)
	ez := relErr(grads[0], fdz)
	t.Logf("dL/dz0: adjoint %.10g, finite differences %.10g, relative error %.3g", grads[0], fdz, ez)
	if ez > 1e-6 {
		t.Errorf("dL/dz0: relative error %.3g > 1e-6", ez)
	}
}
