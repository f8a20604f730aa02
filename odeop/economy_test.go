package odeop

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
)

// The work-precision (economy) comparison of ECONOMY.md: function evaluations against
// achieved error on standard non-stiff problems (DETEST classes A and B of Hull, Enright,
// Fellen, Sedgwick 1972, Kepler orbits, the Arenstorf orbit of HNW I, II.0) at tolerances
// 1e-3, 1e-6 and 1e-9 (rtol = atol = tol), for our dopri5 and for torchdiffeq's dopri5
// configuration, and tsit5.
//
//	go test ./odeop -run TestEconomy -v

// econProblem is a problem with a reference solution at t1 (exact, or a dopri8 solve at
// tolerance 1e-14 when exact is nil).
type econProblem struct {
	name  string
	f     Func
	y0    []float64
	t1    float64
	exact []float64
}

func detest() []econProblem {
	ps := []econProblem{
		{name: "A1", y0: []float64{1}, t1: 20,
			f: func(_ float64, y, dy []float64) { dy[0] = -y[0] }, exact: []float64{math.Exp(-20)}},
		{name: "A2", y0: []float64{1}, t1: 20,
			f: func(_ float64, y, dy []float64) { dy[0] = -0.5 * y[0] * y[0] * y[0] }, exact: []float64{1 / math.Sqrt(21)}},
		{name: "A3", y0: []float64{1}, t1: 20,
			f: func(t float64, y, dy []float64) { dy[0] = y[0] * math.Cos(t) }, exact: []float64{math.Exp(math.Sin(20))}},
		{name: "A4", y0: []float64{1}, t1: 20,
			f:     func(_ float64, y, dy []float64) { dy[0] = y[0] / 4 * (1 - y[0]/20) },
			exact: []float64{20 / (1 + 19*math.Exp(-5))}},
		{name: "A5", y0: []float64{4}, t1: 20,
			f: func(t float64, y, dy []float64) { dy[0] = (y[0] - t) / (y[0] + t) }},
		{name: "B1", y0: []float64{1, 3}, t1: 20,
			f: func(_ float64, y, dy []float64) {
				dy[0] = 2 * (y[0] - y[0]*y[1])
				dy[1] = -(y[1] - y[0]*y[1])
			}},
		{name: "B2", y0: []float64{2, 0, 1}, t1: 20,
			f: func(_ float64, y, dy []float64) {
				dy[0] = -y[0] + y[1]
				dy[1] = y[0] - 2*y[1] + y[2]
				dy[2] = y[1] - y[2]
			}},
		{name: "B3", y0: []float64{1, 0, 0}, t1: 20,
			f: func(_ float64, y, dy []float64) {
				dy[0] = -y[0]
				dy[1] = y[0] - y[1]*y[1]
				dy[2] = y[1] * y[1]
			}},
		{name: "B4", y0: []float64{3, 0, 0}, t1: 20,
			f: func(_ float64, y, dy []float64) {
				r := math.Hypot(y[0], y[1])
				dy[0] = -y[1] - y[0]*y[2]/r
				dy[1] = y[0] - y[1]*y[2]/r
				dy[2] = y[0] / r
			}},
		{name: "B5", y0: []float64{0, 1, 1}, t1: 20,
			f: func(_ float64, y, dy []float64) {
				dy[0] = y[1] * y[2]
				dy[1] = -y[0] * y[2]
				dy[2] = -0.51 * y[0] * y[1]
			}},
	}
	for _, e := range []float64{0.5, 0.9} {
		k := kepler(e, 3)
		ps = append(ps, econProblem{name: fmt.Sprintf("Kepler e=%g", e), f: k.f, y0: k.y0, t1: k.t1, exact: k.exact(k.t1)})
	}
	const mu = 0.012277471
	ps = append(ps, econProblem{
		name: "Arenstorf", y0: []float64{0.994, 0, 0, -2.00158510637908252240537862224}, t1: 17.0652165601579625588917206249,
		f: func(_ float64, y, dy []float64) {
			mu1 := 1 - mu
			d1 := math.Pow((y[0]+mu)*(y[0]+mu)+y[1]*y[1], 1.5)
			d2 := math.Pow((y[0]-mu1)*(y[0]-mu1)+y[1]*y[1], 1.5)
			dy[0], dy[1] = y[2], y[3]
			dy[2] = y[0] + 2*y[3] - mu1*(y[0]+mu)/d1 - mu*(y[0]-mu1)/d2
			dy[3] = y[1] - 2*y[2] - mu1*y[1]/d1 - mu*y[1]/d2
		},
	})
	return ps
}

var (
	refOnce sync.Once
	refs    map[string][]float64
)

// references computes the reference solutions once (dopri8, tolerance 1e-14).
func references(t testing.TB) map[string][]float64 {
	refOnce.Do(func() {
		refs = map[string][]float64{}
		for _, p := range detest() {
			if p.exact != nil {
				refs[p.name] = p.exact
				continue
			}
			sol, err := Integrate(p.f, p.y0, []float64{0, p.t1}, WithMethod(Dopri8), WithTol(1e-14, 1e-14), WithMaxSteps(1e6))
			if err != nil {
				panic(err)
			}
			refs[p.name] = sol.Ys[1]
		}
	})
	return refs
}

// econConfig is a method, an error estimate and a controller.
type econConfig struct {
	name   string
	method Method
	berr   []float64 // replaces the tableau's error weights when not nil
	ctrl   Controller
}

func (c econConfig) solve(p econProblem, tol float64) (*Solution, error) {
	tb, _ := TableauOf(c.method)
	if c.berr != nil {
		tb.BErr = clone(c.berr)
	}
	cfg := newConfig([]Option{WithTol(tol, tol), WithController(c.ctrl), WithMaxSteps(1e6)})
	return integrate(p.f, p.y0, []float64{0, p.t1}, newPlan(tb), cfg)
}

// econError is the error at t1: max |y - ref| / max(1, |ref|).
func econError(y, ref []float64) float64 {
	e := 0.0
	for i := range y {
		e = math.Max(e, math.Abs(y[i]-ref[i])/math.Max(1, math.Abs(ref[i])))
	}
	return e
}

var (
	torchdiffeqDopri5 = econConfig{"torchdiffeq dopri5 (Shampine estimate, I-control)", Dopri5, dp5EShampine, TorchdiffeqController()}
	ourDopri5         = econConfig{"dopri5 (default)", Dopri5, nil, DefaultController()}
	ourTsit5          = econConfig{"tsit5 (default)", Tsit5, nil, DefaultController()}
)

// econCandidates are the variants measured to choose the default (ECONOMY.md).
func econCandidates() []econConfig {
	pi := DefaultController()
	pi.Predictive = false
	pred := pi
	pred.Predictive = true
	i := pi
	i.Beta = 0
	ipred := i
	ipred.Predictive = true
	return []econConfig{
		torchdiffeqDopri5,
		{"Shampine estimate, PI 0.04", Dopri5, dp5EShampine, pi},
		{"Hairer estimate, torchdiffeq I-control", Dopri5, nil, TorchdiffeqController()},
		{"Hairer estimate, I (beta 0)", Dopri5, nil, i},
		{"Hairer estimate, PI 0.04", Dopri5, nil, pi},
		{"Hairer estimate, I + predictive", Dopri5, nil, ipred},
		{"Hairer estimate, PI 0.04 + predictive", Dopri5, nil, pred},
		ourDopri5,
		ourTsit5,
	}
}

// efficiency is NFE * err^(1/5): the evaluations a fifth-order method needs, normalised to
// unit error; lower is better.
func efficiency(nfe int, err float64) float64 { return float64(nfe) * math.Pow(err, 0.2) }

type econResult struct {
	nfe, rejected, attempts int
	err                     float64
	eff                     float64 // NFE*err^(1/5), geometric mean over the tolerance sweep
}

// econSweep are the tolerance multipliers around each nominal tolerance: the efficiency
// of one solve swings with lucky error cancellation, so each entry is the geometric mean
// over five tolerances tol*10^(k/4), k = -2..2.
var econSweep = []float64{0.31622776601683794, 0.5623413251903491, 1, 1.7782794100389228, 3.1622776601683795}

func runEconomy(t testing.TB, cfgs []econConfig, tols []float64) map[string]map[float64]map[string]econResult {
	ref := references(t)
	out := map[string]map[float64]map[string]econResult{}
	for _, c := range cfgs {
		out[c.name] = map[float64]map[string]econResult{}
		for _, tol := range tols {
			out[c.name][tol] = map[string]econResult{}
			for _, p := range detest() {
				var r econResult
				logEff := 0.0
				for _, m := range econSweep {
					sol, err := c.solve(p, tol*m)
					if err != nil {
						t.Fatalf("%s %s tol %g: %v", c.name, p.name, tol*m, err)
					}
					e := econError(sol.Ys[1], ref[p.name])
					logEff += math.Log(efficiency(sol.Stats.NFE, e))
					if m == 1 {
						r.nfe, r.err = sol.Stats.NFE, e
					}
					r.rejected += sol.Stats.Rejected
					r.attempts += sol.Stats.Rejected + sol.Stats.Steps
				}
				r.eff = math.Exp(logEff / float64(len(econSweep)))
				out[c.name][tol][p.name] = r
			}
		}
	}
	return out
}

// geoRatio is the geometric mean over the problems of efficiency(a)/efficiency(b).
func geoRatio(a, b map[string]econResult) float64 {
	s, n := 0.0, 0
	for name, ra := range a {
		rb := b[name]
		s += math.Log(ra.eff / rb.eff)
		n++
	}
	return math.Exp(s / float64(n))
}

var econTols = []float64{1e-3, 1e-6, 1e-9}

// TestEconomy: our dopri5 needs fewer evaluations than torchdiffeq's dopri5 at equal error
// (geometric mean over the problems of NFE*err^(1/5), at every tolerance), and tsit5 beats
// dopri5 the same way. The table's NFE and error columns are the solves at the nominal
// tolerance; its ratios are of the efficiencies averaged over the tolerance sweep.
func TestEconomy(t *testing.T) {
	res := runEconomy(t, []econConfig{torchdiffeqDopri5, ourDopri5, ourTsit5}, econTols)
	var b strings.Builder
	names := make([]string, 0)
	for _, p := range detest() {
		names = append(names, p.name)
	}
	fmt.Fprintf(&b, "\n%-12s %6s | %-20s | %-20s | %-20s | %s\n", "problem", "tol", "torchdiffeq NFE/err", "dopri5 NFE/err", "tsit5 NFE/err", "eff ratio d5/td, ts/d5")
	for _, tol := range econTols {
		for _, name := range names {
			td, d5, ts := res[torchdiffeqDopri5.name][tol][name], res[ourDopri5.name][tol][name], res[ourTsit5.name][tol][name]
			fmt.Fprintf(&b, "%-12s %6.0e | %6d %.2e | %6d %.2e | %6d %.2e | %.3f %.3f\n", name, tol,
				td.nfe, td.err, d5.nfe, d5.err, ts.nfe, ts.err,
				d5.eff/td.eff, ts.eff/d5.eff)
		}
	}
	for _, tol := range econTols {
		r := geoRatio(res[ourDopri5.name][tol], res[torchdiffeqDopri5.name][tol])
		q := geoRatio(res[ourTsit5.name][tol], res[ourDopri5.name][tol])
		fmt.Fprintf(&b, "tol %.0e: geometric mean NFE*err^(1/5) ratio dopri5/torchdiffeq %.3f, tsit5/dopri5 %.3f\n", tol, r, q)
		if r >= 1 {
			t.Errorf("tol %g: our dopri5 is not more economical than torchdiffeq's (ratio %.3f)", tol, r)
		}
		if q >= 1 {
			t.Errorf("tol %g: tsit5 is not more economical than dopri5 (ratio %.3f)", tol, q)
		}
	}
	t.Log(b.String())
}

// TestEconomyCandidates prints the comparison of the controller and estimate variants
// that chose the default (ECONOMY.md). It only reports.
func TestEconomyCandidates(t *testing.T) {
	if testing.Short() {
		t.Skip("report only")
	}
	cfgs := econCandidates()
	res := runEconomy(t, cfgs, econTols)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-52s", "configuration (ratio of geometric-mean NFE*err^(1/5) to torchdiffeq)")
	for _, tol := range econTols {
		fmt.Fprintf(&b, " %8.0e", tol)
	}
	fmt.Fprintf(&b, " | NFE, rejected share at 1e-6\n")
	for _, c := range cfgs {
		fmt.Fprintf(&b, "%-52s", c.name)
		for _, tol := range econTols {
			fmt.Fprintf(&b, " %8.3f", geoRatio(res[c.name][tol], res[torchdiffeqDopri5.name][tol]))
		}
		tot, rej, att := 0, 0, 0
		for _, r := range res[c.name][1e-6] {
			tot += r.nfe
			rej += r.rejected
			att += r.attempts
		}
		fmt.Fprintf(&b, " | %d, %.1f%%\n", tot, 100*float64(rej)/float64(att))
	}
	t.Log(b.String())
}
