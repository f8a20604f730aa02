package odeop

import (
	"errors"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gravityDyn is free flight under a learnable gravity g (shape (1)): each row is
// [positions..., velocities...] with the last position coordinate vertical.
type gravityDyn struct{ G *G.Node }

func (d *gravityDyn) Params() G.Nodes { return G.Nodes{d.G} }
func (d *gravityDyn) Check(batch, dim int) error {
	return nil
}
func (d *gravityDyn) Bind(theta [][]float64, batch, dim int) (Evaluator, error) {
	return &gravityEval{g: theta[0], dim: dim}, nil
}

type gravityEval struct {
	g   []float64
	dim int
}

func (e *gravityEval) Eval(dst []float64, _ float64, z []float64) {
	d, h := e.dim, e.dim/2
	for r := 0; r < len(z)/d; r++ {
		row, out := z[r*d:(r+1)*d], dst[r*d:(r+1)*d]
		copy(out[:h], row[h:])
		clear(out[h:])
		out[d-1] = -e.g[0]
	}
}

func (e *gravityEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	if f != nil {
		e.Eval(f, t, z)
	}
	d, h := e.dim, e.dim/2
	if dtheta != nil {
		dtheta[0] = 0
	}
	for r := 0; r < len(z)/d; r++ {
		ar := a[r*d : (r+1)*d]
		if dz != nil {
			out := dz[r*d : (r+1)*d]
			clear(out[:h])
			copy(out[h:], ar[:h])
		}
		if dtheta != nil {
			dtheta[0] -= ar[d-1]
		}
	}
}

// heightEvent is g = z[dim/2 - 1] (the height) on every row.
func heightEvent(dim int) RowEvent {
	k := dim/2 - 1
	return RowEvent{
		G: func(_ float64, z []float64) float64 { return z[k] },
		Grad: func(dz []float64, _ float64, z []float64) float64 {
			clear(dz)
			dz[k] = 1
			return 0
		},
	}
}

func scalarNode(g *G.ExprGraph, name string, v float64) *G.Node {
	return G.NewTensor(g, tensor.Float64, 1, G.WithShape(1), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{v}))))
}

// TestSolveEventDropGradients: a ball dropped from h under gravity g lands at
// t* = sqrt(2h/g): dt*/dh = 1/(g t*), dt*/dg = -t*/(2g), through the adjoint and Checkpoint.
func TestSolveEventDropGradients(t *testing.T) {
	const h, grav = 2.0, 9.81
	for _, gm := range GradientMethods() {
		g := G.NewGraph()
		z0 := matNode(g, "z0", 1, 2, []float64{h, 0})
		gn := scalarNode(g, "g", grav)
		ts, _, err := SolveEvent(z0, &gravityDyn{G: gn}, 0, heightEvent(2), WithTol(1e-10, 1e-12), WithDirection(Falling),
			WithGradient(gm), WithEventTol(1e-13))
		if err != nil {
			t.Fatal(err)
		}
		loss := G.Must(G.Sum(ts))
		tv, grads := gradsOf(t, loss, G.Nodes{z0, gn})
		want := math.Sqrt(2 * h / grav)
		dh, dg := 1/(grav*want), -want/(2*grav)
		if math.Abs(tv-want) > 1e-12 {
			t.Errorf("%v: t* = %.16g, want %.16g", gm, tv, want)
		}
		if e := math.Abs(grads[0][0]-dh) / math.Abs(dh); e > 1e-8 {
			t.Errorf("%v: dt*/dh = %.12g, want %.12g (rel %.2g)", gm, grads[0][0], dh, e)
		}
		if e := math.Abs(grads[1][0]-dg) / math.Abs(dg); e > 1e-8 {
			t.Errorf("%v: dt*/dg = %.12g, want %.12g (rel %.2g)", gm, grads[1][0], dg, e)
		}
		t.Logf("%v: dt*/dh rel err %.2g, dt*/dg rel err %.2g", gm, math.Abs(grads[0][0]-dh)/dh, math.Abs((grads[1][0]-dg)/dg))
	}
}

// TestSolveEventProjectile: launched at angle a with speed s from the ground, a projectile
// lands at T = 2 s sin(a)/g with range R = s^2 sin(2a)/g; the loss T + R/10 uses both
// outputs (R is x of the state at the event), its gradients against the closed form.
func TestSolveEventProjectile(t *testing.T) {
	const a0, s0, grav = 0.7, 3.0, 9.81
	for _, gm := range GradientMethods() {
		g := G.NewGraph()
		an, sn := scalarNode(g, "angle", a0), scalarNode(g, "speed", s0)
		gn := scalarNode(g, "g", grav)
		zero := scalarNode(g, "zero", 0)
		vx := G.Must(G.HadamardProd(sn, G.Must(G.Cos(an))))
		vy := G.Must(G.HadamardProd(sn, G.Must(G.Sin(an))))
		z0 := G.Must(G.Reshape(G.Must(G.Concat(0, zero, zero, vx, vy)), tensor.Shape{1, 4}))
		ts, zs, err := SolveEvent(z0, &gravityDyn{G: gn}, 0, heightEvent(4), WithTol(1e-10, 1e-12), WithDirection(Falling), WithGradient(gm))
		if err != nil {
			t.Fatal(err)
		}
		R := G.Must(G.Slice(zs, G.S(0), G.S(0)))
		loss := G.Must(G.Add(G.Must(G.Sum(ts)), G.Must(G.Mul(R, G.NewConstant(0.1)))))
		lv, grads := gradsOf(t, loss, G.Nodes{an, sn})
		for _, n := range []*G.Node{ts, zs} {
			fwd, bwd, ok := EventStatsOf(n)
			if !ok || fwd.Steps == 0 || bwd.NFE <= fwd.NFE {
				t.Errorf("%v: EventStatsOf: %+v %+v %v, want forward steps and a backward with more evaluations", gm, fwd, bwd, ok)
			}
		}
		for _, n := range []*G.Node{loss, R} {
			if _, _, ok := EventStatsOf(n); ok {
				t.Errorf("EventStatsOf(%v) ok, want false for a node that is not an output of SolveEvent", n)
			}
		}
		T := 2 * s0 * math.Sin(a0) / grav
		Rw := s0 * s0 * math.Sin(2*a0) / grav
		dA := 2*s0*math.Cos(a0)/grav + 0.1*2*s0*s0*math.Cos(2*a0)/grav
		dS := 2*math.Sin(a0)/grav + 0.1*2*s0*math.Sin(2*a0)/grav
		if math.Abs(lv-(T+0.1*Rw)) > 1e-9 {
			t.Errorf("%v: loss %.15g, want %.15g", gm, lv, T+0.1*Rw)
		}
		eA, eS := math.Abs(grads[0][0]-dA)/math.Abs(dA), math.Abs(grads[1][0]-dS)/math.Abs(dS)
		if eA > 1e-8 || eS > 1e-8 {
			t.Errorf("%v: d/dangle %.12g want %.12g (rel %.2g), d/dspeed %.12g want %.12g (rel %.2g)", gm, grads[0][0], dA, eA, grads[1][0], dS, eS)
		}
		t.Logf("%v: rel err angle %.2g speed %.2g", gm, eA, eS)
	}
}

// TestSolveEventNoEventAndErrors: a row that never fires outputs the maximum time and its
// state there (dz*/dh = 1, dt*/dh = 0); a NaN of the event function is an ErrEvent from
// RunAll; bad arguments are refused at construction.
func TestSolveEventNoEventAndErrors(t *testing.T) {
	g := G.NewGraph()
	z0 := matNode(g, "z0", 1, 2, []float64{2, 0})
	gn := scalarNode(g, "g", 9.81)
	never := RowEvent{G: func(_ float64, z []float64) float64 { return z[0] + 100 },
		Grad: func(dz []float64, _ float64, _ []float64) float64 { dz[0], dz[1] = 1, 0; return 0 }}
	ts, zs, err := SolveEvent(z0, &gravityDyn{G: gn}, 0, never, WithMaxTime(1))
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Add(G.Must(G.Sum(ts)), G.Must(G.Slice(zs, G.S(0), G.S(0)))))
	lv, grads := gradsOf(t, loss, G.Nodes{z0, gn})
	if want := 1 + 2 - 9.81/2; math.Abs(lv-want) > 1e-9 {
		t.Errorf("no event: loss %.12g, want t = 1 plus z(1) = %.12g", lv, want)
	}
	if math.Abs(grads[0][0]-1) > 1e-9 || math.Abs(grads[1][0]+0.5) > 1e-9 {
		t.Errorf("no event: dL/dh %g (want 1), dL/dg %g (want -0.5)", grads[0][0], grads[1][0])
	}

	g2 := G.NewGraph()
	z2 := matNode(g2, "z0", 1, 2, []float64{2, 0})
	bad := RowEvent{G: func(tt float64, z []float64) float64 {
		if tt > 0.1 {
			return math.NaN()
		}
		return z[0]
	}, Grad: never.Grad}
	if _, _, err := SolveEvent(z2, &gravityDyn{G: scalarNode(g2, "g", 9.81)}, 0, bad); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g2)
	defer m.Close()
	if err := m.RunAll(); !errors.Is(Cause(err), ErrEvent) {
		t.Errorf("NaN event: err %v, want ErrEvent", err)
	}
	if _, _, err := SolveEvent(z2, &gravityDyn{}, 0, nil); !errors.Is(err, ErrEvent) {
		t.Errorf("nil event: %v", err)
	}
	if _, _, err := SolveEvent(z2, &gravityDyn{}, 0, never, WithMethod(RK4), WithStep(0.1)); !errors.Is(err, ErrOption) {
		t.Errorf("fixed step without max time: %v", err)
	}
	if _, _, err := SolveEvent(z2, &gravityDyn{}, math.Inf(1), never); !errors.Is(err, ErrTimes) {
		t.Errorf("infinite t0: %v", err)
	}
	if _, err := Solve(z2, &gravityDyn{}, []float64{0, 1}, WithMaxTime(1)); !errors.Is(err, ErrOption) {
		t.Errorf("Solve with WithMaxTime: %v", err)
	}
}

// TestSolveEventFloat32: a float32 graph: the drop time and its gradient, narrowed.
func TestSolveEventFloat32(t *testing.T) {
	g := G.NewGraph()
	z0 := G.NewMatrix(g, tensor.Float32, G.WithShape(1, 2), G.WithName("z0"),
		G.WithValue(tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float32{2, 0}))))
	gn := G.NewTensor(g, tensor.Float32, 1, G.WithShape(1), G.WithName("g"),
		G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float32{9.81}))))
	ts, _, err := SolveEvent(z0, &gravityDyn{G: gn}, 0, heightEvent(2), WithDirection(Falling))
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Sum(ts))
	gr, err := G.Grad(loss, z0)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := math.Sqrt(2 * 2 / 9.81)
	got := float64(loss.Value().Data().(float32))
	dh := float64(gr[0].Value().Data().([]float32)[0])
	if math.Abs(got-want) > 1e-6 || math.Abs(dh-1/(9.81*want)) > 1e-5 {
		t.Errorf("float32: t* = %g (want %g), dt*/dh = %g (want %g)", got, want, dh, 1/(9.81*want))
	}
}

// TestSolveEventTangentError: where dg/dt + dg/dz . f is 0 at the root (here an event
// whose gradient says so), the backward pass is an ErrEvent naming the row.
func TestSolveEventTangentError(t *testing.T) {
	g := G.NewGraph()
	z0 := matNode(g, "z0", 1, 2, []float64{2, 0})
	flat := RowEvent{G: func(tt float64, _ []float64) float64 { return tt - 0.5 },
		Grad: func(dz []float64, _ float64, _ []float64) float64 { clear(dz); return 0 }}
	ts, _, err := SolveEvent(z0, &gravityDyn{G: scalarNode(g, "g", 9.81)}, 0, flat)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(G.Must(G.Sum(ts)), z0); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); !errors.Is(Cause(err), ErrEvent) {
		t.Errorf("tangent crossing: err %v, want ErrEvent", err)
	}
}
