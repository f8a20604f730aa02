package odeop

import (
	"math"
	"math/rand"
	"regexp"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
)

// withoutChunks runs f with every solve on the whole-vector path (rk.fc unset).
func withoutChunks(f func()) {
	noChunks = true
	defer func() { noChunks = false }()
	f()
}

// TestChunkedStagesSameBits: a batch large enough to be split into two chunks steps by
// chunks (setup.rows, stepRows; Checkpoint's backward too); the forward values, every
// gradient and the evaluation counts are those of the whole-vector path, for FSAL and
// non-FSAL, adaptive and fixed-step methods and every gradient method: bit for bit, except
// where the chunks also compute the error norm (adaptive FSAL methods: fuseErr), whose
// sums of squares are then added in another order, and for Checkpoint's parameter
// gradient, which each chunk sums over its stages and steps before the chunks' sums are
// added (a relative difference of 1e-12 allowed there; the evaluation counts still equal).
func TestChunkedStagesSameBits(t *testing.T) {
	const batch, dim, hidden = 128, 8, 64 // 128 x 1160 parameters: two chunks
	theta := [][]float64{make([]float64, (dim+1)*hidden), make([]float64, hidden), make([]float64, hidden*dim), make([]float64, dim)}
	ev, err := newBatchEval(newMLPDyn(G.NewGraph(), "f", dim, hidden, 5, 1), theta, batch, dim)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ev.Evaluators()); n != 2 {
		t.Fatalf("the batch has %d chunks, want 2 (the test must exercise the chunked path)", n)
	}
	ev.Release()
	ts := []float64{0, 0.3, 0.9, 1.4}
	z0d := randSlice(rand.New(rand.NewSource(6)), batch*dim, 1)
	mk := func(g *G.ExprGraph) Dynamics { return newMLPDyn(g, "f", dim, hidden, 5, 1) }
	cases := []struct {
		name  string
		exact bool
		opts  []Option
	}{
		{"dopri5 adjoint", false, []Option{WithTol(1e-7, 1e-9)}},
		{"dopri5 seminorm", false, []Option{WithTol(1e-7, 1e-9), WithSeminorm(true)}},
		{"dopri5 checkpoint", false, []Option{WithTol(1e-7, 1e-9), WithGradient(Checkpoint)}},
		{"bosh3 adjoint", false, []Option{WithMethod(Bosh3), WithTol(1e-6, 1e-8)}},
		{"dopri5 maxnorm", true, []Option{WithTol(1e-7, 1e-9), WithNorm(MaxNorm)}},
		{"dopri8 adjoint", true, []Option{WithMethod(Dopri8), WithTol(1e-8, 1e-10)}},
		{"rk4 adjoint", true, []Option{WithMethod(RK4), WithStep(0.1)}},
		{"rk4 checkpoint", false, []Option{WithMethod(RK4), WithStep(0.1), WithGradient(Checkpoint)}},
		{"dopri5 maxnorm checkpoint", false, []Option{WithTol(1e-7, 1e-9), WithNorm(MaxNorm), WithGradient(Checkpoint)}},
		{"bosh3 maxnorm checkpoint", false, []Option{WithMethod(Bosh3), WithTol(1e-6, 1e-8), WithNorm(MaxNorm), WithGradient(Checkpoint)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l1, g1, _, n1, _ := solveGrads(t, mk, z0d, batch, dim, ts, c.opts...)
			var l2 float64
			var g2 [][]float64
			var n2 *G.Node
			withoutChunks(func() { l2, g2, _, n2, _ = solveGrads(t, mk, z0d, batch, dim, ts, c.opts...) })
			same := func(a, b float64) bool {
				if c.exact {
					return math.Float64bits(a) == math.Float64bits(b)
				}
				return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
			}
			if !same(l1, l2) {
				t.Errorf("loss %v chunked, %v whole", l1, l2)
			}
			for i := range g1 {
				for j := range g1[i] {
					if !same(g1[i][j], g2[i][j]) {
						t.Fatalf("gradient %d[%d]: %v chunked, %v whole", i, j, g1[i][j], g2[i][j])
					}
				}
			}
			f1, b1, _ := StatsOf(n1)
			f2, b2, _ := StatsOf(n2)
			if f1 != f2 || b1 != b2 {
				t.Errorf("stats chunked %+v %+v, whole %+v %+v", f1, b1, f2, b2)
			}
		})
	}
}

// opID matches the instance number in an op's name.
var opID = regexp.MustCompile(`#[0-9]+`)

// TestChunkedNonFinitePlace: when the state overflows, the chunked path reports the same
// place (quantity, time, component) as the whole-vector path, forward and backward.
func TestChunkedNonFinitePlace(t *testing.T) {
	const batch, dim = 32, 64 // 32 x 4096 parameters: two chunks
	for _, grad := range []string{"forward", "adjoint", "forward dopri5"} {
		t.Run(grad, func(t *testing.T) {
			run := func() error {
				g := G.NewGraph()
				A := make([]float64, dim*dim)
				for i := 0; i < dim; i++ {
					A[i*dim+i] = 40 + float64(i)
				}
				z := make([]float64, batch*dim)
				for i := range z {
					z[i] = 1 + float64(i%7)
					if grad == "forward dopri5" {
						z[i] *= 1e300 // overflows within the first steps
					}
				}
				z0 := matNode(g, "z0", batch, dim, z)
				An := matNode(g, "A", dim, dim, A)
				T := 30.0
				if grad == "adjoint" {
					T = 16 // forward finite (about 1e170); the parameter adjoint overflows
				}
				opts := []Option{WithMethod(RK4), WithStep(0.5)}
				if grad == "forward dopri5" {
					opts = nil
				}
				zs, err := Solve(z0, &linearDyn{A: An}, []float64{0, T}, opts...)
				if err != nil {
					t.Fatal(err)
				}
				loss := G.Must(G.Sum(zs))
				if grad == "adjoint" {
					if _, err := G.Grad(loss, An); err != nil {
						t.Fatal(err)
					}
				}
				m := G.NewTapeMachine(g)
				defer m.Close()
				return m.RunAll()
			}
			e1 := run()
			var e2 error
			withoutChunks(func() { e2 = run() })
			if e1 == nil || e2 == nil {
				t.Fatalf("want non-finite errors, got %v (chunked) and %v (whole)", e1, e2)
			}
			if opID.ReplaceAllString(e1.Error(), "#") != opID.ReplaceAllString(e2.Error(), "#") {
				t.Errorf("chunked: %v\nwhole:   %v", e1, e2)
			}
			t.Log(e1)
		})
	}
}

// panicDyn is linearDyn whose second bound Evaluator (chunk 1 of a two-chunk batch)
// panics on its evaluation number at (counted from 1), once.
type panicDyn struct {
	linearDyn
	at    int
	binds int
}

type panicEval struct {
	*linearEval
	at, n int
}

func (d *panicDyn) Bind(theta [][]float64, batch, dim int) (Evaluator, error) {
	d.binds++
	e := &panicEval{linearEval: &linearEval{A: theta[0], batch: batch, dim: dim}}
	if d.binds == 2 {
		e.at = d.at
	}
	return e, nil
}

func (e *panicEval) Eval(dst []float64, t float64, z []float64) {
	e.n++
	if e.n == e.at {
		panic("test dynamics failed")
	}
	e.linearEval.Eval(dst, t, z)
}

// TestChunkedDynamicsPanic: a panic of the dynamics on the helper's chunk in the middle of
// a chunked step becomes the solve's error, and the next solve (engines, helpers and chunk
// state reused) gives the same bits as a solve on the whole-vector path.
func TestChunkedDynamicsPanic(t *testing.T) {
	const batch, dim = 32, 64 // 32 x 4096 parameters: two chunks
	A := make([]float64, dim*dim)
	for i := range A {
		A[i] = 0.3 * math.Sin(float64(i))
	}
	z := randSlice(rand.New(rand.NewSource(8)), batch*dim, 1)
	solve := func(f Dynamics) ([]float64, error) {
		g := G.NewGraph()
		z0 := matNode(g, "z0", batch, dim, append([]float64(nil), z...))
		An := matNode(g, "A", dim, dim, append([]float64(nil), A...))
		if p, ok := f.(*panicDyn); ok {
			p.A = An
		} else {
			f.(*linearDyn).A = An
		}
		zs, err := Solve(z0, f, []float64{0, 1})
		if err != nil {
			t.Fatal(err)
		}
		m := G.NewTapeMachine(g)
		defer m.Close()
		if err := m.RunAll(); err != nil {
			return nil, err
		}
		return append([]float64(nil), zs.Value().Data().([]float64)...), nil
	}
	for _, at := range []int{1, 4, 9} {
		_, err := solve(&panicDyn{at: at})
		if err == nil || !strings.Contains(err.Error(), "test dynamics failed") {
			t.Fatalf("panic at evaluation %d: error %v, want the panic's message", at, err)
		}
	}
	got, err := solve(&linearDyn{})
	if err != nil {
		t.Fatal(err)
	}
	var want []float64
	withoutChunks(func() { want, err = solve(&linearDyn{}) })
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12*math.Abs(want[i]) {
			t.Fatalf("z[%d] = %v after the failed solves, %v on the whole-vector path", i, got[i], want[i])
		}
	}
}
