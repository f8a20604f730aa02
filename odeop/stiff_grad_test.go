package odeop

import (
	"math"
	"math/rand"
	"testing"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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

// TestStiffGradRobertson: Adjoint and Checkpoint gradients of a weighted sum of Robertson's states at
// t = 0.4, 4, 40 (0.4, 4 under -short) through the Solve node with Kvaerno5 and the continuous adjoint (whose
// backward solve over [a, a_theta], on the forward solve's interpolant, runs Kvaerno5 too;
// Checkpoint, the discrete adjoint of the Kvaerno5 steps) against central finite differences
// of forward solves, with respect to z0 and to the three log rate constants.
func TestStiffGradRobertson(t *testing.T) {
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
	fwd := []Option{WithMethod(Kvaerno5), WithTol(tol, 1e-20)}
	for _, gm := range GradientMethods() {
		opts := append([]Option{WithGradient(gm)}, fwd...)
		if gm == Adjoint {
			opts = append(opts, WithAdjointTol(tol, 1e-20))
		}
		_, grads, theta, _, c := solveGrads(t, mk, z0d, 1, 3, ts, opts...)
		loss := func() float64 { return forwardLoss(t, dyn, theta, z0d, 1, 3, ts, c, fwd...) }
		fdth := fdGrad(theta[0], 1e-4, loss)
		e := relErr(grads[1], fdth)
		t.Logf("%s: dL/dlogk %.10g, finite differences %.10g, relative error %.3g", gm, grads[1], fdth, e)
		if e > 1e-6 {
			t.Errorf("%s: dL/dlogk: relative error %.3g > 1e-6", gm, e)
		}
		fdz := fdGrad(z0d, 1e-6, loss)
		ez := relErr(grads[0], fdz)
		t.Logf("%s: dL/dz0 %.10g, finite differences %.10g, relative error %.3g", gm, grads[0], fdz, ez)
		if ez > 1e-6 {
			t.Errorf("%s: dL/dz0: relative error %.3g > 1e-6", gm, ez)
		}
	}
}

// TestStiffRobertsonFit learns Robertson's three rate constants in log space from noisy
// observations (0.1% of each component's scale, seed 11) at eight times up to t = 40:
// BFGS (stiffBFGS: gonum's optimize package needs a module this one does not have) on a weighted least-squares loss whose gradient is the Solve
// node's (Kvaerno5, the interpolating adjoint), from log k off by (+0.3, -0.3, +0.2). The
// fit recovers every constant within 1%.
func TestStiffRobertsonFit(t *testing.T) {
	if testing.Short() {
		t.Skip("fit: about 40 solves and their gradients")
	}
	ts := []float64{0, 1e-4, 1e-3, 1e-2, 0.1, 0.4, 4, 40}
	opts := []Option{WithMethod(Kvaerno5), WithTol(1e-8, 1e-18), WithAdjointTol(1e-8, 1e-18)}
	truth, err := Integrate(stiffRobertson, []float64{1, 0, 0}, ts, WithMethod(Kvaerno5), WithTol(1e-10, 1e-20))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(11))
	var scale [3]float64
	for _, y := range truth.Ys {
		for j, v := range y {
			scale[j] = math.Max(scale[j], math.Abs(v))
		}
	}
	obs, w := make([]float64, 3*len(ts)), make([]float64, 3*len(ts))
	for i, y := range truth.Ys {
		for j, v := range y {
			obs[3*i+j] = v + 1e-3*scale[j]*rng.NormFloat64()
			w[3*i+j] = 1 / scale[j]
		}
	}
	g := G.NewGraph()
	start := []float64{robertsonLogK[0] + 0.3, robertsonLogK[1] - 0.3, robertsonLogK[2] + 0.2}
	logk := matNode(g, "logk", 1, 3, append([]float64(nil), start...))
	z0 := matNode(g, "z0", 1, 3, []float64{1, 0, 0})
	zs, err := Solve(z0, &robertsonDyn{logk: logk}, ts, opts...)
	if err != nil {
		t.Fatal(err)
	}
	O := G.NewTensor(g, tensor.Float64, 3, G.WithShape(len(ts), 1, 3), G.WithName("obs"),
		G.WithValue(tensor.New(tensor.WithShape(len(ts), 1, 3), tensor.WithBacking(obs))))
	W := G.NewTensor(g, tensor.Float64, 3, G.WithShape(len(ts), 1, 3), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(len(ts), 1, 3), tensor.WithBacking(w))))
	r := G.Must(G.HadamardProd(G.Must(G.Sub(zs, O)), W))
	loss := G.Must(G.Sum(G.Must(G.Square(r))))
	gs, err := G.Grad(loss, logk)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	back := logk.Value().Data().([]float64)
	eval := func(x []float64) (float64, []float64) {
		copy(back, x)
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		return loss.Value().Data().(float64), gs[0].Value().Data().([]float64)
	}
	x, l0, iters := stiffBFGS(eval, start, 60)
	lEnd, _ := eval(x)
	t.Logf("loss %.3g -> %.3g in %d BFGS iterations", l0, lEnd, iters)
	for i, want := range robertsonLogK {
		got := math.Exp(x[i])
		rel := got/math.Exp(want) - 1
		t.Logf("k%d = %.6g (true %.6g, relative error %.2g, start %.6g)", i+1, got, math.Exp(want), rel, math.Exp(start[i]))
		if math.Abs(rel) > 0.01 {
			t.Errorf("k%d = %.6g, want within 1%% of %.6g", i+1, got, math.Exp(want))
		}
	}
}

// stiffBFGS minimises f (value and gradient) from x0 by BFGS with a backtracking Armijo
// line search, for at most maxIter iterations or until the gradient's norm falls below
// 1e-9 of its start; it returns the minimiser, the starting value and the iterations.
func stiffBFGS(f func(x []float64) (float64, []float64), x0 []float64, maxIter int) ([]float64, float64, int) {
	n := len(x0)
	x := append([]float64(nil), x0...)
	fx, g0 := f(x)
	f0 := fx
	g := mat.NewVecDense(n, append([]float64(nil), g0...))
	gStart := mat.Norm(g, 2)
	H := mat.NewDense(n, n, nil)
	for i := range n {
		H.Set(i, i, 1)
	}
	d, xn := mat.NewVecDense(n, nil), make([]float64, n)
	it := 0
	for ; it < maxIter && mat.Norm(g, 2) > 1e-9*gStart; it++ {
		d.MulVec(H, g)
		d.ScaleVec(-1, d)
		slope := mat.Dot(d, g)
		if slope >= 0 { // not a descent direction: restart from steepest descent
			H.Zero()
			for i := range n {
				H.Set(i, i, 1)
			}
			d.ScaleVec(-1, g)
			slope = mat.Dot(d, g)
		}
		a := 1.0
		var fn float64
		var gn []float64
		for {
			for i := range n {
				xn[i] = x[i] + a*d.AtVec(i)
			}
			fn, gn = f(xn)
			if fn <= fx+1e-4*a*slope || a < 1e-10 {
				break
			}
			a /= 2
		}
		s := mat.NewVecDense(n, nil)
		for i := range n {
			s.SetVec(i, xn[i]-x[i])
		}
		y := mat.NewVecDense(n, append([]float64(nil), gn...))
		y.SubVec(y, g)
		if sy := mat.Dot(s, y); sy > 1e-300 {
			// H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T
			rho := 1 / sy
			I := mat.NewDense(n, n, nil)
			for i := range n {
				I.Set(i, i, 1)
			}
			A := mat.NewDense(n, n, nil)
			A.Outer(-rho, s, y)
			A.Add(A, I)
			var T mat.Dense
			T.Mul(A, H)
			H.Mul(&T, A.T())
			var S mat.Dense
			S.Outer(rho, s, s)
			H.Add(H, &S)
		}
		copy(x, xn)
		fx = fn
		g.CopyVec(mat.NewVecDense(n, append([]float64(nil), gn...)))
	}
	return x, f0, it
}

// TestStiffCheckpointExactForDiscreteSolve: Checkpoint with Kvaerno3/4/5 is the gradient
// of the discrete solution. The steps are those an adaptive solve takes at rtol 1e-4 (few,
// long steps), replayed as a fixed grid (the internal grid hook) by the Solve node and by
// the forward solves of the central differences alike, with the Newton iterations
// converged to rtol 1e-10 in both (the discrete solution depends on the Newton tolerance
// at that level: linearising around the rtol-1e-4 forward trajectory itself differs from
// the tight one's differences by 1e-6 relative). Within 1e-7 relative of the differences,
// where the continuous gradient (the Adjoint at rtol 1e-10) differs by far more.
func TestStiffCheckpointExactForDiscreteSolve(t *testing.T) {
	ts := []float64{0, 0.4, 4}
	z0d := []float64{1, 0, 0}
	for _, m := range ImplicitMethods() {
		var dyn *robertsonDyn
		mk := func(g *G.ExprGraph) Dynamics {
			dyn = &robertsonDyn{logk: matNode(g, "logk", 1, 3, append([]float64(nil), robertsonLogK...))}
			return dyn
		}
		_, _, _, zs, _ := solveGrads(t, mk, z0d, 1, 3, ts, WithGradient(Checkpoint), WithMethod(m), WithTol(1e-4, 1e-14))
		tape := zs.Op().(*solveOp).rec.(*checkpointTape)
		grid := append(append([]float64(nil), tape.t0...), ts[len(ts)-1])
		replay := []Option{WithMethod(m), WithTol(1e-10, 1e-17), hook(func(c *config) { c.grid = grid })}
		_, grads, theta, _, c := solveGrads(t, mk, z0d, 1, 3, ts, append([]Option{WithGradient(Checkpoint)}, replay...)...)
		loss := func() float64 { return forwardLoss(t, dyn, theta, z0d, 1, 3, ts, c, replay...) }
		fd := fdGrad(theta[0], 1e-5, loss)
		e := relErr(grads[1], fd)
		_, cont, _, _, _ := solveGrads(t, mk, z0d, 1, 3, ts, WithMethod(m), WithTol(1e-10, 1e-20), WithAdjointTol(1e-10, 1e-20))
		ec := relErr(grads[1], cont[1])
		t.Logf("%s: %d steps; dL/dlogk against the discrete solution's differences %.3g, against the continuous gradient %.3g", m, len(tape.t0), e, ec)
		if e > 1e-7 {
			t.Errorf("%s: Checkpoint differs from the discrete gradient by %.3g relative, want <= 1e-7", m, e)
		}
		if !(ec > 10*e) {
			t.Errorf("%s: Checkpoint is as close to the continuous gradient (%.3g) as to the discrete one (%.3g): the test does not tell them apart", m, ec, e)
		}
	}
}

// TestStiffBatchBlocks: a batch of Robertson states through the Solve node with Kvaerno5
// (Newton with the Jacobian's row blocks: dim+1 evaluations per Jacobian whatever the
// batch, one 3 by 3 LU per row) agrees with Integrate of each row alone (dense Newton) to
// the tolerance, and its gradients with Checkpoint agree with the Adjoint's.
func TestStiffBatchBlocks(t *testing.T) {
	const batch = 6
	z0d := make([]float64, 3*batch)
	for b := range batch {
		x := 0.2 * float64(b) / batch
		z0d[3*b], z0d[3*b+1], z0d[3*b+2] = 1-x, 0, x
	}
	ts := []float64{0, 0.4, 4, 40}
	opts := []Option{WithMethod(Kvaerno5), WithTol(1e-9, 1e-18), WithAdjointTol(1e-9, 1e-18)}
	mk := func(g *G.ExprGraph) Dynamics {
		return &robertsonDyn{logk: matNode(g, "logk", 1, 3, append([]float64(nil), robertsonLogK...))}
	}
	_, ga, _, zs, _ := solveGrads(t, mk, z0d, batch, 3, ts, opts...)
	st := zs.Op().(*solveOp).fwd
	got := zs.Value().Data().([]float64)
	worst := 0.0
	for b := range batch {
		sol, err := Integrate(stiffRobertson, z0d[3*b:3*b+3], ts, WithMethod(Kvaerno5), WithTol(1e-9, 1e-18))
		if err != nil {
			t.Fatal(err)
		}
		for k := range ts {
			for i := range 3 {
				w := sol.Ys[k][i]
				worst = math.Max(worst, math.Abs(got[(k*batch+b)*3+i]-w)/math.Max(math.Abs(w), 1e-6))
			}
		}
	}
	t.Logf("batch of %d: largest relative difference from per-row Integrate %.3g; forward %+v (a Jacobian costs 4 evaluations)", batch, worst, st)
	if worst > 1e-6 {
		t.Errorf("batch and per-row solves differ by %.3g relative, want <= 1e-6", worst)
	}
	if st.JacEvals == 0 || st.LUs == 0 {
		t.Errorf("forward stats %+v count no Jacobian or LU", st)
	}
	_, gc, _, _, _ := solveGrads(t, mk, z0d, batch, 3, ts, WithGradient(Checkpoint), WithMethod(Kvaerno5), WithTol(1e-9, 1e-18))
	e := relErr(gc[1], ga[1])
	t.Logf("dL/dlogk: Checkpoint %.8g, Adjoint %.8g, relative difference %.3g", gc[1], ga[1], e)
	if e > 1e-6 {
		t.Errorf("Checkpoint and Adjoint gradients differ by %.3g relative at rtol 1e-9", e)
	}
}
