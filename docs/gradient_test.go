package docs_test

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// gradProblem is a small MLP dynamics (2 -> 8 tanh -> 2) on a batch of 3 states with the
// loss sum(zs ∘ C) over five output times.
type gradProblem struct {
	batch, dim int
	ts         []float64
	z0, c      []float64
	mlp        *layers.MLP
}

func newGradProblem(t testing.TB, scale float64) *gradProblem {
	p := &gradProblem{batch: 3, dim: 2, ts: []float64{0, 0.3, 0.35, 1.1, 2}}
	rng := rand.New(rand.NewPCG(5, 1))
	p.z0 = make([]float64, p.batch*p.dim)
	for i := range p.z0 {
		p.z0[i] = 2*rng.Float64() - 1
	}
	p.c = make([]float64, len(p.ts)*p.batch*p.dim)
	for i := range p.c {
		p.c[i] = 2*rng.Float64() - 1
	}
	var err error
	p.mlp, err = layers.NewMLP(G.NewGraph(), "f", layers.Spec{In: 2, Layers: []layers.LayerSpec{
		layers.Linear(8, layers.Tanh), layers.Linear(2, nil)}, Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range p.mlp.Values() {
		for i := range v {
			v[i] *= scale
		}
	}
	return p
}

// grads returns the loss's gradient with respect to z0 and to every parameter of the MLP,
// flattened, through odeop.Solve with opts.
func (p *gradProblem) grads(t testing.TB, opts ...odeop.Option) (grad []float64, fwd, bwd odeop.Stats) {
	grad, fwd, bwd, _ = p.gradsMem(t, opts...)
	return grad, fwd, bwd
}

// gradsMem is grads that also returns the bytes one more run of the machine (forward
// and backward, the graph already built) allocates.
func (p *gradProblem) gradsMem(t testing.TB, opts ...odeop.Option) (grad []float64, fwd, bwd odeop.Stats, mem uint64) {
	t.Helper()
	vm, wrt, zs := p.build(t, opts...)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	for _, n := range wrt {
		gv, err := n.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grad = append(grad, gv.Data().([]float64)...)
	}
	fwd, bwd, _ = odeop.StatsOf(zs)
	mem = allocated(func() {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
	})
	return grad, fwd, bwd, mem
}

// runner returns a function that runs the graph of grads once more (forward and
// gradient); the machine is closed at the end of the test or benchmark.
func (p *gradProblem) runner(t testing.TB, opts ...odeop.Option) func() {
	vm, _, _ := p.build(t, opts...)
	if c, ok := t.(interface{ Cleanup(func()) }); ok {
		c.Cleanup(func() { vm.Close() })
	}
	return func() {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
}

// build makes the graph of grads: the solve, the loss and its gradient, and a machine.
func (p *gradProblem) build(t testing.TB, opts ...odeop.Option) (G.VM, G.Nodes, *G.Node) {
	t.Helper()
	g := G.NewGraph()
	mlp, err := layers.NewMLP(g, "f", layers.Spec{In: p.dim, Layers: p.mlp.Layers()})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range p.mlp.Values() {
		copy(mlp.Values()[i], v)
	}
	z0 := G.NewMatrix(g, tensor.Float64, G.WithShape(p.batch, p.dim), G.WithName("z0"),
		G.WithValue(tensor.New(tensor.WithShape(p.batch, p.dim), tensor.WithBacking(append([]float64(nil), p.z0...)))))
	zs, err := odeop.Solve(z0, mlp, p.ts, opts...)
	if err != nil {
		t.Fatal(err)
	}
	c := G.NewTensor(g, tensor.Float64, 3, G.WithShape(len(p.ts), p.batch, p.dim), G.WithName("c"),
		G.WithValue(tensor.New(tensor.WithShape(len(p.ts), p.batch, p.dim), tensor.WithBacking(p.c))))
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(zs, c))))
	wrt := append(G.Nodes{z0}, mlp.Params()...)
	if _, err := G.Grad(loss, wrt...); err != nil {
		t.Fatal(err)
	}
	return G.NewTapeMachine(g, G.BindDualValues(wrt...)), wrt, zs
}

// loss is the same loss computed by odeop.Integrate, the way a user checks a gradient.
func (p *gradProblem) loss(t testing.TB, z0 []float64, theta [][]float64, opts ...odeop.Option) float64 {
	t.Helper()
	net, err := p.mlp.NewNet(theta, p.batch)
	if err != nil {
		t.Fatal(err)
	}
	sol, err := odeop.Integrate(func(tm float64, y, dy []float64) { net.Forward(dy, tm, y) }, z0, p.ts, opts...)
	if err != nil {
		t.Fatal(err)
	}
	l := 0.0
	for i, y := range sol.Ys {
		for j, v := range y {
			l += v * p.c[i*len(y)+j]
		}
	}
	return l
}

// fdGrad is the central finite-difference gradient of the Integrate loss with step h,
// in the order of grads.
func (p *gradProblem) fdGrad(t testing.TB, h float64, opts ...odeop.Option) []float64 {
	z0 := append([]float64(nil), p.z0...)
	var theta [][]float64
	for _, v := range p.mlp.Values() {
		theta = append(theta, append([]float64(nil), v...))
	}
	var fd []float64
	for _, x := range append([][]float64{z0}, theta...) {
		for i := range x {
			x0 := x[i]
			x[i] = x0 + h
			lp := p.loss(t, z0, theta, opts...)
			x[i] = x0 - h
			lm := p.loss(t, z0, theta, opts...)
			x[i] = x0
			fd = append(fd, (lp-lm)/(2*h))
		}
	}
	return fd
}

func relErr(got, want []float64) float64 {
	var num, den float64
	for i := range got {
		num += (got[i] - want[i]) * (got[i] - want[i])
		den += want[i] * want[i]
	}
	return math.Sqrt(num / den)
}

// TestCheckpointAgainstFiniteDifferencesOfIntegrate measures what a user sees who checks
// the Checkpoint gradient of an adaptive solve by finite differences of Integrate at the
// same tolerance: Checkpoint differentiates the discrete solve with its step sizes held
// constant (as torchdiffeq's and diffrax's backpropagation through the solver do), while
// the finite differences also see the steps move with the parameters. The figures of the
// README's gradient guide come from this test (go test ./docs -run
// TestCheckpointAgainstFiniteDifferencesOfIntegrate -v).
func TestCheckpointAgainstFiniteDifferencesOfIntegrate(t *testing.T) {
	for _, scale := range []float64{1, 3} {
		p := newGradProblem(t, scale)
		t.Logf("weights x%g", scale)
		checkpointAgainstFD(t, p, scale == 1)
	}
}

// checkpointAgainstFD logs the comparisons; strict checks the errors against the exact
// gradient (the weights x3 case is too hard for rtol 1e-3, which is the point of
// logging it).
func checkpointAgainstFD(t *testing.T, p *gradProblem, strict bool) {
	exact, _, _ := p.grads(t, odeop.WithTol(1e-12, 1e-12))
	for _, tol := range []float64{1e-3, 1e-6} {
		opts := []odeop.Option{odeop.WithTol(tol, tol)}
		ck, _, _ := p.grads(t, append(opts, odeop.WithGradient(odeop.Checkpoint))...)
		adj, _, _ := p.grads(t, opts...)
		for _, h := range []float64{1e-4, 1e-6} {
			fd := p.fdGrad(t, h, opts...)
			t.Logf("rtol=atol %g, h %g: |checkpoint - fd|/|fd| %.2g, |adjoint - fd|/|fd| %.2g", tol, h, relErr(ck, fd), relErr(adj, fd))
		}
		eck, eadj := relErr(ck, exact), relErr(adj, exact)
		t.Logf("rtol=atol %g: error against the exact ODE gradient: checkpoint %.2g, adjoint %.2g", tol, eck, eadj)
		// Both are gradients of a solve with error of the order of tol.
		if strict && (eck > 100*tol || eadj > 100*tol) {
			t.Errorf("tol %g: gradient errors %.3g (checkpoint), %.3g (adjoint)", tol, eck, eadj)
		}
	}
	// Steps held fixed: with a fixed-step method the finite differences of Integrate are
	// the gradient of the same discrete solve, and Checkpoint agrees with them closely.
	rk4 := []odeop.Option{odeop.WithMethod(odeop.RK4), odeop.WithStep(0.1)}
	ck, _, _ := p.grads(t, append(rk4, odeop.WithGradient(odeop.Checkpoint))...)
	fd := p.fdGrad(t, 1e-5, rk4...)
	e := relErr(ck, fd)
	t.Logf("rk4 h 0.1: |checkpoint - fd|/|fd| %.2g", e)
	if e > 1e-8 {
		t.Errorf("rk4: checkpoint against finite differences %.3g > 1e-8", e)
	}
}
