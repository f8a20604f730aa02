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

func matNode(g *G.ExprGraph, name string, rows, cols int, data []float64) *G.Node {
	return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(data))))
}

func randSlice(r *rand.Rand, n int, scale float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = scale * r.NormFloat64()
	}
	return s
}

// weightedLoss builds L = sum(zs ∘ C) for a solve node and returns it with C's data.
func weightedLoss(t testing.TB, g *G.ExprGraph, zs *G.Node, seed int64) (*G.Node, []float64) {
	t.Helper()
	s := zs.Shape()
	c := randSlice(rand.New(rand.NewSource(seed)), s.TotalSize(), 1)
	C := G.NewTensor(g, tensor.Float64, 3, G.WithShape(s...), G.WithName("C"),
		G.WithValue(tensor.New(tensor.WithShape(s...), tensor.WithBacking(c))))
	return G.Must(G.Sum(G.Must(G.HadamardProd(zs, C)))), c
}

// gradsOf runs the graph once with a TapeMachine and returns the loss and the gradients of wrt.
func gradsOf(t testing.TB, loss *G.Node, wrt G.Nodes) (float64, [][]float64) {
	t.Helper()
	gs, err := G.Grad(loss, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(loss.Graph())
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(gs))
	for i, gn := range gs {
		out[i] = append([]float64(nil), gn.Value().Data().([]float64)...)
	}
	return loss.Value().Data().(float64), out
}

func relErr(got, want []float64) float64 {
	num, den := 0.0, 0.0
	for i := range got {
		d := got[i] - want[i]
		num += d * d
		den += want[i] * want[i]
	}
	return math.Sqrt(num / math.Max(den, 1e-300))
}

// forwardLoss integrates f with parameter values theta from z0 with cfg and returns
// sum(zs ∘ C): the forward solve of the node, for finite differences.
func forwardLoss(t testing.TB, f Dynamics, theta [][]float64, z0 []float64, batch, dim int, ts, c []float64, opts ...Option) float64 {
	t.Helper()
	ev, err := newBatchEval(f, theta, batch, dim)
	if err != nil {
		t.Fatal(err)
	}
	sol, err := Integrate(ev.RHS, z0, ts, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s := 0.0
	for i, y := range sol.Ys {
		for j, v := range y {
			s += v * c[i*len(y)+j]
		}
	}
	return s
}

// fdGrad is the central finite-difference gradient of loss with respect to x (modified in place).
func fdGrad(x []float64, h float64, loss func() float64) []float64 {
	g := make([]float64, len(x))
	for i := range x {
		old := x[i]
		x[i] = old + h
		lp := loss()
		x[i] = old - h
		lm := loss()
		x[i] = old
		g[i] = (lp - lm) / (2 * h)
	}
	return g
}

// expmFrechet returns exp(M) and the Fréchet derivative L(M, E) by the block formula
// exp([[M, E], [0, M]]) = [[exp(M), L(M, E)], [0, exp(M)]].
func expmFrechet(M, E *mat.Dense) (*mat.Dense, *mat.Dense) {
	n, _ := M.Dims()
	B := mat.NewDense(2*n, 2*n, nil)
	B.Slice(0, n, 0, n).(*mat.Dense).Copy(M)
	B.Slice(n, 2*n, n, 2*n).(*mat.Dense).Copy(M)
	B.Slice(0, n, n, 2*n).(*mat.Dense).Copy(E)
	var X mat.Dense
	X.Exp(B)
	return mat.DenseCopyOf(X.Slice(0, n, 0, n)), mat.DenseCopyOf(X.Slice(0, n, n, 2*n))
}

func TestSolveLinearExactGradient(t *testing.T) {
	const batch, dim, T = 2, 3, 1.3
	r := rand.New(rand.NewSource(1))
	z0d := randSlice(r, batch*dim, 1)
	Ad := randSlice(r, dim*dim, 0.5)
	for _, gm := range []GradientMethod{Adjoint, Checkpoint} {
		t.Run(gm.String(), func(t *testing.T) {
			g := G.NewGraph()
			z0 := matNode(g, "z0", batch, dim, append([]float64(nil), z0d...))
			A := matNode(g, "A", dim, dim, append([]float64(nil), Ad...))
			zs, err := Solve(z0, &linearDyn{A: A}, []float64{0, T}, WithTol(1e-10, 1e-12), WithGradient(gm))
			if err != nil {
				t.Fatal(err)
			}
			zT := G.Must(G.Slice(zs, G.S(1)))
			Cd := randSlice(rand.New(rand.NewSource(2)), batch*dim, 1)
			C := matNode(g, "C", batch, dim, Cd)
			loss := G.Must(G.Sum(G.Must(G.HadamardProd(zT, C))))
			_, grads := gradsOf(t, loss, G.Nodes{z0, A})

			// Exact: z(T) = z0·expm(A T); dL/dz0 = C·expm(AT)^T; dL/dA_ij = sum(C ∘ z0·L(AT, T E_ij)).
			AT := mat.NewDense(dim, dim, append([]float64(nil), Ad...))
			AT.Scale(T, AT)
			Z0 := mat.NewDense(batch, dim, z0d)
			Cm := mat.NewDense(batch, dim, Cd)
			var eAT mat.Dense
			eAT.Exp(AT)
			var wantZ0 mat.Dense
			wantZ0.Mul(Cm, eAT.T())
			wantA := make([]float64, dim*dim)
			for i := 0; i < dim; i++ {
				for j := 0; j < dim; j++ {
					E := mat.NewDense(dim, dim, nil)
					E.Set(i, j, T)
					_, L := expmFrechet(AT, E)
					var zl mat.Dense
					zl.Mul(Z0, L)
					wantA[i*dim+j] = mat.Sum(elemMul(&zl, Cm))
				}
			}
			if e := relErr(grads[0], wantZ0.RawMatrix().Data); e > 1e-6 {
				t.Errorf("dL/dz0 relative error %.3g > 1e-6: got %v want %v", e, grads[0], wantZ0.RawMatrix().Data)
			}
			if e := relErr(grads[1], wantA); e > 1e-6 {
				t.Errorf("dL/dA relative error %.3g > 1e-6: got %v want %v", e, grads[1], wantA)
			}
		})
	}
}

func elemMul(a, b *mat.Dense) *mat.Dense {
	var c mat.Dense
	c.MulElem(a, b)
	return &c
}

// solveGrads builds a solve of an MLP dynamics with the loss sum(zs ∘ C) and returns
// the loss, the gradients (z0 first, then the parameters), the parameter values, the
// node and C.
func solveGrads(t testing.TB, mk func(g *G.ExprGraph) Dynamics, z0d []float64, batch, dim int, ts []float64, opts ...Option) (float64, [][]float64, [][]float64, *G.Node, []float64) {
	t.Helper()
	g := G.NewGraph()
	z0 := matNode(g, "z0", batch, dim, append([]float64(nil), z0d...))
	f := mk(g)
	zs, err := Solve(z0, f, ts, opts...)
	if err != nil {
		t.Fatal(err)
	}
	loss, c := weightedLoss(t, g, zs, 7)
	l, grads := gradsOf(t, loss, append(G.Nodes{z0}, f.Params()...))
	var theta [][]float64
	for _, p := range f.Params() {
		theta = append(theta, append([]float64(nil), p.Value().Data().([]float64)...))
	}
	return l, grads, theta, zs, c
}

func TestSolveMLPAdjointAgainstFiniteDifferences(t *testing.T) {
	const batch, dim, hidden = 3, 2, 8
	ts := []float64{0, 0.4, 1.1, 1.5}
	z0d := randSlice(rand.New(rand.NewSource(3)), batch*dim, 1)
	var dyn *mlpDyn
	mk := func(g *G.ExprGraph) Dynamics { dyn = newMLPDyn(g, "f", dim, hidden, 4, 1); return dyn }
	tol := []Option{WithTol(1e-11, 1e-12)}
	_, grads, theta, _, c := solveGrads(t, mk, z0d, batch, dim, ts, tol...)
	loss := func() float64 { return forwardLoss(t, dyn, theta, z0d, batch, dim, ts, c, tol...) }
	checkFDGrads(t, grads, z0d, theta, 1e-5, 1e-5, loss)
}

// checkFDGrads compares the gradients with respect to z0 and theta with central finite
// differences of loss (step h): relative error at most tol.
func checkFDGrads(t *testing.T, grads [][]float64, z0d []float64, theta [][]float64, h, tol float64, loss func() float64) {
	t.Helper()
	if e := relErr(grads[0], fdGrad(z0d, h, loss)); e > tol {
		t.Errorf("dL/dz0: relative error %.3g > %g", e, tol)
	}
	for i := range theta {
		if e := relErr(grads[1+i], fdGrad(theta[i], h, loss)); e > tol {
			t.Errorf("dL/dtheta%d: relative error %.3g > %g", i, e, tol)
		}
	}
}

// TestCheckpointExactForDiscreteSolve: the Checkpoint gradient is the exact gradient of the
// discrete solution (steps held fixed), even at loose tolerance and for fixed-step rk4.
func TestCheckpointExactForDiscreteSolve(t *testing.T) {
	const batch, dim, hidden = 3, 2, 8
	ts := []float64{0, 0.3, 0.35, 1.1, 2}
	z0d := randSlice(rand.New(rand.NewSource(5)), batch*dim, 1)
	cases := []struct {
		name string
		opts []Option
	}{
		{"dopri5 rtol 1e-3", []Option{WithTol(1e-3, 1e-3)}},
		{"tsit5 rtol 1e-3", []Option{WithMethod(Tsit5), WithTol(1e-3, 1e-3)}},
		{"bosh3 rtol 1e-3", []Option{WithMethod(Bosh3), WithTol(1e-3, 1e-3)}},
		{"rk4 h 0.1", []Option{WithMethod(RK4), WithStep(0.1)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var dyn *mlpDyn
			mk := func(g *G.ExprGraph) Dynamics { dyn = newMLPDyn(g, "f", dim, hidden, 6, 1.5); return dyn }
			opts := append([]Option{WithGradient(Checkpoint)}, tc.opts...)
			_, grads, theta, zs, c := solveGrads(t, mk, z0d, batch, dim, ts, opts...)
			// Replay the recorded step boundaries for the finite differences.
			tape := zs.Op().(*solveOp).rec.(*checkpointTape)
			grid := append([]float64(nil), tape.t0...)
			last := len(tape.t0) - 1
			grid = append(grid, tape.t0[last]+tape.h[last])
			replay := append(append([]Option{}, tc.opts...), hook(func(c *config) { c.grid = grid }))
			loss := func() float64 { return forwardLoss(t, dyn, theta, z0d, batch, dim, ts, c, replay...) }
			checkFDGrads(t, grads, z0d, theta, 1e-6, 1e-8, loss)
		})
	}
}

func TestAdjointAndCheckpointAgreeAsTolerancesTighten(t *testing.T) {
	const batch, dim, hidden = 4, 3, 16
	ts := []float64{0, 0.5, 1}
	z0d := randSlice(rand.New(rand.NewSource(8)), batch*dim, 1)
	mk := func(g *G.ExprGraph) Dynamics { return newMLPDyn(g, "f", dim, hidden, 9, 1) }
	prev := math.Inf(1)
	for _, tol := range []float64{1e-4, 1e-7, 1e-10} {
		_, ga, _, _, _ := solveGrads(t, mk, z0d, batch, dim, ts, WithTol(tol, tol))
		_, gc, _, _, _ := solveGrads(t, mk, z0d, batch, dim, ts, WithTol(tol, tol), WithGradient(Checkpoint))
		d := 0.0
		for i := range ga {
			d = math.Max(d, relErr(ga[i], gc[i]))
		}
		t.Logf("tol %g: max relative difference adjoint vs checkpoint %.3g", tol, d)
		if d >= prev && d > 1e-12 {
			t.Errorf("tol %g: difference %.3g did not shrink (previous %.3g)", tol, d, prev)
		}
		prev = d
	}
	if prev > 1e-7 {
		t.Errorf("at tol 1e-10 adjoint and checkpoint differ by %.3g", prev)
	}
}

func TestSeminormCutsBackwardNFE(t *testing.T) {
	const batch, dim, hidden = 64, 4, 1024
	ts := []float64{0, 5}
	z0d := randSlice(rand.New(rand.NewSource(10)), batch*dim, 1)
	mk := func(g *G.ExprGraph) Dynamics { return newMLPDyn(g, "f", dim, hidden, 11, 1) }
	tol := WithTol(1e-6, 1e-6)
	_, gFull, _, nFull, _ := solveGrads(t, mk, z0d, batch, dim, ts, tol)
	_, gSemi, _, nSemi, _ := solveGrads(t, mk, z0d, batch, dim, ts, tol, WithSeminorm(true))
	_, bFull, _ := StatsOf(nFull)
	_, bSemi, _ := StatsOf(nSemi)
	t.Logf("backward NFE: full norm %d, seminorm %d (%.0f%% fewer)", bFull.NFE, bSemi.NFE, 100*(1-float64(bSemi.NFE)/float64(bFull.NFE)))
	if float64(bSemi.NFE) > 0.75*float64(bFull.NFE) {
		t.Errorf("seminorm backward NFE %d not 25%% below %d", bSemi.NFE, bFull.NFE)
	}
	_, gRef, _, _, _ := solveGrads(t, mk, z0d, batch, dim, ts, WithTol(1e-10, 1e-10))
	for i := range gRef {
		ef, es := relErr(gFull[i], gRef[i]), relErr(gSemi[i], gRef[i])
		if es > 1e-4 || es > 10*ef+1e-6 {
			t.Errorf("gradient %d: seminorm error %.3g, full-norm error %.3g", i, es, ef)
		}
	}
}

func TestGraphDynamicsMatchesNative(t *testing.T) {
	const batch, dim, hidden = 3, 2, 6
	ts := []float64{0, 0.7, 1.2}
	z0d := randSlice(rand.New(rand.NewSource(12)), batch*dim, 1)
	for _, gm := range []GradientMethod{Adjoint, Checkpoint} {
		ln, gn, _, nn, _ := solveGrads(t, func(g *G.ExprGraph) Dynamics { return newMLPDyn(g, "f", dim, hidden, 13, 1) }, z0d, batch, dim, ts, WithGradient(gm))
		lg, gg, _, ng, _ := solveGrads(t, func(g *G.ExprGraph) Dynamics { return graphMLP(newMLPDyn(g, "f", dim, hidden, 13, 1)) }, z0d, batch, dim, ts, WithGradient(gm))
		if math.Abs(ln-lg) > 1e-10*math.Abs(ln) {
			t.Errorf("%v: loss native %v graph %v", gm, ln, lg)
		}
		for i := range gn {
			if e := relErr(gg[i], gn[i]); e > 1e-10 {
				t.Errorf("%v: gradient %d differs by %.3g", gm, i, e)
			}
		}
		fn, bn, _ := StatsOf(nn)
		fg, bg, _ := StatsOf(ng)
		if fn != fg || bn != bg {
			t.Errorf("%v: stats differ: native %+v %+v graph %+v %+v", gm, fn, bn, fg, bg)
		}
	}
}

func TestLispMachineGradients(t *testing.T) {
	const batch, dim, hidden = 2, 2, 5
	ts := []float64{0, 1}
	z0d := randSlice(rand.New(rand.NewSource(14)), batch*dim, 1)
	_, want, _, _, _ := solveGrads(t, func(g *G.ExprGraph) Dynamics { return newMLPDyn(g, "f", dim, hidden, 15, 1) }, z0d, batch, dim, ts)

	g := G.NewGraph()
	z0 := matNode(g, "z0", batch, dim, append([]float64(nil), z0d...))
	f := newMLPDyn(g, "f", dim, hidden, 15, 1)
	zs, err := Solve(z0, f, ts)
	if err != nil {
		t.Fatal(err)
	}
	loss, _ := weightedLoss(t, g, zs, 7)
	m := G.NewLispMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	for i, n := range append(G.Nodes{z0}, f.Params()...) {
		gv, err := n.Grad()
		if err != nil {
			t.Fatalf("node %v: %v", n, err)
		}
		if e := relErr(gv.Data().([]float64), want[i]); e > 1e-12 {
			t.Errorf("LispMachine gradient %d differs from TapeMachine by %.3g", i, e)
		}
	}
	_ = loss
}

func TestSolveFloat32(t *testing.T) {
	const batch, dim = 2, 2
	g := G.NewGraph()
	z0 := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, dim), G.WithName("z0"),
		G.WithValue(tensor.New(tensor.WithShape(batch, dim), tensor.WithBacking([]float32{1, 0, 0, 1}))))
	A := G.NewMatrix(g, tensor.Float32, G.WithShape(dim, dim), G.WithName("A"),
		G.WithValue(tensor.New(tensor.WithShape(dim, dim), tensor.WithBacking([]float32{-0.5, 0, 0, -1}))))
	zs, err := Solve(z0, &linearDyn{A: A}, []float64{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Sum(zs))
	gs, err := G.Grad(loss, A)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	out := zs.Value().Data().([]float32)
	want := []float32{1, 0, 0, 1, float32(math.Exp(-0.5)), 0, 0, float32(math.Exp(-1))}
	for i := range out {
		if math.Abs(float64(out[i]-want[i])) > 1e-6 {
			t.Fatalf("float32 solve: got %v want %v", out, want)
		}
	}
	// d sum(z(1)) / dA_00 = d/da e^a at a=-0.5 for the first row (z0 = e_1): e^-0.5.
	if got := gs[0].Value().Data().([]float32)[0]; math.Abs(float64(got)-math.Exp(-0.5)) > 1e-5 {
		t.Errorf("float32 gradient dA00 = %v, want %v", got, math.Exp(-0.5))
	}
}

func TestSolveBadInput(t *testing.T) {
	g := G.NewGraph()
	vec := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("v"), G.WithInit(G.Zeroes()))
	z0 := matNode(g, "z0", 2, 3, make([]float64, 6))
	A := matNode(g, "A", 3, 3, make([]float64, 9))
	Abad := matNode(g, "Abad", 2, 2, make([]float64, 4))
	cases := []struct {
		name string
		run  func() error
		want error
	}{
		{"z0 not a matrix", func() error { _, err := Solve(vec, &linearDyn{A: A}, []float64{0, 1}); return err }, ErrShape},
		{"param shape", func() error { _, err := Solve(z0, &linearDyn{A: Abad}, []float64{0, 1}); return err }, ErrShape},
		{"empty ts", func() error { _, err := Solve(z0, &linearDyn{A: A}, nil); return err }, ErrTimes},
		{"non-monotone ts", func() error { _, err := Solve(z0, &linearDyn{A: A}, []float64{0, 1, 0.5}); return err }, ErrTimes},
		{"NaN ts", func() error { _, err := Solve(z0, &linearDyn{A: A}, []float64{0, math.NaN()}); return err }, ErrTimes},
		{"bad tol", func() error { _, err := Solve(z0, &linearDyn{A: A}, []float64{0, 1}, WithTol(-1, 1e-9)); return err }, ErrTolerance},
		{"bad method", func() error { _, err := Solve(z0, &linearDyn{A: A}, []float64{0, 1}, WithMethod("nope")); return err }, ErrMethod},
		{"seminorm with checkpoint", func() error {
			_, err := Solve(z0, &linearDyn{A: A}, []float64{0, 1}, WithGradient(Checkpoint), WithSeminorm(true))
			return err
		}, ErrOption},
		{"graph dynamics wrong shape", func() error {
			f := NewGraphDynamics(G.Nodes{A}, func(t, z *G.Node, ps G.Nodes) (*G.Node, error) {
				return G.Sum(z, 1) // (batch) instead of (batch, dim)
			})
			_, err := Solve(z0, f, []float64{0, 1})
			return err
		}, ErrShape},
	}
	for _, tc := range cases {
		err := tc.run()
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: error %q does not wrap %q", tc.name, err, tc.want)
		}
	}
}

func TestSolveRunErrors(t *testing.T) {
	// Finite-time blow-up: dz/dt = z^2 from z0 = 1 explodes at t = 1.
	g := G.NewGraph()
	z0 := matNode(g, "z0", 1, 1, []float64{1})
	f := NewGraphDynamics(nil, func(t, z *G.Node, ps G.Nodes) (*G.Node, error) { return G.Square(z) })
	zs, err := Solve(z0, f, []float64{0, 2}, WithMaxSteps(500))
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	err = m.RunAll()
	if err == nil {
		t.Fatalf("blow-up: RunAll returned no error; zs = %v", zs.Value())
	}
	if err = Cause(err); !errors.Is(err, ErrMaxSteps) && !errors.Is(err, ErrUnderflow) && !errors.Is(err, ErrNonFinite) {
		t.Errorf("blow-up: unexpected error %v", err)
	}

	// NaN in z0 at run time.
	g2 := G.NewGraph()
	z02 := matNode(g2, "z0", 1, 2, []float64{math.NaN(), 1})
	A := matNode(g2, "A", 2, 2, []float64{1, 0, 0, 1})
	if _, err := Solve(z02, &linearDyn{A: A}, []float64{0, 1}); err != nil {
		t.Fatal(err)
	}
	m2 := G.NewTapeMachine(g2)
	defer m2.Close()
	if err := m2.RunAll(); !errors.Is(Cause(err), ErrState) {
		t.Errorf("NaN z0: got %v, want ErrState", err)
	}
}

// TestTrainingReducesLoss: an ODE node followed by a linear head learns a synthetic
// target with Adam; the loss falls by 10x.
func TestTrainingReducesLoss(t *testing.T) {
	const batch, dim, hidden = 16, 2, 16
	r := rand.New(rand.NewSource(20))
	x := randSlice(r, batch*dim, 1)
	y := make([]float64, batch)
	for b := 0; b < batch; b++ {
		y[b] = math.Sin(x[b*dim]) + 0.5*x[b*dim+1]*x[b*dim+1]
	}
	g := G.NewGraph()
	z0 := matNode(g, "x", batch, dim, x)
	f := newMLPDyn(g, "f", dim, hidden, 21, 0.5)
	zs, err := Solve(z0, f, []float64{0, 1}, WithTol(1e-5, 1e-5))
	if err != nil {
		t.Fatal(err)
	}
	zT := G.Must(G.Slice(zs, G.S(1)))
	Wh := matNode(g, "Wh", dim, 1, randSlice(r, dim, 0.5))
	bh := G.NewScalar(g, tensor.Float64, G.WithName("bh"), G.WithValue(0.0))
	pred := G.Must(G.Add(G.Must(G.Mul(zT, Wh)), bh))
	Y := matNode(g, "y", batch, 1, y)
	loss := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(pred, Y))))))
	learn := append(f.Params(), Wh, bh)
	if _, err := G.Grad(loss, learn...); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(learn...))
	defer m.Close()
	solver := G.NewAdamSolver(G.WithLearnRate(0.02))
	var first, last float64
	for it := 0; it < 300; it++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		l := loss.Value().Data().(float64)
		if it == 0 {
			first = l
		}
		last = l
		if err := solver.Step(G.NodesToValueGrads(learn)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("loss %.4g -> %.4g", first, last)
	if last > first/10 {
		t.Errorf("loss fell from %.4g to %.4g, less than 10x", first, last)
	}
}

// TestGraphDynamicsVJPValue: the f returned by the graph path's VJP is f(t, z) even when
// the network ends in tanh (whose Gorgonia gradient overwrites its output in place).
func TestGraphDynamicsVJPValue(t *testing.T) {
	g := G.NewGraph()
	W := matNode(g, "W", 3, 3, randSlice(rand.New(rand.NewSource(30)), 9, 1))
	f := NewGraphDynamics(G.Nodes{W}, func(t, z *G.Node, ps G.Nodes) (*G.Node, error) {
		return G.Tanh(G.Must(G.Mul(G.Must(G.Tanh(z)), ps[0])))
	})
	ev, err := f.Bind([][]float64{W.Value().Data().([]float64)}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	z := []float64{0.3, -1, 2, 0.5, 0.1, -0.7}
	a := []float64{1, 2, 3, -1, 0.5, 0.25}
	want := make([]float64, 6)
	ev.Eval(want, 0, z)
	got := make([]float64, 6)
	ev.VJP(got, make([]float64, 6), make([]float64, 9), 0, z, a)
	if e := relErr(got, want); e > 1e-15 {
		t.Errorf("VJP's f %v, Eval %v", got, want)
	}
}
