package odeop

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// The Newton iteration of a batch: where f maps the rows of a Solve's batch independently
// (setup.block = dim), the Jacobian is block diagonal, one dim by dim block per row, and
// the iteration never forms the (batch*dim)^2 matrix. The blocks come from dim+1
// evaluations of f whatever the batch (component j perturbed in every row at once: the
// rows do not interact), are stored as n/dim consecutive dim by dim matrices (jac and m
// of shape n by dim), and each is factorised and solved on its own by LAPACK. The
// iteration and its stopping rule are those of the dense case (implicit.go), on the whole
// vector. Where setup.blockLen is set (the interpolating adjoint's [a, a_theta]: a's rows
// are independent, and no derivative reads a_theta), the blocks cover y[:blockLen] and the
// rest of M is taken as the identity: the simplified Newton iteration ignores a_theta's
// dependence on a, whose update then trails a's by one iteration.

// blockJacobian computes the row blocks of df/dz at the step's start by forward
// differences (the steps of jacobian, per element).
func (r *rk) blockJacobian() bool {
	nw, ss := r.nw, &r.ss
	t0, y0 := ss.t0, ss.y0
	n, d := nw.nb, nw.block
	r.f(t0, y0, nw.f0)
	r.nfe++
	if !finite(nw.f0) {
		return false
	}
	jd := nw.jac.RawMatrix().Data // row b's block: jd[b*d*d:], row-major d by d
	copy(nw.yp, y0)
	for j := range d {
		for b := j; b < n; b += d {
			nw.yp[b] = y0[b] + math.Sqrt(epsilon)*math.Max(math.Abs(y0[b]), 1e-5)
		}
		r.f(t0, nw.yp, nw.fy)
		r.nfe++
		for row := 0; row < n/d; row++ {
			col := row*d + j
			h := nw.yp[col] - y0[col]
			blk := jd[row*d*d:]
			for i := range d {
				blk[i*d+j] = (nw.fy[row*d+i] - nw.f0[row*d+i]) / h
			}
			nw.yp[col] = y0[col]
		}
	}
	nw.jacEvals++
	nw.hasJ, nw.jacT, nw.stale, nw.hasLU = true, t0, false, false
	return finite(jd)
}

// blockFactor factorises every row block of M = I - hg*J.
func (nw *newton) blockFactor(hg float64) bool {
	d := nw.block
	jd, md := nw.jac.RawMatrix().Data, nw.m.RawMatrix().Data
	ok := true
	for off := 0; off < len(md); off += d * d {
		for i := range d {
			for j := range d {
				v := -hg * jd[off+i*d+j]
				if i == j {
					v++
				}
				md[off+i*d+j] = v
			}
		}
		blk := blas64.General{Rows: d, Cols: d, Stride: d, Data: md[off : off+d*d]}
		ok = lapack64.Getrf(blk, nw.piv[off/d:off/d+d]) && ok
	}
	nw.lus++
	nw.hasLU, nw.hgLU = ok, hg
	return ok && finite(md)
}

// blockSolve overwrites the residual in dyBuf with M^-1 times it, row block by row block.
func (nw *newton) blockSolve() {
	d := nw.block
	md := nw.m.RawMatrix().Data
	for row := 0; row*d < nw.nb; row++ { // the components after nb: identity
		blk := blas64.General{Rows: d, Cols: d, Stride: d, Data: md[row*d*d : (row+1)*d*d]}
		rhs := blas64.General{Rows: d, Cols: 1, Stride: 1, Data: nw.dyBuf[row*d : (row+1)*d]}
		lapack64.Getrs(blas.NoTrans, blk, rhs, nw.piv[row*d:(row+1)*d])
	}
}
