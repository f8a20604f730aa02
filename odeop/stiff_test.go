package odeop

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pkg/errors"
)

// The implicit methods on stiff problems, against the stored scipy references of
// testdata/stiff (docs/stiff.md) and exact solutions.

func stiffRobertson(_ float64, y, dy []float64) {
	dy[0] = -0.04*y[0] + 1e4*y[1]*y[2]
	dy[2] = 3e7 * y[1] * y[1]
	dy[1] = -dy[0] - dy[2]
}

func stiffVanDerPol(mu float64) Func {
	return func(_ float64, y, dy []float64) {
		dy[0] = y[1]
		dy[1] = mu*(1-y[0]*y[0])*y[1] - y[0]
	}
}

// stiffRef returns the reference rows of a file: times and states.
func stiffRef(t *testing.T, file string, dim int) (ts []float64, ys [][]float64) {
	_, rows := implicitReadCSV(t, file)
	for _, r := range rows {
		ts = append(ts, r[0])
		ys = append(ys, r[1:1+dim])
	}
	return ts, ys
}

// stiffMaxRel is the largest relative error of got against want over the components.
func stiffMaxRel(got, want []float64) float64 {
	m := 0.0
	for i, w := range want {
		m = math.Max(m, math.Abs(got[i]-w)/math.Abs(w))
	}
	return m
}

// TestStiffRobertson: Robertson to t = 1e5 with every Kvaerno method at rtol 1e-8, atol
// 1e-18 (1e-10 rtol: rtol governs y2 ~ 1e-7 too) against the stored reference: at the end
// point (a step end) every component within 1e-6 relative; at the reference's earlier
// times, which come from the cubic Hermite dense output (third order, on steps that grow
// to 1e4), within 1e-4.
func TestStiffRobertson(t *testing.T) {
	rts, rys := stiffRef(t, "robertson.csv", 3)
	out := []float64{0}
	var want [][]float64
	for i, tt := range rts {
		if tt <= 1e5 {
			out = append(out, tt)
			want = append(want, rys[i])
		}
	}
	for _, m := range ImplicitMethods() {
		if testing.Short() && m == Kvaerno3 {
			continue // third order at rtol 1e-8: 4554 steps
		}
		sol, err := Integrate(stiffRobertson, []float64{1, 0, 0}, out, WithMethod(m), WithTol(1e-8, 1e-18))
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		last := len(want) - 1
		end := stiffMaxRel(sol.Ys[last+1], want[last])
		dense := 0.0
		for i := range last {
			dense = math.Max(dense, stiffMaxRel(sol.Ys[i+1], want[i]))
		}
		t.Logf("%s: relative error at t = 1e5 %.3g, dense output %.3g; %+v", m, end, dense, sol.Stats)
		if end > 1e-6 || dense > 1e-4 {
			t.Errorf("%s: relative error at t = 1e5 %.3g (want <= 1e-6), dense output %.3g (want <= 1e-4)", m, end, dense)
		}
	}
}

// TestStiffVanDerPol: Van der Pol in its standard form with mu = 1000 (period about 1614)
// over two periods, t = 0..3000 through the three jumps, against the stored reference at
// rtol 1e-6, atol 1e-12.
func TestStiffVanDerPol(t *testing.T) {
	rts, rys := stiffRef(t, "vanderpol_mu1000.csv", 2)
	out := append([]float64{0}, rts...)
	for _, m := range ImplicitMethods() {
		if testing.Short() && m != Kvaerno5 {
			continue
		}
		sol, err := Integrate(stiffVanDerPol(1000), []float64{2, 0}, out, WithMethod(m), WithTol(1e-6, 1e-12))
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		worst := 0.0
		for i, w := range rys {
			worst = math.Max(worst, stiffMaxRel(sol.Ys[i+1], w))
		}
		t.Logf("%s: max relative error %.3g; %+v", m, worst, sol.Stats)
		if worst > 1e-4 {
			t.Errorf("%s: max relative error %.3g, want <= 1e-4 at rtol 1e-6", m, worst)
		}
	}
}

// stiffSlope is the least-squares slope of log(err) against log(h).
func stiffSlope(hs, errs []float64) float64 {
	var sx, sy, sxx, sxy float64
	for i := range hs {
		x, y := math.Log(hs[i]), math.Log(errs[i])
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(hs))
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// TestStiffOrder: the empirical order of each Kvaerno method through Integrate (the
// engine's Newton stages, on fixed grids of 8..64 steps to t = 1) on two linear stiff
// problems with known solutions (the Newton iterations converged to rtol = atol = 1e-13, whose
// stopping rule is the only part of the tolerances a fixed grid reads):
//
//   - y' = A y with A = Q diag(-1, -1e4) Q^T (Q a rotation): the stiff mode is damped by
//     L-stability (|h lambda| from 156 to 1250), the error is the smooth mode's, of the
//     classical order p;
//   - Prothero-Robinson y' = lambda (y - sin t) + cos t, lambda = -1e4, y = sin t: the order
//     drops to the stage order 2 (docs/stiff.md, TestImplicitProtheroRobinson).
func TestStiffOrder(t *testing.T) {
	c, s := math.Cos(0.3), math.Sin(0.3)
	l1, l2 := -1.0, -1e4
	a := [2][2]float64{{c*c*l1 + s*s*l2, c * s * (l1 - l2)}, {c * s * (l1 - l2), s*s*l1 + c*c*l2}}
	lin := func(_ float64, y, dy []float64) {
		dy[0] = a[0][0]*y[0] + a[0][1]*y[1]
		dy[1] = a[1][0]*y[0] + a[1][1]*y[1]
	}
	// y0 = Q (1, 1): y(1) = Q (e^-1, e^-1e4)
	y0 := []float64{c - s, s + c}
	exactLin := []float64{c * math.Exp(-1), s * math.Exp(-1)}
	pr := func(t float64, y, dy []float64) { dy[0] = -1e4*(y[0]-math.Sin(t)) + math.Cos(t) }
	steps := []int{8, 16, 32, 64}
	for _, m := range ImplicitMethods() {
		tb, _ := TableauOf(m)
		for _, prob := range []struct {
			name  string
			f     Func
			y0    []float64
			exact []float64
			want  float64
		}{
			{"linear", lin, y0, exactLin, float64(tb.Order)},
			{"prothero-robinson", pr, []float64{0}, []float64{math.Sin(1)}, 2},
		} {
			var hs, errs []float64
			for _, k := range steps {
				sol, err := Integrate(prob.f, prob.y0, []float64{0, 1}, WithMethod(m), withGrid(uniformGrid(0, 1, k)), WithTol(1e-13, 1e-13))
				if err != nil {
					t.Fatalf("%s %s: %v", m, prob.name, err)
				}
				e := 0.0
				for i, v := range prob.exact {
					e = math.Max(e, math.Abs(sol.Ys[1][i]-v))
				}
				hs, errs = append(hs, 1/float64(k)), append(errs, e)
			}
			p := stiffSlope(hs, errs)
			t.Logf("%s %s: slope %.3f (want %.0f), errors %.3g", m, prob.name, p, prob.want, errs)
			if math.Abs(p-prob.want) > 0.25 {
				t.Errorf("%s %s: slope %.3f, want %.0f +- 0.25", m, prob.name, p, prob.want)
			}
		}
	}
}

// TestStiffHint: an explicit method on a stiff problem stops at its step limit with an
// error that says the problem looks stiff and names the implicit methods; on a non-stiff
// problem that needs more steps than allowed it says nothing of the kind.
func TestStiffHint(t *testing.T) {
	for _, m := range []Method{Dopri5, Tsit5, Bosh3, Dopri8} {
		_, err := Integrate(stiffVanDerPol(1000), []float64{2, 0}, []float64{0, 3000}, WithMethod(m), WithTol(1e-6, 1e-12), WithMaxSteps(5000))
		if !errors.Is(err, ErrMaxSteps) {
			t.Fatalf("%s: err = %v, want ErrMaxSteps", m, err)
		}
		msg := err.Error()
		t.Logf("%s: %v", m, msg)
		if !strings.Contains(msg, "looks stiff") || !strings.Contains(msg, "kvaerno5") {
			t.Errorf("%s: %q does not say the problem looks stiff and name the implicit methods", m, msg)
		}
		_, err = Integrate(stiffRobertson, []float64{1, 0, 0}, []float64{0, 1e5}, WithMethod(m), WithTol(1e-6, 1e-16), WithMaxSteps(5000))
		if err == nil || !strings.Contains(err.Error(), "looks stiff") {
			t.Errorf("%s on Robertson: err = %v, want a stiffness hint", m, err)
		}
	}
	osc := func(_ float64, y, dy []float64) { dy[0], dy[1] = y[1], -y[0] }
	_, err := Integrate(osc, []float64{1, 0}, []float64{0, 1e4}, WithTol(1e-8, 1e-8), WithMaxSteps(200))
	if !errors.Is(err, ErrMaxSteps) {
		t.Fatalf("oscillator: err = %v, want ErrMaxSteps", err)
	}
	t.Logf("oscillator: %v", err)
	if strings.Contains(err.Error(), "stiff") {
		t.Errorf("oscillator (not stiff): %q speaks of stiffness", err)
	}
}

// stiffWPRow is one row of testdata/stiff/workprecision.csv (scipy's measured work).
type stiffWPRow struct {
	problem, method string
	tEnd, rtol      float64
	steps, nfev     int
	err             float64
}

func stiffWorkPrecision(t *testing.T) []stiffWPRow {
	f, err := os.Open(filepath.Join("testdata", "stiff", "workprecision.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []stiffWPRow
	for _, r := range recs[1:] {
		var w stiffWPRow
		w.problem, w.method = r[0], r[2]
		w.tEnd, _ = strconv.ParseFloat(r[1], 64)
		w.rtol, _ = strconv.ParseFloat(r[3], 64)
		w.steps, _ = strconv.Atoi(r[5])
		w.nfev, _ = strconv.Atoi(r[6])
		w.err, _ = strconv.ParseFloat(r[9], 64)
		rows = append(rows, w)
	}
	return rows
}

// TestStiffWorkPrecision measures the Kvaerno methods on the problems of scipy's
// work-precision table (testdata/stiff/workprecision.csv: Robertson to 1e5, Van der Pol
// mu = 1000 to 3000, rtol 1e-4, 1e-6, 1e-8 with atol 1e-10 rtol and 1e-6 rtol) and logs
// the table of docs/stiff.md (go test ./odeop -run TestStiffWorkPrecision -v). It asserts
// the claim of docs/stiff.md for Robertson: at every tolerance Kvaerno5 takes no more steps
// than scipy's Radau at the row whose error is the largest at or below Kvaerno5's. On Van
// der Pol the claim does not hold (Kvaerno5 takes 1.4 times Radau's steps at equal error,
// see docs/stiff.md): logged, not asserted.
func TestStiffWorkPrecision(t *testing.T) {
	if testing.Short() {
		t.Skip("work-precision runs (about 1 s)")
	}
	wp := stiffWorkPrecision(t)
	probs := []struct {
		name   string
		f      Func
		y0     []float64
		tEnd   float64
		atolF  float64
		ref    string
		refDim int
	}{
		{"robertson", stiffRobertson, []float64{1, 0, 0}, 1e5, 1e-10, "robertson.csv", 3},
		{"vanderpol_mu1000", stiffVanDerPol(1000), []float64{2, 0}, 3000, 1e-6, "vanderpol_mu1000.csv", 2},
	}
	t.Logf("| problem | method | rtol | steps | rejected | nfe | Jacobians | LUs | Newton iterations | max rel err |")
	t.Logf("|---|---|---|---|---|---|---|---|---|---|")
	for _, p := range probs {
		rts, rys := stiffRef(t, p.ref, p.refDim)
		var want []float64
		for i, tt := range rts {
			if tt == p.tEnd {
				want = rys[i]
			}
		}
		for _, m := range ImplicitMethods() {
			for _, rtol := range []float64{1e-4, 1e-6, 1e-8} {
				sol, err := Integrate(p.f, p.y0, []float64{0, p.tEnd}, WithMethod(m), WithTol(rtol, p.atolF*rtol))
				if err != nil {
					t.Fatalf("%s %s rtol %g: %v", p.name, m, rtol, err)
				}
				e := stiffMaxRel(sol.Ys[1], want)
				st := sol.Stats
				t.Logf("| %s | %s | %g | %d | %d | %d | %d | %d | %d | %.2g |", p.name, m, rtol, st.Steps, st.Rejected, st.NFE, st.JacEvals, st.LUs, st.NewtonIters, e)
				if m != Kvaerno5 || p.name != "robertson" {
					continue
				}
				// scipy's Radau row with the largest error at or below ours
				best := -1
				for i, w := range wp {
					if w.problem == p.name && w.method == "Radau" && w.tEnd == p.tEnd && w.err <= e && (best < 0 || w.err > wp[best].err) {
						best = i
					}
				}
				if best < 0 {
					t.Logf("  (no Radau row has an error at or below %.2g)", e)
					continue
				}
				if st.Steps > wp[best].steps {
					t.Errorf("%s kvaerno5 rtol %g: %d steps at error %.2g, scipy's Radau %d steps at error %.2g (rtol %g)",
						p.name, rtol, st.Steps, e, wp[best].steps, wp[best].err, wp[best].rtol)
				}
			}
		}
	}
	for _, w := range wp {
		if w.tEnd == 1e5 || w.tEnd == 3000 {
			t.Logf("| %s | scipy %s | %g | %d | | %d | | | | %.2g |", w.problem, w.method, w.rtol, w.steps, w.nfev, w.err)
		}
	}
}

// TestStiffTableau: the implicit tableaus validate, run through WithTableau with the bits
// and counts of WithMethod, and Validate refuses a diagonal that is not ESDIRK's.
func TestStiffTableau(t *testing.T) {
	for _, m := range ImplicitMethods() {
		tb, err := TableauOf(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := tb.Validate(); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		ts := []float64{0, 0.5, 40}
		a, err := Integrate(stiffRobertson, []float64{1, 0, 0}, ts, WithMethod(m), WithTol(1e-6, 1e-14))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Integrate(stiffRobertson, []float64{1, 0, 0}, ts, WithTableau(tb), WithTol(1e-6, 1e-14))
		if err != nil {
			t.Fatal(err)
		}
		if maxAbsDiff(a.Ys[2], b.Ys[2]) != 0 || a.Stats != b.Stats {
			t.Errorf("%s: WithTableau gives %v %+v, WithMethod %v %+v", m, b.Ys[2], b.Stats, a.Ys[2], a.Stats)
		}
		for _, bad := range []func(tb *Tableau){
			func(tb *Tableau) { tb.Diag = tb.Diag[1:] },
			func(tb *Tableau) { tb.Diag[0] = 0.1 },
			func(tb *Tableau) { tb.Diag[2] *= 1.01 },
			func(tb *Tableau) { tb.Diag[1] = -tb.Diag[1] },
		} {
			c, _ := TableauOf(m)
			bad(c)
			if err := c.Validate(); !errors.Is(err, ErrMethod) {
				t.Errorf("%s: a bad diagonal %v validates (err %v)", m, c.Diag, err)
			}
		}
	}
}
