package layers

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// benchODEFunc binds torchdiffeq's odenet_mnist ODE function (64 x 6 x 6, batch 128) as
// odeop binds it: a graphop.Batch, which splits the batch over two goroutines.
func benchODEFunc(b *testing.B) (*graphop.Batch, *ConvNet) {
	m, err := NewConvNet(G.NewGraph(), "f", ConvSpec{C: 64, H: 6, W: 6, Layers: odeFuncLayers(64, 32), Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	bind := func(th [][]float64, nb, d int) (graphop.Evaluator, error) { return m.Bind(th, nb, d) }
	bt, err := graphop.NewBatch(bind, m.Values(), 128, m.In())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bt.Release)
	return bt, m
}

// BenchmarkConvODEFuncEval is one evaluation of the M1 ODE function at batch 128.
func BenchmarkConvODEFuncEval(b *testing.B) {
	bt, m := benchODEFunc(b)
	rng := rand.New(rand.NewPCG(1, 1))
	z := randSlice(rng, 128*m.In(), 1)
	f := make([]float64, len(z))
	b.ReportAllocs()
	c0 := convProcCPU()
	for b.Loop() {
		bt.Eval(f, 0.5, z)
	}
	b.ReportMetric((convProcCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
}

// BenchmarkConvODEFuncVJP is one VJP (f, dz and dtheta) of the M1 ODE function at
// batch 128.
func BenchmarkConvODEFuncVJP(b *testing.B) {
	bt, m := benchODEFunc(b)
	rng := rand.New(rand.NewPCG(1, 1))
	z := randSlice(rng, 128*m.In(), 1)
	a := randSlice(rng, len(z), 1)
	f, dz, dth := make([]float64, len(z)), make([]float64, len(z)), make([]float64, m.NumParams())
	b.ReportAllocs()
	c0 := convProcCPU()
	for b.Loop() {
		bt.VJP(f, dz, dth, 0.5, z, a)
	}
	b.ReportMetric((convProcCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
}

// BenchmarkConvIm2col is the unfolding of the M1 ODE function's first convolution for
// 64 samples (one chunk).
func BenchmarkConvIm2col(b *testing.B) {
	m, err := NewConvNet(G.NewGraph(), "f", ConvSpec{C: 64, H: 6, W: 6, Layers: []ConvLayer{ConcatConv2d(64, 3, 1, 1)}})
	if err != nil {
		b.Fatal(err)
	}
	d := &m.defs[0]
	x := randSlice(rand.New(rand.NewPCG(1, 1)), 64*m.In(), 1)
	col := make([]float64, d.kc*64*36)
	c0 := convProcCPU()
	for b.Loop() {
		d.im2col(col, x, 0.5, 0, 64)
	}
	b.ReportMetric((convProcCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
}
