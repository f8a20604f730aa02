package layers

import (
	"fmt"

	"github.com/continuum-ml/continuum/internal/kernels"
	"github.com/continuum-ml/continuum/odeop"
)

// hollowEval holds a HollowNet's scratch for one batch size and the record of its last
// forward call (for the backward pass).
type hollowEval struct {
	n      *HollowNet
	batch  int
	theta  [][]float64
	lastT  float64
	level  int       // of the last forward call
	x      []float64 // B×d, the input of the last forward call
	f      []float64 // B×d output scratch
	p      []float64 // B×H: x·W
	u1, h  []float64 // B×d×H: conditioner pre-activation and output
	d1h    []float64 // B×d×H: σ'(u1)
	us, s  []float64 // B×d×M: transformer pre-activation and output
	d1, d2 []float64 // B×d×M: σ'(us), σ″(us)
	diag   []float64 // B×d: ∂f_i/∂x_i
	hb     []float64 // B×d×H: h̄, then ū1
	sb     []float64 // B×d×M: ū of the transformer
	sum    []float64 // B×H: Σ_i ū1_i
	tmp    []float64 // B×d
	adiv   []float64 // B: cotangents of the divergence (HollowCNF)
	az     []float64 // B×d: cotangents of f (HollowCNF)
}

func newHollowEval(n *HollowNet, batch int) *hollowEval {
	d, H, M := n.spec.Dim, n.spec.Hidden, n.spec.Mix
	B := batch
	return &hollowEval{
		n: n, batch: batch,
		x: make([]float64, B*d), f: make([]float64, B*d), p: make([]float64, B*H),
		u1: make([]float64, B*d*H), h: make([]float64, B*d*H), d1h: make([]float64, B*d*H),
		us: make([]float64, B*d*M), s: make([]float64, B*d*M), d1: make([]float64, B*d*M), d2: make([]float64, B*d*M),
		diag: make([]float64, B*d), hb: make([]float64, B*d*H), sb: make([]float64, B*d*M),
		sum: make([]float64, B*H), tmp: make([]float64, B*d), adiv: make([]float64, B), az: make([]float64, B*d),
	}
}

// The work levels of a forward call.
const (
	hollowF    = iota // f only
	hollowDiag        // f, σ' and the Jacobian's diagonal (what backward needs of a plain VJP)
	hollowFull        // and σ″ (for the gradient of the divergence)
)

// forward evaluates f at (t, e.x) into e.f and, from level hollowDiag on, the diagonal of
// the Jacobian into e.diag.
func (e *hollowEval) forward(t float64, level int) {
	n := e.n
	d, H, M, B := n.spec.Dim, n.spec.Hidden, n.spec.Mix, e.batch
	th := e.theta
	W, Bc, wc, Q := th[hollowW], th[hollowB], th[hollowWc], th[hollowQ]
	A, C, wt, V, beta := th[hollowA], th[hollowC], th[hollowWt], th[hollowV], th[hollowBeta]
	act := n.spec.Act
	e.lastT = t
	kernels.MulNN(e.p, e.x, W, B, d, H, false)
	for b := 0; b < B; b++ {
		pb := e.p[b*H : (b+1)*H]
		for i := 0; i < d; i++ {
			xi := e.x[b*d+i]
			u := e.u1[(b*d+i)*H : (b*d+i+1)*H]
			wi, bi := W[i*H:(i+1)*H], Bc[i*H:(i+1)*H]
			u = u[:len(pb)]
			wi, bi = wi[:len(pb)], bi[:len(pb)]
			for j, v := range pb {
				u[j] = v - xi*wi[j] + bi[j] + t*wc[j]
			}
		}
	}
	act.Apply(e.h, e.u1)
	if level >= hollowDiag {
		act.Deriv(e.d1h, e.u1, e.h)
	}
	kernels.MulNN(e.us, e.h, Q, B*d, H, M, false)
	for b := 0; b < B; b++ {
		for i := 0; i < d; i++ {
			xi := e.x[b*d+i]
			u := e.us[(b*d+i)*M : (b*d+i+1)*M]
			ai, ci := A[i*M:(i+1)*M], C[i*M:(i+1)*M]
			ai, ci = ai[:len(u)], ci[:len(u)]
			for m := range u {
				u[m] += xi*ai[m] + ci[m] + t*wt[m]
			}
		}
	}
	act.Apply(e.s, e.us)
	if level == hollowF {
		for b := 0; b < B; b++ {
			for i := 0; i < d; i++ {
				r := (b*d + i) * M
				s, vi := e.s[r:r+M], V[i*M:(i+1)*M]
				vi = vi[:len(s)]
				f := beta[i]
				for m, v := range s {
					f += vi[m] * v
				}
				e.f[b*d+i] = f
			}
		}
		return
	}
	act.Deriv(e.d1, e.us, e.s)
	if level >= hollowFull {
		act.Deriv2(e.d2, e.us, e.s)
	}
	for b := 0; b < B; b++ {
		for i := 0; i < d; i++ {
			r := (b*d + i) * M
			s, d1 := e.s[r:r+M], e.d1[r:r+M]
			vi, ai := V[i*M:(i+1)*M], A[i*M:(i+1)*M]
			vi, ai, d1 = vi[:len(s)], ai[:len(s)], d1[:len(s)]
			f, g := beta[i], 0.0
			for m, v := range s {
				f += vi[m] * v
				g += vi[m] * d1[m] * ai[m]
			}
			e.f[b*d+i] = f
			e.diag[b*d+i] = g
		}
	}
}

// backward computes the gradient of Σ a·f + Σ_b adiv_b div_b (div_b = Σ_i diag_bi) at the
// last forward call (of level hollowFull, or hollowDiag when adiv is nil): dx (B×d) and dtheta (flat, in the order of Params), each skipped
// when nil and overwritten otherwise. adiv nil means zero.
func (e *hollowEval) backward(dx, dtheta, a, adiv []float64) {
	n := e.n
	d, H, M, B := n.spec.Dim, n.spec.Hidden, n.spec.Mix, e.batch
	th, t := e.theta, e.lastT
	W, Q := th[hollowW], th[hollowQ]
	A, V := th[hollowA], th[hollowV]
	var dW, dBc, dwc, dQ, dA, dC, dwt, dV, dbeta []float64
	if dtheta != nil {
		part := func(k int) []float64 {
			end := n.nparam
			if k+1 < hollowNParams {
				end = n.offs[k+1]
			}
			s := dtheta[n.offs[k]:end]
			clear(s)
			return s
		}
		dW, dBc, dwc, dQ = part(hollowW), part(hollowB), part(hollowWc), part(hollowQ)
		dA, dC, dwt, dV, dbeta = part(hollowA), part(hollowC), part(hollowWt), part(hollowV), part(hollowBeta)
	}
	if dx != nil {
		clear(dx)
	}
	// the transformer
	for b := 0; b < B; b++ {
		l := 0.0
		if adiv != nil {
			l = adiv[b]
		}
		for i := 0; i < d; i++ {
			r := (b*d + i) * M
			s, d1, d2, sb := e.s[r:r+M], e.d1[r:r+M], e.d2[r:r+M], e.sb[r:r+M]
			vi, ai := V[i*M:(i+1)*M], A[i*M:(i+1)*M]
			s, d1, d2, vi, ai = s[:len(sb)], d1[:len(sb)], d2[:len(sb)], vi[:len(sb)], ai[:len(sb)]
			ab, xi := a[b*d+i], e.x[b*d+i]
			gx := 0.0
			for m := range sb {
				g := vi[m] * (ab*d1[m] + l*d2[m]*ai[m]) // l = 0 without adiv
				sb[m] = g
				gx += g * ai[m]
			}
			if dx != nil {
				dx[b*d+i] = gx
			}
			if dtheta != nil {
				dVi, dAi, dCi := dV[i*M:(i+1)*M], dA[i*M:(i+1)*M], dC[i*M:(i+1)*M]
				dVi, dAi, dCi = dVi[:len(sb)], dAi[:len(sb)], dCi[:len(sb)]
				for m, g := range sb {
					dVi[m] += ab*s[m] + l*d1[m]*ai[m]
					dAi[m] += g*xi + l*vi[m]*d1[m]
					dCi[m] += g
					dwt[m] += t * g
				}
				dbeta[i] += ab
			}
		}
	}
	// into the conditioner
	kernels.MulNT(e.hb, e.sb, Q, B*d, M, H, false)
	if dtheta != nil {
		kernels.MulTN(dQ, e.h, e.sb, B*d, H, M, false)
	}
	for i, v := range e.d1h {
		e.hb[i] *= v
	}
	clear(e.sum)
	for b := 0; b < B; b++ {
		sum := e.sum[b*H : (b+1)*H]
		for i := 0; i < d; i++ {
			ub := e.hb[(b*d+i)*H : (b*d+i+1)*H]
			ub = ub[:len(sum)]
			for j, v := range ub {
				sum[j] += v
			}
			if dtheta != nil {
				dBi := dBc[i*H : (i+1)*H]
				dBi = dBi[:len(ub)]
				for j, v := range ub {
					dBi[j] += v
				}
			}
		}
		if dtheta != nil {
			for j, v := range sum {
				dwc[j] += t * v
			}
		}
	}
	// u1_i = Σ_{j≠i} x_j W_j + ...: dW_j = Σ_b x_bj (S_b - ū1_bj), dx_bj += W_j·(S_b - ū1_bj)
	if dtheta != nil {
		kernels.MulTN(dW, e.x, e.sum, B, d, H, false)
	}
	if dx != nil {
		kernels.MulNT(e.tmp, e.sum, W, B, H, d, false)
	}
	for b := 0; b < B; b++ {
		for j := 0; j < d; j++ {
			ub := e.hb[(b*d+j)*H : (b*d+j+1)*H]
			wj := W[j*H : (j+1)*H]
			wj = wj[:len(ub)]
			if dtheta != nil {
				xj := e.x[b*d+j]
				dWj := dW[j*H : (j+1)*H]
				dWj = dWj[:len(ub)]
				for h, v := range ub {
					dWj[h] -= xj * v
				}
			}
			if dx != nil {
				s := 0.0
				for h, v := range ub {
					s += wj[h] * v
				}
				dx[b*d+j] += e.tmp[b*d+j] - s
			}
		}
	}
}

func (e *hollowEval) needDiag() {
	if e.level < hollowDiag {
		panic("layers: hollow: the diagonal of an evaluation that did not compute it (Eval)")
	}
}

func (e *hollowEval) check(what string, s []float64, want int) {
	if len(s) != want {
		panic(fmt.Sprintf("layers: hollow %s: %s has length %d, want %d", e.n.name, what, len(s), want))
	}
}

// HollowEval is a HollowNet bound to parameter values and a batch size: f, its exact
// Jacobian diagonal and divergence, and vector-Jacobian products of both, on flat
// row-major (batch×Dim) buffers. Nothing is allocated per call; it is used by one
// goroutine at a time.
type HollowEval struct{ e *hollowEval }

// Forward writes f(t, x) into f (batch×Dim) and records what Diag, Divergence and
// Backward need.
func (h *HollowEval) Forward(f []float64, t float64, x []float64) {
	h.forwardAt(f, t, x, hollowFull)
}

func (h *HollowEval) forwardAt(f []float64, t float64, x []float64, level int) {
	e := h.e
	nd := e.batch * e.n.spec.Dim
	e.check("x", x, nd)
	e.check("f", f, nd)
	copy(e.x, x)
	e.forward(t, level)
	copy(f, e.f)
	e.level = level
}

// Diag writes the diagonal ∂f_i/∂x_i of the Jacobian at the last Forward call into dst
// (batch×Dim).
func (h *HollowEval) Diag(dst []float64) {
	h.e.check("dst", dst, len(h.e.diag))
	h.e.needDiag()
	copy(dst, h.e.diag)
}

// Divergence writes the divergence tr(∂f/∂x) of every sample at the last Forward call
// into dst (length batch).
func (h *HollowEval) Divergence(dst []float64) {
	e := h.e
	e.check("dst", dst, e.batch)
	e.needDiag()
	d := e.n.spec.Dim
	for b := range dst {
		s := 0.0
		for _, v := range e.diag[b*d : (b+1)*d] {
			s += v
		}
		dst[b] = s
	}
}

// Backward computes, at the last Forward call, the gradient of Σ a·f + Σ_b adiv_b div_b
// (a batch×Dim, adiv of length batch or nil for zero): dx (batch×Dim) and dtheta (flat,
// in the order of Params, summed over the batch), each overwritten unless nil.
func (h *HollowEval) Backward(dx, dtheta, a, adiv []float64) {
	e := h.e
	nd := e.batch * e.n.spec.Dim
	e.check("a", a, nd)
	if adiv != nil {
		e.check("adiv", adiv, e.batch)
	}
	if e.level < hollowDiag || (adiv != nil && e.level < hollowFull) {
		panic("layers: hollow: Backward without the Forward it differentiates")
	}
	if dx != nil {
		e.check("dx", dx, nd)
	}
	if dtheta != nil {
		e.check("dtheta", dtheta, e.n.nparam)
	}
	e.backward(dx, dtheta, a, adiv)
}

// Eval implements odeop.Evaluator: dst = f(t, z), without the diagonal (Forward computes
// it too).
func (h *HollowEval) Eval(dst []float64, t float64, z []float64) { h.forwardAt(dst, t, z, hollowF) }

// VJP implements odeop.Evaluator for f.
func (h *HollowEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	e := h.e
	if f == nil {
		f = e.f
	}
	h.forwardAt(f, t, z, hollowDiag)
	if dz == nil && dtheta == nil {
		return
	}
	h.Backward(dz, dtheta, a, nil)
}

// Release hands the evaluator's memory back to its network for a later NewEval or Bind
// of the same batch size; the HollowEval must not be used afterwards.
func (h *HollowEval) Release() {
	if h.e != nil {
		h.e.n.pool.Put(h.e.batch, h.e)
		h.e = nil
	}
}

// hollowPlain is the odeop.Evaluator that Bind returns.
type hollowPlain struct{ *HollowEval }

var (
	_ odeop.Evaluator = hollowPlain{}
	_ odeop.Releaser  = hollowPlain{}
)
