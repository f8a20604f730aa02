package odeop

import (
	"errors"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
)

func TestTableausValidate(t *testing.T) {
	for _, m := range Methods() {
		tb, err := TableauOf(m)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if tb.Name != string(m) {
			t.Errorf("%s: tableau name %q", m, tb.Name)
		}
		if err := tb.Validate(); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	if _, err := TableauOf("rk45"); !errors.Is(err, ErrMethod) {
		t.Errorf("TableauOf(rk45) = %v, want ErrMethod", err)
	}
}

// ralston3 is Ralston's third-order method (Ralston 1962; Hairer, Norsett, Wanner I,
// II.1): c = (0, 1/2, 3/4), a21 = 1/2, a32 = 3/4, b = (2/9, 1/3, 4/9); no error estimate
// and no dense output of its own (WithTableau gives it the Hermite interpolant).
func ralston3() *Tableau {
	return &Tableau{Name: "ralston3", C: []float64{0, 0.5, 0.75}, A: [][]float64{{}, {0.5}, {0, 0.75}},
		B: []float64{2.0 / 9, 1.0 / 3, 4.0 / 9}, Order: 3}
}

// TestUserTableauOrder: a user's tableau, Ralston's third-order method, runs on the engine
// with its textbook order (log-log fit as TestOrderOfConvergence), and so does its
// dense output (the Hermite interpolant WithTableau fills in: third order).
func TestUserTableauOrder(t *testing.T) {
	p := newLinear10(1)
	q := newLinear10(2)
	var hs, errs, derrs []float64
	for _, n := range []int{32, 64, 128, 256, 512} {
		h := convT / float64(n)
		sol, err := Integrate(p.f, p.y0, []float64{0, convT}, WithTableau(ralston3()), WithStep(h))
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		// f(t0, y0), two stages a step, f(t1, y1) after every step but the last
		if sol.Stats.Steps != n || sol.Stats.NFE != 3*n {
			t.Errorf("n=%d: %+v, want %d steps and %d evaluations", n, sol.Stats, n, 3*n)
		}
		mid := (float64(n/2) + 0.4) * h
		dsol, err := Integrate(q.f, q.y0, []float64{0, mid, convT}, WithTableau(ralston3()), WithStep(h))
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		hs = append(hs, h)
		errs = append(errs, maxAbsDiff(sol.Ys[1], p.exact(convT)))
		derrs = append(derrs, maxAbsDiff(dsol.Ys[1], q.exact(mid)))
	}
	for _, c := range []struct {
		what string
		errs []float64
	}{{"step", errs}, {"dense output", derrs}} {
		got := slope(hs, c.errs)
		t.Logf("ralston3 %s: fitted order %.3f (errors %.2e .. %.2e)", c.what, got, c.errs[0], c.errs[len(c.errs)-1])
		if math.Abs(got-3) > 0.3 {
			t.Errorf("ralston3 %s: fitted order %.3f, want 3 +- 0.3 (errors %v)", c.what, got, c.errs)
		}
	}
}

// TestUserTableauSameEngine: a built-in tableau given by WithTableau (adaptive, FSAL, its
// own dense output) gives the built-in method's bits and evaluation counts, in Integrate
// and through the Solve node with both gradient methods.
func TestUserTableauSameEngine(t *testing.T) {
	for _, m := range []Method{Bosh3, Dopri5, RK4} {
		tb, _ := TableauOf(m)
		tb.Name = "mine"
		opt := []Option{WithTol(1e-6, 1e-8)}
		if !tb.Adaptive() {
			opt = []Option{WithStep(0.05)}
		}
		p := newLinear10(3)
		ts := []float64{0, 0.3, 1.7}
		a, err := Integrate(p.f, p.y0, ts, append(opt, WithMethod(m))...)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Integrate(p.f, p.y0, ts, append(opt, WithTableau(tb))...)
		if err != nil {
			t.Fatal(err)
		}
		if a.Stats != b.Stats {
			t.Errorf("%s: stats %+v by WithTableau, %+v built in", m, b.Stats, a.Stats)
		}
		for i := range a.Ys {
			for j := range a.Ys[i] {
				if math.Float64bits(a.Ys[i][j]) != math.Float64bits(b.Ys[i][j]) {
					t.Fatalf("%s: y[%d][%d] = %v by WithTableau, %v built in", m, i, j, b.Ys[i][j], a.Ys[i][j])
				}
			}
		}
		const batch, dim, hidden = 3, 2, 8
		z0d := randSlice(rand.New(rand.NewSource(3)), batch*dim, 1)
		mk := func(g *G.ExprGraph) Dynamics { return newMLPDyn(g, "f", dim, hidden, 4, 1) }
		for _, gm := range GradientMethods() {
			l1, g1, _, n1, _ := solveGrads(t, mk, z0d, batch, dim, ts, append(opt, WithMethod(m), WithGradient(gm))...)
			l2, g2, _, n2, _ := solveGrads(t, mk, z0d, batch, dim, ts, append(opt, WithTableau(tb), WithGradient(gm))...)
			f1, b1, _ := StatsOf(n1)
			f2, b2, _ := StatsOf(n2)
			if l1 != l2 || f1 != f2 || b1 != b2 {
				t.Errorf("%s %s: loss %v, stats %+v %+v by WithTableau; %v, %+v %+v built in", m, gm, l2, f2, b2, l1, f1, b1)
			}
			for i := range g1 {
				for j := range g1[i] {
					if g1[i][j] != g2[i][j] {
						t.Fatalf("%s %s: gradient %d[%d] = %v by WithTableau, %v built in", m, gm, i, j, g2[i][j], g1[i][j])
					}
				}
			}
		}
	}
}
