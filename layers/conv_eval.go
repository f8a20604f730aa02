package layers

import (
	"fmt"

	"github.com/continuum-ml/continuum/internal/kernels"
)

// convRows is the target number of patch-matrix columns (output pixels) per matrix
// product: the batch is unfolded a few samples at a time so that the patch matrix stays
// in cache.
const convRows = 256

// convKeep is the largest patch matrix (in values) of a whole batch that a layer keeps
// from its forward pass for its backward pass (16 MB).
const convKeep = 2 << 20

// convBound is a layer of a ConvNet bound to parameter values and a batch size, with its
// scratch. The forward pass keeps what the backward pass needs: the input x (a buffer of
// the network), the output y, and for GroupNorm xhat and rstd.
type convBound struct {
	*convDef
	batch  int
	wts, b []float64 // convolution weight (oc x kc) and bias; GroupNorm gamma and beta
	x      []float64 // input of the last forward call (not owned)
	y      []float64 // output (owned, batch x outDim)
	t      float64

	sb         int       // samples per unfolding block
	keep       bool      // col holds the blocks of the whole batch
	col, dcol  []float64 // kc x sb*oh*ow: the patch matrix and its cotangent
	prod       []float64 // oc x sb*oh*ow: the product W·col, or the output cotangent
	xhat, rstd []float64 // GroupNorm
}

func newConvBound(d *convDef, theta [][]float64, batch int) *convBound {
	l := &convBound{convDef: d, batch: batch, y: make([]float64, batch*d.outDim())}
	l.bindTheta(theta)
	switch d.Kind {
	case KindConv2d, KindConcatConv2d:
		hw := d.oh * d.ow
		l.sb = max(1, min(batch, convRows/hw))
		// keep the patch matrices of the whole batch for the backward pass when they are
		// small (the ODE function's), else unfold again there
		l.keep = batch*hw*d.kc <= convKeep
		if l.keep {
			l.col = make([]float64, batch*hw*d.kc)
		} else {
			l.col = make([]float64, l.sb*hw*d.kc)
		}
		l.dcol = make([]float64, l.sb*hw*d.kc)
		l.prod = make([]float64, l.sb*hw*d.oc)
	case KindGroupNorm:
		l.xhat = make([]float64, batch*d.inDim())
		l.rstd = make([]float64, batch*d.Groups)
	}
	return l
}

func (l *convBound) bindTheta(theta [][]float64) {
	if l.weight > 0 {
		l.wts = theta[l.param]
	}
	if l.biases > 0 {
		l.b = theta[l.param+1]
	}
}

// forward computes the layer at time t on x (batch x inDim) into l.y.
func (l *convBound) forward(t float64, x []float64) {
	l.x, l.t = x, t
	m, y := l.batch, l.y
	switch l.Kind {
	case KindConv2d, KindConcatConv2d:
		hw, oc, kc, od := l.oh*l.ow, l.oc, l.kc, l.outDim()
		for b0 := 0; b0 < m; b0 += l.sb {
			nb := min(l.sb, m-b0)
			n := nb * hw
			col := l.colBlock(b0, nb)
			l.im2col(col, x, t, b0, nb)
			kernels.MulNN(l.prod, l.wts, col, oc, kc, n, false)
			for bi := 0; bi < nb; bi++ {
				ys := y[(b0+bi)*od : (b0+bi+1)*od]
				for o := 0; o < oc; o++ {
					src := l.prod[o*n+bi*hw : o*n+bi*hw+hw]
					dst := ys[o*hw : o*hw+hw]
					if l.b == nil {
						copy(dst, src)
						continue
					}
					bo := l.b[o]
					for j, v := range src {
						dst[j] = v + bo
					}
				}
			}
		}
	case KindGroupNorm:
		groupNormForward(y, l.xhat, l.rstd, x, l.wts, l.b, m, l.c, l.h*l.convDef.w, l.Groups)
	case KindReLU:
		for i, v := range x[:len(y)] {
			y[i] = max(v, 0)
		}
	case KindAvgPool:
		hw := l.h * l.convDef.w
		inv := 1 / float64(hw)
		for i := range y {
			var s float64
			for _, v := range x[i*hw : i*hw+hw] {
				s += v
			}
			y[i] = s * inv
		}
	}
}

// colBlock is the patch matrix of the block of samples [b0, b0+nb).
func (l *convBound) colBlock(b0, nb int) []float64 {
	n := l.kc * l.oh * l.ow
	if l.keep {
		return l.col[b0*n : (b0+nb)*n]
	}
	return l.col[:nb*n]
}

// backward is the VJP of the last forward call for the output cotangent gy (batch x
// outDim; left unchanged unless dx is gy). dx (batch x inDim) and dtheta (the layer's
// part of the flat parameter gradient) are overwritten when not nil.
func (l *convBound) backward(dx, dtheta, gy []float64) {
	m := l.batch
	switch l.Kind {
	case KindConv2d, KindConcatConv2d:
		hw, oc, kc, od := l.oh*l.ow, l.oc, l.kc, l.outDim()
		var dw, db []float64
		if dtheta != nil {
			dw = dtheta[:l.weight]
			clear(dw)
			if l.biases > 0 {
				db = dtheta[l.weight : l.weight+oc]
				clear(db)
			}
		}
		if dx != nil {
			clear(dx[:m*l.inDim()])
		}
		g := l.prod
		for b0 := 0; b0 < m; b0 += l.sb {
			nb := min(l.sb, m-b0)
			n := nb * hw
			for bi := 0; bi < nb; bi++ {
				gs := gy[(b0+bi)*od : (b0+bi+1)*od]
				for o := 0; o < oc; o++ {
					copy(g[o*n+bi*hw:o*n+bi*hw+hw], gs[o*hw:o*hw+hw])
				}
			}
			if dtheta != nil {
				col := l.colBlock(b0, nb)
				if !l.keep {
					l.im2col(col, l.x, l.t, b0, nb)
				}
				kernels.MulNT(dw, g[:oc*n], col, oc, n, kc, true)
				if db != nil {
					for o := range db {
						var sum float64
						for _, v := range g[o*n : o*n+n] {
							sum += v
						}
						db[o] += sum
					}
				}
			}
			if dx != nil {
				kernels.MulTN(l.dcol, l.wts, g[:oc*n], oc, kc, n, false)
				l.col2im(dx, l.dcol, b0, nb)
			}
		}
	case KindGroupNorm:
		var dg, dbt []float64
		if dtheta != nil {
			dg, dbt = dtheta[:l.c], dtheta[l.c:2*l.c]
		}
		groupNormBackward(dx, dg, dbt, gy, l.xhat, l.rstd, l.wts, m, l.c, l.h*l.convDef.w, l.Groups)
	case KindReLU:
		if dx == nil {
			return
		}
		for i, v := range l.y {
			if v > 0 {
				dx[i] = gy[i]
			} else {
				dx[i] = 0
			}
		}
	case KindAvgPool:
		if dx == nil {
			return
		}
		hw := l.h * l.convDef.w
		inv := 1 / float64(hw)
		for i, g := range gy[:m*l.oc] {
			v := g * inv
			ds := dx[i*hw : i*hw+hw]
			for j := range ds {
				ds[j] = v
			}
		}
	}
}

// ConvEval is a ConvNet bound to parameter values and a batch size: the network as a
// function on flat (batch x C*H*W) buffers, with its vector-Jacobian product. It
// implements odeop.Evaluator. Its methods allocate nothing; a ConvEval is used by one
// goroutine at a time.
type ConvEval struct {
	net    *ConvNet
	batch  int
	ls     []*convBound
	in     []float64 // copy of the input of the last forward call
	ga, gb []float64 // cotangents, batch x (widest layer)
	fwdT   float64
}

func (m *ConvNet) newEval(theta [][]float64, batch int) *ConvEval {
	e := &ConvEval{net: m, batch: batch, ls: make([]*convBound, len(m.defs)), in: make([]float64, batch*m.In())}
	width := m.In()
	for i := range m.defs {
		e.ls[i] = newConvBound(&m.defs[i], theta, batch)
		width = max(width, m.defs[i].outDim())
	}
	e.ga = make([]float64, batch*width)
	e.gb = make([]float64, batch*width)
	return e
}

func (e *ConvEval) bindTheta(theta [][]float64) {
	for _, l := range e.ls {
		l.bindTheta(theta)
	}
}

// Batch returns the batch size the evaluator was bound for.
func (e *ConvEval) Batch() int { return e.batch }

func (e *ConvEval) checkLen(what string, s []float64, want int) {
	if len(s) != want {
		panic(fmt.Sprintf("layers: %s: %s has length %d, want %d", e.net.name, what, len(s), want))
	}
}

// forward runs the network on a copy of x and returns the output (the last layer's
// buffer).
func (e *ConvEval) forward(t float64, x []float64) []float64 {
	copy(e.in, x)
	x = e.in
	for _, l := range e.ls {
		l.forward(t, x)
		x = l.y
	}
	e.fwdT = t
	return x
}

// backward is the VJP of the last forward call for the output cotangent a; dx and
// dtheta (flat, NumParams) are overwritten when not nil.
func (e *ConvEval) backward(dx, dtheta, a []float64) {
	if dx == nil && dtheta == nil {
		return
	}
	g, spare := e.ga[:len(a)], e.gb
	copy(g, a)
	for i := len(e.ls) - 1; i >= 0; i-- {
		l := e.ls[i]
		var dth []float64
		if dtheta != nil && l.nparams > 0 {
			dth = dtheta[l.offset : l.offset+l.nparams]
		}
		var d []float64
		if i > 0 {
			d = spare[:e.batch*l.inDim()]
		} else {
			d = dx
			if d == nil && dth == nil {
				return
			}
		}
		l.backward(d, dth, g)
		if i > 0 {
			g, spare = d, g[:cap(g)]
		}
	}
}

// Eval implements odeop.Evaluator: dst = net(t, z), for z of length batch x In and dst
// of length batch x Out.
func (e *ConvEval) Eval(dst []float64, t float64, z []float64) {
	e.checkLen("z", z, e.batch*e.net.In())
	e.checkLen("dst", dst, e.batch*e.net.Out())
	copy(dst, e.forward(t, z))
}

// VJP implements odeop.Evaluator: for the cotangent a (batch x Out) it computes
// f = net(t, z) (skipped when nil), dz = aᵀ d net/dz (batch x In; skipped when nil) and
// dtheta = aᵀ d net/dtheta (NumParams, summed over the batch; skipped when nil).
func (e *ConvEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	nin, nout := e.batch*e.net.In(), e.batch*e.net.Out()
	e.checkLen("z", z, nin)
	e.checkLen("a", a, nout)
	if f != nil {
		e.checkLen("f", f, nout)
	}
	if dz != nil {
		e.checkLen("dz", dz, nin)
	}
	if dtheta != nil {
		e.checkLen("dtheta", dtheta, e.net.nparam)
	}
	y := e.forward(t, z)
	if f != nil {
		copy(f, y)
	}
	e.backward(dz, dtheta, a)
}
