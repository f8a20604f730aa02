package layers

import "github.com/continuum-ml/continuum/internal/kernels"

// The closed-form exact trace of a network with one hidden-to-hidden matrix.
//
// For f(z) = σ₂(σ₁(z·A + b₀)·W₁ + b₁)·W₂ + b₂ (three Linear or ConcatLinear layers, the last
// one linear; A the first D rows of W₀), the Jacobian is J = W₂ᵀ·diag(s₂)·W₁ᵀ·diag(s₁)·Aᵀ
// with s₁ = σ₁'(u₁), s₂ = σ₂'(u₂), and by the cyclic property of the trace
//
//	tr J = Σ_ij s₁[i]·N[i,j]·s₂[j] = s₁ᵀ·N·s₂,   N = W₁ ⊙ C,   C = Aᵀ·W₂ᵀ (H₁×H₂),
//
// where N depends on the weights only. Per sample this is one row of S₁·N (one matrix
// product over the batch) dotted with s₂, instead of D forward-mode products through W₁:
// the evaluation costs 2 products of the hidden size instead of 1 + D. The gradient needs
// two more (S₂·Nᵀ and N̄ = (c ⊙ S₁)ᵀ·S₂ for the trace's cotangent c) instead of 2D:
//
//	s̄₁ = c·(S₂·Nᵀ),  s̄₂ = c·(S₁·N),  ū_l += σ_l″(u_l) ⊙ s̄_l,
//	W̄₁ += N̄ ⊙ C,  C̄ = N̄ ⊙ W₁,  Ā += (C̄·W₂)ᵀ,  W̄₂ += C̄ᵀ·Aᵀ.
//
// This is the shape of the reference configuration N3 (BENCHMARKS.md), where it makes the
// training step about 1.5 times faster. The Jacobian-norm regularizer needs the whole
// Jacobian and takes the forward-mode path.

// cnfAnalyticOn enables the closed form; the tests switch it off to compare it with the
// forward-mode path.
var cnfAnalyticOn = true

// analyticEligible reports whether the CNF's exact trace has the closed form.
func analyticEligible(c *CNF) bool {
	if !cnfAnalyticOn || c.trace != TraceExact || c.colJ >= 0 {
		return false
	}
	defs := c.f.defs
	if len(defs) != 3 || !defs[2].ident || defs[0].ident || defs[1].ident {
		return false
	}
	for i := range defs {
		if defs[i].Kind == KindConcatSquash {
			return false
		}
	}
	return true
}

// cnfAnalytic holds the closed form's matrices and scratch for one evaluator.
type cnfAnalytic struct {
	e          *cnfEval
	d, h1, h2  int
	C, N       []float64 // h1×h2
	Nbar, Cbar []float64 // h1×h2
	Q          []float64 // nb×h2: S₁·N
	P          []float64 // nb×h1: S₂·Nᵀ
	S1c        []float64 // nb×h1: c ⊙ S₁
	c          []float64 // nb: the cotangent of the trace
	ex         [2][]float64
	W2t, At    []float64 // d×h2 and h1×d: transposes
	T1         []float64 // h1×d
}

func newCNFAnalytic(e *cnfEval) *cnfAnalytic {
	d, h1, h2, nb := e.d, e.ls[0].Out, e.ls[1].Out, e.tile
	return &cnfAnalytic{
		e: e, d: d, h1: h1, h2: h2,
		C: make([]float64, h1*h2), N: make([]float64, h1*h2),
		Nbar: make([]float64, h1*h2), Cbar: make([]float64, h1*h2),
		Q: make([]float64, nb*h2), P: make([]float64, nb*h1), S1c: make([]float64, nb*h1),
		c:   make([]float64, nb),
		ex:  [2][]float64{make([]float64, nb*h1), make([]float64, nb*h2)},
		W2t: make([]float64, d*h2), At: make([]float64, h1*d), T1: make([]float64, h1*d),
	}
}

// weights computes C and N from the current weights (at every evaluation: h₁·h₂·D
// multiply-adds, nothing beside the batch's products, and the evaluator never sees stale
// weights).
func (a *cnfAnalytic) weights() {
	d, h1, h2 := a.d, a.h1, a.h2
	A, W1, W2 := a.e.ls[0].w[:d*h1], a.e.ls[1].w[:h1*h2], a.e.ls[2].w[:h2*d]
	kernels.Transpose(a.W2t, W2, h2, d)
	kernels.MulTN(a.C, A, a.W2t, d, h1, h2, false) // C = Aᵀ·W₂ᵀ
	kernels.MulAdd2(a.N, W1, a.C, nil, nil)        // N = W₁ ⊙ C
}

// trace writes tr J for the nb samples of the tile, after a forward pass of the layers
// (and weights).
func (a *cnfAnalytic) trace(tr []float64, nb int) {
	h2 := a.h2
	S1, S2 := a.e.ls[0].d1, a.e.ls[1].d1
	kernels.MulNN(a.Q, S1, a.N, nb, a.h1, h2, false)
	for b := 0; b < nb; b++ {
		q, s := a.Q[b*h2:b*h2+h2], S2[b*h2:b*h2+h2]
		t := 0.0
		for j, v := range q {
			t += v * s[j]
		}
		tr[b] = t
	}
}

// backwardPrepare computes the cotangents of s₁ and s₂ (ex) of the tile's nb samples from
// the trace's cotangent c, and N̄ (set on the first tile, accumulated on the others) when
// the parameter gradient is wanted.
func (a *cnfAnalytic) backwardPrepare(nb int, params, first bool) {
	h1, h2 := a.h1, a.h2
	S1, S2 := a.e.ls[0].d1, a.e.ls[1].d1
	kernels.MulNT(a.P, S2, a.N, nb, h2, h1, false)
	c := a.c[:nb]
	kernels.ScaleRows(a.ex[0], a.P, c, h1)
	kernels.ScaleRows(a.ex[1], a.Q, c, h2)
	if params {
		kernels.ScaleRows(a.S1c, S1, c, h1)
	}
	if params {
		kernels.MulTN(a.Nbar, a.S1c, S2, nb, h1, h2, !first)
	}
}

// addParamGrads adds the trace's direct dependence on the weights (through N) to the flat
// parameter gradient that the layers' backward passes wrote.
func (a *cnfAnalytic) addParamGrads(dtheta []float64) {
	d, h1, h2 := a.d, a.h1, a.h2
	l0, l1, l2 := a.e.ls[0], a.e.ls[1], a.e.ls[2]
	A, W1, W2 := l0.w[:d*h1], l1.w[:h1*h2], l2.w[:h2*d]
	dA := dtheta[l0.offset : l0.offset+d*h1]
	dW1 := dtheta[l1.offset : l1.offset+h1*h2]
	dW2 := dtheta[l2.offset : l2.offset+h2*d]
	for i := range a.Nbar {
		dW1[i] += a.Nbar[i] * a.C[i]
		a.Cbar[i] = a.Nbar[i] * W1[i]
	}
	// Ā += (C̄·W₂)ᵀ and W̄₂ += C̄ᵀ·Aᵀ
	kernels.MulNN(a.T1, a.Cbar, W2, h1, h2, d, false)
	for i := 0; i < h1; i++ {
		for k := 0; k < d; k++ {
			dA[k*h1+i] += a.T1[i*d+k]
		}
	}
	kernels.Transpose(a.At, A, d, h1)
	kernels.MulTN(dW2, a.Cbar, a.At, h1, h2, d, true)
}
