package odeop

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// Releaser is implemented by Evaluators that hold resources worth reusing; the solve node
// calls Release when it is done with an Evaluator, which must not be used afterwards.
type Releaser interface {
	Release()
}

// NewGraphDynamics lets a user write f with any Gorgonia ops. build is called on a private
// graph whose nodes stand for t (a scalar), z (batch, dim) and each of params (same shapes,
// float64 whatever the dtype of the user's graph); it returns dz/dt with z's shape.
//
// Evaluation runs a Gorgonia TapeMachine on that private graph, and vector-Jacobian
// products a second graph made by gorgonia.Grad of sum(f * a). Both are built once per
// batch shape and reused. This is the general path; the native networks of package layers
// do the same work several times faster.
func NewGraphDynamics(params G.Nodes, build func(t, z *G.Node, params G.Nodes) (*G.Node, error)) Dynamics {
	return &graphDynamics{params: params, build: build}
}

type graphDynamics struct {
	params G.Nodes
	build  func(t, z *G.Node, params G.Nodes) (*G.Node, error)
	pool   graphop.Pool[[2]int, *graphEvaluator] // released evaluators by (batch, dim)
}

func (d *graphDynamics) Params() G.Nodes { return d.params }

func (d *graphDynamics) Check(batch, dim int) error {
	ev, err := d.get(batch, dim)
	if err != nil {
		return err
	}
	ev.Release()
	return nil
}

func (d *graphDynamics) Bind(theta [][]float64, batch, dim int) (Evaluator, error) {
	if len(theta) != len(d.params) {
		return nil, errors.Wrapf(ErrShape, "graph dynamics: %d parameter values for %d parameters", len(theta), len(d.params))
	}
	ev, err := d.get(batch, dim)
	if err != nil {
		return nil, err
	}
	for i, th := range theta {
		if len(th) != len(ev.theta[i]) {
			ev.Release()
			return nil, errors.Wrapf(ErrShape, "graph dynamics: parameter %d (%s) has %d values, want %d",
				i, d.params[i].Name(), len(th), len(ev.theta[i]))
		}
		copy(ev.theta[i], th)
	}
	return ev, nil
}

func (d *graphDynamics) get(batch, dim int) (*graphEvaluator, error) {
	if ev, ok := d.pool.Get([2]int{batch, dim}); ok {
		return ev, nil
	}
	return d.newEvaluator(batch, dim)
}

func (d *graphDynamics) put(ev *graphEvaluator) { d.pool.Put([2]int{ev.batch, ev.dim}, ev) }

// graphHalf is one private graph: the forward graph, or the forward graph plus the VJP.
type graphHalf struct {
	g     *G.ExprGraph
	t, z  *G.Node
	ps    G.Nodes
	out   *G.Node
	a     *G.Node // VJP only
	grads G.Nodes // VJP only: d/dz, d/dparams (nil where f does not depend on it)
	m     G.VM
	zbuf  []float64 // backing of z's value
	abuf  []float64
	pbufs [][]float64
	tscal *G.F64
}

type graphEvaluator struct {
	d          *graphDynamics
	batch, dim int
	theta      [][]float64 // shared backing of the parameter values of both graphs
	fwd, vjp   *graphHalf
}

func (d *graphDynamics) newEvaluator(batch, dim int) (*graphEvaluator, error) {
	ev := &graphEvaluator{d: d, batch: batch, dim: dim}
	for _, p := range d.params {
		ev.theta = append(ev.theta, make([]float64, p.Shape().TotalSize()))
	}
	var err error
	if ev.fwd, err = d.half(ev, false); err != nil {
		return nil, err
	}
	if ev.vjp, err = d.half(ev, true); err != nil {
		return nil, err
	}
	return ev, nil
}

func (d *graphDynamics) half(ev *graphEvaluator, withVJP bool) (hf *graphHalf, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Wrapf(ErrDynamics, "graph dynamics: building the graph panicked: %v", r)
		}
	}()
	hf = &graphHalf{g: G.NewGraph()}
	g := hf.g
	hf.tscal = G.NewF64(0)
	hf.t = G.NewScalar(g, tensor.Float64, G.WithName("t"), G.WithValue(hf.tscal))
	hf.zbuf = make([]float64, ev.batch*ev.dim)
	hf.z = G.NewMatrix(g, tensor.Float64, G.WithShape(ev.batch, ev.dim), G.WithName("z"),
		G.WithValue(tensor.New(tensor.WithShape(ev.batch, ev.dim), tensor.WithBacking(hf.zbuf))))
	for i, p := range d.params {
		name := fmt.Sprintf("theta%d_%s", i, p.Name())
		shape := p.Shape().Clone()
		var pn *G.Node
		if shape.IsScalar() || shape.Dims() == 0 {
			pn = G.NewScalar(g, tensor.Float64, G.WithName(name), G.WithValue(G.NewF64(0)))
		} else {
			pn = G.NewTensor(g, tensor.Float64, shape.Dims(), G.WithShape(shape...), G.WithName(name),
				G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(ev.theta[i]))))
		}
		hf.ps = append(hf.ps, pn)
	}
	out, err := d.build(hf.t, hf.z, hf.ps)
	if err != nil {
		return nil, errors.Wrapf(ErrDynamics, "graph dynamics: build failed: %v", err)
	}
	if out == nil {
		return nil, errors.Wrap(ErrDynamics, "graph dynamics: build returned a nil node")
	}
	if s := out.Shape(); s.Dims() != 2 || s[0] != ev.batch || s[1] != ev.dim {
		return nil, errors.Wrapf(ErrShape, "graph dynamics: build returned shape %v for z of shape (%d, %d); want the same shape", s, ev.batch, ev.dim)
	}
	if out.Dtype() != tensor.Float64 {
		return nil, errors.Wrapf(ErrShape, "graph dynamics: build returned dtype %v, want float64", out.Dtype())
	}
	hf.out = out
	if withVJP {
		hf.abuf = make([]float64, ev.batch*ev.dim)
		hf.a = G.NewMatrix(g, tensor.Float64, G.WithShape(ev.batch, ev.dim), G.WithName("a"),
			G.WithValue(tensor.New(tensor.WithShape(ev.batch, ev.dim), tensor.WithBacking(hf.abuf))))
		loss, err := G.Sum(G.Must(G.HadamardProd(out, hf.a)))
		if err != nil {
			return nil, errors.Wrapf(ErrDynamics, "graph dynamics: vjp graph: %v", err)
		}
		wrt := append(G.Nodes{hf.z}, hf.ps...)
		if hf.grads, err = gradReaching(loss, out, wrt); err != nil {
			return nil, errors.Wrapf(ErrDynamics, "graph dynamics: vjp graph: %v", err)
		}
	}
	hf.m = G.NewTapeMachine(g)
	return hf, nil
}

func (hf *graphHalf) run(t float64, z []float64) {
	*hf.tscal = G.F64(t)
	copy(hf.zbuf, z)
	hf.m.Reset()
	if err := hf.m.RunAll(); err != nil {
		panic(errors.Wrapf(ErrDynamics, "graph dynamics at t=%g: %v", t, err))
	}
}

// gradReaching returns the gradient nodes of loss with respect to each node of wrt, nil for
// those out does not depend on (Gorgonia refuses to differentiate with respect to them; the
// evaluators give them a zero gradient).
func gradReaching(loss, out *G.Node, wrt G.Nodes) (G.Nodes, error) {
	var reach G.Nodes
	var idx []int
	for i, w := range wrt {
		if dependsOn(out, w) {
			reach = append(reach, w)
			idx = append(idx, i)
		}
	}
	grads := make(G.Nodes, len(wrt))
	if len(reach) == 0 {
		return grads, nil
	}
	gs, err := G.Grad(loss, reach...)
	if err != nil {
		return nil, err
	}
	for k, i := range idx {
		grads[i] = gs[k]
	}
	return grads, nil
}

func copyValue(dst []float64, v G.Value) {
	switch d := v.Data().(type) {
	case []float64:
		copy(dst, d)
	case float64:
		dst[0] = d
	}
}

func (ev *graphEvaluator) Eval(dst []float64, t float64, z []float64) {
	ev.syncScalars(ev.fwd)
	ev.fwd.run(t, z)
	copyValue(dst, ev.fwd.out.Value())
}

func (ev *graphEvaluator) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	if f != nil {
		// Gorgonia's backward ops may overwrite forward values in place (tanh's does), so
		// f comes from the forward graph.
		ev.Eval(f, t, z)
	}
	hf := ev.vjp
	ev.syncScalars(hf)
	copy(hf.abuf, a)
	hf.run(t, z)
	if dz != nil {
		if hf.grads[0] != nil {
			copyValue(dz, hf.grads[0].Value())
		} else {
			clear(dz)
		}
	}
	if dtheta != nil {
		off := 0
		for i, th := range ev.theta {
			part := dtheta[off : off+len(th)]
			if gn := hf.grads[1+i]; gn != nil {
				copyValue(part, gn.Value())
			} else {
				clear(part)
			}
			off += len(th)
		}
	}
}

// syncScalars copies scalar parameter values into their nodes (tensor parameters share
// their backing with ev.theta).
func (ev *graphEvaluator) syncScalars(hf *graphHalf) {
	for i, pn := range hf.ps {
		if pn.IsScalar() {
			if s, ok := pn.Value().(*G.F64); ok {
				*s = G.F64(ev.theta[i][0])
			}
		}
	}
}

// Release returns the evaluator to its dynamics' pool.
func (ev *graphEvaluator) Release() { ev.d.put(ev) }

// dependsOn reports whether n is x or has x among its ancestors.
func dependsOn(n, x *G.Node) bool {
	seen := map[*G.Node]bool{}
	var walk func(*G.Node) bool
	walk = func(m *G.Node) bool {
		if m == x {
			return true
		}
		if seen[m] {
			return false
		}
		seen[m] = true
		it := m.Graph().From(m.ID()) // the children of m
		for it.Next() {
			if c, ok := it.Node().(*G.Node); ok && walk(c) {
				return true
			}
		}
		return false
	}
	return walk(n)
}
