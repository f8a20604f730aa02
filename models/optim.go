package models

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unsafe"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Optimizer is a gorgonia.Solver whose state (step count, moment estimates) can be
// captured in a checkpoint and restored, so that training resumes exactly where it
// stopped.
//
// Gorgonia's own AdamSolver and RMSPropSolver keep their moment estimates in unexported
// fields, so a checkpoint cannot hold them: resuming with them restarts the moments from
// zero (and Adam's bias correction from step 1), which perturbs the first steps after a
// resume. Adam and RMSProp here are drop-in replacements whose state is exported, keyed
// by the names of the nodes they update.
type Optimizer interface {
	G.Solver
	// State returns a deep copy of the optimizer's state.
	State() *OptimizerState
	// SetState replaces the optimizer's state with a copy of s; it fails, changing
	// nothing, if s is of another kind of optimizer.
	SetState(s *OptimizerState) error
}

// OptimizerState is the state of an Optimizer: its kind, its hyperparameters, the number
// of steps taken and one or more slots (moment estimates) per parameter. Slots are named
// "<parameter name>#<slot>" ("f.0.W#m") and have the parameter's shape.
type OptimizerState struct {
	Kind  string
	Steps int64
	Hyper map[string]float64
	Slots []Tensor
}

// Clone returns a deep copy of s.
func (s *OptimizerState) Clone() *OptimizerState {
	if s == nil {
		return nil
	}
	c := &OptimizerState{Kind: s.Kind, Steps: s.Steps, Hyper: make(map[string]float64, len(s.Hyper))}
	for k, v := range s.Hyper {
		c.Hyper[k] = v
	}
	c.Slots = make([]Tensor, len(s.Slots))
	for i, t := range s.Slots {
		c.Slots[i] = t.Clone()
	}
	return c
}

// slotName and splitSlot build and parse "<param>#<slot>".
func slotName(param, slot string) string { return param + "#" + slot }

func splitSlot(name string) (param, slot string, ok bool) {
	i := strings.LastIndexByte(name, '#')
	if i < 0 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

// moments is the per-parameter state shared by Adam and RMSProp.
type moments struct {
	kind  string
	slots []string // slot names, in order
	steps int64
	state map[string]*paramSlots
	order []string // parameter keys in first-seen order, for a deterministic State
}

type paramSlots struct {
	shape tensor.Shape
	dtype tensor.Dtype
	v     [][]float64 // one per slot
}

func newMoments(kind string, slots ...string) moments {
	return moments{kind: kind, slots: slots, state: map[string]*paramSlots{}}
}

// key names a parameter: its node name, or its index when it has none.
func paramKey(i int, vg G.ValueGrad) string {
	if n, ok := vg.(G.Namer); ok && n.Name() != "" {
		return n.Name()
	}
	return fmt.Sprintf("#%d", i)
}

// optFloats returns the backing slice of a float64 or float32 value: a dense tensor or a
// 0-d scalar (*gorgonia.F64, *gorgonia.F32, viewed as a slice of one element, so that
// writes through it change the value in place as Gorgonia's own solvers do), with its
// shape (empty for a scalar) and dtype.
func optFloats(v G.Value) (f64 []float64, f32 []float32, shape tensor.Shape, dt tensor.Dtype, err error) {
	switch d := v.(type) {
	case *G.F64:
		return unsafe.Slice((*float64)(d), 1), nil, tensor.ScalarShape(), tensor.Float64, nil
	case *G.F32:
		return nil, unsafe.Slice((*float32)(d), 1), tensor.ScalarShape(), tensor.Float32, nil
	case *tensor.Dense:
		switch s := d.Data().(type) {
		case []float64:
			return s, nil, d.Shape(), d.Dtype(), nil
		case []float32:
			return nil, s, d.Shape(), d.Dtype(), nil
		}
		return nil, nil, nil, d.Dtype(), errors.Errorf("dtype %v, want float64 or float32", d.Dtype())
	case nil:
		return nil, nil, nil, tensor.Dtype{}, errors.New("no value")
	}
	return nil, nil, nil, tensor.Dtype{}, errors.Errorf("value of type %T, want a float64 or float32 *tensor.Dense or scalar", v)
}

// each calls upd for every parameter with its slots, weights and gradient (as float64
// views; float32 data is converted in and out), then zeroes the gradient.
func (m *moments) each(model []G.ValueGrad, upd func(w, g []float64, s [][]float64)) error {
	type item struct {
		w64, g64 []float64
		w32, g32 []float32
		s        *paramSlots
	}
	items := make([]item, len(model))
	// Check everything before updating anything.
	for i, vg := range model {
		key := paramKey(i, vg)
		gv, err := vg.Grad()
		if err != nil {
			return errors.Wrapf(err, "%s: parameter %s has no gradient", m.kind, key)
		}
		w64, w32, shape, dt, err := optFloats(vg.Value())
		if err != nil {
			return errors.Wrapf(err, "%s: parameter %s", m.kind, key)
		}
		g64, g32, _, _, err := optFloats(gv)
		if err != nil {
			return errors.Wrapf(err, "%s: gradient of %s", m.kind, key)
		}
		if len(w64)+len(w32) != len(g64)+len(g32) || (w64 == nil) != (g64 == nil) {
			return errors.Errorf("%s: parameter %s and its gradient differ in size or dtype", m.kind, key)
		}
		n := len(w64) + len(w32)
		s := m.state[key]
		if s == nil {
			s = &paramSlots{shape: shape.Clone(), dtype: dt, v: make([][]float64, len(m.slots))}
			for k := range s.v {
				s.v[k] = make([]float64, n)
			}
			m.state[key] = s
			m.order = append(m.order, key)
		} else if len(s.v[0]) != n {
			return errors.Errorf("%s: parameter %s has %d values, its optimizer state %d", m.kind, key, n, len(s.v[0]))
		}
		items[i] = item{w64, g64, w32, g32, s}
	}
	m.steps++
	var w, g []float64
	for _, it := range items {
		if it.w64 != nil {
			upd(it.w64, it.g64, it.s.v)
			clear(it.g64)
			continue
		}
		w, g = optWiden(w, it.w32), optWiden(g, it.g32)
		upd(w, g, it.s.v)
		for j, v := range w {
			it.w32[j] = float32(v)
		}
		clear(it.g32)
	}
	return nil
}

func optWiden(dst []float64, src []float32) []float64 {
	dst = slices.Grow(dst[:0], len(src))[:len(src)]
	for i, v := range src {
		dst[i] = float64(v)
	}
	return dst
}

func (m *moments) snapshot(hyper map[string]float64) *OptimizerState {
	s := &OptimizerState{Kind: m.kind, Steps: m.steps, Hyper: hyper}
	for _, key := range m.order {
		ps := m.state[key]
		for k, name := range m.slots {
			s.Slots = append(s.Slots, Tensor{Name: slotName(key, name), Shape: ckptInts(ps.shape), Dtype: ps.dtype,
				Data: slices.Clone(ps.v[k])})
		}
	}
	return s
}

// setState checks s and replaces the moments; hyper receives the hyperparameters.
func (m *moments) setState(s *OptimizerState, hyper map[string]*float64) error {
	if s == nil {
		return errors.Errorf("%s: nil optimizer state", m.kind)
	}
	if s.Kind != m.kind {
		return errors.Wrapf(ErrMismatch, "optimizer state of kind %q, want %q", s.Kind, m.kind)
	}
	if s.Steps < 0 {
		return errors.Wrapf(ErrMismatch, "%s: negative step count %d", m.kind, s.Steps)
	}
	for k := range s.Hyper {
		if _, ok := hyper[k]; !ok {
			return errors.Wrapf(ErrMismatch, "%s: unknown hyperparameter %q", m.kind, k)
		}
	}
	state := map[string]*paramSlots{}
	var order []string
	for _, t := range s.Slots {
		param, slot, ok := splitSlot(t.Name)
		k := slices.Index(m.slots, slot)
		if !ok || k < 0 {
			return errors.Wrapf(ErrMismatch, "%s: unknown slot %q", m.kind, t.Name)
		}
		if err := t.check(); err != nil {
			return errors.Wrapf(err, "%s: slot %q", m.kind, t.Name)
		}
		ps := state[param]
		if ps == nil {
			ps = &paramSlots{shape: tensor.Shape(slices.Clone(t.Shape)), dtype: t.Dtype, v: make([][]float64, len(m.slots))}
			state[param] = ps
			order = append(order, param)
		} else if !ps.shape.Eq(tensor.Shape(t.Shape)) {
			return errors.Wrapf(ErrMismatch, "%s: slots of %q have shapes %v and %v", m.kind, param, ps.shape, t.Shape)
		}
		if ps.v[k] != nil {
			return errors.Wrapf(ErrMismatch, "%s: duplicate slot %q", m.kind, t.Name)
		}
		ps.v[k] = slices.Clone(t.Data)
	}
	for _, param := range order {
		for k, v := range state[param].v {
			if v == nil {
				return errors.Wrapf(ErrMismatch, "%s: parameter %q lacks slot %q", m.kind, param, m.slots[k])
			}
		}
	}
	for k, v := range s.Hyper {
		*hyper[k] = v
	}
	m.steps, m.state, m.order = s.Steps, state, order
	return nil
}

// Adam is the Adam optimizer (Kingma, Ba 2015) with bias correction, as PyTorch's
// torch.optim.Adam and Gorgonia's AdamSolver (whose updates it reproduces to round-off):
//
//	m ← β1 m + (1-β1) g,  v ← β2 v + (1-β2) g²,
//	w ← w - LR (m / (1-β1^k)) / (sqrt(v / (1-β2^k)) + Eps)
//
// at step k. It zeroes the gradients it consumes. Its state is exported (Optimizer).
type Adam struct {
	LR    float64 // learning rate
	Beta1 float64 // decay of the first moment, default 0.9
	Beta2 float64 // decay of the second moment, default 0.999
	Eps   float64 // added to the root of the second moment, default 1e-8
	m     moments
}

var _ Optimizer = (*Adam)(nil)

// NewAdam returns Adam with learning rate lr and the default β1, β2 and Eps.
func NewAdam(lr float64) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, m: newMoments("adam", "m", "v")}
}

// Step implements gorgonia.Solver: one update of every parameter from its gradient.
func (a *Adam) Step(model []G.ValueGrad) error {
	if a.m.state == nil {
		a.m = newMoments("adam", "m", "v")
	}
	k := float64(a.m.steps + 1)
	c1, c2 := 1-math.Pow(a.Beta1, k), 1-math.Pow(a.Beta2, k)
	b1, b2, lr, eps := a.Beta1, a.Beta2, a.LR, a.Eps
	return a.m.each(model, func(w, g []float64, s [][]float64) {
		m, v := s[0][:len(w)], s[1][:len(w)]
		for i, gi := range g[:len(w)] {
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			w[i] -= lr * (m[i] / c1) / (math.Sqrt(v[i]/c2) + eps)
		}
	})
}

func (a *Adam) hyper() map[string]*float64 {
	return map[string]*float64{"lr": &a.LR, "beta1": &a.Beta1, "beta2": &a.Beta2, "eps": &a.Eps}
}

// State implements Optimizer.
func (a *Adam) State() *OptimizerState { return a.m.snapshot(optDeref(a.hyper())) }

// SetState implements Optimizer; it restores the hyperparameters too.
func (a *Adam) SetState(s *OptimizerState) error {
	if a.m.state == nil {
		a.m = newMoments("adam", "m", "v")
	}
	return a.m.setState(s, a.hyper())
}

// RMSProp is RMSProp as PyTorch's torch.optim.RMSprop (no momentum, not centered):
//
//	v ← ρ v + (1-ρ) g²,  w ← w - LR g / (sqrt(v) + Eps).
//
// Its defaults are PyTorch's (ρ = 0.99, Eps = 1e-8); Gorgonia's RMSPropSolver differs in
// its default ρ (0.999) and adds Eps under the root. It zeroes the gradients it consumes.
// Its state is exported (Optimizer).
type RMSProp struct {
	LR  float64 // learning rate
	Rho float64 // decay of the mean square, default 0.99
	Eps float64 // added to the root mean square, default 1e-8
	m   moments
}

var _ Optimizer = (*RMSProp)(nil)

// NewRMSProp returns RMSProp with learning rate lr and the default Rho and Eps.
func NewRMSProp(lr float64) *RMSProp {
	return &RMSProp{LR: lr, Rho: 0.99, Eps: 1e-8, m: newMoments("rmsprop", "v")}
}

// Step implements gorgonia.Solver: one update of every parameter from its gradient.
func (r *RMSProp) Step(model []G.ValueGrad) error {
	if r.m.state == nil {
		r.m = newMoments("rmsprop", "v")
	}
	rho, lr, eps := r.Rho, r.LR, r.Eps
	return r.m.each(model, func(w, g []float64, s [][]float64) {
		v := s[0][:len(w)]
		for i, gi := range g[:len(w)] {
			v[i] = rho*v[i] + (1-rho)*gi*gi
			w[i] -= lr * gi / (math.Sqrt(v[i]) + eps)
		}
	})
}

func (r *RMSProp) hyper() map[string]*float64 {
	return map[string]*float64{"lr": &r.LR, "rho": &r.Rho, "eps": &r.Eps}
}

// State implements Optimizer.
func (r *RMSProp) State() *OptimizerState { return r.m.snapshot(optDeref(r.hyper())) }

// SetState implements Optimizer; it restores the hyperparameters too.
func (r *RMSProp) SetState(s *OptimizerState) error {
	if r.m.state == nil {
		r.m = newMoments("rmsprop", "v")
	}
	return r.m.setState(s, r.hyper())
}

func optDeref(h map[string]*float64) map[string]float64 {
	out := make(map[string]float64, len(h))
	for k, p := range h {
		out[k] = *p
	}
	return out
}

func ckptInts(s tensor.Shape) []int { return append([]int(nil), s...) }
