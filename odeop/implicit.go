package odeop

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// The implicit stages of the one stage loop: where a tableau's diagonal is nonzero
// (Tableau.Diag, the ESDIRK methods Kvaerno3/4/5), plan.stages hands the stage to
// rk.newtonStage instead of evaluating f at its argument. Stage i with argument base
// b = y0 + h*sum_{j<i} A[i][j]*K[j] solves
//
//	Y = b + h*gamma*f(t_i, Y),   K[i] = (Y - b)/(h*gamma)
//
// by the simplified Newton iteration with the iteration matrix M = I - h*gamma*J, J a
// dense Jacobian of f by forward differences (n+1 evaluations of f, counted in NFE),
// factorised by gonum's LU (lapack64.Getrf/Getrs on the engine's own storage: mat.LU's
// Factorize and SolveVec allocate on every call, for the condition estimate and the vector
// views). J is kept across stages and steps, and recomputed (at the
// step's start) only when an iteration converges slowly or fails with a J from an
// earlier step; M is refactorised when h*gamma has changed by more than 20% since the
// last factorisation. The iteration stops as in Hairer & Wanner II, IV.8 ((8.10)-(8.14)):
// with theta the ratio of successive update norms and eta = theta/(1-theta), when
// eta*||dY|| <= kappa (on the first iteration eta is the last stage's, but at least 0.1) in the error norm of the step (atol + rtol*|y|); it fails when
// theta >= 1 or when the predicted final update cannot reach kappa within the iteration
// limit. A failure with a fresh J rejects the step (the walk shrinks it). Nothing is
// allocated per step: every buffer is made with the engine.
//
// References: Kvaerno (2004), BIT 44, 489-502 (the methods); Hairer, Wanner (1996),
// "Solving Ordinary Differential Equations II", IV.8 (simplified Newton, its stopping
// rule, reuse of the Jacobian and of the factorisation).

const (
	newtonMaxIter = 10   // iterations per stage
	newtonKappa   = 0.01 // the stopping tolerance, in the step's error norm
	newtonSlow    = 0.3  // a contraction rate above which a J from an earlier step is recomputed
	newtonEtaMin  = 0.1  // the least contraction estimate a first iteration is judged by
	newtonRefact  = 0.2  // refactorise M when |h*gamma / (h*gamma at the factorisation) - 1| exceeds this
)

// newton is the Newton state of an engine with an implicit tableau.
type newton struct {
	gamma float64
	jac   *mat.Dense     // J, n by n
	m     *mat.Dense     // I - h*gamma*J
	lu    blas64.General // the LU factors of M (in m's storage)
	piv   []int
	rhs   blas64.General // the residual as an n by 1 matrix, solved in place
	hasJ  bool
	jacT  float64 // the step start J was computed at
	stale bool    // recompute J before the next stage
	hasLU bool
	hgLU  float64 // h*gamma of the factorisation
	eta   float64 // the last contraction estimate, carried to the next stage (Hairer's faccon)

	block      int // the row length of a block-diagonal Jacobian (0: dense)
	nb         int // the components the blocks cover (the rest: decoupled, identity)
	rtol, atol float64
	maxIter    int  // iterations per stage (newtonMaxIter; Checkpoint's recomputation allows more)
	failed     bool // the step in progress failed to converge

	base, fy, f0, yp []float64
	dyBuf            []float64 // the residual, then the update (rhs's storage)

	jacEvals, lus, iters, fails int
}

func newNewton(tb *Tableau, n int) *newton {
	buf := make([]float64, 5*n)
	nw := &newton{gamma: tb.Diag[1], piv: make([]int, n),
		base: buf[:n:n], fy: buf[n : 2*n : 2*n], f0: buf[2*n : 3*n : 3*n], yp: buf[3*n : 4*n : 4*n],
		dyBuf: buf[4*n : 5*n : 5*n]}
	nw.rhs = blas64.General{Rows: n, Cols: 1, Stride: 1, Data: nw.dyBuf}
	return nw
}

// matrices makes the Jacobian and iteration matrix storage for rows of block components
// over the first nb components (nb 0: all n; block 0 or n: dense n by n; otherwise nb/block
// blocks of block by block), once per shape.
func (nw *newton) matrices(n, block, nb int) {
	if nb <= 0 || nb > n {
		nb = n
	}
	if block <= 0 || block >= n || nb%block != 0 {
		block, nb = 0, n
	}
	if nw.jac != nil && nw.block == block && nw.nb == nb {
		return
	}
	nw.block, nw.nb = block, nb
	if block == 0 {
		nw.jac, nw.m = mat.NewDense(n, n, nil), mat.NewDense(n, n, nil)
		nw.lu = nw.m.RawMatrix()
		return
	}
	nw.jac, nw.m = mat.NewDense(nb, block, nil), mat.NewDense(nb, block, nil)
}

// begin readies the Newton state for a solve of n components, in rows of block over the
// first nb (block 0: one dense system), with the tolerances of cfg.
func (nw *newton) begin(cfg *config, n, block, nb int) {
	nw.matrices(n, block, nb)
	nw.hasJ, nw.hasLU, nw.stale, nw.failed, nw.eta = false, false, false, false, 1
	nw.rtol, nw.atol, nw.maxIter = cfg.rtol, cfg.atol, newtonMaxIter
	nw.jacEvals, nw.lus, nw.iters, nw.fails = 0, 0, 0, 0
}

// addStats adds the solve's Newton counts to st.
func (nw *newton) addStats(st *Stats) {
	st.JacEvals += nw.jacEvals
	st.LUs += nw.lus
	st.NewtonIters += nw.iters
	st.NewtonFails += nw.fails
}

// newtonStage is the implicit stage i at time t: y holds the stage's base b on entry and
// Y on a true return, with K[i] = (Y - b)/(h*gamma) in r.k[i]. It returns false, with
// r.nw.failed set, when the iteration does not converge with a Jacobian computed at this
// step's start (or the Jacobian, the factorisation or an iterate is not finite).
func (r *rk) newtonStage(i int, t float64, y []float64) bool {
	nw, ss := r.nw, &r.ss
	hg := ss.h * nw.gamma
	copy(nw.base, y)
	for {
		fresh := nw.hasJ && nw.jacT == ss.t0
		if (!nw.hasJ || nw.stale) && !fresh {
			if !r.jacobian() {
				return r.newtonFail()
			}
			fresh = true
		}
		if !nw.hasLU || math.Abs(hg/nw.hgLU-1) > newtonRefact {
			if !nw.factor(hg) {
				return r.newtonFail()
			}
		}
		r.predict(i, y, hg)
		if r.newtonIterate(t, y, hg, fresh) {
			ki := r.k[i]
			for j, b := range nw.base {
				ki[j] = (y[j] - b) / hg
			}
			return true
		}
		if fresh {
			return r.newtonFail()
		}
		nw.stale = true // retry the stage with J at this step's start
		copy(y, nw.base)
	}
}

func (r *rk) newtonFail() bool {
	r.nw.failed = true
	r.nw.fails++
	return false
}

// predict sets the initial iterate y = base + h*gamma*K, K the method's predictor from
// the stages already known (K[i-1] when the tableau has none).
func (r *rk) predict(i int, y []float64, hg float64) {
	if pr := r.tb.pred; len(pr) > i && len(pr[i]) == i {
		for j, c := range pr[i] {
			if c != 0 {
				axpy(y, hg*c, r.k[j])
			}
		}
		return
	}
	axpy(y, hg, r.k[i-1])
}

// newtonIterate runs the simplified Newton iteration for Y = base + hg*f(t, Y) from the
// iterate in y, and reports whether it converged. A slow contraction marks J stale
// unless it is fresh.
func (r *rk) newtonIterate(t float64, y []float64, hg float64, fresh bool) bool {
	nw := r.nw
	y0 := r.ss.y0
	var dnOld float64
	for it := 0; it < nw.maxIter; it++ {
		r.f(t, y, nw.fy)
		r.nfe++
		nw.iters++
		for j, b := range nw.base {
			nw.dyBuf[j] = b + hg*nw.fy[j] - y[j]
		}
		if !finite(nw.dyBuf) {
			return false
		}
		nw.solve()
		var sum float64
		for j, d := range nw.dyBuf {
			y[j] += d
			sc := nw.atol + nw.rtol*math.Max(math.Abs(y0[j]), math.Abs(y[j]))
			sum += (d / sc) * (d / sc)
		}
		dn := math.Sqrt(sum / float64(len(y)))
		if !finite(y) || math.IsNaN(dn) {
			return false
		}
		if it == 0 {
			// Hairer's carried estimate, kept from falling below newtonEtaMin: a contraction
			// that was fast on the last stage is no proof for this one (a tiny carried eta
			// would accept a first update of any size)
			nw.eta = math.Max(math.Pow(math.Max(nw.eta, epsilon), 0.8), newtonEtaMin)
		} else {
			theta := dn / dnOld
			if theta >= 1 {
				return false
			}
			if theta > newtonSlow && !fresh {
				nw.stale = true
			}
			// the updates left shrink at least like theta^k: too slow to reach kappa in the
			// iterations left
			if math.Pow(theta, float64(nw.maxIter-1-it))/(1-theta)*dn > newtonKappa {
				return false
			}
			nw.eta = theta / (1 - theta)
		}
		if nw.eta*dn <= newtonKappa || dn == 0 {
			return true
		}
		dnOld = dn
	}
	return false
}

// jacobian computes J = df/dy at the step's start (t0, y0) by forward differences with
// the steps sqrt(eps)*max(|y0_j|, 1e-5), from a fresh f(t0, y0) (k[0] may be the last
// step's Newton iterate rather than f itself): n+1 evaluations.
func (r *rk) jacobian() bool {
	if r.nw.block > 0 {
		return r.blockJacobian()
	}
	nw, ss := r.nw, &r.ss
	t0, y0 := ss.t0, ss.y0
	n := r.n
	r.f(t0, y0, nw.f0)
	r.nfe++
	if !finite(nw.f0) {
		return false
	}
	copy(nw.yp, y0)
	jd := nw.jac.RawMatrix().Data
	for j := range n {
		yj := y0[j]
		nw.yp[j] = yj + math.Sqrt(epsilon)*math.Max(math.Abs(yj), 1e-5)
		d := nw.yp[j] - yj
		r.f(t0, nw.yp, nw.fy)
		r.nfe++
		for i := range n {
			jd[i*n+j] = (nw.fy[i] - nw.f0[i]) / d
		}
		nw.yp[j] = yj
	}
	nw.jacEvals++
	nw.hasJ, nw.jacT, nw.stale, nw.hasLU = true, t0, false, false
	return finite(jd)
}

// factor factorises M = I - hg*J.
func (nw *newton) factor(hg float64) bool {
	if nw.block > 0 {
		return nw.blockFactor(hg)
	}
	jd, md := nw.jac.RawMatrix().Data, nw.m.RawMatrix().Data
	n, _ := nw.jac.Dims()
	for i := range n {
		for j := range n {
			v := -hg * jd[i*n+j]
			if i == j {
				v++
			}
			md[i*n+j] = v
		}
	}
	ok := lapack64.Getrf(nw.lu, nw.piv)
	nw.lus++
	nw.hasLU, nw.hgLU = ok, hg
	return ok && finite(md)
}

// solve overwrites the residual in dyBuf with M^-1 times it.
func (nw *newton) solve() {
	if nw.block > 0 {
		nw.blockSolve()
		return
	}
	lapack64.Getrs(blas.NoTrans, nw.lu, nw.rhs, nw.piv)
}
