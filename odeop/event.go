package odeop

import (
	"math"

	"github.com/pkg/errors"
)

// ErrEvent is wrapped by the errors of an event search: an event function that returns
// a value that is not finite, a crossing where the event function does not move (dg/dt
// along the solution is 0, so the event time has no derivative).
var ErrEvent = errors.New("odeop: event failed")

// EventFunc is g(t, y) of a terminal event for IntegrateEvent: the solve stops where g
// crosses zero in the chosen Direction. It must not modify y or keep a reference to it.
type EventFunc func(t float64, y []float64) float64

// Direction is the direction of the zero crossings that fire an event.
type Direction int

// The directions: Rising fires where g goes from negative to zero or above, Falling from
// positive to zero or below, EitherCrossing (the default) both. "Goes" is along the solve:
// for a search backward in time (WithMaxTime before t0), from the later time to the earlier.
const (
	EitherCrossing Direction = 0
	Rising         Direction = 1
	Falling        Direction = -1
)

// Defaults of the event search.
const (
	// DefaultEventTol is the absolute tolerance, in time, of a located event.
	DefaultEventTol = 1e-12
	// DefaultEventSamples is the number of points of an accepted step's dense output at
	// which g is sampled (evenly spaced, the step's end included): a pair of crossings
	// closer than about 1/DefaultEventSamples of the step can be missed.
	DefaultEventSamples = 8
	// maxEventIter bounds the iterations of the root search on one bracket.
	maxEventIter = 200
)

// eventConfig holds the event options (WithMaxTime, WithDirection, WithEventTol,
// WithEventSamples); entry is set by the entry points that read them.
type eventConfig struct {
	entry   bool
	maxTime float64
	dir     Direction
	tol     float64
	samples int
}

// eventOptions are the names of the options that only IntegrateEvent and SolveEvent read.
var eventOptions = []string{"WithMaxTime", "WithDirection", "WithEventTol", "WithEventSamples"}

// checkEvent refuses the event options on entry points without events, and checks their
// values on those with, setting the defaults.
func (c *config) checkEvent() error {
	if !c.ev.entry {
		for _, name := range eventOptions {
			if c.given[name] {
				return errors.Wrapf(ErrOption, "%s applies to IntegrateEvent and SolveEvent only", name)
			}
		}
		return nil
	}
	e := &c.ev
	if !c.given["WithEventTol"] {
		e.tol = DefaultEventTol
	}
	if !c.given["WithEventSamples"] {
		e.samples = DefaultEventSamples
	}
	switch {
	case c.given["WithMaxTime"] && (math.IsNaN(e.maxTime) || math.IsInf(e.maxTime, 0)):
		return errors.Wrapf(ErrOption, "WithMaxTime: t = %g, want a finite time", e.maxTime)
	case e.dir < Falling || e.dir > Rising:
		return errors.Wrapf(ErrOption, "WithDirection: direction %d, want Rising, Falling or EitherCrossing", e.dir)
	case !(e.tol > 0 && e.tol < math.Inf(1)):
		return errors.Wrapf(ErrOption, "WithEventTol: tol = %g, want a finite value > 0", e.tol)
	case e.samples < 1:
		return errors.Wrapf(ErrOption, "WithEventSamples: %d samples, want at least 1", e.samples)
	}
	return nil
}

// WithMaxTime bounds the search for events: the solve ends at t when no event fired
// before (IntegrateEvent and SolveEvent only; required by fixed-step methods). Without
// it, an adaptive solve searches until the step limit (WithMaxSteps).
func WithMaxTime(t float64) Option {
	return Option{name: "WithMaxTime", set: func(c *config) { c.ev.maxTime = t }}
}

// WithDirection chooses the zero crossings that fire an event (default EitherCrossing).
// IntegrateEvent and SolveEvent only.
func WithDirection(d Direction) Option {
	return Option{name: "WithDirection", set: func(c *config) { c.ev.dir = d }}
}

// WithEventTol sets the absolute tolerance, in time, to which an event is located
// (default DefaultEventTol = 1e-12; the search also stops where the bracket cannot shrink
// in float64). IntegrateEvent and SolveEvent only.
func WithEventTol(tol float64) Option {
	return Option{name: "WithEventTol", set: func(c *config) { c.ev.tol = tol }}
}

// WithEventSamples sets the number of evenly spaced points of each accepted step's dense
// output at which the event function is sampled for a sign change (default
// DefaultEventSamples = 8, the step's end included; 1 samples the step's end only). Two
// crossings between neighbouring samples cancel and are missed: with n samples, a pair of
// crossings closer than h/n (h the step) may go unseen. IntegrateEvent and SolveEvent
// only.
func WithEventSamples(n int) Option {
	return Option{name: "WithEventSamples", set: func(c *config) { c.ev.samples = n }}
}

// EventSolution is the result of IntegrateEvent.
type EventSolution struct {
	// T is the event time, or the maximum time where no event fired.
	T float64
	// Y is the state at T (the dense output of the step containing T).
	Y []float64
	// Fired reports whether the event fired.
	Fired bool
	Stats Stats
}

// IntegrateEvent solves dy/dt = f(t, y), y(t0) = y0 until the event function g(t, y)
// crosses zero in the chosen direction (WithDirection), a terminal event, and returns the
// event time and the state there.
//
// After every accepted step (never a rejected one), g is sampled at WithEventSamples
// evenly spaced points of the step's dense output; the first bracket where its sign
// changes in the chosen direction is narrowed by the Illinois method (regula falsi with
// the retained end's value halved) on g(t, y_dense(t)) until it is WithEventTol wide; T is
// the bracket's end past the crossing. A g that is exactly 0 at t0 is not an event: the
// event is armed once g leaves 0 (so a solve may start on the event surface, as a ball
// that has just bounced). Without an event before WithMaxTime the solution has Fired false
// and the state at the maximum time. A value of g that is not finite is an error wrapping
// ErrEvent. The other options and errors are those of Integrate; Integrate and Solve refuse
// the event options.
func IntegrateEvent(f Func, y0 []float64, t0 float64, event EventFunc, opts ...Option) (*EventSolution, error) {
	cfg := newConfig(opts)
	cfg.ev.entry = true
	if err := cfg.check(false); err != nil {
		return nil, err
	}
	if event == nil {
		return nil, errors.Wrap(ErrOption, "event is nil, want an event function")
	}
	n := len(y0)
	g := func(dst []float64, t float64, y []float64) { dst[0] = event(t, y) }
	es := newEventSearch(1, n, g, cfg, false)
	st, err := es.run(f, y0, t0, nil)
	if err != nil {
		return nil, err
	}
	return &EventSolution{T: es.times[0], Y: es.states[:n:n], Fired: es.fired[0], Stats: st}, nil
}

// eventSearch finds the terminal events of rows rows of dim components each (n =
// rows*dim) on the accepted steps of one solve: each row's event is located on its own in
// the dense output, and the solve goes on until every row has fired or the maximum time.
type eventSearch struct {
	rows, dim int
	g         func(dst []float64, t float64, y []float64) // g of every row at (t, y)
	cfg       *config
	keepFull  bool // keep the whole state at every row's event (the node's adjoint)
	t0        float64

	armed, fired []bool
	times        []float64   // each row's event time (the maximum time where none)
	states       []float64   // rows*dim: each row's state at its event
	full         [][]float64 // with keepFull: the whole state at each row's event
	left         int         // rows that have not fired

	yt   []float64   // a dense-output state
	gs   [][]float64 // g of every row at the samples of the step (gs[0]: its start)
	gtm  []float64   // g of every row at one time (root search)
	tend float64
}

func newEventSearch(rows, dim int, g func(dst []float64, t float64, y []float64), cfg *config, keepFull bool) *eventSearch {
	es := &eventSearch{rows: rows, dim: dim, g: g, cfg: cfg, keepFull: keepFull,
		armed: make([]bool, rows), fired: make([]bool, rows), times: make([]float64, rows),
		states: make([]float64, rows*dim), yt: make([]float64, rows*dim), gtm: make([]float64, rows),
		left: rows}
	es.gs = make([][]float64, cfg.ev.samples+1)
	for i := range es.gs {
		es.gs[i] = make([]float64, rows)
	}
	if keepFull {
		es.full = make([][]float64, rows)
	}
	return es
}

// run solves from (t0, y0) with f, with the engine of pool when not nil, until every
// row has fired or the maximum time. The configuration has passed check.
func (es *eventSearch) run(f Func, y0 []float64, t0 float64, pool *rkPool) (Stats, error) {
	cfg := es.cfg
	es.t0 = t0
	tb := cfg.plan.tb
	if !cfg.given["WithMaxTime"] && !tb.Adaptive() {
		return Stats{}, errors.Wrapf(ErrOption, "method %s has a fixed step: WithMaxTime is required to bound the event search", tb.Name)
	}
	if math.IsNaN(t0) || math.IsInf(t0, 0) {
		return Stats{}, errors.Wrapf(ErrTimes, "t0 = %g, want a finite time", t0)
	}
	es.tend = t0 + 1e300
	if cfg.given["WithMaxTime"] {
		es.tend = cfg.ev.maxTime
		if es.tend == t0 {
			return Stats{}, errors.Wrapf(ErrTimes, "WithMaxTime: maximum time %g equals t0, want a span to search", es.tend)
		}
	}
	ts := []float64{t0, es.tend}
	if err := checkArgs(f, y0, ts, cfg); err != nil {
		return Stats{}, err
	}
	n := len(y0)
	if n != es.rows*es.dim {
		return Stats{}, errors.Wrapf(ErrState, "y0 has %d components, want %d rows of %d", n, es.rows, es.dim)
	}
	es.g(es.gs[0], t0, y0)
	for b, v := range es.gs[0] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Stats{}, errors.Wrapf(ErrEvent, "event function of row %d is %g at t0 = %g, want a finite value", b, v, t0)
		}
		es.armed[b] = v != 0
	}
	for b := range es.times {
		es.times[b] = es.tend
	}
	c := *cfg
	c.onAccept = es.accept
	var r *rk
	if pool != nil {
		r = pool.get(c.plan, n, setup{f: f})
		defer pool.put(r)
	} else {
		r = newRK(c.plan, n, setup{f: f})
	}
	end := make([]float64, n)
	st, err := r.run(y0, ts, [][]float64{y0, end}, &c)
	if err != nil {
		return st, err
	}
	if es.left > 0 { // the solve reached the maximum time: the unfired rows end there
		for b := range es.fired {
			if !es.fired[b] {
				copy(es.states[b*es.dim:(b+1)*es.dim], end[b*es.dim:(b+1)*es.dim])
				if es.keepFull {
					es.full[b] = append(es.full[b][:0], end...)
				}
			}
		}
	}
	return st, nil
}

// denseAt writes the state at time tt of the accepted step (t, h, t1) into es.yt and
// evaluates g there into es.gtm; it returns the state.
func (es *eventSearch) denseAt(r *rk, t, h, t1, tt float64) ([]float64, error) {
	y := r.y1
	if tt != t1 {
		y = es.yt
		th := math.Max(0, math.Min(1, (tt-t)/h))
		if !r.dense(y, h, th) {
			r.markBad(tt, y, "dense output")
			return nil, errors.Wrapf(ErrNonFinite, "non-finite dense output at t = %g, component %d", tt, r.badI)
		}
	}
	es.g(es.gtm, tt, y)
	for b, v := range es.gtm {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.Wrapf(ErrEvent, "event function of row %d is %g at t = %g, want a finite value", b, v, tt)
		}
	}
	return y, nil
}

// crosses reports whether g going from ga to gb is a crossing in direction d.
func crosses(d Direction, ga, gb float64) bool {
	return (d >= 0 && ga < 0 && gb >= 0) || (d <= 0 && ga > 0 && gb <= 0)
}

// accept is the walk's hook after an accepted step (t, h, t1): it samples g on the step,
// locates the events of the rows that fire in it and reports whether every row has fired.
func (es *eventSearch) accept(r *rk, t, h, t1 float64) (bool, error) {
	if !r.fsal && t1 == es.tend { // the walk skips f(t1, y1) on its last step; dense output needs it
		if !r.eval(t1, r.y1, r.k[r.last]) {
			return false, errors.Wrapf(ErrNonFinite, "non-finite derivative at t = %g, component %d", r.badT, r.badI)
		}
	}
	S := len(es.gs) - 1
	for j := 1; j <= S; j++ {
		tt := es.sampleT(t, h, t1, j)
		if _, err := es.denseAt(r, t, h, t1, tt); err != nil {
			return false, err
		}
		copy(es.gs[j], es.gtm)
	}
	d := es.cfg.ev.dir
	for b := 0; b < es.rows; b++ {
		if es.fired[b] {
			continue
		}
		for j := 1; j <= S; j++ {
			ga, gb := es.gs[j-1][b], es.gs[j][b]
			if !es.armed[b] {
				es.armed[b] = gb != 0
				continue
			}
			if !crosses(d, ga, gb) {
				continue
			}
			ts, err := es.root(r, b, t, h, t1, es.sampleT(t, h, t1, j-1), ga, es.sampleT(t, h, t1, j), gb)
			if err != nil {
				return false, err
			}
			y, err := es.denseAt(r, t, h, t1, ts)
			if err != nil {
				return false, err
			}
			es.times[b], es.fired[b] = ts, true
			copy(es.states[b*es.dim:(b+1)*es.dim], y[b*es.dim:(b+1)*es.dim])
			if es.keepFull {
				es.full[b] = append(es.full[b][:0], y...)
			}
			es.left--
			break
		}
	}
	copy(es.gs[0], es.gs[S])
	return es.left == 0, nil
}

// sampleT is the time of sample j of S on the step (t, h, t1): t at 0, t1 at S.
func (es *eventSearch) sampleT(t, h, t1 float64, j int) float64 {
	S := len(es.gs) - 1
	switch j {
	case 0:
		return t
	case S:
		return t1
	}
	return t + h*float64(j)/float64(S)
}

// root narrows the bracket [ta, tb] of row b's crossing (g = ga before it, gb at or past
// it) by the Illinois method until it is at most the event tolerance wide, and returns the
// end past the crossing.
func (es *eventSearch) root(r *rk, b int, t, h, t1, ta, ga, tb, gb float64) (float64, error) {
	if gb == 0 {
		return tb, nil
	}
	tol := es.cfg.ev.tol
	side := 0
	width := math.Abs(tb - ta)
	for i := 0; i < maxEventIter && math.Abs(tb-ta) > tol; i++ {
		tc := (ta*gb - tb*ga) / (gb - ga) // regula falsi
		// every third iteration: bisect if the last three did not halve the bracket
		if i%3 == 2 {
			if math.Abs(tb-ta) > 0.5*width {
				tc = 0.5 * (ta + tb)
			}
			width = math.Abs(tb - ta)
		}
		if !(math.Min(ta, tb) < tc && tc < math.Max(ta, tb)) {
			tc = 0.5 * (ta + tb)
		}
		if tc == ta || tc == tb { // the bracket cannot shrink in float64
			break
		}
		if _, err := es.denseAt(r, t, h, t1, tc); err != nil {
			return 0, err
		}
		gc := es.gtm[b]
		switch {
		case gc == 0:
			return tc, nil
		case (gc > 0) == (gb > 0): // tc is past the crossing
			tb, gb = tc, gc
			if side == 1 {
				ga /= 2
			}
			side = 1
		default:
			ta, ga = tc, gc
			if side == -1 {
				gb /= 2
			}
			side = -1
		}
	}
	return tb, nil
}
