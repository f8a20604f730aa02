package odeop

import (
	"fmt"
	"hash"
	"math"
	"sort"
	"sync"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// Event is the event function g(t, z; phi) of SolveEvent on a batch of states z of shape
// (batch, dim): one value per row, with learnable parameters phi of its own (nodes of the
// user's graph, inputs of the event node), like Dynamics.
type Event interface {
	// Params returns the learnable nodes of the event function (may be empty).
	Params() G.Nodes
	// Bind returns an EventEvaluator for states of shape (batch, dim) with the parameter
	// values phi (flat, row-major, in the order of Params).
	Bind(phi [][]float64, batch, dim int) (EventEvaluator, error)
}

// EventEvaluator evaluates a bound Event on flat row-major (batch*dim) states.
type EventEvaluator interface {
	// Eval writes g of every row at (t, z) into dst (batch values).
	Eval(dst []float64, t float64, z []float64)
	// VJP computes, for a cotangent a of one value per row, dz = a^T dg/dz (batch*dim
	// values) and dphi = a^T dg/dphi (flat, summed over rows; skipped when nil), and
	// returns a^T dg/dt. It overwrites the destinations.
	VJP(dz, dphi []float64, t float64, z, a []float64) float64
}

// RowEvent is a native event without parameters, the same function on every row: G is
// g(t, z) for one row z (dim values) and Grad writes dg/dz into dz and returns dg/dt.
type RowEvent struct {
	G    func(t float64, z []float64) float64
	Grad func(dz []float64, t float64, z []float64) float64
}

// Params: none.
func (RowEvent) Params() G.Nodes { return nil }

// Bind returns the evaluator (RowEvent itself, with its dimension).
func (e RowEvent) Bind(phi [][]float64, batch, dim int) (EventEvaluator, error) {
	if e.G == nil || e.Grad == nil {
		return nil, errors.Wrap(ErrEvent, "row event: G and Grad are required")
	}
	return rowEventEval{e: e, dim: dim}, nil
}

type rowEventEval struct {
	e   RowEvent
	dim int
}

func (r rowEventEval) Eval(dst []float64, t float64, z []float64) {
	for b := range dst {
		dst[b] = r.e.G(t, z[b*r.dim:(b+1)*r.dim])
	}
}

func (r rowEventEval) VJP(dz, _ []float64, t float64, z, a []float64) float64 {
	gt := 0.0
	for b, ab := range a {
		row := dz[b*r.dim : (b+1)*r.dim]
		gt += ab * r.e.Grad(row, t, z[b*r.dim:(b+1)*r.dim])
		for i := range row {
			row[i] *= ab
		}
	}
	return gt
}

// SolveEvent returns, for dz/dt = f(t, z; theta) with z(t0) = z0 of shape (batch, dim),
// the time at which each row's event function g(t, z; phi) crosses zero (a terminal event,
// in the direction of WithDirection) and each row's state there: tStar of shape (batch) and
// zStar of shape (batch, dim). The inputs of the underlying node are z0, f.Params() and
// event.Params().
//
// The batch keeps one step sequence (per-row step control is not built yet): each row's
// event is located on its own in the dense output (as IntegrateEvent), the row's output is
// its state at its event (its later values are not used), and the solve goes on until
// every row has fired or WithMaxTime. A row that has not fired by then outputs the maximum
// time and its state there (its tStar does not depend on the inputs).
//
// Gradients (gorgonia.Grad) flow through both outputs: the event time by the implicit
// function theorem at the root, dt*/dp = -(dg/dp) / (dg/dt + dg/dz . f), and the state by
// dz(t*)/dp = dz/dp|t* + f(t*, z*) dt*/dp. A loss's cotangents (gT, gZ) of a row become the
// cotangent gZ + c dg/dz at its event time, with c = -(gT + gZ . f*) / (dg/dt + dg/dz . f*),
// for the state's gradient method (WithGradient: Adjoint or Checkpoint), run over the sorted
// event times; the event's parameters get c dg/dphi. The backward pass repeats the forward
// event search (one more forward solve) to have the whole state at every event time. A
// crossing where dg/dt + dg/dz . f = 0 (tangent) has no derivative: an error wrapping
// ErrEvent.
//
// The options are those of Solve and of IntegrateEvent.
func SolveEvent(z0 *G.Node, f Dynamics, t0 float64, event Event, opts ...Option) (tStar, zStar *G.Node, err error) {
	return solveEvent(z0, f, t0, nil, event, opts)
}

// SolveEventFrom is SolveEvent with the start time a node t0 (a scalar or a vector of length
// 1, read on every run),
// whose gradient is dL/dt0 = -a(t0) . f(t0, z0), a(t0) the gradient of z0 (the event
// times and states move with the start time through the state).
func SolveEventFrom(z0 *G.Node, f Dynamics, t0 *G.Node, event Event, opts ...Option) (tStar, zStar *G.Node, err error) {
	if t0 == nil || t0.Dims() > 1 || t0.Shape().TotalSize() != 1 {
		return nil, nil, errors.Wrap(ErrTimes, "solve event: t0 must be a scalar node or a vector of length 1")
	}
	if z0 != nil && t0.Dtype() != z0.Dtype() {
		return nil, nil, errors.Wrapf(ErrTimes, "solve event: t0 has dtype %v, z0 has %v", t0.Dtype(), z0.Dtype())
	}
	return solveEvent(z0, f, 0, t0, event, opts)
}

func solveEvent(z0 *G.Node, f Dynamics, t0 float64, t0n *G.Node, event Event, opts []Option) (tStar, zStar *G.Node, err error) {
	if z0 == nil {
		return nil, nil, errors.Wrap(ErrShape, "solve event: z0 is nil")
	}
	if f == nil {
		return nil, nil, errors.Wrap(ErrDynamics, "solve event: f is nil")
	}
	if event == nil {
		return nil, nil, errors.Wrap(ErrEvent, "solve event: event is nil")
	}
	if z0.Dims() != 2 {
		return nil, nil, errors.Wrapf(ErrShape, "solve event: z0 has shape %v, want a matrix (batch, dim)", z0.Shape())
	}
	if math.IsNaN(t0) || math.IsInf(t0, 0) {
		return nil, nil, errors.Wrapf(ErrTimes, "solve event: t0 = %g, want a finite time", t0)
	}
	dt := z0.Dtype()
	if dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, nil, errors.Wrapf(ErrShape, "solve event: z0 has dtype %v, want float64 or float32", dt)
	}
	cfg := newConfig(opts)
	cfg.ev.entry = true
	if err := cfg.check(true); err != nil {
		return nil, nil, errors.Wrap(err, "solve event")
	}
	if !cfg.given["WithMaxTime"] && !cfg.plan.tb.Adaptive() {
		return nil, nil, errors.Wrapf(ErrOption, "solve event: method %s has a fixed step: WithMaxTime is required", cfg.plan.tb.Name)
	}
	shape := z0.Shape()
	batch, dim := shape[0], shape[1]
	if batch < 1 || dim < 1 {
		return nil, nil, errors.Wrapf(ErrShape, "solve event: z0 has shape %v, want at least one row and one column", shape)
	}
	params := append(append(G.Nodes{}, f.Params()...), event.Params()...)
	for i, p := range params {
		if p == nil {
			return nil, nil, errors.Wrapf(ErrShape, "solve event: parameter %d is nil", i)
		}
		if p.Dtype() != dt {
			return nil, nil, errors.Wrapf(ErrShape, "solve event: parameter %d (%s) has dtype %v, z0 has %v", i, p.Name(), p.Dtype(), dt)
		}
	}
	if err := f.Check(batch, dim); err != nil {
		return nil, nil, errors.Wrapf(ErrShape, "solve event: dynamics do not fit z0 of shape (%d, %d): %v", batch, dim, err)
	}
	op := &eventOp{id: nextOpID(), f: f, event: event, t0: t0, cfg: cfg, batch: batch, dim: dim, dtype: dt,
		nTheta: len(f.Params())}
	for _, p := range params {
		op.pshape = append(op.pshape, p.Shape().Clone())
	}
	inputs := append(G.Nodes{z0}, params...)
	if t0n != nil {
		op.hasT0, op.t0shape = true, t0n.Shape().Clone()
		inputs = append(inputs, t0n)
	}
	out, err := G.ApplyOp(op, inputs...)
	if err != nil {
		return nil, nil, errors.Wrap(err, "solve event")
	}
	// a column slice kept as a matrix, then reshaped: a slice to a vector of length 1 would
	// be a Gorgonia scalar
	col, err := G.Slice(out, nil, G.S(0, 1))
	if err != nil {
		return nil, nil, errors.Wrap(err, "solve event: event times")
	}
	if tStar, err = G.Reshape(col, tensor.Shape{batch}); err != nil {
		return nil, nil, errors.Wrap(err, "solve event: event times")
	}
	if zStar, err = G.Slice(out, nil, G.S(1, 1+dim)); err != nil {
		return nil, nil, errors.Wrap(err, "solve event: event states")
	}
	op.tStar, op.zStar = tStar, zStar
	return tStar, zStar, nil
}

// eventOp is the event solve: inputs z0, theta..., phi...; output (batch, 1+dim), each row
// [t*, z*].
type eventOp struct {
	graphop.Pure
	id         uint64
	f          Dynamics
	event      Event
	t0         float64
	cfg        *config
	batch, dim int
	dtype      tensor.Dtype
	pshape     []tensor.Shape // the dynamics' parameters, then the event's
	nTheta     int            // how many of pshape are the dynamics'
	hasT0      bool           // t0 is the last input (of shape t0shape), not the field t0
	t0shape    tensor.Shape

	tStar, zStar *G.Node // the outputs SolveEvent returned, for EventStatsOf

	mu      sync.Mutex
	fwd     Stats
	bwd     Stats
	engines rkPool
}

func (op *eventOp) Arity() int { return 1 + len(op.shapes()) }

// shapes are the shapes of the inputs after z0: the parameters, then t0's where it is one.
func (op *eventOp) shapes() []tensor.Shape {
	if !op.hasT0 {
		return op.pshape
	}
	return append(append([]tensor.Shape{}, op.pshape...), op.t0shape)
}

// inputs splits the values after z0 into theta, phi and t0.
func (op *eventOp) inputs(params [][]float64) (theta, phi [][]float64, t0 float64, err error) {
	t0 = op.t0
	if op.hasT0 {
		t0 = params[len(params)-1][0]
		params = params[:len(params)-1]
		if math.IsNaN(t0) || math.IsInf(t0, 0) {
			return nil, nil, 0, errors.Wrapf(ErrTimes, "%v: t0 = %g, want a finite time", op, t0)
		}
	}
	return params[:op.nTheta], params[op.nTheta:], t0, nil
}

func (op *eventOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := []hm.Type{G.TensorType{Dims: 2, Of: a}}
	for _, s := range op.shapes() {
		ts = append(ts, graphop.TensorType(s.Dims(), a))
	}
	return hm.NewFnType(append(ts, G.TensorType{Dims: 2, Of: a})...)
}

func (op *eventOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.batch, 1 + op.dim}, nil
}

func (op *eventOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "odeop.event#%d", op.id) }
func (op *eventOp) Hashcode() uint32      { return graphop.Hashcode(op) }
func (op *eventOp) String() string {
	return fmt.Sprintf("odeEvent#%d(%s)", op.id, op.cfg.plan.tb.Name)
}

// search runs the forward event search for the inputs z0, theta, phi.
func (op *eventOp) search(z0 []float64, theta, phi [][]float64, t0 float64, keepFull bool) (*eventSearch, *graphop.Batch, EventEvaluator, Stats, error) {
	if i := graphop.NonFinite(z0); i >= 0 {
		return nil, nil, nil, Stats{}, errors.Wrapf(ErrState, "%v: z0[%d] = %v", op, i, z0[i])
	}
	ev, err := newBatchEval(op.f, theta, op.batch, op.dim)
	if err != nil {
		return nil, nil, nil, Stats{}, errors.Wrapf(err, "%v", op)
	}
	gev, err := op.event.Bind(phi, op.batch, op.dim)
	if err != nil {
		ev.Release()
		return nil, nil, nil, Stats{}, errors.Wrapf(err, "%v: event", op)
	}
	cfg := *op.cfg
	cfg.onStep = nil
	es := newEventSearch(op.batch, op.dim, gev.Eval, &cfg, keepFull)
	st, err := es.run(ev.RHS, z0, t0, &op.engines)
	if err != nil {
		ev.Release()
		releaseEvent(gev)
		return nil, nil, nil, st, errors.Wrapf(err, "%v: forward solve", op)
	}
	return es, ev, gev, st, nil
}

func (op *eventOp) Do(vals ...G.Value) (retVal G.Value, err error) {
	defer recoverDynamics(&err, op)
	z0, params, err := graphop.Inputs(op, vals, op.batch*op.dim, op.shapes(), ErrShape)
	if err != nil {
		return nil, err
	}
	theta, phi, t0, err := op.inputs(params)
	if err != nil {
		return nil, err
	}
	es, ev, gev, st, err := op.search(z0, theta, phi, t0, false)
	if err != nil {
		return nil, err
	}
	ev.Release()
	releaseEvent(gev)
	w := 1 + op.dim
	out := make([]float64, op.batch*w)
	for b := 0; b < op.batch; b++ {
		out[b*w] = es.times[b]
		copy(out[b*w+1:(b+1)*w], es.states[b*op.dim:(b+1)*op.dim])
	}
	op.mu.Lock()
	op.fwd = st
	op.mu.Unlock()
	return graphop.Dense(op.dtype, out, op.batch, w), nil
}

// DiffWRT: differentiable with respect to every input.
func (op *eventOp) DiffWRT(inputs int) []bool { return graphop.DiffAll(inputs) }

// SymDiff: one gradient op for every input.
func (op *eventOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	part := graphop.Extract{Name: "odeEvent", Parent: op.id, Kind: ErrShape}
	return graphop.SymDiff(op, &eventGradOp{fwd: op}, part, inputs, output, grad)
}

// DoDiff is the LispMachine's path.
func (op *eventOp) DoDiff(ctx G.ExecutionContext, inputs G.Nodes, output *G.Node) error {
	return graphop.DoDiff(op, (&eventGradOp{fwd: op}).compute, inputs, output, ErrShape)
}

// eventGradOp: inputs z0, params..., the forward output and its gradient; output the flat
// gradient [dz0 | dtheta | dphi].
type eventGradOp struct {
	graphop.Pure
	fwd *eventOp
}

func (op *eventGradOp) Arity() int { return op.fwd.Arity() + 2 }

func (op *eventGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := []hm.Type{G.TensorType{Dims: 2, Of: a}}
	for _, s := range op.fwd.shapes() {
		ts = append(ts, graphop.TensorType(s.Dims(), a))
	}
	ts = append(ts, G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 1, Of: a})
	return hm.NewFnType(ts...)
}

func (op *eventGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{graphop.FlatSize(op.fwd.batch*op.fwd.dim, op.fwd.shapes())}, nil
}
func (op *eventGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "odeop.eventGrad#%d", op.fwd.id) }
func (op *eventGradOp) Hashcode() uint32      { return graphop.Hashcode(op) }
func (op *eventGradOp) String() string {
	return fmt.Sprintf("odeEventGrad#%d(%s)", op.fwd.id, op.fwd.cfg.grad)
}

func (op *eventGradOp) Do(vals ...G.Value) (G.Value, error) {
	flat, err := op.compute(vals)
	if err != nil {
		return nil, err
	}
	return graphop.Dense(op.fwd.dtype, flat, len(flat)), nil
}

func (op *eventGradOp) compute(vals []G.Value) (flat []float64, err error) {
	defer recoverDynamics(&err, op)
	f := op.fwd
	n := f.batch * f.dim
	z0, params, _, gout, err := graphop.GradArgs(op, f, vals, n, f.shapes(), f.batch*(1+f.dim), ErrShape, ErrNonFinite)
	if err != nil {
		return nil, err
	}
	theta, phi, t0, err := f.inputs(params)
	if err != nil {
		return nil, err
	}
	es, ev, gev, st, err := f.search(z0, theta, phi, t0, true)
	if err != nil {
		return nil, err
	}
	defer ev.Release()
	defer releaseEvent(gev)
	flat, bst, err := f.backward(es, ev, gev, z0, theta, phi, gout)
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	if f.hasT0 { // dL/dt0 = -a(t0) . f(t0, z0)
		fv := make([]float64, n)
		ev.Eval(fv, t0, z0)
		flat = append(flat, -dot(flat[:n], fv))
	}
	if i := graphop.NonFinite(flat); i >= 0 {
		return nil, errors.Wrapf(ErrNonFinite, "%v: gradient [%d] = %v", op, i, flat[i])
	}
	f.mu.Lock()
	f.bwd = st.Add(bst)
	f.mu.Unlock()
	return flat, nil
}

// backward turns the cotangents gout of [t*, z*] into cotangents of the whole state at
// the sorted event times (the implicit function theorem at each row's root) and runs the
// state's gradient method over [t0, event times...].
func (op *eventOp) backward(es *eventSearch, ev *graphop.Batch, gev EventEvaluator, z0 []float64, theta, phi [][]float64, gout []float64) ([]float64, Stats, error) {
	B, d, n := op.batch, op.dim, op.batch*op.dim
	w := 1 + d
	np := 0
	for _, s := range op.pshape[op.nTheta:] {
		np += s.TotalSize()
	}
	dphi := make([]float64, np)
	rowPhi := make([]float64, np)
	fv := make([]float64, n)
	gz := make([]float64, n)
	a := make([]float64, B)
	seeds := make([]float64, n) // each row's cotangent at its event time
	for b := 0; b < B; b++ {
		gT, gZ := gout[b*w], gout[b*w+1:(b+1)*w]
		copy(seeds[b*d:(b+1)*d], gZ)
		if !es.fired[b] {
			continue
		}
		tb, full := es.times[b], es.full[b]
		ev.Eval(fv, tb, full)
		clear(a)
		a[b] = 1
		var dp []float64
		if np > 0 {
			dp = rowPhi
		}
		gt := gev.VJP(gz, dp, tb, full, a)
		fb, gzb := fv[b*d:(b+1)*d], gz[b*d:(b+1)*d]
		den, num := gt, gT
		for i := range fb {
			den += gzb[i] * fb[i]
			num += gZ[i] * fb[i]
		}
		if den == 0 || math.IsNaN(den) || math.IsInf(den, 0) {
			return nil, Stats{}, errors.Wrapf(ErrEvent, "row %d: dg/dt + dg/dz . f = %g at the event t = %g (a tangent crossing has no time derivative)", b, den, tb)
		}
		c := -num / den
		axpy(seeds[b*d:(b+1)*d], c, gzb)
		if np > 0 {
			axpy(dphi, c, rowPhi)
		}
	}
	// the distinct event times in the direction of the solve, then the state's cotangents there
	dir := 1.0
	if es.tend < es.t0 {
		dir = -1
	}
	order := make([]int, B)
	for b := range order {
		order[b] = b
	}
	sort.SliceStable(order, func(i, j int) bool { return dir*es.times[order[i]] < dir*es.times[order[j]] })
	ts := []float64{es.t0}
	var zs, gzs []float64
	zs = append(zs, z0...)
	gzs = append(gzs, make([]float64, n)...)
	for _, b := range order {
		tb := es.times[b]
		if tb != ts[len(ts)-1] {
			ts = append(ts, tb)
			zs = append(zs, es.full[b]...)
			gzs = append(gzs, make([]float64, n)...)
		}
		k := len(ts) - 1
		copy(gzs[k*n+b*d:k*n+(b+1)*d], seeds[b*d:(b+1)*d])
	}
	cfg := *op.cfg
	cfg.onStep, cfg.onAccept, cfg.ev = nil, nil, eventConfig{}
	inner := &solveOp{id: op.id, f: op.f, ts: ts, cfg: &cfg, batch: B, dim: d, dtype: op.dtype,
		pshape: op.pshape[:op.nTheta]}
	g, st, err := cfg.grad.backward(inner, nil, z0, theta, zs, gzs)
	if err != nil {
		return nil, st, err
	}
	return append(g, dphi...), st, nil
}

// releaseEvent releases an event evaluator that holds resources (a Releaser).
func releaseEvent(e EventEvaluator) {
	if r, ok := e.(Releaser); ok {
		r.Release()
	}
}

// EventStatsOf returns the statistics of the most recent forward and backward passes of
// the event solve behind a node made by SolveEvent or SolveEventFrom (tStar or zStar);
// the backward statistics include the repeated forward search. ok is false for other
// nodes.
func EventStatsOf(n *G.Node) (forward, backward Stats, ok bool) {
	orig := n
	// tStar is a reshape of slices of the event node, zStar slices of it (a few hops)
	for depth := 0; n != nil && depth < 5; depth++ {
		if op, isEv := n.Op().(*eventOp); isEv {
			if orig != op.tStar && orig != op.zStar {
				return Stats{}, Stats{}, false
			}
			op.mu.Lock()
			defer op.mu.Unlock()
			return op.fwd, op.bwd, true
		}
		it := n.Graph().From(n.ID()) // the children of n: follow the first
		next := (*G.Node)(nil)
		if it.Next() {
			next, _ = it.Node().(*G.Node)
		}
		n = next
	}
	return Stats{}, Stats{}, false
}
