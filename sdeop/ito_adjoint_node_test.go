package sdeop

import (
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// TestItoCorrectionFromVJPs checks the correction that the node computes from VJPs
// when the diffusion has no ItoCorrector: against the closed form of gbmEval (g = p z,
// c = p^2 z / 2) and, for an MLP diffusion (whose Jacobian is not diagonal), c against
// central differences of g and a^T ∂c/∂z, a^T ∂c/∂theta against central differences
// of a·c.
func TestItoCorrectionFromVJPs(t *testing.T) {
	const batch, dim = 3, 2
	n := batch * dim
	r := rand.New(rand.NewSource(1))
	z, a := randSlice(r, n, 1), randSlice(r, n, 1)
	p := []float64{0.3, -0.7}
	bind := func(d *gbmDyn, th []float64) *dynEval {
		e, err := newDynEval(d, [][]float64{th}, batch, dim)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	exact, plain := bind(&gbmDyn{}, p), bind(&gbmDyn{noCorr: true}, p)
	if !exact.corr || plain.corr {
		t.Fatal("gbmEval should implement ItoCorrector, plainEval not")
	}
	v := newVecs(n, 4)
	tw, tg := make([]float64, dim), make([]float64, dim)
	exact.corrVJP(v[0], v[1], tw, 0, z, a)
	if k := plain.corrVJP(v[2], v[3], tg, 0, z, a); k != 3*dim+1 {
		t.Errorf("%d VJPs, want %d", k, 3*dim+1)
	}
	if e := relErr(v[2], v[0]); e > 1e-14 {
		t.Errorf("gbm: c off the closed form by %.3g", e)
	}
	if e := relErr(append(v[3], tg...), append(v[1], tw...)); e > 1e-9 {
		t.Errorf("gbm: VJPs of c off the closed form by %.3g", e)
	}

	g := G.NewGraph()
	mlp := newMLP(t, g, "g", dim, 5, layers.Tanh, 7)
	var theta [][]float64
	for _, q := range mlp.Params() {
		theta = append(theta, append([]float64(nil), q.Value().Data().([]float64)...))
	}
	ev, err := newDynEval(mlp, theta, batch, dim)
	if err != nil {
		t.Fatal(err)
	}
	P := ev.NumParams()
	c, dz, dth := make([]float64, n), make([]float64, n), make([]float64, P)
	ev.corrVJP(c, dz, dth, 0.2, z, a)
	gv, zs := make([]float64, n), make([]float64, n)
	ac := func(ev *dynEval, z []float64) float64 { // a · c(z) with c from central differences of g
		s := 0.0
		for i := range z {
			copy(zs, z)
			h := 1e-5
			zs[i] = z[i] + h
			ev.Eval(gv, 0.2, zs)
			gp := gv[i]
			zs[i] = z[i] - h
			ev.Eval(gv, 0.2, zs)
			gm := gv[i]
			ev.Eval(gv, 0.2, z)
			s += a[i] * 0.5 * gv[i] * (gp - gm) / (2 * h)
		}
		return s
	}
	fc := make([]float64, n)
	for i := range z {
		copy(zs, z)
		zs[i] += 1e-6
		ev.Eval(gv, 0.2, zs)
		gp := gv[i]
		zs[i] -= 2e-6
		ev.Eval(gv, 0.2, zs)
		gm := gv[i]
		ev.Eval(gv, 0.2, z)
		fc[i] = 0.5 * gv[i] * (gp - gm) / 2e-6
	}
	if e := relErr(c, fc); e > 1e-8 {
		t.Errorf("mlp: c off central differences of g by %.3g", e)
	}
	fdz := make([]float64, n)
	for i := range z {
		zz := append([]float64(nil), z...)
		zz[i] += 1e-4
		up := ac(ev, zz)
		zz[i] -= 2e-4
		fdz[i] = (up - ac(ev, zz)) / 2e-4
	}
	if e := relErr(dz, fdz); e > 1e-5 {
		t.Errorf("mlp: a^T dc/dz off finite differences by %.3g", e)
	}
	// One parameter entry of each tensor, by finite differences of a·c.
	off := 0
	for k := range theta {
		j := len(theta[k]) / 2
		x := theta[k][j]
		acAt := func(v float64) float64 {
			theta[k][j] = v
			e2, err := newDynEval(mlp, theta, batch, dim)
			if err != nil {
				t.Fatal(err)
			}
			defer e2.release()
			return ac(e2, z)
		}
		fd := (acAt(x+1e-4) - acAt(x-1e-4)) / 2e-4
		theta[k][j] = x
		if got := dth[off+j]; math.Abs(got-fd) > 1e-5*math.Max(1, math.Abs(fd)) {
			t.Errorf("mlp: a^T dc/dtheta[%d][%d] = %.10g, finite differences %.10g", k, j, got, fd)
		}
		off += len(theta[k])
	}
}

// TestDefaultNeuralSDETrains: Solve with the defaults (Ito,
// Euler, the stochastic adjoint, diagonal noise) and layers.NewMLP drift and diffusion,
// whose Evaluators have no ItoCorrector, runs its gradient pass; the gradient matches
// central finite differences of the same discrete solve on the same path (to the
// adjoint's discretization error, which shrinks with the step), and gradient descent
// with it lowers the loss.
func TestDefaultNeuralSDETrains(t *testing.T) {
	ts := []float64{0, 0.25, 0.5}
	var errs []float64
	for _, dt := range []float64{0.02, 0.005} {
		p := newMLPSDE(t, 4, 2, 6, false, ts, WithStep(dt), WithSeed(5))
		_, grads := runGrads(t, p.loss, p.wrt, false)
		fd := p.fdGrads(t)
		e := flatRelErr(grads, fd)
		t.Logf("dt %g: adjoint gradient off finite differences of the same path by %.3g", dt, e)
		errs = append(errs, e)
	}
	if errs[1] > 0.02 || errs[1] > errs[0]/2 {
		t.Errorf("adjoint gradient errors %.3g (dt 0.02), %.3g (dt 0.005): want < 0.02 and shrinking with the step", errs[0], errs[1])
	}
	// Gradient descent on the parameters (z0 fixed) with the defaults lowers the loss.
	p := newMLPSDE(t, 4, 2, 6, false, ts, WithStep(0.02), WithSeed(5))
	params := p.wrt[1:]
	gs, err := G.Grad(p.loss, params...)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(p.g)
	defer m.Close()
	var first, last float64
	for it := 0; it < 20; it++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		last = p.loss.Value().Data().(float64)
		if it == 0 {
			first = last
		}
		for i, q := range params {
			w := q.Value().Data().([]float64)
			for j, gj := range gs[i].Value().Data().([]float64) {
				w[j] -= 0.05 * gj
			}
		}
	}
	t.Logf("loss %.6g -> %.6g over 20 steps", first, last)
	if !(last < first-0.1*math.Abs(first)) {
		t.Errorf("loss %.6g -> %.6g: gradient descent with the default gradient did not lower it", first, last)
	}
}

// TestDefaultGraphDynamicsSDE: the defaults also train with odeop.NewGraphDynamics as
// drift and diffusion (g = sigmoid(z W), a full Jacobian): the gradient pass runs and
// matches Checkpoint's exact discrete gradient (Euler) to the adjoint's error.
func TestDefaultGraphDynamicsSDE(t *testing.T) {
	var grads [2][][]float64
	for i, gm := range []GradientMethod{Adjoint, Checkpoint} {
		g := G.NewGraph()
		z0 := matNode(g, "z0", 3, 2, []float64{0.1, -0.3, 0.5, 0.2, -0.4, 0.7})
		A := matNode(g, "A", 2, 2, []float64{-0.5, 0.3, 0.2, -0.4})
		W := matNode(g, "W", 2, 2, []float64{0.6, -0.2, 0.4, 0.3})
		f := odeop.NewGraphDynamics(G.Nodes{A}, func(_, z *G.Node, ps G.Nodes) (*G.Node, error) {
			return G.Mul(z, ps[0])
		})
		d := odeop.NewGraphDynamics(G.Nodes{W}, func(_, z *G.Node, ps G.Nodes) (*G.Node, error) {
			zw, err := G.Mul(z, ps[0])
			if err != nil {
				return nil, err
			}
			return G.Sigmoid(zw)
		})
		zs, err := Solve(z0, f, d, []float64{0, 0.5}, WithStep(0.005), WithGradient(gm), WithSeed(2))
		if err != nil {
			t.Fatal(err)
		}
		_, grads[i] = runGrads(t, lastSum(t, zs, nil), G.Nodes{z0, A, W}, false)
	}
	e := flatRelErr(grads[0], grads[1])
	t.Logf("adjoint off Checkpoint by %.3g", e)
	if e > 0.02 {
		t.Errorf("adjoint gradient off Checkpoint's by %.3g", e)
	}
}
