package sdeop

import (
	"errors"
	"math"
	"testing"
)

func gbmSDE(calc Calculus, mu, sigma float64) SDE {
	return SDE{
		Drift: func(_ float64, y, f []float64) {
			for i := range y {
				f[i] = mu * y[i]
			}
		},
		Diffusion: func(_ float64, y, g []float64) {
			for i := range y {
				g[i] = sigma * y[i]
			}
		},
		Calculus: calc,
	}
}

func TestIntegrateErrors(t *testing.T) {
	nan := math.NaN()
	ok := gbmSDE(Ito, 0.1, 0.2)
	strat := gbmSDE(Stratonovich, 0.1, 0.2)
	general := ok
	general.Noise, general.NoiseDim = General, 2
	bm, _ := NewBrownianInterval(0, 1, 2, 1)
	bm4, _ := NewBrownianInterval(0, 1, 4, 1)
	short, _ := NewBrownianInterval(0, 0.5, 2, 1)
	tree, _ := NewBrownianTree(0, 1, 2, 1, 1e-6)
	y0 := []float64{1, 1}
	ts := []float64{0, 1}
	step := WithStep(0.1)
	for _, c := range []struct {
		name string
		sde  SDE
		y0   []float64
		ts   []float64
		bm   Brownian
		opts []Option
		want error
	}{
		{"empty ts", ok, y0, nil, bm, []Option{step}, ErrTimes},
		{"NaN ts", ok, y0, []float64{0, nan}, bm, []Option{step}, ErrTimes},
		{"Inf ts", ok, y0, []float64{0, math.Inf(1)}, bm, []Option{step}, ErrTimes},
		{"ts not monotone", ok, y0, []float64{0, 0.5, 0.2}, bm, []Option{step}, ErrTimes},
		{"ts repeated", ok, y0, []float64{0, 0.5, 0.5}, bm, []Option{step}, ErrTimes},
		{"empty y0", ok, nil, ts, bm, []Option{step}, ErrState},
		{"NaN y0", ok, []float64{1, nan}, ts, bm, []Option{step}, ErrState},
		{"nil drift", SDE{Diffusion: ok.Diffusion}, y0, ts, bm, []Option{step}, ErrSDE},
		{"nil diffusion", SDE{Drift: ok.Drift}, y0, ts, bm, []Option{step}, ErrSDE},
		{"unknown calculus", SDE{Drift: ok.Drift, Diffusion: ok.Diffusion, Calculus: 7}, y0, ts, bm, []Option{step}, ErrSDE},
		{"unknown noise", SDE{Drift: ok.Drift, Diffusion: ok.Diffusion, Noise: 9}, y0, ts, bm, []Option{step}, ErrSDE},
		{"general without NoiseDim", SDE{Drift: ok.Drift, Diffusion: ok.Diffusion, Noise: General}, y0, ts, bm, []Option{step}, ErrSDE},
		{"unknown method", ok, y0, ts, bm, []Option{step, WithMethod("rk4")}, ErrMethod},
		{"milstein with general noise", general, y0, ts, bm4, []Option{step, WithMethod(Milstein)}, ErrUnsupported},
		{"srk with general noise", general, y0, ts, bm4, []Option{step, WithMethod(SRK)}, ErrUnsupported},
		{"srk with Stratonovich", strat, y0, ts, bm, []Option{step, WithMethod(SRK)}, ErrUnsupported},
		{"euler with Stratonovich", strat, y0, ts, bm, []Option{step, WithMethod(Euler)}, ErrUnsupported},
		{"heun with Ito", ok, y0, ts, bm, []Option{step, WithMethod(Heun)}, ErrUnsupported},
		{"reversible heun with Ito", ok, y0, ts, bm, []Option{step, WithMethod(ReversibleHeun)}, ErrUnsupported},
		{"srk without Levy area", ok, y0, ts, bm, []Option{step, WithMethod(SRK)}, ErrUnsupported},
		{"srk on a tree", ok, y0, ts, tree, []Option{step, WithMethod(SRK)}, ErrUnsupported},
		{"no step", ok, y0, ts, bm, nil, ErrStep},
		{"zero step", ok, y0, ts, bm, []Option{WithStep(0)}, ErrStep},
		{"negative step", ok, y0, ts, bm, []Option{WithStep(-0.1)}, ErrStep},
		{"NaN step", ok, y0, ts, bm, []Option{WithStep(nan)}, ErrStep},
		{"max steps 0", ok, y0, ts, bm, []Option{step, WithMaxSteps(0)}, ErrOption},
		{"max steps reached", ok, y0, ts, bm, []Option{WithStep(0.01), WithMaxSteps(99)}, ErrMaxSteps},
		{"Brownian dimension", ok, y0, ts, bm4, []Option{step}, ErrBrownian},
		{"Brownian too short", ok, y0, ts, short, []Option{step}, ErrBrownian},
		{"scalar noise, dimension not dividing", SDE{Drift: ok.Drift, Diffusion: ok.Diffusion, Noise: Scalar}, []float64{1, 2, 3}, ts, bm, []Option{step}, ErrBrownian},
		{"general noise, dimension not a multiple", general, y0, ts, bm4, []Option{step, WithMethod(Euler)}, nil},
		{"blow-up", SDE{Drift: func(_ float64, y, f []float64) {
			for i := range y {
				f[i] = y[i] * y[i] * 1e300
			}
		}, Diffusion: ok.Diffusion}, y0, ts, bm, []Option{step}, ErrNonFinite},
	} {
		_, err := Integrate(c.sde, c.y0, c.ts, c.bm, c.opts...)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: unexpected error %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// TestIntegrateGrid checks the step grid: steps of dt from each output time, the last
// one shortened, outputs exactly at ts, and the evaluation counts of each method.
func TestIntegrateGrid(t *testing.T) {
	var times []float64
	sde := gbmSDE(Stratonovich, 0.1, 0.2)
	drift := sde.Drift
	sde.Drift = func(t float64, y, f []float64) {
		times = append(times, t)
		drift(t, y, f)
	}
	ts := []float64{0, 0.25, 0.6, 1}
	sol, err := Integrate(sde, []float64{1}, ts, nil, WithStep(0.1), WithMethod(EulerHeun))
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 0.1, 0.2, 0.25, 0.35, 0.45, 0.55, 0.6, 0.7, 0.8, 0.9}
	if len(times) != len(want) {
		t.Fatalf("drift evaluated at %v, want %v", times, want)
	}
	for i := range want {
		if math.Abs(times[i]-want[i]) > 1e-15 {
			t.Fatalf("drift evaluated at %v, want %v", times, want)
		}
	}
	if sol.Stats.Steps != 11 || sol.Stats.NFE != 11 || sol.Stats.NFEDiffusion != 22 {
		t.Errorf("stats %+v, want 11 steps, 11 drift and 22 diffusion evaluations", sol.Stats)
	}
	if len(sol.Ys) != len(ts) || sol.Ys[0][0] != 1 || &sol.Ts[0] == &ts[0] {
		t.Errorf("solution %+v", sol)
	}
	// Evaluations per step of each method (diagonal noise).
	perStep := map[Method][2]int{
		Euler: {1, 1}, Milstein: {1, 2}, SRK: {3, 4}, Heun: {2, 2}, EulerHeun: {1, 2}, Midpoint: {2, 2}, ReversibleHeun: {1, 1},
	}
	for m, want := range perStep {
		calc := Stratonovich
		if m == Euler || m == SRK || m == Milstein {
			calc = Ito
		}
		sol, err := Integrate(gbmSDE(calc, 0.1, 0.2), []float64{1, 2}, []float64{0, 1}, nil, WithStep(0.1), WithMethod(m))
		if err != nil {
			t.Fatal(m, err)
		}
		extra := 0
		if m == ReversibleHeun {
			extra = 1 // the initial f(t0, y0), g(t0, y0)
		}
		if sol.Stats.NFE != 10*want[0]+extra || sol.Stats.NFEDiffusion != 10*want[1]+extra {
			t.Errorf("%s: %+v, want %v per step", m, sol.Stats, want)
		}
	}
	// The defaults: Euler for Ito (one drift evaluation per step), Midpoint for
	// Stratonovich (two).
	for calc, nfe := range map[Calculus]int{Ito: 10, Stratonovich: 20} {
		sol, err := Integrate(gbmSDE(calc, 0.1, 0.2), []float64{1}, []float64{0, 1}, nil, WithStep(0.1))
		if err != nil || sol.Stats.NFE != nfe {
			t.Errorf("default method for %v: %+v, %v; want %d drift evaluations", calc, sol, err, nfe)
		}
	}
	// A single output time takes no step.
	sol, err = Integrate(sde, []float64{3}, []float64{0.5}, nil, WithStep(0.1))
	if err != nil || len(sol.Ys) != 1 || sol.Ys[0][0] != 3 || sol.Stats.Steps != 0 {
		t.Errorf("single time: %+v, %v", sol, err)
	}
}

// TestIntegrateDefaultBrownian checks that a nil Brownian motion is the documented
// interval, and that the seed selects the path.
func TestIntegrateDefaultBrownian(t *testing.T) {
	sde := gbmSDE(Ito, 0.3, 0.5)
	y0 := []float64{1, 2, 3}
	ts := []float64{0, 0.5, 2}
	a, err := Integrate(sde, y0, ts, nil, WithStep(0.01), WithSeed(7))
	if err != nil {
		t.Fatal(err)
	}
	bm, _ := NewBrownianInterval(0, 2, 3, 7, WithDtHint(0.01))
	b, _ := Integrate(sde, y0, ts, bm, WithStep(0.01))
	c, _ := Integrate(sde, y0, ts, nil, WithStep(0.01), WithSeed(8))
	for i := range y0 {
		if a.Ys[2][i] != b.Ys[2][i] {
			t.Fatal("nil Brownian motion is not the interval of the documentation")
		}
		if a.Ys[2][i] == c.Ys[2][i] {
			t.Fatal("seeds 7 and 8 give the same solution")
		}
	}
}

// TestIntegrateBackward integrates a Stratonovich GBM forward, then backward on the same
// path: the backward solve from the exact Y(1) must return to y0 with an error that
// shrinks as O(dt), and forward-then-backward must come back to y0.
func TestIntegrateBackward(t *testing.T) {
	const P, mu, sigma = 500, 0.4, 0.6
	sde := gbmSDE(Stratonovich, mu, sigma)
	bm, _ := NewBrownianInterval(0, 1, P, 3)
	w := make([]float64, P)
	bm.Increment(w, 0, 1)
	y1 := make([]float64, P)
	for i := range y1 {
		y1[i] = math.Exp(mu + sigma*w[i])
	}
	for _, m := range []Method{Heun, Midpoint, Milstein, ReversibleHeun, EulerHeun} {
		var errs []float64
		dts := []float64{1.0 / 16, 1.0 / 64, 1.0 / 256}
		for _, dt := range dts {
			sol, err := Integrate(sde, y1, []float64{1, 0.5, 0}, bm, WithMethod(m), WithStep(dt))
			if err != nil {
				t.Fatal(err)
			}
			var e float64
			for i := range y1 {
				e += math.Abs(sol.Ys[2][i] - 1)
			}
			errs = append(errs, e/P)
		}
		got := slope(dts, errs)
		t.Logf("%s backward: order %.3f, errors %.3g", m, got, errs)
		if math.Abs(got-1) > 0.2 {
			t.Errorf("%s backward: order %.3f, want 1 (errors %.3g)", m, got, errs)
		}
		// Forward then backward with the same step: a round trip close to y0.
		fwd, _ := Integrate(sde, filled(P, 1), []float64{0, 1}, bm, WithMethod(m), WithStep(1.0/256))
		back, _ := Integrate(sde, fwd.Ys[1], []float64{1, 0}, bm, WithMethod(m), WithStep(1.0/256))
		var e float64
		for i := range back.Ys[1] {
			e += math.Abs(back.Ys[1][i] - 1)
		}
		e /= P
		t.Logf("%s: forward then backward (dt 1/256) returns to y0 within %.3g", m, e)
		if e > 0.02 {
			t.Errorf("%s: forward then backward misses y0 by %.3g", m, e)
		}
	}
}

// TestReversibleHeunReverseStep checks that ReverseStep undoes Step to rounding, step by
// step and over a whole trajectory, for every noise type.
func TestReversibleHeunReverseStep(t *testing.T) {
	mk := func(noise Noise) (SDE, int) {
		sde := SDE{
			Drift: func(t float64, y, f []float64) {
				for i := range y {
					f[i] = math.Sin(y[i]) - 0.5*y[(i+1)%len(y)] + t
				}
			},
			Diffusion: func(t float64, y, g []float64) {
				for i := range g {
					g[i] = 0.3 + 0.2*math.Cos(y[i%len(y)]+float64(i)) + 0.1*t
				}
			},
			Noise:    noise,
			Calculus: Stratonovich,
		}
		switch noise {
		case Scalar:
			return sde, 2
		case General:
			sde.NoiseDim = 3
			return sde, 3
		}
		return sde, 6
	}
	for _, noise := range []Noise{Diagonal, Additive, Scalar, General} {
		sde, m := mk(noise)
		if noise == Additive {
			sde.Diffusion = func(t float64, _, g []float64) {
				for i := range g {
					g[i] = 0.4 + 0.1*float64(i)*t
				}
			}
		}
		y0 := []float64{0.1, -0.4, 0.7, 1.2, -1, 0.3}
		const n = 200
		h := 1.0 / n
		bm, _ := NewBrownianInterval(0, 1, m, 11, WithDtHint(h))
		st, err := NewReversibleHeunStepper(sde, 0, y0, m)
		if err != nil {
			t.Fatal(err)
		}
		type state struct{ y, z, f, g []float64 }
		snap := func() state {
			y, z, f, g := st.State()
			return state{append([]float64(nil), y...), append([]float64(nil), z...), append([]float64(nil), f...), append([]float64(nil), g...)}
		}
		maxRel := func(a, b []float64) float64 {
			d := 0.0
			for i := range a {
				d = math.Max(d, math.Abs(a[i]-b[i])/math.Max(1, math.Abs(a[i])))
			}
			return d
		}
		dw := make([]float64, m)
		var states []state
		states = append(states, snap())
		for k := 0; k < n; k++ {
			t0 := float64(k) * h
			bm.Increment(dw, t0, t0+h)
			st.Step(t0, h, dw)
			states = append(states, snap())
			// One step back and forth again: exact to rounding.
			st.ReverseStep(t0, h, dw)
			now := snap()
			prev := states[k]
			for _, p := range [][2][]float64{{now.y, prev.y}, {now.z, prev.z}, {now.f, prev.f}, {now.g, prev.g}} {
				if d := maxRel(p[0], p[1]); d > 1e-12 {
					t.Fatalf("%v noise, step %d: ReverseStep misses the previous state by %.3g", noise, k, d)
				}
			}
			st.Step(t0, h, dw)
		}
		// Integrate agrees with the stepper.
		sol, err := Integrate(sde, y0, []float64{0, 1}, bm, WithMethod(ReversibleHeun), WithStep(h))
		if err != nil {
			t.Fatal(err)
		}
		if d := maxRel(sol.Ys[1], states[n].y); d > 1e-14 {
			t.Fatalf("%v noise: Integrate and the stepper differ by %.3g", noise, d)
		}
		// The whole trajectory backward.
		worst := 0.0
		for k := n - 1; k >= 0; k-- {
			t0 := float64(k) * h
			bm.Increment(dw, t0, t0+h)
			st.ReverseStep(t0, h, dw)
			y, z, _, _ := st.State()
			worst = math.Max(worst, math.Max(maxRel(y, states[k].y), maxRel(z, states[k].z)))
		}
		if worst > 1e-10 {
			t.Errorf("%v noise: reconstructing %d steps backward drifts by %.3g", noise, n, worst)
		}
		t.Logf("%v noise: %d steps reconstructed backward to %.2g", noise, n, worst)
	}
}

func TestReversibleHeunStepperErrors(t *testing.T) {
	sde := gbmSDE(Stratonovich, 0.1, 0.2)
	if _, err := NewReversibleHeunStepper(sde, 0, nil, 1); !errors.Is(err, ErrState) {
		t.Errorf("empty y0: %v", err)
	}
	if _, err := NewReversibleHeunStepper(gbmSDE(Ito, 0.1, 0.2), 0, []float64{1}, 1); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Ito: %v", err)
	}
	if _, err := NewReversibleHeunStepper(sde, 0, []float64{1, 2}, 3); !errors.Is(err, ErrBrownian) {
		t.Errorf("dimension: %v", err)
	}
	st, _ := NewReversibleHeunStepper(sde, 0, []float64{1, 2}, 2)
	mustPanic(t, "Step with a short dW", "length", func() { st.Step(0, 0.1, []float64{1}) })
}

func TestSRKTableaus(t *testing.T) {
	for _, tb := range []*srkTableau{&srid2, &sra1} {
		if err := tb.Validate(); err != nil {
			t.Error(err)
		}
	}
	bad := srid2
	bad.Alpha = []float64{1.0 / 6, 1.0 / 6, 2.0 / 3, 0.1}
	if bad.Validate() == nil {
		t.Error("a tableau with drift weights summing to 1.1 validates")
	}
}
