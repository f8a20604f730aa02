package layers_test

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// The reference configuration N3 of docs/REFERENCE-CONFIGURATIONS.md: one CNF training step in 2-D
// with the exact trace. torchdiffeq's figures (float64, dopri5, rtol = atol = 1e-5):
const (
	n3Loss     = 3.9619416665
	n3SumDW0   = 0.0145906836569
	n3NFEFwd   = 14
	n3NFEBwd   = 14
	n3Batch    = 512
	n3T        = 0.5
	n3Tol      = 1e-5
	n3LossRel  = 1e-6 // relative tolerance on the loss
	n3SumDWAbs = 2e-6 // absolute tolerance on sum dL/dW0 (the sum cancels: its entries are ~1e-2)
)

// n3Points are the 512 points of the closed-form 8 gaussians: a = 2π(k mod 8)/8,
// centre 2√2(cos a, sin a)/1.414, x = centre + 0.5(sin(1.1k + 0.3), cos(0.7k + 1.9)).
func n3Points() []float64 {
	x := make([]float64, 2*n3Batch)
	for k := 0; k < n3Batch; k++ {
		a := 2 * math.Pi * float64(k%8) / 8
		x[2*k] = 2*math.Sqrt2*math.Cos(a)/1.414 + 0.5*math.Sin(1.1*float64(k)+0.3)
		x[2*k+1] = 2*math.Sqrt2*math.Sin(a)/1.414 + 0.5*math.Cos(0.7*float64(k)+1.9)
	}
	return x
}

// n3Graph builds N3: the CNF dynamics (ConcatLinear 3 -> 64 tanh, Linear 64 -> 64 tanh,
// Linear 64 -> 2, closed-form weights, exact trace) solved from [x, 0] over [0, 0.5], and
// the loss mean(-(log N(z) - logp)). It returns a function running the graph once and
// reporting the loss and sum dL/dW0 (0 in forward mode), and the solve node.
func n3Graph(tb testing.TB, mode string) (run func() (loss, sumW0 float64), zs *G.Node) {
	g := G.NewGraph()
	f, err := layers.NewMLP(g, "f", layers.Spec{In: 2, Init: layers.ReferenceInit, Layers: []layers.LayerSpec{
		layers.ConcatLinear(64, layers.Tanh), layers.Linear(64, layers.Tanh), layers.Linear(2, layers.Identity)}})
	if err != nil {
		tb.Fatal(err)
	}
	cnf, err := layers.NewCNF(f, layers.CNFConfig{Trace: layers.TraceExact, T: n3T})
	if err != nil {
		tb.Fatal(err)
	}
	x := n3Points()
	s0 := make([]float64, 3*n3Batch)
	for b := 0; b < n3Batch; b++ {
		s0[3*b], s0[3*b+1] = x[2*b], x[2*b+1]
	}
	z0 := G.NewMatrix(g, tensor.Float64, G.WithShape(n3Batch, 3), G.WithName("s0"),
		G.WithValue(tensor.New(tensor.WithShape(n3Batch, 3), tensor.WithBacking(s0))))
	opts := []odeop.Option{odeop.WithMethod(odeop.Dopri5), odeop.WithTol(n3Tol, n3Tol)}
	if mode == "seminorm" {
		opts = append(opts, odeop.WithSeminorm(true))
	}
	zs, err = odeop.Solve(z0, cnf, cnf.Times(), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	sT := G.Must(G.Slice(zs, G.S(1)))
	z := G.Must(G.Slice(sT, nil, G.S(0, 2)))
	logp := G.Must(G.Slice(sT, nil, G.S(2)))
	sq := G.Must(G.Sum(G.Must(G.Square(z)), 1))
	logN := G.Must(G.Sub(G.NewConstant(-math.Log(2*math.Pi)), G.Must(G.Mul(sq, G.NewConstant(0.5)))))
	loss := G.Must(G.Mean(G.Must(G.Neg(G.Must(G.Sub(logN, logp))))))
	W0 := f.Params()[0]
	var gW0 *G.Node
	if mode != "forward" {
		gs, err := G.Grad(loss, W0)
		if err != nil {
			tb.Fatal(err)
		}
		gW0 = gs[0]
	}
	m := G.NewTapeMachine(g)
	return func() (float64, float64) {
		m.Reset()
		if err := m.RunAll(); err != nil {
			tb.Fatal(err)
		}
		l := loss.Value().Data().(float64)
		if gW0 == nil {
			return l, 0
		}
		s := 0.0
		for _, v := range gW0.Value().Data().([]float64) {
			s += v
		}
		return l, s
	}, zs
}

// n3Check fails when the loss or sum dL/dW0 is not torchdiffeq's within the stated
// tolerances (the adaptive step sequences differ, so agreement is to the solver's
// accuracy, not to round-off).
func n3Check(tb testing.TB, mode string, loss, sumW0 float64) {
	if e := math.Abs(loss-n3Loss) / n3Loss; e > n3LossRel {
		tb.Fatalf("N3 %s: loss %.10g, reference %.10g (relative error %.2g > %g)", mode, loss, n3Loss, e, n3LossRel)
	}
	if mode == "forward" {
		return
	}
	if e := math.Abs(sumW0 - n3SumDW0); e > n3SumDWAbs {
		tb.Fatalf("N3 %s: sum dL/dW0 %.10g, reference %.10g (error %.2g > %g)", mode, sumW0, n3SumDW0, e, n3SumDWAbs)
	}
}

// BenchmarkN3: one CNF training step of BENCHMARKS.md N3 (forward; forward + adjoint;
// forward + seminorm adjoint), reporting NFE; it fails if the loss or the gradient is not
// the reference computation. Reference times (PyTorch, 2 cores): 15.8, 56.6, 52.1 ms.
func BenchmarkN3(b *testing.B) {
	for _, mode := range []string{"forward", "adjoint", "seminorm"} {
		b.Run(mode, func(b *testing.B) {
			run, zs := n3Graph(b, mode)
			loss, s := run()
			n3Check(b, mode, loss, s)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				run()
			}
			b.StopTimer()
			fwd, bwd, _ := odeop.StatsOf(zs)
			b.ReportMetric(float64(fwd.NFE), "NFE-fwd")
			if mode != "forward" {
				b.ReportMetric(float64(bwd.NFE), "NFE-bwd")
			}
		})
	}
}

// TestN3Reference runs N3 once in each mode and checks loss, gradient and NFE against
// torchdiffeq's (NFE: ours must not exceed theirs, with the same method and tolerances).
func TestN3Reference(t *testing.T) {
	for _, mode := range []string{"adjoint", "seminorm"} {
		run, zs := n3Graph(t, mode)
		loss, s := run()
		fwd, bwd, _ := odeop.StatsOf(zs)
		t.Logf("N3 %s: loss %.10g (ref %.10g), sum dL/dW0 %.10g (ref %.10g), NFE fwd %d (ref %d) bwd %d (ref %d)",
			mode, loss, n3Loss, s, n3SumDW0, fwd.NFE, n3NFEFwd, bwd.NFE, n3NFEBwd)
		n3Check(t, mode, loss, s)
		if fwd.NFE > n3NFEFwd || (mode == "adjoint" && bwd.NFE > n3NFEBwd) {
			t.Errorf("N3 %s: NFE fwd %d bwd %d above torchdiffeq's %d/%d", mode, fwd.NFE, bwd.NFE, n3NFEFwd, n3NFEBwd)
		}
	}
}
