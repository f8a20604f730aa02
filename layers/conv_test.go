package layers

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
)

// naiveConv is the direct definition of a convolution layer d (cross-correlation, zero
// padding, the t channel first for ConcatConv2d) on NCHW images.
func naiveConv(d *convDef, w, b []float64, t float64, x []float64, batch int) []float64 {
	k, s, p := d.Kernel, d.Stride, d.Padding
	ci := d.c
	if d.hasT {
		ci++
	}
	y := make([]float64, batch*d.outDim())
	for n := 0; n < batch; n++ {
		for o := 0; o < d.oc; o++ {
			for oy := 0; oy < d.oh; oy++ {
				for ox := 0; ox < d.ow; ox++ {
					sum := 0.0
					if b != nil {
						sum = b[o]
					}
					for c := 0; c < ci; c++ {
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								iy, ix := oy*s-p+ky, ox*s-p+kx
								if iy < 0 || iy >= d.h || ix < 0 || ix >= d.w {
									continue
								}
								var v float64
								switch {
								case d.hasT && c == 0:
									v = t
								case d.hasT:
									v = x[((n*d.c+c-1)*d.h+iy)*d.w+ix]
								default:
									v = x[((n*d.c+c)*d.h+iy)*d.w+ix]
								}
								sum += w[((o*ci+c)*k+ky)*k+kx] * v
							}
						}
					}
					y[((n*d.oc+o)*d.oh+oy)*d.ow+ox] = sum
				}
			}
		}
	}
	return y
}

// convCase is one random convolution geometry.
type convCase struct {
	c, h, w int
	ly      ConvLayer
}

func convCases() []convCase {
	return []convCase{
		{1, 7, 7, Conv2d(3, 3, 1, 0)},
		{2, 6, 5, Conv2d(4, 3, 1, 1)},
		{3, 9, 8, Conv2d(2, 4, 2, 1)},
		{2, 8, 8, Conv2d(3, 3, 3, 2)},
		{3, 5, 5, ConcatConv2d(3, 3, 1, 1)},
		{2, 6, 7, ConcatConv2d(2, 2, 2, 0)},
		{2, 5, 6, ConvLayer{Kind: KindConv2d, Out: 3, Kernel: 3, Stride: 1, Padding: 1, NoBias: true}},
		{4, 13, 13, Conv2d(5, 4, 2, 1)},
	}
}

func newTestConvNet(t testing.TB, c, h, w int, ls []ConvLayer, seed uint64) *ConvNet {
	t.Helper()
	m, err := NewConvNet(G.NewGraph(), "f", ConvSpec{C: c, H: h, W: w, Layers: ls, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	// move GroupNorm's scales and shifts off 1 and 0, so their gradients are tested away
	// from symmetry
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range m.defs {
		d := &m.defs[i]
		if d.Kind == KindGroupNorm {
			for k := 0; k < 2; k++ {
				v := floats(m.params[d.param+k])
				for j := range v {
					v[j] = float64(1-k) + 0.3*rng.NormFloat64()
				}
			}
		}
	}
	return m
}

func TestConvAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, c := range convCases() {
		m := newTestConvNet(t, c.c, c.h, c.w, []ConvLayer{c.ly}, 11)
		const batch = 3
		e, err := m.NewEval(m.Values(), batch)
		if err != nil {
			t.Fatal(err)
		}
		x := randSlice(rng, batch*m.In(), 1)
		tt := 0.7
		got := make([]float64, batch*m.Out())
		e.Eval(got, tt, x)
		d := &m.defs[0]
		var b []float64
		if d.biases > 0 {
			b = floats(m.params[1])
		}
		want := naiveConv(d, floats(m.params[0]), b, tt, x, batch)
		if oh, ow := (c.h+2*c.ly.Padding-c.ly.Kernel)/c.ly.Stride+1, (c.w+2*c.ly.Padding-c.ly.Kernel)/c.ly.Stride+1; d.oh != oh || d.ow != ow {
			t.Fatalf("%+v: output %dx%d, want %dx%d", c, d.oh, d.ow, oh, ow)
		}
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
				t.Fatalf("%+v: y[%d] = %v, naive %v", c, i, got[i], want[i])
			}
		}
	}
}

// odeFuncLayers is torchdiffeq's ODEfunc of odenet_mnist.py, for c channels.
func odeFuncLayers(c, groups int) []ConvLayer {
	return []ConvLayer{GroupNorm(groups), ReLU(), ConcatConv2d(c, 3, 1, 1), GroupNorm(groups), ReLU(),
		ConcatConv2d(c, 3, 1, 1), GroupNorm(groups)}
}

// TestConvVJPFiniteDifferences checks dz and dtheta of every layer kind, alone and
// stacked, against central differences of <a, net(t, z)>: relative error 1e-8.
func TestConvVJPFiniteDifferences(t *testing.T) {
	type netC struct {
		name    string
		c, h, w int
		ls      []ConvLayer
	}
	cases := []netC{
		{"GroupNorm", 4, 3, 3, []ConvLayer{GroupNorm(2)}},
		{"GroupNorm1", 3, 2, 4, []ConvLayer{GroupNorm(1)}},
		{"ReLU", 2, 3, 3, []ConvLayer{ReLU()}},
		{"AvgPool", 3, 3, 2, []ConvLayer{AvgPool()}},
		{"ODEfunc", 4, 5, 5, odeFuncLayers(4, 2)},
		{"downsampling", 1, 10, 10, []ConvLayer{Conv2d(4, 3, 1, 0), GroupNorm(2), ReLU(), Conv2d(4, 4, 2, 1),
			GroupNorm(2), ReLU(), Conv2d(4, 4, 2, 1), GroupNorm(4), ReLU(), AvgPool()}},
	}
	for _, c := range convCases() {
		cases = append(cases, netC{c.ly.Kind.String(), c.c, c.h, c.w, []ConvLayer{c.ly}})
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range cases {
		m := newTestConvNet(t, c.c, c.h, c.w, c.ls, 21)
		const batch = 2
		theta := m.Values()
		e, err := m.NewEval(theta, batch)
		if err != nil {
			t.Fatal(err)
		}
		z := randSlice(rng, batch*m.In(), 1)
		a := randSlice(rng, batch*m.Out(), 1)
		tt := 0.4
		f := make([]float64, len(a))
		dz := make([]float64, len(z))
		dth := make([]float64, m.NumParams())
		e.VJP(f, dz, dth, tt, z, a)
		y := make([]float64, len(a))
		phi := func() float64 {
			e.Eval(y, tt, z)
			return dot(a, y)
		}
		if p0 := phi(); math.Abs(p0-dot(a, f)) > 1e-12*(1+math.Abs(p0)) {
			t.Errorf("%s: VJP's f differs from Eval", c.name)
		}
		convFD(t, c.name+"/dz", z, dz, phi)
		off := 0
		for i := range theta {
			convFD(t, c.name+"/"+m.params[i].Name(), theta[i], dth[off:off+len(theta[i])], phi)
			off += len(theta[i])
		}
	}
}

// convFD compares grad with fourth-order central differences of phi along each coordinate of x
// (perturbed in place and restored): max error relative to the largest gradient entry.
func convFD(t *testing.T, what string, x, grad []float64, phi func() float64) {
	t.Helper()
	convFDTol(t, what, x, grad, phi, 1e-8)
}

// convFDTol is convFD with the relative tolerance tol.
func convFDTol(t *testing.T, what string, x, grad []float64, phi func() float64, tol float64) {
	t.Helper()
	const h = 1e-5
	scale, worst := 0.0, 0.0
	for _, g := range grad {
		scale = max(scale, math.Abs(g))
	}
	for i := range x {
		x0 := x[i]
		// the fourth-order central stencil (truncation error O(h^4))
		var f [4]float64
		for j, s := range [4]float64{2, 1, -1, -2} {
			x[i] = x0 + s*h
			f[j] = phi()
		}
		x[i] = x0
		worst = max(worst, math.Abs((-f[0]+8*f[1]-8*f[2]+f[3])/(12*h)-grad[i]))
	}
	if worst > tol*math.Max(scale, 1e-2) {
		t.Errorf("%s: finite-difference error %.3g (largest gradient %.3g)", what, worst, scale)
	}
}

func TestConvNoAllocations(t *testing.T) {
	m := newTestConvNet(t, 4, 6, 6, odeFuncLayers(4, 2), 1)
	const batch = 5
	e, err := m.NewEval(m.Values(), batch)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	z := randSlice(rng, batch*m.In(), 1)
	a := randSlice(rng, batch*m.Out(), 1)
	f, dz, dth := make([]float64, len(a)), make([]float64, len(z)), make([]float64, m.NumParams())
	if n := testing.AllocsPerRun(10, func() { e.Eval(f, 0.3, z) }); n != 0 {
		t.Errorf("Eval allocates %v times", n)
	}
	if n := testing.AllocsPerRun(10, func() { e.VJP(f, dz, dth, 0.3, z, a) }); n != 0 {
		t.Errorf("VJP allocates %v times", n)
	}
}

func TestConvNetParamsAndErrors(t *testing.T) {
	// torchdiffeq's odenet_mnist.py network: 132,096 + 75,392 parameters before the head
	g := G.NewGraph()
	down, err := NewConvNet(g, "down", ConvSpec{C: 1, H: 28, W: 28, Layers: []ConvLayer{Conv2d(64, 3, 1, 0), GroupNorm(32), ReLU(),
		Conv2d(64, 4, 2, 1), GroupNorm(32), ReLU(), Conv2d(64, 4, 2, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if c, h, w := down.OutShape(); c != 64 || h != 6 || w != 6 || down.NumParams() != 132096 {
		t.Errorf("downsampling: output (%d, %d, %d), %d parameters; want (64, 6, 6), 132096", c, h, w, down.NumParams())
	}
	f, err := NewConvNet(g, "f", ConvSpec{C: 64, H: 6, W: 6, Layers: odeFuncLayers(64, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if f.NumParams() != 75392 || f.Check(3, 64*36) != nil {
		t.Errorf("ODE function: %d parameters, check %v; want 75392, nil", f.NumParams(), f.Check(3, 64*36))
	}
	if err := down.Check(3, 784); !errors.Is(err, ErrShape) {
		t.Errorf("downsampling as dynamics: %v, want ErrShape", err)
	}
	if _, err := NewConvNet(g, "f", ConvSpec{C: 64, H: 6, W: 6, Layers: odeFuncLayers(64, 32)}); !errors.Is(err, ErrSpec) {
		t.Errorf("duplicate name: %v, want ErrSpec", err)
	}
	bad := [][]ConvLayer{
		{GroupNorm(3)},
		{Conv2d(0, 3, 1, 0)},
		{Conv2d(2, 3, 0, 0)},
		{Conv2d(2, 3, 1, 3)},
		{Conv2d(2, 9, 1, 0)},
		{{Kind: ConvKind(42)}},
		{},
	}
	for i, ls := range bad {
		if _, err := NewConvNet(G.NewGraph(), "x", ConvSpec{C: 4, H: 5, W: 5, Layers: ls}); !errors.Is(err, ErrSpec) {
			t.Errorf("bad spec %d: %v, want ErrSpec", i, err)
		}
	}
	if _, err := f.Bind(f.Values()[:2], 3, 64*36); !errors.Is(err, ErrShape) {
		t.Errorf("short theta: %v, want ErrShape", err)
	}
}
