package odeop

import (
	"math"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// Integrate solves dy/dt = f(t, y), y(ts[0]) = y0 and returns y at every time of ts.
//
// ts is strictly increasing or strictly decreasing (backward in time); a single time
// returns y0. Adaptive methods (the default is Dopri5) control the step with the
// tolerances of WithTol, the Controller and the Norm; fixed-step methods (Euler,
// Midpoint, Heun, RK4) need WithStep(h), and their last step is shortened to end exactly
// at ts[len(ts)-1]. Every solve ends with a step landing exactly on the last time; values
// at the other times come from the method's dense output on the step that contains them,
// so many output times cost no extra steps (an output time that is a step end gets that
// step's y1 exactly).
//
// Errors wrap the sentinels of this package: ErrTimes, ErrState, ErrTolerance, ErrMethod,
// ErrOption for invalid arguments; ErrUnderflow (with t and h), ErrMaxSteps (with t) and
// ErrNonFinite (with t and the component) for failures during the solve.
func Integrate(f Func, y0, ts []float64, opts ...Option) (*Solution, error) {
	return integrate(f, y0, ts, nil, newConfig(opts))
}

// hook is an Option that sets an internal hook of config.
func hook(set func(c *config)) Option { return Option{name: "internal", set: set} }

// The internal hooks of config, for the Checkpoint gradient:
//
//   - grid: the solve steps exactly from grid[k] to grid[k+1] (h = grid[k+1] - grid[k]),
//     with any method, adaptive ones included, without error control and without
//     rejections; outputs come from the dense output as always. The grid must run strictly
//     monotone from ts[0] to ts[len(ts)-1]. It replaces WithStep.
//   - onStep(t0, h, y0): called once for every accepted step, after its acceptance and
//     before the state advances and outputs are written, with the step's start, its size
//     (signed; the step ends at t0 + h, or at exactly the last time for the last step) and
//     the state at its start (read-only, valid during the call only).
//
// Recording t0 of every onStep call, plus the last time, and replaying them as the grid
// reproduces the solve bit for bit (same stages, same outputs): an adaptive step is
// computed as t1 - t0 exactly as a replay computes it.

// solve is the state of one Integrate call.
type solve struct {
	cfg  *config
	r    *rk
	ts   []float64
	ys   [][]float64
	next int // index of the next output time
	dir  float64
	st   Stats
}

// integrate runs Integrate with the plan p (nil: the configured method's; tests pass
// tableau variants).
func integrate(f Func, y0, ts []float64, p *plan, cfg *config) (*Solution, error) {
	cfg.plan = p
	if err := cfg.check(false); err != nil {
		return nil, err
	}
	if err := checkArgs(f, y0, ts, cfg); err != nil {
		return nil, err
	}
	n := len(y0)
	back := make([]float64, len(ts)*n)
	sol := &Solution{Ts: append([]float64(nil), ts...), Ys: rowsOf(back, len(ts), n)}
	if len(ts) == 1 {
		copy(sol.Ys[0], y0)
		return sol, nil
	}
	st, err := newRK(cfg.plan, n, setup{f: f}).run(y0, ts, sol.Ys, cfg)
	sol.Stats = st
	if err != nil {
		return nil, err
	}
	return sol, nil
}

// rowsOf splits back into m rows of length n (capacity n each).
func rowsOf(back []float64, m, n int) [][]float64 {
	ys := make([][]float64, m)
	for i := range ys {
		ys[i] = back[i*n : (i+1)*n : (i+1)*n]
	}
	return ys
}

// run solves from y0 over ts (at least two times) with the engine r, whose buffers it
// reuses, so that callers solving many times (the adjoint, one solve per output interval)
// allocate nothing per solve. It writes y0 and y at every later time into ys (len(ts) rows
// of length r.n; ys[0] may be y0 itself) and returns the statistics of this solve alone.
// The configuration must have passed check and the arguments checkArgs.
func (r *rk) run(y0, ts []float64, ys [][]float64, cfg *config) (Stats, error) {
	r.nfe = 0
	if &ys[0][0] != &y0[0] {
		copy(ys[0], y0)
	}
	s := solve{cfg: cfg, r: r, ts: ts, ys: ys, next: 1, dir: 1}
	if ts[len(ts)-1] < ts[0] {
		s.dir = -1
	}
	copy(r.y0, y0)
	if r.nw != nil {
		r.nw.begin(cfg, r.n, r.block, r.blockLen)
	}
	var err error
	if !r.eval(ts[0], r.y0, r.k[0]) {
		err = s.nonFinite()
	} else {
		err = s.walk()
	}
	if r.nw != nil {
		r.nw.addStats(&s.st)
	}
	s.st.NFE = r.nfe
	if r.tb.Adaptive() && cfg.grid == nil {
		s.st.RaisedRtol = cfg.raised
	}
	return s.st, err
}

// checkArgs checks the arguments of a solve whose configuration passed check.
func checkArgs(f Func, y0, ts []float64, cfg *config) error {
	if f == nil {
		return errors.Wrap(ErrOption, "f is nil, want a right-hand side")
	}
	if err := checkTimes(ts); err != nil {
		return err
	}
	if len(y0) == 0 {
		return errors.Wrap(ErrState, "y0 is empty, want at least one component")
	}
	if i := graphop.NonFinite(y0); i >= 0 {
		return errors.Wrapf(ErrState, "y0[%d] = %g, want a finite value", i, y0[i])
	}
	if cfg.grid != nil {
		return checkGrid(cfg.grid, ts)
	}
	return nil
}

// checkTimes checks output times: at least one, finite, strictly monotone, and a span
// that does not overflow.
func checkTimes(ts []float64) error {
	if len(ts) == 0 {
		return errors.Wrap(ErrTimes, "ts is empty, want at least one time")
	}
	for i, t := range ts {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return errors.Wrapf(ErrTimes, "ts[%d] = %g, want a finite time", i, t)
		}
	}
	if len(ts) > 1 {
		inc := ts[1] > ts[0]
		for i := 1; i < len(ts); i++ {
			if (inc && !(ts[i] > ts[i-1])) || (!inc && !(ts[i] < ts[i-1])) {
				want := "increasing"
				if !inc {
					want = "decreasing"
				}
				return errors.Wrapf(ErrTimes, "ts[%d] = %g after ts[%d] = %g, want ts strictly %s", i, ts[i], i-1, ts[i-1], want)
			}
		}
		if span := ts[len(ts)-1] - ts[0]; math.IsInf(span, 0) {
			return errors.Wrapf(ErrTimes, "ts spans [%g, %g], whose length overflows", ts[0], ts[len(ts)-1])
		}
	}
	return nil
}

func checkGrid(g, ts []float64) error {
	if len(ts) < 2 {
		return nil
	}
	if len(g) < 2 {
		return errors.Wrapf(ErrOption, "grid has %d points, want at least 2", len(g))
	}
	if g[0] != ts[0] || g[len(g)-1] != ts[len(ts)-1] {
		return errors.Wrapf(ErrOption, "grid spans [%g, %g], want [%g, %g] (the span of ts)", g[0], g[len(g)-1], ts[0], ts[len(ts)-1])
	}
	inc := ts[len(ts)-1] > ts[0]
	for i := 1; i < len(g); i++ {
		if math.IsNaN(g[i]) || (inc && !(g[i] > g[i-1])) || (!inc && !(g[i] < g[i-1])) {
			return errors.Wrapf(ErrOption, "grid[%d] = %g after grid[%d] = %g, want the grid strictly monotone like ts", i, g[i], i-1, g[i-1])
		}
	}
	return nil
}

func (s *solve) nonFinite() error {
	r := s.r
	return errors.Wrapf(ErrNonFinite, "non-finite %s at t = %g, component %d", r.badWhat, r.badT, r.badI)
}

// emit writes the outputs that lie in the accepted step (t, t1] of size h: the dense
// output inside, y1 at t1. k[last] must hold f(t1, y1) unless only t1 is an output. A
// dense output that overflows is an ErrNonFinite.
func (s *solve) emit(t, h, t1 float64) error {
	for s.next < len(s.ts) {
		tn := s.ts[s.next]
		if s.dir*(tn-t1) > 0 {
			return nil
		}
		y := s.ys[s.next]
		if tn == t1 {
			copy(y, s.r.y1)
		} else {
			th := (tn - t) / h
			th = math.Max(0, math.Min(1, th))
			if !s.r.dense(y, h, th) {
				s.r.markBad(tn, y, "dense output")
				return s.nonFinite()
			}
		}
		s.next++
	}
	return nil
}

// needF1 reports whether f(t1, y1) must be evaluated after an accepted step of a non-FSAL
// tableau: for the next step, or for dense output inside the last one.
func (s *solve) needF1(last bool) bool {
	return !last || s.ts[s.next] != s.ts[len(s.ts)-1]
}

// fixedSteps returns the number of steps of a fixed grid (the replay grid, or steps of
// cfg.step with the last one shortened to end at the last time), or ErrMaxSteps.
func (s *solve) fixedSteps() (int, error) {
	cfg := s.cfg
	t0, tend := s.ts[0], s.ts[len(s.ts)-1]
	nsteps := len(cfg.grid) - 1
	tlim := func() float64 { return t0 + s.dir*float64(cfg.maxSteps)*cfg.step }
	if cfg.grid == nil {
		q := math.Abs(tend-t0) / cfg.step
		if q > float64(cfg.maxSteps)*(1+1e-10) {
			return 0, errors.Wrapf(ErrMaxSteps, "step limit %d reached at t = %g (fixed step %g needs %.0f steps to reach %g)",
				cfg.maxSteps, tlim(), cfg.step, math.Ceil(q), tend)
		}
		nsteps = max(1, int(math.Ceil(q*(1-1e-10))))
	} else {
		tlim = func() float64 { return cfg.grid[cfg.maxSteps] }
	}
	if nsteps > cfg.maxSteps {
		return 0, errors.Wrapf(ErrMaxSteps, "step limit %d reached at t = %g (%d steps needed)", cfg.maxSteps, tlim(), nsteps)
	}
	return nsteps, nil
}

// walk is the one walk over time: fixed steps (fixedSteps), or adaptive steps that the
// controller accepts or rejects from the error norm, with Hairer's initial step unless
// WithStep gives one; every accepted step writes the outputs it contains (emit).
func (s *solve) walk() error {
	cfg, r := s.cfg, s.r
	t0, tend := s.ts[0], s.ts[len(s.ts)-1]
	dir := s.dir
	adaptive := cfg.grid == nil && r.tb.Adaptive()
	var sc stepControl
	var h float64 // the magnitude of the next adaptive step
	nsteps := 0
	if adaptive {
		sc = newStepControl(cfg.ctrl, r.tb.ErrOrder)
		r.fuseErr(cfg.rtol, cfg.atol, cfg.norm)
		span := math.Abs(tend - t0)
		if h = cfg.step; h == 0 {
			h = s.initialStep(span)
		}
		h = s.boundStep(math.Min(h, span))
	} else {
		var err error
		if nsteps, err = s.fixedSteps(); err != nil {
			return err
		}
	}
	t := t0
	nonFiniteLast := false
	for k := 1; ; k++ {
		var t1, hProp float64 // hProp: the adaptive step before it is cut to end on tend
		last := k == nsteps
		switch {
		case last:
			t1 = tend
		case cfg.grid != nil:
			t1 = cfg.grid[k]
		case !adaptive:
			t1 = t0 + dir*float64(k)*cfg.step
		default:
			if s.st.Steps+s.st.Rejected >= cfg.maxSteps {
				return s.stiffHint(errors.Wrapf(ErrMaxSteps, "step limit %d reached at t = %g", cfg.maxSteps, t), t, h)
			}
			hs := dir * h
			hProp = h
			if dir*(t+1.01*hs-tend) >= 0 {
				hs = tend - t
				h = math.Abs(hs)
				last = true
			}
			if t+hs == t || h <= 10*epsilon*math.Abs(t) {
				if nonFiniteLast {
					return errors.Wrapf(ErrNonFinite, "non-finite %s at t = %g, component %d (the step size underflowed to h = %g at t = %g)",
						r.badWhat, r.badT, r.badI, hs, t)
				}
				return s.stiffHint(errors.Wrapf(ErrUnderflow, "step size underflow at t = %g: h = %g", t, hs), t, h)
			}
			if t1 = t + hs; last {
				t1 = tend
			}
		}
		// The step is t1 - t exactly as a replay of the boundaries (the grid hook) computes
		// it, so that a replay reproduces the solve bit for bit.
		hs := t1 - t
		h = math.Abs(hs)
		finiteOK := r.step(t, hs, t1)
		errn := math.NaN()
		if finiteOK && adaptive {
			errn = r.errNorm(hs, cfg.rtol, cfg.atol, cfg.norm)
		}
		// a step at the minimum step size is accepted whatever its (finite) error
		forced := !adaptive || (cfg.minStep > 0 && h <= cfg.minStep*(1+1e-12))
		ok := finiteOK && (errn <= 1 || (forced && (!adaptive || !math.IsNaN(errn))))
		if ok && !r.fsal && s.needF1(last) {
			finiteOK = r.eval(t1, r.y1, r.k[r.last])
			ok = finiteOK
		}
		if !ok {
			nonFiniteLast = !finiteOK
			if !finiteOK {
				if forced { // the step cannot shrink
					return s.nonFinite()
				}
				errn = math.NaN()
			}
			s.st.Rejected++
			h = s.boundStep(h * sc.reject(errn))
			continue
		}
		nonFiniteLast = false
		if cfg.onStep != nil {
			cfg.onStep(t, hs, t1, r.y0)
		}
		if cfg.onAccept != nil { // events (event.go): may end the solve here
			if stop, err := cfg.onAccept(r, t, hs, t1); err != nil || stop {
				s.st.Steps++
				return err
			}
		}
		if err := s.emit(t, hs, t1); err != nil {
			return err
		}
		r.advance()
		t = t1
		s.st.Steps++
		if !adaptive {
			if last {
				return nil
			}
			continue
		}
		hNext := s.boundStep(h * sc.accept(h, errn))
		if last {
			// For a solve that continues from tend: the controller's proposal, or the
			// step the last one was cut from when that is larger (a last step cut short
			// by tend says little about the step the solution allows).
			r.hNext = math.Max(hNext, hProp)
			return nil
		}
		h = hNext
	}
}

const epsilon = 0x1p-52

// boundStep applies the optional step bounds of WithStepBounds to a step magnitude.
func (s *solve) boundStep(h float64) float64 {
	if s.cfg.maxStep > 0 && h > s.cfg.maxStep {
		h = s.cfg.maxStep
	}
	if s.cfg.minStep > 0 && h < s.cfg.minStep {
		h = s.cfg.minStep
	}
	return h
}

// initialStep is Hairer's starting step (HNW I, II.4, "automatic step size control",
// (a)-(f); torchdiffeq's _select_initial_step), at the cost of one evaluation: with
// sc = atol + rtol*|y0|, d0 = ||y0/sc||, d1 = ||f0/sc||, h0 = 0.01*d0/d1 (1e-6 when either
// is below 1e-5), a probe f1 = f(t0 + h0, y0 + h0*f0), d2 = ||(f1 - f0)/sc||/h0 and
// h1 = (0.01/max(d1, d2))^(1/p), the step is min(100*h0, h1). As in Hairer's code h0 is
// at most the span, so the probe stays inside the interval. Returns a magnitude.
func (s *solve) initialStep(span float64) float64 {
	r, cfg := s.r, s.cfg
	y0, f0 := r.y0, r.k[0]
	// the norm of x / (atol + rtol*|y0|)
	scaled := func(x []float64) float64 { return r.scaledNorm(x, y0, y0, r.e, cfg.rtol, cfg.atol, cfg.norm) }
	d0, d1 := scaled(y0), scaled(f0)
	h0 := 1e-6
	if d0 >= 1e-5 && d1 >= 1e-5 {
		h0 = 0.01 * d0 / d1
	}
	if !(h0 <= span) { // also NaN
		h0 = span
	}
	// yt = y0 + dir*h0*f0, then f1 - f0 (as f1 + (-1)*f0: the same bits), vectorized
	yt, f1 := r.yt, r.k[1]
	c := r.c[:1]
	c[0] = s.dir * h0
	lincomb(yt, y0, c, r.k[:1])
	if !r.eval(s.ts[0]+s.dir*h0, yt, f1) {
		return h0
	}
	c[0] = -1
	lincomb(yt, f1, c, r.k[:1])
	d2 := scaled(yt) / h0
	var h1 float64
	if d1 <= 1e-15 && d2 <= 1e-15 {
		h1 = math.Max(1e-6, h0*1e-3)
	} else {
		h1 = math.Pow(0.01/math.Max(d1, d2), 1/float64(r.tb.Order))
	}
	h := math.Min(100*h0, h1)
	if !(h > 0) || math.IsInf(h, 0) {
		h = h0
	}
	return h
}
