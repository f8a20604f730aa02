package layers

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
)

func TestGlorotUniform(t *testing.T) {
	spec := Spec{In: 30, Layers: []LayerSpec{Linear(200, Tanh), ConcatSquash(50, nil), ConcatLinear(30, nil)}, Seed: 7}
	a, err := NewMLP(G.NewGraph(), "f", spec)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewMLP(G.NewGraph(), "f", spec)
	spec.Seed = 8
	c, _ := NewMLP(G.NewGraph(), "f", spec)
	va, vb, vc := a.Values(), b.Values(), c.Values()
	for i, p := range a.Params() {
		d := &a.defs[0]
		for k := range a.defs {
			if a.defs[k].param <= i {
				d = &a.defs[k]
			}
		}
		info := d.info(d.roles()[i-d.param])
		same, differ := true, false
		for j := range va[i] {
			same = same && va[i][j] == vb[i][j]
			differ = differ || va[i][j] != vc[i][j]
		}
		if !same {
			t.Errorf("%s: two networks with the same seed differ", p.Name())
		}
		if info.Role == Bias || info.Role == GateBias {
			for _, v := range va[i] {
				if v != 0 {
					t.Fatalf("%s: bias %g, want 0", p.Name(), v)
				}
			}
			continue
		}
		if !differ {
			t.Errorf("%s: a different seed gives the same values", p.Name())
		}
		bound := math.Sqrt(6 / float64(info.FanIn+info.FanOut))
		var sum, sq float64
		for _, v := range va[i] {
			if math.Abs(v) > bound {
				t.Fatalf("%s: %g outside +-%g", p.Name(), v, bound)
			}
			sum += v
			sq += v * v
		}
		n := float64(len(va[i]))
		if n >= 1000 {
			// U(-a, a): mean 0, variance a^2/3.
			mean, vr := sum/n, sq/n
			if math.Abs(mean) > 4*bound/math.Sqrt(3*n) || math.Abs(vr/(bound*bound/3)-1) > 0.1 {
				t.Errorf("%s: mean %g, variance %g, want 0 and %g", p.Name(), mean, vr, bound*bound/3)
			}
		}
	}
	// A layer's values do not depend on the other layers.
	d, _ := NewMLP(G.NewGraph(), "f", Spec{In: 30, Layers: []LayerSpec{Linear(200, Tanh), Linear(7, nil)}, Seed: 7})
	if w0, w1 := d.Values()[0], va[0]; w0[123] != w1[123] {
		t.Errorf("layer 0 depends on the layers after it")
	}
}

func TestReferenceInit(t *testing.T) {
	m, err := NewMLP(G.NewGraph(), "n1", Spec{In: 4, Layers: []LayerSpec{Linear(32, Softplus), Linear(4, Tanh)}, Init: ReferenceInit})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Values()
	// W0[1][2], b0[5], W1[31][3], b1[0] from the formulas of BENCHMARKS.md (in float64
	// arithmetic, not Go's exact constant arithmetic).
	i1, i2, i3, i6, i32, i4 := 1.0, 2.0, 3.0, 6.0, 32.0, 4.0
	checks := []struct {
		got, want float64
	}{
		{v[0][1*32+2], math.Sin(0.37*i2+0.91*i3) / 2},
		{v[1][5], 0.1 * math.Cos(0.53*i6)},
		{v[2][31*4+3], math.Sin(0.37*i32+0.91*i4+1.7*i1) / math.Sqrt(32)},
		{v[3][0], 0.1 * math.Cos(0.53*i1+0.29*i1)},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: %.17g, want %.17g", i, c.got, c.want)
		}
	}
	// N3: ConcatLinear 2(+t) -> 64: n_in = 3 and row 2 multiplies t.
	n3, _ := NewMLP(G.NewGraph(), "n3", Spec{In: 2, Layers: []LayerSpec{ConcatLinear(64, Tanh), ConcatLinear(64, Tanh), ConcatLinear(2, nil)}, Init: ReferenceInit})
	w0 := n3.Values()[0]
	if len(w0) != 3*64 {
		t.Fatalf("N3 W0 has %d values", len(w0))
	}
	if got, want := w0[2*64+10], math.Sin(0.37*i3+0.91*(i1+10))/math.Sqrt(3); got != want {
		t.Errorf("N3 W0[2][10] = %.17g, want %.17g", got, want)
	}
}

func TestResetReference(t *testing.T) {
	m, _ := NewMLP(G.NewGraph(), "f", Spec{In: 3, Layers: []LayerSpec{Linear(5, Tanh), Linear(3, nil)}, Seed: 1})
	if err := m.Reset(ReferenceInit); err != nil {
		t.Fatal(err)
	}
	one := 1.0
	if got, want := m.Values()[0][0], math.Sin(0.37*one+0.91*one)/math.Sqrt(3); got != want {
		t.Errorf("after Reset: %g, want %g", got, want)
	}
}
