package layers

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"

	"github.com/continuum-ml/continuum/internal/kernels"
)

// ResidualEval is a Residual bound to a batch size: the block and its log-determinant on
// flat row-major (batch×Dim) buffers, with their gradients. It reads the block's current
// normalised weights (Residual.Normalize) and parameter values on every call. A
// ResidualEval is used by one goroutine at a time.
//
// Inside, primal and tangent rows are stacked as in the CNF evaluator: rows [0, B) of
// each layer's buffers are the batch, rows [(m+1)B, (m+2)B) its m-th tangent (a
// Jacobian-vector product), so one matrix product per layer serves the network and all
// its tangents, forward and backward, and the second derivative of the activation
// carries the gradient of the tangents (the log-determinant's) back to x and θ.
type ResidualEval struct {
	r     *Residual
	batch int
	nl    int
	k     int // tangent rows in the stacks now
	kcap  int // tangent capacity of the stacks

	xs     []float64   // (1+k)B × Dim: x, then the tangent inputs
	u, h   [][]float64 // per layer, (1+k)B × out; h only for hidden layers
	d1, d2 [][]float64 // per hidden layer, B × out: σ'(u), σ″(u)
	ga, gb []float64   // cotangent stacks, (1+k)B × widest
	dw     []float64   // scratch for one layer's gradient of W̃

	// the last LogDet call: the probe, the VJP chain a_0..a_n and the coefficients
	haveLD bool
	est    LogDet
	probe  []float64
	chain  [][]float64
	coef   []float64 // 1/P(n ≥ k), k = 1..n
	tmp    []float64 // B×Dim
	acc    []float64 // second-order sums, B × widest hidden
}

// NewEval returns the block bound to batches of the given size.
func (r *Residual) NewEval(batch int) (*ResidualEval, error) {
	if batch < 1 {
		return nil, errors.Wrapf(ErrShape, "residual %s: batch size %d", r.name, batch)
	}
	e := &ResidualEval{r: r, batch: batch, nl: len(r.sn)}
	e.d1 = make([][]float64, e.nl)
	e.d2 = make([][]float64, e.nl)
	for l := 0; l < e.nl; l++ {
		out := r.widths[l+1]
		if l < e.nl-1 {
			e.d1[l] = make([]float64, batch*out)
			e.d2[l] = make([]float64, batch*out)
		}
	}
	maxW := 0
	for _, sn := range r.sn {
		maxW = max(maxW, sn.Rows*sn.Cols)
	}
	e.dw = make([]float64, maxW)
	e.tmp = make([]float64, batch*r.spec.Dim)
	e.probe = make([]float64, batch*r.spec.Dim)
	e.grow(0)
	return e, nil
}

// grow makes room for k tangent rows per sample.
func (e *ResidualEval) grow(k int) {
	if e.xs != nil && k <= e.kcap {
		return
	}
	r, B := e.r, e.batch
	rows := (1 + k) * B
	xs := make([]float64, rows*r.spec.Dim)
	if e.xs != nil {
		copy(xs, e.xs[:B*r.spec.Dim])
	}
	e.xs = xs
	e.u = make([][]float64, e.nl)
	e.h = make([][]float64, e.nl)
	wmax := 0
	for l := 0; l < e.nl; l++ {
		out := r.widths[l+1]
		wmax = max(wmax, out, r.widths[l])
		e.u[l] = make([]float64, rows*out)
		if l < e.nl-1 {
			e.h[l] = make([]float64, rows*out)
		}
	}
	e.ga = make([]float64, rows*wmax)
	e.gb = make([]float64, rows*wmax)
	e.kcap = k
}

// Batch returns the batch size.
func (e *ResidualEval) Batch() int { return e.batch }

func (e *ResidualEval) checkLen(what string, s []float64, want int) {
	if len(s) != want {
		panic(fmt.Sprintf("layers: residual %s: %s has length %d, want %d", e.r.name, what, len(s), want))
	}
}

// forward evaluates the layers on the stack xs with k tangent rows per sample; second
// asks for σ″ as well. The last layer's buffer u holds g(x) and the tangents J·t.
func (e *ResidualEval) forward(k int, second bool) {
	r, B := e.r, e.batch
	e.k = k
	in := e.xs
	for l := 0; l < e.nl; l++ {
		wi, wo := r.widths[l], r.widths[l+1]
		w, b := r.eff[l], floats(r.params[2*l+1])
		u := e.u[l]
		kernels.MulNNBias(u[:B*wo], in[:B*wi], w, b, B, wi, wo)
		if k > 0 {
			kernels.MulNN(u[B*wo:(1+k)*B*wo], in[B*wi:(1+k)*B*wi], w, k*B, wi, wo, false)
		}
		if l == e.nl-1 {
			break
		}
		h, d1 := e.h[l], e.d1[l]
		r.spec.Act.Apply(h[:B*wo], u[:B*wo])
		r.spec.Act.Deriv(d1, u[:B*wo], h[:B*wo])
		if second {
			r.spec.Act.Deriv2(e.d2[l], u[:B*wo], h[:B*wo])
		}
		for m := 1; m <= k; m++ {
			ut, ht := u[m*B*wo:(m+1)*B*wo], h[m*B*wo:(m+1)*B*wo]
			for i, d := range d1 {
				ht[i] = d * ut[i]
			}
		}
		in = h
	}
}

// backward propagates the cotangent stack in e.ga (rows of the last forward call: the
// cotangents of g(x) and of the tangent outputs) back through the layers. dtheta (flat, in
// the order of Params), when not nil, receives the parameter gradients (of the raw
// weights, through the spectral normalisation); dx, when not nil, the cotangent of x
// (without the identity part of the block).
func (e *ResidualEval) backward(dx, dtheta []float64) {
	r, B, k := e.r, e.batch, e.k
	R := (1 + k) * B
	g, spare := e.ga, e.gb
	offs := r.offs
	for l := e.nl - 1; l >= 0; l-- {
		wi, wo := r.widths[l], r.widths[l+1]
		in := e.xs
		if l > 0 {
			in = e.h[l-1]
		}
		if dtheta != nil {
			dW := dtheta[offs[l] : offs[l]+wi*wo]
			db := dtheta[offs[l]+wi*wo : offs[l]+wi*wo+wo]
			kernels.MulTN(e.dw[:wi*wo], in[:R*wi], g[:R*wo], R, wi, wo, false)
			r.sn[l].Backward(dW, e.dw[:wi*wo], floats(r.params[2*l]))
			kernels.ColSums(db, g[:B*wo], B, wo, false)
		}
		if l == 0 {
			if dx != nil {
				kernels.MulNT(dx, g[:B*wo], r.eff[0], B, wo, wi, false)
			}
			break
		}
		kernels.MulNT(spare[:R*wi], g[:R*wo], r.eff[l], R, wo, wi, false)
		d1, d2, ut := e.d1[l-1], e.d2[l-1], e.u[l-1]
		hb := spare[:B*wi]
		if k > 0 {
			// ū = σ'(u) h̄ + σ″(u) Σ_m u̇_m ⊙ h̄̇_m on the primal rows, before the tangent
			// rows are scaled
			acc := e.secondAcc(B * wi)
			clear(acc)
			for m := 1; m <= k; m++ {
				tb, tu := spare[m*B*wi:(m+1)*B*wi], ut[m*B*wi:(m+1)*B*wi]
				for i, v := range tb {
					acc[i] += tu[i] * v
				}
			}
			for i, v := range hb {
				hb[i] = d1[i]*v + d2[i]*acc[i]
			}
			for m := 1; m <= k; m++ {
				tb := spare[m*B*wi : (m+1)*B*wi]
				for i, v := range tb {
					tb[i] = d1[i] * v
				}
			}
		} else {
			for i, v := range hb {
				hb[i] = d1[i] * v
			}
		}
		g, spare = spare, g
	}
}

// secondAcc returns scratch of length n for the second-order sums.
func (e *ResidualEval) secondAcc(n int) []float64 {
	if cap(e.acc) < n {
		e.acc = make([]float64, n)
	}
	return e.acc[:n]
}

// vjp writes dst = aᵀ J_g (B×Dim) at the primal point of the last forward call.
func (e *ResidualEval) vjp(dst, a []float64) {
	r, B := e.r, e.batch
	g, spare := e.ga, e.gb
	copy(g, a)
	for l := e.nl - 1; l >= 0; l-- {
		wi, wo := r.widths[l], r.widths[l+1]
		out := spare[:B*wi]
		if l == 0 {
			out = dst
		}
		kernels.MulNT(out, g[:B*wo], r.eff[l], B, wo, wi, false)
		if l == 0 {
			return
		}
		for i, d := range e.d1[l-1] {
			out[i] *= d
		}
		g, spare = spare, g
	}
}

// jvp writes dst = J_g v (B×Dim) at the primal point of the last forward call.
func (e *ResidualEval) jvp(dst, v []float64) {
	r, B := e.r, e.batch
	t, spare := e.ga, e.gb
	copy(t, v)
	for l := 0; l < e.nl; l++ {
		wi, wo := r.widths[l], r.widths[l+1]
		out := spare[:B*wo]
		if l == e.nl-1 {
			out = dst
		}
		kernels.MulNN(out, t[:B*wi], r.eff[l], B, wi, wo, false)
		if l == e.nl-1 {
			return
		}
		for i, d := range e.d1[l] {
			out[i] *= d
		}
		t, spare = spare, t
	}
}

// Forward writes y = x + g(x) for x and y of shape (batch, Dim).
func (e *ResidualEval) Forward(y, x []float64) {
	n := e.batch * e.r.spec.Dim
	e.checkLen("x", x, n)
	e.checkLen("y", y, n)
	copy(e.xs[:n], x)
	e.forward(0, false)
	g := e.u[e.nl-1][:n]
	for i, v := range x {
		y[i] = v + g[i]
	}
	e.haveLD = false
}

// Inverse solves y = x + g(x) for x by the fixed-point iteration x ← y - g(x) from x = y
// (Behrmann et al. 2019, algorithm 1), which converges linearly with rate Lip(g) ≤ c^L:
// it stops when no coordinate changes by more than tol, after at most maxIter iterations,
// and returns the number of iterations. The error after stopping is at most
// Lip/(1-Lip)·tol per coordinate in the norm of the change. It fails with an error wrapping
// ErrNoConvergence when the limit is reached, or when the iterates are not finite.
// Inverse overwrites the state of the last forward call.
func (e *ResidualEval) Inverse(x, y []float64, tol float64, maxIter int) (int, error) {
	n := e.batch * e.r.spec.Dim
	e.checkLen("x", x, n)
	e.checkLen("y", y, n)
	if !(tol > 0) || math.IsInf(tol, 0) {
		return 0, errors.Wrapf(ErrSpec, "residual %s: inverse tolerance %g, want a positive number", e.r.name, tol)
	}
	if maxIter < 1 {
		return 0, errors.Wrapf(ErrSpec, "residual %s: inverse iteration limit %d, want at least 1", e.r.name, maxIter)
	}
	e.haveLD = false
	copy(x, y)
	change := math.Inf(1)
	for it := 1; it <= maxIter; it++ {
		copy(e.xs[:n], x)
		e.forward(0, false)
		g := e.u[e.nl-1][:n]
		change = 0
		for i, v := range y {
			nx := v - g[i]
			change = max(change, math.Abs(nx-x[i]))
			x[i] = nx
		}
		if math.IsNaN(change) || math.IsInf(change, 0) {
			return it, errors.Wrapf(ErrNoConvergence, "residual %s: inverse: non-finite iterate at iteration %d", e.r.name, it)
		}
		if change <= tol {
			return it, nil
		}
	}
	return maxIter, errors.Wrapf(ErrNoConvergence, "residual %s: inverse: largest change %g after %d iterations, want at most %g",
		e.r.name, change, maxIter, tol)
}

// Jacobian writes the Jacobian of y = x + g(x) at x into dst (batch×Dim×Dim, row i of
// sample b the gradient of y_i), by Dim forward-mode products.
func (e *ResidualEval) Jacobian(dst, x []float64) {
	d, B := e.r.spec.Dim, e.batch
	e.checkLen("x", x, B*d)
	e.checkLen("dst", dst, B*d*d)
	copy(e.xs[:B*d], x)
	e.forward(0, false)
	e.haveLD = false
	v, jv := e.probe, e.tmp
	for j := 0; j < d; j++ {
		clear(v)
		for b := 0; b < B; b++ {
			v[b*d+j] = 1
		}
		e.jvp(jv, v)
		for b := 0; b < B; b++ {
			for i := 0; i < d; i++ {
				dst[b*d*d+i*d+j] = jv[b*d+i]
			}
			dst[b*d*d+j*d+j]++
		}
	}
}

// LogDet writes y = x + g(x) and the estimate of log det(I + J_g(x)) of every sample into
// ld (length batch), drawing the probes and the roulette's length from the stream
// (seed, key): the same arguments give the same estimate. With LogDetExact it computes the
// exact value. A later Backward differentiates what LogDet computed.
func (e *ResidualEval) LogDet(y, ld, x []float64, est LogDet, seed, key uint64) error {
	d, B := e.r.spec.Dim, e.batch
	e.checkLen("ld", ld, B)
	est, err := est.fill()
	if err != nil {
		return errors.Wrapf(err, "residual %s", e.r.name)
	}
	if est.Method == LogDetExact {
		jac := make([]float64, B*d*d)
		e.Jacobian(jac, x)
		for b := 0; b < B; b++ {
			var lu mat.LU
			lu.Factorize(mat.NewDense(d, d, jac[b*d*d:(b+1)*d*d]))
			l, sign := lu.LogDet()
			if sign <= 0 {
				l = math.NaN() // I + J_g is never singular for Lip(g) < 1
			}
			ld[b] = l
		}
		e.Forward(y, x)
		e.est, e.haveLD = est, false
		return nil
	}
	e.Forward(y, x)
	e.est, e.haveLD = est, true
	e.coef = est.coefficients(seed, key)
	n := len(e.coef)
	FillProbes(e.probe, est.Probe, seed, key)
	for len(e.chain) < n+1 {
		e.chain = append(e.chain, make([]float64, B*d))
	}
	copy(e.chain[0], e.probe)
	clear(ld)
	for k := 1; k <= n; k++ {
		e.vjp(e.chain[k], e.chain[k-1])
		c := e.coef[k-1] / float64(k)
		if k%2 == 0 {
			c = -c
		}
		a, v := e.chain[k], e.probe
		for b := 0; b < B; b++ {
			s := 0.0
			for i := b * d; i < (b+1)*d; i++ {
				s += a[i] * v[i]
			}
			ld[b] += c * s
		}
	}
	return nil
}

// Backward computes the gradients of a scalar loss through the last Forward or LogDet
// call, given the cotangent dy of y (batch×Dim) and, after LogDet, the cotangent dld of
// the estimate (length batch; nil means zero): dx (batch×Dim, when not nil) and dtheta
// (flat, the parameters in the order of Params, summed over the batch; when not nil) are
// overwritten. The gradient through the estimate follows its Grad.
func (e *ResidualEval) Backward(dx, dtheta, dy, dld []float64) error {
	r, d, B := e.r, e.r.spec.Dim, e.batch
	e.checkLen("dy", dy, B*d)
	if dx != nil {
		e.checkLen("dx", dx, B*d)
	}
	if dtheta != nil {
		e.checkLen("dtheta", dtheta, r.nparam)
	}
	if dld != nil {
		e.checkLen("dld", dld, B)
		if !e.haveLD {
			return errors.Wrapf(ErrSpec, "residual %s: a log-determinant cotangent without a LogDet call before (LogDetExact has no gradient)", r.name)
		}
	}
	k := 0
	if dld != nil {
		n := len(e.coef)
		if e.est.Grad == GradBackprop {
			k = n
		} else {
			k = 1
		}
		e.grow(k)
		// tangent inputs: b_m = J^m v
		copy(e.xs[B*d:2*B*d], e.probe)
		for m := 1; m < k; m++ {
			e.jvp(e.xs[(m+1)*B*d:(m+2)*B*d], e.xs[m*B*d:(m+1)*B*d])
		}
	}
	e.forward(k, k > 0)
	copy(e.ga[:B*d], dy)
	if k > 0 {
		n := len(e.coef)
		sign := func(j int) float64 {
			if j%2 == 0 {
				return 1
			}
			return -1
		}
		for m := 0; m < k; m++ {
			w := e.ga[(m+1)*B*d : (m+2)*B*d]
			clear(w)
			if e.est.Grad == GradBackprop {
				// w_m = Σ_{j < n-m} c_{j+m+1} a_j,  c_k = (-1)^{k+1} coef_k / k
				for j := 0; j < n-m; j++ {
					kk := j + m + 1
					c := sign(kk+1) * e.coef[kk-1] / float64(kk)
					for i, v := range e.chain[j] {
						w[i] += c * v
					}
				}
			} else {
				// w = Σ_{j < n} (-1)^j a_j / P(n ≥ j+1)
				for j := 0; j < n; j++ {
					c := sign(j) * e.coef[j]
					for i, v := range e.chain[j] {
						w[i] += c * v
					}
				}
			}
			for b := 0; b < B; b++ {
				s := dld[b]
				for i := b * d; i < (b+1)*d; i++ {
					w[i] *= s
				}
			}
		}
	}
	e.backward(dx, dtheta)
	if dx != nil {
		for i, v := range dy {
			dx[i] += v
		}
	}
	return nil
}
