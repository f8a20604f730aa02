package odeop

import (
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// Checkpoint for the implicit methods: the discrete adjoint of the ESDIRK steps. The
// recorded steps are recomputed one at a time, backward, with the engine (its Newton
// stages converged 1000 times tighter than the forward tolerance, and at least to rtol 1e-10), and the cotangents run
// back through the step map with its stages solved exactly (the implicit function
// theorem). With b_i = y0 + h sum_{j<i} A[i][j] K[j], stage i >= 1 is
// Y_i = b_i + h gamma f(Y_i), K[i] = f(Y_i), and K[0] = f(t0, y0); y1 = Y_{s-1}, dense
// outputs y0 + h sum_i w_i K[i]. Given the cotangents Ybar_i (y1's on Y_{s-1}) and Kbar_i
// (from the dense outputs and the later stages), in reverse stage order:
//
//	u      = Ybar_i + J_i^T Kbar_i,          J_i = df/dz at (t_i, Y_i)
//	lambda = (I - h gamma J_i)^-T u          (the transposed stage matrix, LU by LAPACK)
//	bbar_i = lambda:  y0bar += lambda,  Kbar_j += h A[i][j] lambda  (j < i)
//	thetabar += (df/dtheta)^T (h gamma lambda + Kbar_i)
//
// and for stage 0 y0bar += J_0^T Kbar_0, thetabar += (df/dtheta)^T Kbar_0. J_i is block
// diagonal (the batch's rows are independent): its dim by dim blocks come from dim VJPs
// (cotangent e_q in every row), and each is factorised and solved alone; the gradient
// is that of the discrete solution to the Newton tolerance of the recomputation (the
// forward pass's own stages agree with it to the forward Newton tolerance).

func implicitCheckpointBackward(op *solveOp, tape *checkpointTape, z0 []float64, theta [][]float64, gzs []float64) ([]float64, Stats, error) {
	n := op.batch * op.dim
	ev, err := newBatchEval(op.f, theta, op.batch, op.dim)
	if err != nil {
		return nil, Stats{}, err
	}
	defer ev.Release()
	var st Stats
	T := len(op.ts)
	np := ev.NumParams()
	out := make([]float64, n+np)
	if T == 1 {
		copy(out[:n], gzs[:n])
		return out, st, nil
	}
	tape, rs, err := op.recorded(tape, ev, nil, z0, theta, "checkpoint: re-running the forward solve")
	st = st.Add(rs)
	if err != nil {
		return nil, st, err
	}
	if len(tape.t0) == 0 {
		return nil, st, errors.Wrap(ErrDynamics, "checkpoint: the forward solve recorded no steps")
	}
	dir := 1.0
	if op.ts[T-1] < op.ts[0] {
		dir = -1
	}
	stepOf := make([]int, T)
	for k, j := 1, 0; k < T; k++ {
		for j < len(tape.t0)-1 && dir*(tape.t1[j]-op.ts[k]) < 0 {
			j++
		}
		stepOf[k] = j
	}
	p := tape.plan
	tb := p.tb
	s := tb.Stages()
	r := newRK(p, n, setup{f: ev.RHS, block: op.dim})
	cfg := *op.cfg
	cfg.rtol, cfg.atol = min(cfg.rtol*1e-3, 1e-10), cfg.atol*1e-3
	gamma := tb.Diag[1]
	Y := make([][]float64, s)
	Kbar, Ybar := make([][]float64, s), make([][]float64, s)
	for i := range s {
		Y[i], Kbar[i], Ybar[i] = make([]float64, n), make([]float64, n), make([]float64, n)
	}
	ybar, u, tmp, e := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	dth, thbar := make([]float64, np), out[n:]
	d := op.dim
	M := blas64.General{Data: make([]float64, n*d)} // n/d blocks of d by d
	piv := make([]int, n)
	lam := blas64.General{Rows: n, Cols: 1, Stride: 1, Data: make([]float64, n)}
	w := make([]float64, tb.DenseLen())
	copy(ybar, gzs[(T-1)*n:T*n]) // the last output time is the last step's end
	k := T - 2
	for j := len(tape.t0) - 1; j >= 0; j-- {
		t0, h, t1 := tape.t0[j], tape.h[j], tape.t1[j]
		// recompute the step's stages
		copy(r.y0, tape.y0[j])
		r.nw.begin(&cfg, n, op.dim, 0)
		r.nw.maxIter = 50 // a recorded step must be recomputed, not rejected
		ev.RHS(t0, r.y0, r.k[0])
		r.nfe = 1
		if !r.step(t0, h, t1) {
			return nil, st, errors.Wrapf(ErrDynamics, "checkpoint: recomputing the step at t = %g failed", t0)
		}
		r.nw.addStats(&st)
		st.NFE += r.nfe
		for i := 1; i < s; i++ {
			combRows(Y[i], r.y0, h, p.a[i], p.aIdx[i], r.k, 0, n)
			axpy(Y[i], h*gamma, r.k[i])
		}
		for i := range s {
			clear(Kbar[i])
			clear(Ybar[i])
		}
		copy(Ybar[s-1], ybar)
		clear(ybar) // now the cotangent of y0
		// the dense outputs inside the step (an output at t1 of a later step is its y1)
		for ; k >= 1 && stepOf[k] == j; k-- {
			g := gzs[k*n : (k+1)*n]
			if op.ts[k] == t1 {
				axpy(Ybar[s-1], 1, g)
				continue
			}
			tb.Dense(w, (op.ts[k]-t0)/h)
			axpy(ybar, 1, g)
			for i, wi := range w {
				if wi != 0 {
					axpy(Kbar[i], h*wi, g)
				}
			}
		}
		hg := h * gamma
		for i := s - 1; i >= 1; i-- {
			ti := p.stageT(&r.ss, i)
			// u = Ybar_i + J_i^T Kbar_i
			ev.VJP(nil, tmp, nil, ti, Y[i], Kbar[i])
			st.NFE++
			for q := range u {
				u[q] = Ybar[i][q] + tmp[q]
			}
			// M = I - hg J_i by row blocks (the batch's rows are independent): row q of every
			// row's block from one VJP with cotangent e_q in every row
			for q := range d {
				clear(e)
				for b := q; b < n; b += d {
					e[b] = 1
				}
				ev.VJP(nil, tmp, nil, ti, Y[i], e)
				for row := 0; row < n/d; row++ {
					for c := range d {
						M.Data[row*d*d+q*d+c] = -hg * tmp[row*d+c]
					}
					M.Data[row*d*d+q*d+q]++
				}
			}
			st.NFE += d
			st.JacEvals++
			copy(lam.Data, u)
			for row := 0; row < n/d; row++ {
				blk := blas64.General{Rows: d, Cols: d, Stride: d, Data: M.Data[row*d*d : (row+1)*d*d]}
				if !lapack64.Getrf(blk, piv[row*d:(row+1)*d]) {
					return nil, st, errors.Wrapf(ErrNonFinite, "checkpoint: singular stage matrix at t = %g (batch row %d)", ti, row)
				}
				rhs := blas64.General{Rows: d, Cols: 1, Stride: 1, Data: lam.Data[row*d : (row+1)*d]}
				lapack64.Getrs(blas.Trans, blk, rhs, piv[row*d:(row+1)*d])
			}
			st.LUs++
			l := lam.Data
			axpy(ybar, 1, l)
			for _, jj := range p.aIdx[i] {
				axpy(Kbar[jj], h*p.a[i][jj], l)
			}
			for q := range tmp {
				tmp[q] = hg*l[q] + Kbar[i][q]
			}
			ev.VJP(nil, nil, dth, ti, Y[i], tmp)
			axpy(thbar, 1, dth)
		}
		ev.VJP(nil, tmp, dth, t0, r.y0, Kbar[0])
		st.NFE++
		axpy(ybar, 1, tmp)
		axpy(thbar, 1, dth)
	}
	for q := range n {
		out[q] = ybar[q] + gzs[q]
	}
	return out, st, nil
}
