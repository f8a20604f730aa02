package layers

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var allActs = []Builtin{Identity, Tanh, Softplus, Sigmoid, ELU, Swish, Sin}

// netCase is one network configuration of the tests.
type netCase struct {
	name string
	in   int
	ls   []LayerSpec
}

// netCases covers every layer kind with every activation, alone and stacked.
func netCases() []netCase {
	var cs []netCase
	for _, a := range allActs {
		cs = append(cs,
			netCase{"Linear/" + a.String(), 3, []LayerSpec{Linear(5, a)}},
			netCase{"ConcatLinear/" + a.String(), 3, []LayerSpec{ConcatLinear(4, a)}},
			netCase{"ConcatSquash/" + a.String(), 2, []LayerSpec{ConcatSquash(5, a)}},
		)
	}
	cs = append(cs,
		netCase{"N1", 4, []LayerSpec{Linear(32, Softplus), Linear(4, Tanh)}},
		netCase{"N3", 2, []LayerSpec{ConcatLinear(64, Tanh), ConcatLinear(64, Tanh), ConcatLinear(2, nil)}},
		netCase{"FFJORD", 3, []LayerSpec{ConcatSquash(16, Softplus), ConcatSquash(16, Swish), ConcatSquash(3, nil)}},
		netCase{"mixed", 5, []LayerSpec{Linear(9, ELU), ConcatSquash(7, Sin), ConcatLinear(11, Sigmoid), Linear(5, Tanh)}},
		netCase{"wide", 12, []LayerSpec{Linear(40, Tanh), Linear(33, Swish), Linear(12, nil)}},
	)
	return cs
}

func newTestMLP(t testing.TB, c netCase, seed uint64) *MLP {
	t.Helper()
	m, err := NewMLP(G.NewGraph(), "f", Spec{In: c.in, Layers: c.ls, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	// Glorot leaves biases at zero; give them values so that their gradients are tested
	// away from any symmetry.
	rng := rand.New(rand.NewPCG(seed, 99))
	for i, v := range m.Values() {
		if m.params[i].Dims() == 1 {
			for j := range v {
				v[j] = 0.5 * rng.NormFloat64()
			}
		}
	}
	return m
}

func randSlice(rng *rand.Rand, n int, scale float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = scale * rng.NormFloat64()
	}
	return s
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// fdCheck compares an analytic gradient with central differences of phi along every
// coordinate of x (perturbed in place and restored). It reports the relative error
// max_i |fd_i - an_i| / max(max_i |an_i|, 1e-3).
func fdCheck(x, an []float64, phi func() float64) (relErr float64, worst int) {
	scale := 1e-3
	for _, v := range an {
		scale = math.Max(scale, math.Abs(v))
	}
	for i := range x {
		x0 := x[i]
		h := 1e-5 * math.Max(1, math.Abs(x0))
		x[i] = x0 + h
		fp := phi()
		x[i] = x0 - h
		fm := phi()
		x[i] = x0
		fd := (fp - fm) / (2 * h)
		if e := math.Abs(fd-an[i]) / scale; e > relErr {
			relErr, worst = e, i
		}
	}
	return relErr, worst
}

// TestVJPFiniteDifferences checks a^T df/dz and a^T df/dtheta of every configuration
// against central differences of a·f, for several batch sizes.
func TestVJPFiniteDifferences(t *testing.T) {
	for ci, c := range netCases() {
		for _, batch := range []int{1, 3, 8} {
			t.Run(fmt.Sprintf("%s/batch%d", c.name, batch), func(t *testing.T) {
				m := newTestMLP(t, c, uint64(ci+1))
				net, err := m.NewNet(m.Values(), batch)
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(uint64(ci), uint64(batch)))
				z := randSlice(rng, batch*m.In(), 1)
				a := randSlice(rng, batch*m.Out(), 1)
				tt := 0.7
				f := make([]float64, batch*m.Out())
				dz := make([]float64, len(z))
				dth := make([]float64, m.NumParams())
				net.VJP(f, dz, dth, tt, z, a)

				y := make([]float64, len(f))
				net.Forward(y, tt, z)
				for i := range y {
					if y[i] != f[i] {
						t.Fatalf("VJP's f[%d] = %g, Forward gives %g", i, f[i], y[i])
					}
				}
				phi := func() float64 {
					net.Forward(y, tt, z)
					return dot(a, y)
				}
				const tol = 1e-7
				if e, i := fdCheck(z, dz, phi); e > tol {
					t.Errorf("dz: relative error %.3g at %d (analytic %g)", e, i, dz[i])
				}
				off := 0
				for k, th := range m.Values() {
					an := dth[off : off+len(th)]
					off += len(th)
					if e, i := fdCheck(th, an, phi); e > tol {
						t.Errorf("d %s: relative error %.3g at %d (analytic %g)", m.params[k].Name(), e, i, an[i])
					}
				}

				// Each destination is optional, and the results do not depend on which are
				// asked for.
				dz2 := make([]float64, len(z))
				dth2 := make([]float64, len(dth))
				net.VJP(nil, dz2, nil, tt, z, a)
				net.VJP(nil, nil, dth2, tt, z, a)
				for i := range dz {
					if dz2[i] != dz[i] {
						t.Fatalf("dz alone differs at %d: %g vs %g", i, dz2[i], dz[i])
					}
				}
				for i := range dth {
					if dth2[i] != dth[i] {
						t.Fatalf("dtheta alone differs at %d: %g vs %g", i, dth2[i], dth[i])
					}
				}
			})
		}
	}
}

// TestActivationDerivatives checks Deriv and Deriv2 of every activation against central
// differences of Apply and Deriv, and MulDeriv against Deriv.
func TestActivationDerivatives(t *testing.T) {
	var xs []float64
	for x := -6.0; x <= 6; x += 0.173 {
		xs = append(xs, x)
	}
	xs = append(xs, -30, -15, 15, 19.5, 25, 1e-3, -1e-3)
	n := len(xs)
	for _, act := range allActs {
		y := make([]float64, n)
		d := make([]float64, n)
		d2 := make([]float64, n)
		act.Apply(y, xs)
		act.Deriv(d, xs, y)
		act.Deriv2(d2, xs, y)
		g := make([]float64, n)
		for i := range g {
			g[i] = float64(i + 1)
		}
		act.MulDeriv(g, xs, y)
		at := func(x float64) (float64, float64) {
			yy, dd := []float64{0}, []float64{0}
			act.Apply(yy, []float64{x})
			act.Deriv(dd, []float64{x}, yy)
			return yy[0], dd[0]
		}
		for i, x := range xs {
			if g[i] != float64(i+1)*d[i] {
				t.Errorf("%v: MulDeriv at %g = %g, want %g", act, x, g[i], float64(i+1)*d[i])
			}
			if act == ELU && math.Abs(x) < 1e-2 {
				continue // the kink
			}
			h := 1e-6 * math.Max(1, math.Abs(x))
			yp, dp := at(x + h)
			ym, dm := at(x - h)
			if e := math.Abs((yp-ym)/(2*h) - d[i]); e > 1e-8*math.Max(1, math.Abs(d[i])) {
				t.Errorf("%v: Deriv(%g) = %.15g, differences give %.15g", act, x, d[i], (yp-ym)/(2*h))
			}
			if e := math.Abs((dp-dm)/(2*h) - d2[i]); e > 1e-7*math.Max(1, math.Abs(d2[i])) {
				t.Errorf("%v: Deriv2(%g) = %.15g, differences give %.15g", act, x, d2[i], (dp-dm)/(2*h))
			}
		}
	}
}

// TestActivationValues compares the fast activations with package math.
func TestActivationValues(t *testing.T) {
	ref := map[Builtin]func(float64) float64{
		Identity: func(x float64) float64 { return x },
		Tanh:     math.Tanh,
		Softplus: func(x float64) float64 {
			if x > 20 {
				return x
			}
			return math.Log1p(math.Exp(x))
		},
		Sigmoid: func(x float64) float64 { return 1 / (1 + math.Exp(-x)) },
		ELU: func(x float64) float64 {
			if x > 0 {
				return x
			}
			return math.Expm1(x)
		},
		Swish: func(x float64) float64 { return x / (1 + math.Exp(-x)) },
		Sin:   math.Sin,
	}
	xs := grid(30, 3000)
	y := make([]float64, len(xs))
	for _, act := range allActs {
		act.Apply(y, xs)
		for i, x := range xs {
			want := ref[act](x)
			if d := ulps(y[i], want); d > 6 && math.Abs(y[i]-want) > 1e-300 {
				t.Errorf("%v(%g) = %.17g, want %.17g (%.1f ulp)", act, x, y[i], want, d)
				break
			}
		}
	}
}

// TestForwardAgainstGorgonia runs every configuration as Gorgonia operations (FwdAt) on a
// TapeMachine and compares the output and the gradients that gorgonia.Grad computes for
// the loss sum(a * f) with the native Forward and VJP.
func TestForwardAgainstGorgonia(t *testing.T) {
	for ci, c := range netCases() {
		t.Run(c.name, func(t *testing.T) {
			const batch = 6
			g := G.NewGraph()
			m, err := NewMLP(g, "f", Spec{In: c.in, Layers: c.ls, Seed: uint64(ci)})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(ci), 5))
			for i, v := range m.Values() {
				if m.params[i].Dims() == 1 {
					copy(v, randSlice(rng, len(v), 0.5))
				}
			}
			zv := randSlice(rng, batch*c.in, 1)
			av := randSlice(rng, batch*m.Out(), 1)
			const tt = 0.37
			x := G.NewMatrix(g, G.Float64, G.WithShape(batch, c.in), G.WithName("x"), G.WithValue(tensorOf(zv, batch, c.in)))
			tn := G.NewScalar(g, G.Float64, G.WithName("t"), G.WithValue(tt))
			a := G.NewMatrix(g, G.Float64, G.WithShape(batch, m.Out()), G.WithName("a"), G.WithValue(tensorOf(av, batch, m.Out())))
			y, err := m.FwdAt(tn, x)
			if err != nil {
				t.Fatal(err)
			}
			// Gorgonia's backward pass may overwrite y's value in place (tanh's derivative
			// does), so read it when the forward pass computes it.
			var yv G.Value
			G.Read(y, &yv)
			loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, a))))
			wrt := append(G.Nodes{x}, m.Params()...)
			if _, err := G.Grad(loss, wrt...); err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}

			net, err := m.NewNet(m.Values(), batch)
			if err != nil {
				t.Fatal(err)
			}
			f := make([]float64, batch*m.Out())
			dz := make([]float64, len(zv))
			dth := make([]float64, m.NumParams())
			net.VJP(f, dz, dth, tt, zv, av)

			compare := func(what string, got, want []float64, tol float64) {
				t.Helper()
				scale := 1.0
				for _, v := range want {
					scale = math.Max(scale, math.Abs(v))
				}
				for i := range want {
					if math.Abs(got[i]-want[i]) > tol*scale {
						t.Errorf("%s[%d]: native %.17g, Gorgonia %.17g", what, i, got[i], want[i])
						return
					}
				}
			}
			compare("f", f, yv.Data().([]float64), 1e-13)
			gx, _ := x.Grad()
			compare("dz", dz, gx.Data().([]float64), 1e-12)
			off := 0
			for _, p := range m.Params() {
				gp, err := p.Grad()
				if err != nil {
					t.Fatal(err)
				}
				n := p.Shape().TotalSize()
				compare("d"+p.Name(), dth[off:off+n], gp.Data().([]float64), 1e-12)
				off += n
			}
		})
	}
}

func TestCheckAndBindErrors(t *testing.T) {
	m, err := NewMLP(G.NewGraph(), "f", Spec{In: 4, Layers: []LayerSpec{Linear(8, Tanh), Linear(3, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		batch, dim int
		msg        string
	}{
		{10, 5, "input width is 4"},
		{10, 4, "output width is 3"},
		{0, 4, "batch size 0"},
	} {
		err := m.Check(c.batch, c.dim)
		if err == nil || !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Check(%d, %d) = %v, want an ErrShape mentioning %q", c.batch, c.dim, err, c.msg)
		}
		if _, err := m.Bind(m.Values(), c.batch, c.dim); err == nil {
			t.Errorf("Bind(%d, %d) succeeded", c.batch, c.dim)
		}
	}
	sq, _ := NewMLP(G.NewGraph(), "g", Spec{In: 3, Layers: []LayerSpec{Linear(8, Tanh), Linear(3, nil)}})
	if err := sq.Check(5, 3); err != nil {
		t.Errorf("Check of a square network: %v", err)
	}
	if _, err := sq.Bind(sq.Values()[:3], 5, 3); !errors.Is(err, ErrShape) {
		t.Errorf("Bind with 3 of 4 tensors: %v", err)
	}
	bad := sq.Values()
	bad[1] = bad[1][:2]
	if _, err := sq.Bind(bad, 5, 3); !errors.Is(err, ErrShape) {
		t.Errorf("Bind with a short bias: %v", err)
	}
}

func TestNewMLPErrors(t *testing.T) {
	g := G.NewGraph()
	if _, err := NewMLP(g, "f", Spec{In: 2, Layers: []LayerSpec{Linear(2, Tanh)}}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		name string
		spec Spec
	}{
		"duplicate name": {"f", Spec{In: 2, Layers: []LayerSpec{Linear(2, Tanh)}}},
		"no layers":      {"g", Spec{In: 2}},
		"zero input":     {"g", Spec{In: 0, Layers: []LayerSpec{Linear(2, Tanh)}}},
		"zero output":    {"g", Spec{In: 2, Layers: []LayerSpec{Linear(0, Tanh)}}},
		"bad kind":       {"g", Spec{In: 2, Layers: []LayerSpec{{Kind: 7, Out: 2}}}},
		"bad activation": {"g", Spec{In: 2, Layers: []LayerSpec{Linear(2, Builtin(42))}}},
		"empty name":     {"", Spec{In: 2, Layers: []LayerSpec{Linear(2, Tanh)}}},
	} {
		if _, err := NewMLP(g, c.name, c.spec); !errors.Is(err, ErrSpec) {
			t.Errorf("%s: err = %v, want ErrSpec", name, err)
		}
	}
	if _, err := NewMLP(nil, "f", Spec{In: 2, Layers: []LayerSpec{Linear(2, Tanh)}}); !errors.Is(err, ErrSpec) {
		t.Errorf("nil graph: %v", err)
	}
}

func TestParamNamesAndShapes(t *testing.T) {
	m, err := NewMLP(G.NewGraph(), "net", Spec{In: 3, Layers: []LayerSpec{ConcatLinear(4, Tanh), ConcatSquash(5, nil), Linear(3, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		shape []int
	}{
		{"net.0.W", []int{4, 4}}, {"net.0.b", []int{4}},
		{"net.1.W", []int{4, 5}}, {"net.1.b", []int{5}}, {"net.1.gW", []int{5}}, {"net.1.gb", []int{5}}, {"net.1.hW", []int{5}},
		{"net.2.W", []int{5, 3}}, {"net.2.b", []int{3}},
	}
	ps := m.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d params, want %d", len(ps), len(want))
	}
	total := 0
	for i, w := range want {
		if ps[i].Name() != w.name || !equalInts(ps[i].Shape(), w.shape) {
			t.Errorf("param %d: %s %v, want %s %v", i, ps[i].Name(), ps[i].Shape(), w.name, w.shape)
		}
		total += ps[i].Shape().TotalSize()
	}
	if m.NumParams() != total {
		t.Errorf("NumParams = %d, want %d", m.NumParams(), total)
	}
}

func TestNoAllocations(t *testing.T) {
	for _, c := range netCases() {
		m := newTestMLP(t, c, 3)
		const batch = 16
		net, err := m.NewNet(m.Values(), batch)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 1))
		z := randSlice(rng, batch*m.In(), 1)
		a := randSlice(rng, batch*m.Out(), 1)
		f := make([]float64, len(a))
		dz := make([]float64, len(z))
		dth := make([]float64, m.NumParams())
		if n := testing.AllocsPerRun(20, func() { net.Eval(f, 0.3, z) }); n != 0 {
			t.Errorf("%s: Eval allocates %v times", c.name, n)
		}
		if n := testing.AllocsPerRun(20, func() { net.VJP(f, dz, dth, 0.3, z, a) }); n != 0 {
			t.Errorf("%s: VJP allocates %v times", c.name, n)
		}
		if n := testing.AllocsPerRun(20, func() { net.VJP(nil, nil, dth, 0.3, z, a) }); n != 0 {
			t.Errorf("%s: VJP without f allocates %v times", c.name, n)
		}
	}
}

func tensorOf(v []float64, shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// cube is a user-defined activation, x^3.
type cube struct{}

func (cube) String() string { return "cube" }
func (cube) Apply(y, x []float64) {
	for i, v := range x {
		y[i] = v * v * v
	}
}
func (cube) MulDeriv(g, x, y []float64) {
	for i, v := range x {
		g[i] *= 3 * v * v
	}
}
func (cube) Deriv(d, x, y []float64) {
	for i, v := range x {
		d[i] = 3 * v * v
	}
}
func (cube) Deriv2(d, x, y []float64) {
	for i, v := range x {
		d[i] = 6 * v
	}
}
func (cube) Node(x *G.Node) (*G.Node, error) { return G.Cube(x) }

func TestCustomActivation(t *testing.T) {
	c := netCase{"cube", 3, []LayerSpec{Linear(6, cube{}), ConcatSquash(3, Tanh)}}
	m := newTestMLP(t, c, 2)
	net, err := m.NewNet(m.Values(), 4)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	z, a := randSlice(rng, 12, 0.5), randSlice(rng, 12, 1)
	dz, dth, y := make([]float64, 12), make([]float64, m.NumParams()), make([]float64, 12)
	net.VJP(nil, dz, dth, 0.3, z, a)
	phi := func() float64 { net.Forward(y, 0.3, z); return dot(a, y) }
	if e, i := fdCheck(z, dz, phi); e > 1e-7 {
		t.Errorf("dz: relative error %.3g at %d", e, i)
	}
	if e, i := fdCheck(m.Values()[0], dth[:18], phi); e > 1e-7 {
		t.Errorf("dW0: relative error %.3g at %d", e, i)
	}
}
