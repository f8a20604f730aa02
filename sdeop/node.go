package sdeop

import (
	"fmt"
	"hash"
	"math"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/odeop"
)

// ErrNotRun is returned by BrownianOf for a Solve node that has not run forward yet.
var ErrNotRun = errors.New("sdeop: node has not run")

// nodeOpIDs numbers op instances: Gorgonia hash-conses nodes by their op's hash, so two
// solves with equal-looking arguments must still hash differently.
var nodeOpIDs uint64

// Solve returns a node holding z at every time of ts, of shape (len(ts), batch, dim), for
// the SDE
//
//	dz = f(t, z; theta_f) dt + g(t, z; theta_g) ⊙ dW,   z(ts[0]) = z0 (batch, dim)
//
// with drift f and diagonal diffusion g (g has z's shape; WithNoise(Additive) declares
// that g does not depend on z), in the calculus of WithCalculus (default Ito), on a
// Brownian path with one component per entry of z (component b*dim + d for row b). The
// inputs of the node are z0 and the parameters of f and g (a node shared by both enters
// once), so gorgonia.Grad through it gives gradients with respect to all of them.
//
// The solve takes fixed steps of WithStep's dt (required), from each output time to the
// next, the last one shortened, as Integrate. ts must be strictly increasing. Methods
// (WithMethod; default Euler for Ito, Midpoint for Stratonovich): Euler, Milstein and
// SRK (Ito), Heun, EulerHeun, Midpoint, ReversibleHeun and Milstein (Stratonovich).
//
// The Brownian path is made from the seed (WithSeed, default 0) on every run: a
// BrownianInterval told the step (default), or a BrownianTree (WithBrownian). The
// gradient run replays the path of the forward run. By default every run uses the same
// path; WithResample(true) draws a new one per run, and SetSeed changes the seed.
// BrownianOf returns the path of the last run.
//
// Gradients (WithGradient):
//   - Adjoint (default): the stochastic adjoint of Li et al. (2020), the
//     Stratonovich SDE of [z, a, a_theta] solved backward on the same path with
//     WithAdjointMethod's scheme (Midpoint default, EulerHeun, Heun); Ito SDEs are
//     converted with the Ito-Stratonovich correction (from VJPs of the diffusion, or
//     its ItoCorrector). After a ReversibleHeun solve the default backward
//     pass is the reversible Heun adjoint of Kidger et al. (2021), exact for the
//     discrete solve. Memory does not grow with the number of steps.
//   - Checkpoint: exact backpropagation through the stored steps (Euler, Heun,
//     EulerHeun, Midpoint, ReversibleHeun).
//
// The solve runs in float64; a float32 graph is converted at the node's edges. Errors
// of a run (a non-finite state, a panic in the dynamics) come out of the machine's
// RunAll; odeop.Cause unwraps them for errors.Is.
func Solve(z0 *G.Node, drift, diffusion odeop.Dynamics, ts []float64, opts ...Option) (*G.Node, error) {
	op, children, err := newSolveOp("solve", z0, drift, diffusion, nil, ts, opts)
	if err != nil {
		return nil, err
	}
	n, err := G.ApplyOp(op, children...)
	if err != nil {
		return nil, errors.Wrap(err, "solve")
	}
	return n, nil
}

// SolveKL solves the SDE of the approximate posterior, drift posterior and diffusion
// g, as Solve does, and accumulates along the same solve the KL divergence between the
// path measures of the posterior and of the prior (drift prior, the same diffusion),
// as torchsde's logqp:
//
//	logqp_b(t) = 1/2 integral_{ts[0]}^{t} |(f_post - f_prior)(s, z_b(s)) / g(s, z_b(s))|^2 ds
//
// for every batch row b (g must not vanish). It returns zs (len(ts), batch, dim) and
// logqp (len(ts), batch), logqp(ts[0]) = 0; the KL channel is a deterministic channel
// of the state, stepped by the same method (Euler, Heun, EulerHeun, Midpoint or
// ReversibleHeun), and gradients flow through both outputs. The inputs are z0 and the
// parameters of the posterior drift, the diffusion and the prior drift. Options as
// Solve; StatsOf, SetSeed and BrownianOf accept either output. With a LispMachine both
// outputs must reach the loss (it refuses graphs with an unused non-scalar node).
//
// References: Li, Wong, Chen, Duvenaud (2020), section 5 (latent SDEs); torchsde's
// sdeint(..., logqp=True).
func SolveKL(z0 *G.Node, posterior, prior, diffusion odeop.Dynamics, ts []float64, opts ...Option) (zs, logqp *G.Node, err error) {
	if prior == nil {
		return nil, nil, errors.Wrap(ErrSDE, "solve KL: prior drift is nil")
	}
	op, children, err := newSolveOp("solve KL", z0, posterior, diffusion, prior, ts, opts)
	if err != nil {
		return nil, nil, err
	}
	raw, err := G.ApplyOp(op, children...)
	if err != nil {
		return nil, nil, errors.Wrap(err, "solve KL")
	}
	if zs, err = G.ApplyOp(&klPartOp{op: op, part: 0}, raw); err != nil {
		return nil, nil, errors.Wrap(err, "solve KL")
	}
	if logqp, err = G.ApplyOp(&klPartOp{op: op, part: 1}, raw); err != nil {
		return nil, nil, errors.Wrap(err, "solve KL")
	}
	return zs, logqp, nil
}

// newSolveOp checks the arguments of Solve and SolveKL and returns the op and its inputs.
func newSolveOp(what string, z0 *G.Node, f, g, q odeop.Dynamics, ts []float64, opts []Option) (*solveOp, G.Nodes, error) {
	if z0 == nil {
		return nil, nil, errors.Wrapf(ErrState, "%s: z0 is nil", what)
	}
	if f == nil || g == nil {
		return nil, nil, errors.Wrapf(ErrSDE, "%s: drift and diffusion must not be nil", what)
	}
	if z0.Dims() != 2 {
		return nil, nil, errors.Wrapf(ErrState, "%s: z0 has shape %v, want a matrix (batch, dim)", what, z0.Shape())
	}
	dt := z0.Dtype()
	if dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, nil, errors.Wrapf(ErrState, "%s: z0 has dtype %v, want float64 or float32", what, dt)
	}
	if len(ts) < 2 || ts[1] < ts[0] {
		return nil, nil, errors.Wrapf(ErrTimes, "%s: want at least two strictly increasing output times, got %v", what, ts)
	}
	cfg := newConfig(opts)
	if cfg.noise != Diagonal && cfg.noise != Additive {
		return nil, nil, errors.Wrapf(ErrUnsupported, "%s: %v noise; the node supports Diagonal and Additive noise", what, cfg.noise)
	}
	p, err := validate(cfg, cfg.calculus, cfg.noise, ts)
	if err != nil {
		return nil, nil, errors.Wrap(err, what)
	}
	switch cfg.brownian {
	case IntervalPath:
		if cfg.treeTol != 0 {
			return nil, nil, errors.Wrapf(ErrOption, "%s: a tolerance (%g) applies to TreePath only", what, cfg.treeTol)
		}
	case TreePath:
		if !(cfg.treeTol >= 0) || math.IsInf(cfg.treeTol, 0) {
			return nil, nil, errors.Wrapf(ErrOption, "%s: tree tolerance %g must be positive and finite (0: default)", what, cfg.treeTol)
		}
		if p.info.levy {
			return nil, nil, errors.Wrapf(ErrUnsupported, "%s: method %s needs the Levy area of IntervalPath; a BrownianTree has none", what, p.method)
		}
	default:
		return nil, nil, errors.Wrapf(ErrOption, "%s: unknown Brownian kind %v", what, cfg.brownian)
	}
	if q != nil && !backprop(p.method) {
		return nil, nil, errors.Wrapf(ErrUnsupported, "%s: the KL channel is stepped by Euler, Heun, EulerHeun, Midpoint or ReversibleHeun, not %s", what, p.method)
	}
	grad, ok := gradients[cfg.grad]
	if !ok {
		return nil, nil, errors.Wrapf(ErrOption, "%s: unknown gradient method %v", what, cfg.grad)
	}
	shape := z0.Shape()
	batch, dim := shape[0], shape[1]
	op := &solveOp{
		id: atomic.AddUint64(&nodeOpIDs, 1), f: f, g: g, q: q,
		ts: append([]float64(nil), ts...), dt: p.dt, grid: p.grid, method: p.method,
		calc: cfg.calculus, noise: cfg.noise, grad: grad, brownianKind: cfg.brownian, treeTol: cfg.treeTol,
		resample: cfg.resample, seed: cfg.seed, batch: batch, dim: dim, dtype: dt, kl: q != nil,
	}
	if err := grad.prepare(op, cfg.adjMethod); err != nil {
		return nil, nil, errors.Wrap(err, what)
	}
	children := G.Nodes{z0}
	index := map[*G.Node]int{}
	for d, dyn := range []odeop.Dynamics{f, g, q} {
		if dyn == nil {
			continue
		}
		for i, p := range dyn.Params() {
			if p == nil {
				return nil, nil, errors.Wrapf(ErrSDE, "%s: %s parameter %d is nil", what, dynNames[d], i)
			}
			if p.Dtype() != dt {
				return nil, nil, errors.Wrapf(ErrSDE, "%s: %s parameter %d (%s) has dtype %v, z0 has %v", what, dynNames[d], i, p.Name(), p.Dtype(), dt)
			}
			if p.Graph() != z0.Graph() {
				return nil, nil, errors.Wrapf(ErrSDE, "%s: %s parameter %d (%s) is in another graph than z0", what, dynNames[d], i, p.Name())
			}
			k, seen := index[p]
			if !seen {
				k = len(op.pshape)
				index[p] = k
				op.pshape = append(op.pshape, p.Shape().Clone())
				children = append(children, p)
			}
			op.slot[d] = append(op.slot[d], k)
		}
		if err := dyn.Check(batch, dim); err != nil {
			return nil, nil, errors.Wrapf(ErrSDE, "%s: %s does not fit z0 of shape (%d, %d): %v", what, dynNames[d], batch, dim, err)
		}
	}
	return op, children, nil
}

// dynNames names the dynamics of a solve op in errors.
var dynNames = [3]string{"drift", "diffusion", "prior drift"}

// nodeOf returns the solve op behind a node made by Solve or SolveKL.
func nodeOf(n *G.Node) (*solveOp, bool) {
	if n == nil {
		return nil, false
	}
	switch op := n.Op().(type) {
	case *solveOp:
		return op, true
	case *klPartOp:
		return op.op, true
	}
	return nil, false
}

// StatsOf returns the statistics of the most recent forward and backward solves of a
// node made by Solve or SolveKL (either output); ok is false for other nodes. Backward
// NFE counts the VJP evaluations of the drift (NFE) and of the diffusion (NFEDiffusion).
func StatsOf(n *G.Node) (forward, backward Stats, ok bool) {
	op, ok := nodeOf(n)
	if !ok {
		return Stats{}, Stats{}, false
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.fwd, op.bwd, true
}

// SetSeed sets the seed of the Brownian paths of a node made by Solve or SolveKL (either
// output) for its next runs, and restarts the WithResample sequence.
func SetSeed(n *G.Node, seed uint64) error {
	op, ok := nodeOf(n)
	if !ok {
		return errors.Wrapf(ErrOption, "SetSeed: %v is not a node made by Solve or SolveKL", n)
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	op.seed, op.runs = seed, 0
	return nil
}

// BrownianOf returns the Brownian path of the last forward run of a node made by Solve
// or SolveKL (either output), with one component per entry of z (b*dim + d), and the
// seed it was made from.
func BrownianOf(n *G.Node) (Brownian, uint64, error) {
	op, ok := nodeOf(n)
	if !ok {
		return nil, 0, errors.Wrapf(ErrOption, "BrownianOf: %v is not a node made by Solve or SolveKL", n)
	}
	op.mu.Lock()
	ran, seed := op.ran, op.lastSeed
	op.mu.Unlock()
	if !ran {
		return nil, 0, errors.Wrap(ErrNotRun, "BrownianOf")
	}
	bm, err := op.brownian(seed)
	return bm, seed, err
}

// solveOp is the forward solve: inputs z0 and the unique parameters, output z at ts
// (and logqp as an extra last column with KL).
type solveOp struct {
	graphop.Pure
	id           uint64
	f, g, q      odeop.Dynamics
	ts           []float64
	dt           float64
	grid         grid
	method       Method
	adjMethod    Method
	calc         Calculus
	noise        Noise
	grad         gradient
	brownianKind BrownianKind
	treeTol      float64
	resample     bool
	batch, dim   int
	dtype        tensor.Dtype
	kl           bool
	pshape       []tensor.Shape // unique parameters
	slot         [3][]int       // for f, g, q: the unique index of each of its parameters

	mu       sync.Mutex
	seed     uint64 // base seed
	runs     uint64 // forward runs since the seed was set (WithResample)
	lastSeed uint64 // seed of the last forward run
	ran      bool
	bm       Brownian // path of bmSeed, kept for the next run
	bmSeed   uint64
	fwd, bwd Stats
	memo     *fwdMemo
}

// fwdMemo is what a forward run leaves for the gradient run of the same inputs:
// Checkpoint's tape, the final states of ReversibleHeun.
type fwdMemo struct {
	seed  uint64
	z0    []float64
	theta [][]float64
	res   *fwdResult
}

func (m *fwdMemo) matches(seed uint64, z0 []float64, theta [][]float64) bool {
	return m != nil && m.seed == seed && graphop.SameInputs(m.z0, m.theta, z0, theta)
}

func (op *solveOp) cols() int {
	if op.kl {
		return op.dim + 1
	}
	return op.dim
}

// brownian returns the path of seed, reusing the last one built.
func (op *solveOp) brownian(seed uint64) (Brownian, error) {
	op.mu.Lock()
	if op.bm != nil && op.bmSeed == seed {
		bm := op.bm
		op.mu.Unlock()
		return bm, nil
	}
	op.mu.Unlock()
	bm, err := op.newBrownian(seed)
	if err != nil {
		return nil, err
	}
	op.mu.Lock()
	op.bm, op.bmSeed = bm, seed
	op.mu.Unlock()
	return bm, nil
}

// newRun binds the dynamics to the parameter values (unique, in input order) and
// builds the path of seed.
func (op *solveOp) newRun(theta [][]float64, seed uint64) (*nodeRun, error) {
	var evs [3]*dynEval
	for d, dyn := range []odeop.Dynamics{op.f, op.g, op.q} {
		if dyn == nil {
			continue
		}
		th := make([][]float64, len(op.slot[d]))
		for i, k := range op.slot[d] {
			th[i] = theta[k]
		}
		var err error
		if evs[d], err = newDynEval(dyn, th, op.batch, op.dim); err != nil {
			for _, ev := range evs {
				ev.release()
			}
			return nil, errors.Wrap(err, dynNames[d])
		}
	}
	r := &nodeRun{op: op, sys: newNodeSys(evs[0], evs[1], evs[2], op.batch, op.dim)}
	r.fwd = r.sys.system(op.noise)
	var err error
	if r.bm, err = op.brownian(seed); err != nil {
		r.release()
		return nil, err
	}
	if op.method == SRK {
		r.lb = r.bm.(LevyBrownian)
	}
	return r, nil
}

func (op *solveOp) Arity() int { return 1 + len(op.pshape) }

func (op *solveOp) Type() hm.Type { return graphop.SolveType(op.pshape) }

func (op *solveOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{len(op.ts), op.batch, op.cols()}, nil
}

func (op *solveOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "sdeop.solve#%d", op.id) }
func (op *solveOp) Hashcode() uint32      { return graphop.Hashcode(op) }
func (op *solveOp) String() string {
	kl := ""
	if op.kl {
		kl = "KL"
	}
	return fmt.Sprintf("sdeSolve%s#%d(%s, %v, %d steps)", kl, op.id, op.method, op.calc, op.grid.steps())
}

func (op *solveOp) Do(vals ...G.Value) (retVal G.Value, err error) {
	defer recoverDynamics(&err, op)
	z0, theta, err := graphop.Inputs(op, vals, op.batch*op.dim, op.pshape, ErrState)
	if err != nil {
		return nil, err
	}
	if i := graphop.NonFinite(z0); i >= 0 {
		return nil, errors.Wrapf(ErrState, "%v: z0[%d] = %v", op, i, z0[i])
	}
	op.mu.Lock()
	seed := op.seed
	if op.resample {
		seed = rng.Derive(op.seed, op.runs)
		op.runs++
	}
	op.lastSeed, op.ran = seed, true
	op.mu.Unlock()
	res, err := op.runForward(z0, theta, seed)
	if err != nil {
		return nil, err
	}
	var memo *fwdMemo
	if op.grad.memo(op) {
		memo = &fwdMemo{seed: seed, z0: append([]float64(nil), z0...), res: res}
		for _, th := range theta {
			memo.theta = append(memo.theta, append([]float64(nil), th...))
		}
	}
	op.mu.Lock()
	op.fwd = res.st
	op.memo = memo
	op.mu.Unlock()
	return graphop.Dense(op.dtype, res.out, len(op.ts), op.batch, op.cols()), nil
}

func (op *solveOp) runForward(z0 []float64, theta [][]float64, seed uint64) (*fwdResult, error) {
	r, err := op.newRun(theta, seed)
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	defer r.release()
	res, err := r.forward(z0, op.grad.tape(), false)
	if err != nil {
		return nil, errors.Wrapf(err, "%v: forward solve", op)
	}
	return res, nil
}

// DiffWRT: the solve is differentiable with respect to every input.
func (op *solveOp) DiffWRT(inputs int) []bool { return graphop.DiffAll(inputs) }

// SymDiff builds the gradient graph: one backward op computing every gradient in one
// backward pass, and one extract op per input.
func (op *solveOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	part := graphop.Extract{Name: "sde", Parent: op.id, Kind: ErrState}
	return graphop.SymDiff(op, &gradOp{fwd: op}, part, inputs, output, grad)
}

// DoDiff is the LispMachine's path: compute every gradient and add it to the inputs'
// gradients.
func (op *solveOp) DoDiff(ctx G.ExecutionContext, inputs G.Nodes, output *G.Node) error {
	return graphop.DoDiff(op, (&gradOp{fwd: op}).compute, inputs, output, ErrState)
}

// recoverDynamics turns a panic raised while evaluating the dynamics into an error of
// the op, so RunAll reports it: it wraps ErrDynamics and ErrSDE, and the panic's value
// when that is an error (a runtime error, say), for errors.Is and errors.As.
func recoverDynamics(err *error, op fmt.Stringer) {
	if r := recover(); r != nil {
		p := &dynamicsPanic{msg: fmt.Sprintf("%v: dynamics failed: %v", op, r)}
		p.cause, _ = r.(error)
		*err = p
	}
}

// dynamicsPanic is a recovered panic of the dynamics.
type dynamicsPanic struct {
	msg   string
	cause error
}

func (e *dynamicsPanic) Error() string { return e.msg }

func (e *dynamicsPanic) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrDynamics, ErrSDE}
	}
	return []error{ErrDynamics, ErrSDE, e.cause}
}

// gradOp computes the gradients of every input of a solve in one backward pass. Inputs:
// z0, params..., the forward output, its gradient. Output: flat [dz0 | dtheta_1 | ...].
type gradOp struct {
	graphop.Pure
	fwd *solveOp
}

func (op *gradOp) Arity() int { return op.fwd.Arity() + 2 }

func (op *gradOp) Type() hm.Type { return graphop.GradType(op.fwd.pshape) }

// size is the length of the flat gradient.
func (op *gradOp) size() int { return graphop.FlatSize(op.fwd.batch*op.fwd.dim, op.fwd.pshape) }

func (op *gradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.size()}, nil
}
func (op *gradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "sdeop.grad#%d", op.fwd.id) }
func (op *gradOp) Hashcode() uint32      { return graphop.Hashcode(op) }
func (op *gradOp) String() string {
	return fmt.Sprintf("sdeSolveGrad#%d(%s)", op.fwd.id, op.fwd.grad.describe(op.fwd))
}

func (op *gradOp) Do(vals ...G.Value) (G.Value, error) {
	flat, err := op.compute(vals)
	if err != nil {
		return nil, err
	}
	return graphop.Dense(op.fwd.dtype, flat, len(flat)), nil
}

// compute runs the backward pass and returns the flat gradient.
func (op *gradOp) compute(vals []G.Value) (flat []float64, err error) {
	defer recoverDynamics(&err, op)
	f := op.fwd
	n := f.batch * f.dim
	size := len(f.ts) * f.batch * f.cols()
	z0, theta, out, gout, err := graphop.GradArgs(op, f, vals, n, f.pshape, size, ErrState, ErrNonFinite)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	seed, ran, memo := f.lastSeed, f.ran, f.memo
	f.mu.Unlock()
	if !ran {
		return nil, errors.Wrapf(ErrNotRun, "%v", op)
	}
	gz, gL := f.splitGrad(gout)
	var res *fwdResult
	var st Stats
	if f.grad.memo(f) {
		if memo.matches(seed, z0, theta) {
			res = memo.res
		} else if res, err = f.runForward(z0, theta, seed); err != nil {
			return nil, err
		} else {
			st = res.st
		}
	}
	r, err := f.newRun(theta, seed)
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	defer r.release()
	zs, _ := f.splitGrad(out)
	dz0, dth, bst, err := f.grad.backward(r, res, zs, gz, gL)
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	flat = make([]float64, op.size())
	copy(flat, dz0)
	f.scatter(flat[n:], dth)
	if i := graphop.NonFinite(flat); i >= 0 {
		return nil, errors.Wrapf(ErrNonFinite, "%v: gradient [%d] = %v", op, i, flat[i])
	}
	f.mu.Lock()
	f.bwd = bst.Add(st)
	f.mu.Unlock()
	return flat, nil
}

// scatter adds the engine's parameter gradient [theta_f | theta_g | theta_q] into the
// flat gradient of the unique parameters.
func (op *solveOp) scatter(dst, dth []float64) {
	uoff := make([]int, len(op.pshape)+1)
	for i, s := range op.pshape {
		uoff[i+1] = uoff[i] + s.TotalSize()
	}
	off := 0
	for d := range op.slot {
		for _, k := range op.slot[d] {
			size := uoff[k+1] - uoff[k]
			addTo(dst[uoff[k]:uoff[k+1]], dth[off:off+size])
			off += size
		}
	}
}
