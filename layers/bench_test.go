package layers

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/odeop"
)

// The dynamics networks of the reference configurations (docs/REFERENCE-CONFIGURATIONS.md), with
// their closed-form weights and initial states.

func benchN1(b testing.TB) (*MLP, int) {
	m, err := NewMLP(G.NewGraph(), "n1", Spec{In: 4, Layers: []LayerSpec{Linear(32, Softplus), Linear(4, Tanh)}, Init: ReferenceInit})
	if err != nil {
		b.Fatal(err)
	}
	return m, 64
}

func benchN2(b testing.TB) (*MLP, int) {
	m, err := NewMLP(G.NewGraph(), "n2", Spec{In: 32, Layers: []LayerSpec{Linear(256, Tanh), Linear(32, nil)}, Init: ReferenceInit})
	if err != nil {
		b.Fatal(err)
	}
	return m, 512
}

func benchN3(b testing.TB) (*MLP, int) {
	m, err := NewMLP(G.NewGraph(), "n3", Spec{In: 2, Layers: []LayerSpec{ConcatLinear(64, Tanh), ConcatLinear(64, Tanh), ConcatLinear(2, nil)}, Init: ReferenceInit})
	if err != nil {
		b.Fatal(err)
	}
	return m, 512
}

// refState is y0[b][d] = sin(0.13*(b+1)*(d+1) + 0.5).
func refState(batch, dim int) []float64 {
	y := make([]float64, batch*dim)
	for i := 0; i < batch; i++ {
		for d := 0; d < dim; d++ {
			y[i*dim+d] = math.Sin(0.13*float64(i+1)*float64(d+1) + 0.5)
		}
	}
	return y
}

func benchEval(b *testing.B, build func(testing.TB) (*MLP, int), graph bool) {
	m, batch := build(b)
	var ev odeop.Evaluator
	var err error
	if graph {
		ev, err = odeop.NewGraphDynamics(m.Params(), m.Build).Bind(m.Values(), batch, m.In())
	} else {
		ev, err = m.Bind(m.Values(), batch, m.In())
	}
	if err != nil {
		b.Fatal(err)
	}
	z := refState(batch, m.In())
	dst := make([]float64, len(z))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev.Eval(dst, 0.5, z)
	}
}

func benchVJP(b *testing.B, build func(testing.TB) (*MLP, int), graph bool) {
	m, batch := build(b)
	var ev odeop.Evaluator
	var err error
	if graph {
		ev, err = odeop.NewGraphDynamics(m.Params(), m.Build).Bind(m.Values(), batch, m.In())
	} else {
		ev, err = m.Bind(m.Values(), batch, m.In())
	}
	if err != nil {
		b.Fatal(err)
	}
	z := refState(batch, m.In())
	a := refState(batch, m.In())
	f := make([]float64, len(z))
	dz := make([]float64, len(z))
	dth := make([]float64, m.NumParams())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev.VJP(f, dz, dth, 0.5, z, a)
	}
}

func BenchmarkN1Eval(b *testing.B)      { benchEval(b, benchN1, false) }
func BenchmarkN1VJP(b *testing.B)       { benchVJP(b, benchN1, false) }
func BenchmarkN2Eval(b *testing.B)      { benchEval(b, benchN2, false) }
func BenchmarkN2VJP(b *testing.B)       { benchVJP(b, benchN2, false) }
func BenchmarkN3Eval(b *testing.B)      { benchEval(b, benchN3, false) }
func BenchmarkN3VJP(b *testing.B)       { benchVJP(b, benchN3, false) }
func BenchmarkN1GraphEval(b *testing.B) { benchEval(b, benchN1, true) }
func BenchmarkN1GraphVJP(b *testing.B)  { benchVJP(b, benchN1, true) }
