package odeop

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// NewGraphEvent lets a user write the event function g(t, z; phi) of SolveEvent with any
// Gorgonia ops, as NewGraphDynamics does for the dynamics: build is called on a private
// graph whose nodes stand for t (a scalar), z (batch, dim) and each of params (same
// shapes, float64); it returns g, one value per row (shape (batch), or any shape of batch
// entries). Evaluation runs a TapeMachine on that graph; the VJP a second graph made by
// gorgonia.Grad of sum(g * a) with respect to t, z and params. Both are built once per
// batch shape and reused (evaluators are pooled).
func NewGraphEvent(params G.Nodes, build func(t, z *G.Node, params G.Nodes) (*G.Node, error)) Event {
	return &graphEvent{params: params, build: build}
}

type graphEvent struct {
	params G.Nodes
	build  func(t, z *G.Node, params G.Nodes) (*G.Node, error)
	pool   graphop.Pool[[2]int, *graphEventEval]
}

func (e *graphEvent) Params() G.Nodes { return e.params }

func (e *graphEvent) Bind(phi [][]float64, batch, dim int) (EventEvaluator, error) {
	if e.build == nil {
		return nil, errors.Wrap(ErrEvent, "graph event: build is nil")
	}
	if len(phi) != len(e.params) {
		return nil, errors.Wrapf(ErrShape, "graph event: %d parameter values for %d parameters", len(phi), len(e.params))
	}
	ev, ok := e.pool.Get([2]int{batch, dim})
	if !ok {
		var err error
		if ev, err = e.newEval(batch, dim); err != nil {
			return nil, err
		}
	}
	for i, p := range phi {
		if len(p) != len(ev.phi[i]) {
			e.pool.Put([2]int{batch, dim}, ev)
			return nil, errors.Wrapf(ErrShape, "graph event: parameter %d has %d values, want %d", i, len(p), len(ev.phi[i]))
		}
		copy(ev.phi[i], p)
	}
	return ev, nil
}

// graphEventHalf is one private graph: the forward graph, or the one with the VJP.
type graphEventHalf struct {
	t, z, a *G.Node
	ps      G.Nodes
	out     *G.Node
	grads   G.Nodes // d/dt, d/dz, d/dparams (nil where g does not depend on it)
	m       G.VM
	tscal   *G.F64
	zbuf    []float64
	abuf    []float64
}

type graphEventEval struct {
	e          *graphEvent
	batch, dim int
	phi        [][]float64 // shared backing of the parameter values of both graphs
	fwd, vjp   *graphEventHalf
}

func (e *graphEvent) newEval(batch, dim int) (*graphEventEval, error) {
	ev := &graphEventEval{e: e, batch: batch, dim: dim}
	for _, p := range e.params {
		if p == nil || p.Shape().Dims() == 0 {
			return nil, errors.Wrap(ErrShape, "graph event: parameters must be non-nil tensors (not scalars)")
		}
		ev.phi = append(ev.phi, make([]float64, p.Shape().TotalSize()))
	}
	var err error
	if ev.fwd, err = ev.half(false); err != nil {
		return nil, err
	}
	if ev.vjp, err = ev.half(true); err != nil {
		return nil, err
	}
	return ev, nil
}

func (ev *graphEventEval) half(withVJP bool) (hf *graphEventHalf, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Wrapf(ErrEvent, "graph event: building the graph panicked: %v", r)
		}
	}()
	g := G.NewGraph()
	hf = &graphEventHalf{tscal: G.NewF64(0), zbuf: make([]float64, ev.batch*ev.dim)}
	hf.t = G.NewScalar(g, tensor.Float64, G.WithName("t"), G.WithValue(hf.tscal))
	hf.z = G.NewMatrix(g, tensor.Float64, G.WithShape(ev.batch, ev.dim), G.WithName("z"),
		G.WithValue(tensor.New(tensor.WithShape(ev.batch, ev.dim), tensor.WithBacking(hf.zbuf))))
	for i, p := range ev.e.params {
		shape := p.Shape().Clone()
		hf.ps = append(hf.ps, G.NewTensor(g, tensor.Float64, shape.Dims(), G.WithShape(shape...),
			G.WithName(fmt.Sprintf("phi%d_%s", i, p.Name())),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(ev.phi[i])))))
	}
	out, err := ev.e.build(hf.t, hf.z, hf.ps)
	if err != nil {
		return nil, errors.Wrapf(ErrEvent, "graph event: build failed: %v", err)
	}
	if out == nil || out.Shape().TotalSize() != ev.batch || out.Dtype() != tensor.Float64 {
		return nil, errors.Wrapf(ErrShape, "graph event: build returned %v, want float64 values of %d entries (one per row)", out, ev.batch)
	}
	hf.out = out
	if withVJP {
		hf.abuf = make([]float64, ev.batch)
		hf.a = G.NewTensor(g, tensor.Float64, out.Dims(), G.WithShape(out.Shape().Clone()...), G.WithName("a"),
			G.WithValue(tensor.New(tensor.WithShape(out.Shape().Clone()...), tensor.WithBacking(hf.abuf))))
		loss, err := G.Sum(G.Must(G.HadamardProd(out, hf.a)))
		if err != nil {
			return nil, errors.Wrapf(ErrEvent, "graph event: vjp graph: %v", err)
		}
		wrt := append(G.Nodes{hf.t, hf.z}, hf.ps...)
		if hf.grads, err = gradReaching(loss, out, wrt); err != nil {
			return nil, errors.Wrapf(ErrEvent, "graph event: vjp graph: %v", err)
		}
	}
	hf.m = G.NewTapeMachine(g)
	return hf, nil
}

func (hf *graphEventHalf) run(t float64, z []float64) {
	*hf.tscal = G.F64(t)
	copy(hf.zbuf, z)
	hf.m.Reset()
	if err := hf.m.RunAll(); err != nil {
		panic(errors.Wrapf(ErrEvent, "graph event at t=%g: %v", t, err))
	}
}

func (ev *graphEventEval) Eval(dst []float64, t float64, z []float64) {
	ev.fwd.run(t, z)
	copyValue(dst, ev.fwd.out.Value())
}

func (ev *graphEventEval) VJP(dz, dphi []float64, t float64, z, a []float64) float64 {
	hf := ev.vjp
	copy(hf.abuf, a)
	hf.run(t, z)
	gt := 0.0
	if gn := hf.grads[0]; gn != nil {
		var v [1]float64
		copyValue(v[:], gn.Value())
		gt = v[0]
	}
	if gn := hf.grads[1]; gn != nil {
		copyValue(dz, gn.Value())
	} else {
		clear(dz)
	}
	if dphi != nil {
		off := 0
		for i, p := range ev.phi {
			part := dphi[off : off+len(p)]
			if gn := hf.grads[2+i]; gn != nil {
				copyValue(part, gn.Value())
			} else {
				clear(part)
			}
			off += len(p)
		}
	}
	return gt
}

// Release returns the evaluator to its event's pool.
func (ev *graphEventEval) Release() { ev.e.pool.Put([2]int{ev.batch, ev.dim}, ev) }
