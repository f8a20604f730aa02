package layers

import (
	"fmt"

	"github.com/continuum-ml/continuum/internal/kernels"
	"github.com/continuum-ml/continuum/odeop"
)

// The CNF evaluator: the MLP with forward-mode tangents, and its reverse-over-forward
// vector-Jacobian product, on flat slices.
//
// Primal rows and tangent rows are stacked in one (R×width) buffer per layer, R = (1+K)·B:
// rows [0, B) are the batch, rows [(k+1)B, (k+2)B) its k-th tangent (the Jacobian-vector
// product with the k-th direction: the unit vector e_k for the exact trace, the sample's
// probe for Hutchinson). One matrix product per layer then serves the network and all its
// tangents, and in the backward pass one product gives every weight gradient:
//
//	forward   u = x·W + b (primal rows),  du = dx·W (tangent rows)
//	          h = σ(u),                   dh = σ'(u) ⊙ du
//	backward  ū  = σ'(u) ⊙ h̄ + σ″(u) ⊙ Σ_k du_k ⊙ dh̄_k,   dū_k = σ'(u) ⊙ dh̄_k
//	          W̄ = [x; dx]ᵀ·[ū; dū],  b̄ = Σ_rows ū,  [x̄; dx̄] = [ū; dū]·Wᵀ
//
// The σ″ term is where the second derivative of the network enters: the gradient of the
// trace (and of the Jacobian norm) with respect to z and θ.

// cnfLayer is one layer of the MLP bound to parameter values, for the stacked rows.
type cnfLayer struct {
	*layerDef
	nb, nr int // rows of the current tile: samples B and all rows R = (1+k)B
	k      int // tangents per sample

	w, b, gw, gb, hw []float64

	u      []float64 // R×out pre-activation (the output too for identity layers)
	h      []float64 // R×out output; aliases u for identity layers
	u0     []float64 // ConcatSquash: R×out, x·W (+ b on primal rows) before the gate
	d1, d2 []float64 // B×out: σ'(u), σ″(u) on the primal rows
	gate   []float64 // ConcatSquash: sigmoid(t·wg + bg), and 1 - gate
	gateQ  []float64
	bias   []float64 // ConcatLinear: b + t·W[in]
	gsum   []float64 // ConcatSquash backward: Σ_rows ū ⊙ u0 (out)
	s1     []float64 // ConcatSquash backward: Σ_primal rows ū (out)
	dbT    []float64 // backward: this tile's Σ_primal rows ū0 (out)
	lastT  float64
	// unit: the tangent inputs are the unit vectors e_k (the first layer with the exact
	// trace), so the tangent rows of x·W are the rows of W and need no product, and the
	// input holds only the primal rows.
	unit bool
}

// newCNFLayer allocates a layer for tiles of up to nb samples with k tangents each.
func newCNFLayer(d *layerDef, theta [][]float64, nb, k int, unit bool) *cnfLayer {
	nr := (1 + k) * nb
	l := &cnfLayer{layerDef: d, nb: nb, nr: nr, k: k, unit: unit}
	o := d.Out
	l.dbT = make([]float64, o)
	l.bind(theta)
	l.u = make([]float64, nr*o)
	l.h = l.u
	if !d.ident {
		l.h = make([]float64, nr*o)
		l.d1 = make([]float64, nb*o)
		l.d2 = make([]float64, nb*o)
	}
	switch d.Kind {
	case KindConcatLinear:
		l.bias = make([]float64, o)
	case KindConcatSquash:
		l.u0 = make([]float64, nr*o)
		l.gate = make([]float64, o)
		l.gateQ = make([]float64, o)
		l.gsum = make([]float64, o)
		l.s1 = make([]float64, o)
	}
	return l
}

// setTile sets the number of samples of the next forward and backward passes (at most
// the size the layer was made for).
func (l *cnfLayer) setTile(nb int) { l.nb, l.nr = nb, (1+l.k)*nb }

// bind points the layer at new parameter values.
func (l *cnfLayer) bind(theta [][]float64) {
	d := l.layerDef
	l.w, l.b = theta[d.param], theta[d.param+1]
	if d.Kind == KindConcatSquash {
		l.gw, l.gb, l.hw = theta[d.param+2], theta[d.param+3], theta[d.param+4]
	}
}

// affine writes x·W + bias on the primal rows and x·W on the tangent rows of dst, with
// W the first in rows of w.
func (l *cnfLayer) affine(dst, x, w, bias []float64) {
	in, o, nb, nr := l.in, l.Out, l.nb, l.nr
	pb := nb * o
	kernels.MulNNBias(dst[:pb], x[:nb*in], w, bias, nb, in, o)
	if l.unit {
		for k := 0; k < nr/nb-1; k++ {
			kernels.FillRows(dst[(k+1)*pb:(k+2)*pb], w[k*o:k*o+o], nb, o)
		}
		return
	}
	kernels.MulNN(dst[pb:nr*o], x[nb*in:nr*in], w, nr-nb, in, o, false)
}

// forward computes the layer on the stacked input x (R×in) at time t; second asks for
// σ″ (needed by the backward pass).
func (l *cnfLayer) forward(t float64, x []float64, second bool) {
	in, o, nb, nr := l.in, l.Out, l.nb, l.nr
	pb := nb * o // primal part
	u := l.u
	switch l.Kind {
	case KindLinear:
		l.affine(u, x, l.w, l.b)
	case KindConcatLinear:
		wt := l.w[in*o : in*o+o]
		for j, b := range l.b[:o] {
			l.bias[j] = b + t*wt[j]
		}
		l.affine(u, x, l.w[:in*o], l.bias)
	case KindConcatSquash:
		u0 := l.u0
		l.affine(u0, x, l.w, l.b)
		for j := range l.gate {
			l.gate[j], l.gateQ[j] = sigmoidParts(t*l.gw[j] + l.gb[j])
		}
		gate, hw := l.gate[:o], l.hw[:o]
		for i := 0; i < nb; i++ {
			ui, u0i := u[i*o:i*o+o], u0[i*o:i*o+o]
			ui = ui[:len(gate)]
			u0i = u0i[:len(gate)]
			for j, g := range gate {
				ui[j] = u0i[j]*g + t*hw[j]
			}
		}
	}
	l.lastT = t
	if l.ident {
		if l.Kind == KindConcatSquash {
			gate := l.gate[:o]
			for off := pb; off < nr*o; off += o {
				ut, u0t := u[off:off+o], l.u0[off:off+o]
				ut = ut[:len(gate)]
				u0t = u0t[:len(gate)]
				for j, g := range gate {
					ut[j] = u0t[j] * g
				}
			}
		}
		return
	}
	up, hp := u[:pb], l.h[:pb]
	l.Act.Apply(hp, up)
	if l.Act == Tanh {
		// σ' = 1 - h², σ″ = -2h·σ', in one pass
		if second {
			kernels.TanhDerivs(l.d1[:len(hp)], l.d2[:len(hp)], hp)
		} else {
			kernels.TanhDerivs(l.d1[:len(hp)], nil, hp)
		}
	} else {
		l.Act.Deriv(l.d1[:pb], up, hp)
		if second {
			l.Act.Deriv2(l.d2[:pb], up, hp)
		}
	}
	// tangent rows: (squash: du = du0·gate), dh = σ'(u)·du, one row at a time
	squash := l.Kind == KindConcatSquash
	gate := l.gate
	for r := nb; r < nr; r += nb {
		for b := 0; b < nb; b++ {
			off := (r + b) * o
			ut, ht, d1 := u[off:off+o], l.h[off:off+o], l.d1[b*o:b*o+o]
			ht = ht[:len(ut)]
			d1 = d1[:len(ut)]
			if squash {
				u0t, gt := l.u0[off:off+o], gate[:o]
				u0t = u0t[:len(ut)]
				gt = gt[:len(ut)]
				for j := range ut {
					v := u0t[j] * gt[j]
					ut[j] = v
					ht[j] = d1[j] * v
				}
			} else {
				for j, v := range ut {
					ht[j] = d1[j] * v
				}
			}
		}
	}
}

// backward is the reverse pass of the last forward call. g (R×out) holds the cotangents of
// the outputs (primal and tangent rows) and is overwritten. x (R×in) is the input of the
// forward call. extra (B×out), when not nil, is the cotangent of σ'(u) on the primal rows
// (the analytic trace's); it adds σ″(u)·extra to ū. dtheta (the layer's part of the flat
// gradient, in Role order), when not nil, accumulates the parameter gradients summed over
// the rows (the caller clears it before the first tile), and the derivative with respect to the time input is added to *dt (when dt is not nil). dx,
// when not nil, receives the cotangent of the first len(dx)/in rows of x (all rows, or
// only the primal ones).
func (l *cnfLayer) backward(dx, dtheta []float64, dt *float64, g, x, extra []float64) {
	in, o, nb, nr, t := l.in, l.Out, l.nb, l.nr, l.lastT
	pb := nb * o
	l.backwardElementwise(g, extra)
	if dtheta != nil {
		dw := dtheta[:l.rows*o]
		db := dtheta[l.rows*o : l.rows*o+o]
		if l.unit {
			// the tangent input rows are e_k: their part of xᵀ·ū is the column sums of
			// the k-th tangent block, in row k.
			kernels.MulTN(dw[:in*o], x[:nb*in], g[:pb], nb, in, o, true)
			for k := 0; k < nr/nb-1; k++ {
				kernels.ColSums(dw[k*o:k*o+o], g[(k+1)*pb:(k+2)*pb], nb, o, true)
			}
		} else {
			kernels.MulTN(dw[:in*o], x[:nr*in], g[:nr*o], nr, in, o, true)
		}
		dbT := l.dbT[:o]
		kernels.ColSums(dbT, g[:pb], nb, o, false)
		for j, v := range dbT {
			db[j] += v
		}
		switch l.Kind {
		case KindConcatLinear:
			dwt := dw[in*o:]
			wt := l.w[in*o : in*o+o]
			s := 0.0
			for j, v := range dbT {
				dwt[j] += t * v
				s += wt[j] * v
			}
			if dt != nil {
				*dt += s
			}
		case KindConcatSquash:
			rest := dtheta[(l.rows+1)*o:]
			dgw, dgb, dhw := rest[:o], rest[o:2*o], rest[2*o:3*o]
			s := 0.0
			for j := range dgw {
				d := l.gsum[j] * l.gate[j] * l.gateQ[j]
				dgw[j] += t * d
				dgb[j] += d
				dhw[j] += t * l.s1[j]
				s += l.gw[j]*d + l.hw[j]*l.s1[j]
			}
			if dt != nil {
				*dt += s
			}
		}
	}
	if dx != nil {
		rows := len(dx) / in
		kernels.MulNT(dx, g[:rows*o], l.w[:in*o], rows, o, in, false)
	}
}

// backwardElementwise turns the cotangents of the outputs (g, all rows) into those of the
// affine map's output in place, one sample at a time (its primal row and its tangent rows
// together, so each is read once):
//
//	ū  = σ'·h̄ + σ″·(extra + Σ_k du_k·dh̄_k),   dū_k = σ'·dh̄_k
//
// and, for ConcatSquash, ū0 = ū·gate, dū0_k = dū_k·gate, accumulating Σ_rows ū·u0 (the
// gate's cotangent, tangent rows included) and Σ_primal ū (the hyper-bias's).
func (l *cnfLayer) backwardElementwise(g, extra []float64) {
	o, nb, nr := l.Out, l.nb, l.nr
	pb := nb * o
	squash := l.Kind == KindConcatSquash
	var gate, gsum, s1 []float64
	if squash {
		clear(l.gsum)
		clear(l.s1)
		gate, gsum, s1 = l.gate[:o], l.gsum[:o], l.s1[:o]
	}
	if !l.ident {
		// the primal rows: ū = ḡ·σ' (+ extra·σ″), all rows in one pass
		if extra != nil {
			kernels.MulAdd2(g[:pb], g[:pb], l.d1[:pb], extra[:pb], l.d2[:pb])
		} else {
			kernels.MulAdd2(g[:pb], g[:pb], l.d1[:pb], nil, nil)
		}
	}
	for b := 0; b < nb; b++ {
		lo := b * o
		gp := g[lo : lo+o]
		if !l.ident {
			d1, d2 := l.d1[lo:lo+o], l.d2[lo:lo+o]
			d1 = d1[:len(gp)]
			d2 = d2[:len(gp)]
			for off := pb + lo; off < nr*o; off += pb {
				gt, ut := g[off:off+o], l.u[off:off+o]
				gt = gt[:len(gp)]
				ut = ut[:len(gp)]
				for j, v := range gt {
					gp[j] += d2[j] * ut[j] * v
					gt[j] = d1[j] * v
				}
			}
		}
		if squash {
			u0p := l.u0[lo : lo+o]
			u0p = u0p[:len(gp)]
			gsum = gsum[:len(gp)]
			s1 = s1[:len(gp)]
			gate = gate[:len(gp)]
			for j, v := range gp {
				s1[j] += v
				gsum[j] += v * u0p[j]
				gp[j] = v * gate[j]
			}
			for off := pb + lo; off < nr*o; off += pb {
				gt, u0t := g[off:off+o], l.u0[off:off+o]
				gt = gt[:len(gp)]
				u0t = u0t[:len(gp)]
				for j, v := range gt {
					gsum[j] += v * u0t[j]
					gt[j] = v * gate[j]
				}
			}
		}
	}
}

// cnfEval evaluates the augmented CNF dynamics for a batch: an odeop.Evaluator.
type cnfEval struct {
	c         *CNF
	nb, d, k  int // batch, data dimension, tangents per sample
	tile, cur int // samples per tile (at most), and in the current tile
	width     int
	exact     bool
	ls        []*cnfLayer
	x0        []float64 // R×D input of the first layer
	ga, gb    []float64 // R×(widest layer) cotangents
	sqrtT     []float64 // nil without TrainT
	nnet      int       // parameters of the network
	tr, fro   []float64 // per sample of the tile: the trace (or its estimate) and |J|²_F (or |Jε|²)
	an        *cnfAnalytic
}

var (
	_ odeop.Evaluator = (*cnfEval)(nil)
	_ odeop.Releaser  = (*cnfEval)(nil)
)

// cnfTileRows is the number of samples the evaluator takes through the whole network at a
// time: with their tangent rows, the intermediate values of a tile stay in the core's
// cache between the passes over them.
var cnfTileRows = 64

func newCNFEval(c *CNF, theta [][]float64, batch int) *cnfEval {
	e := &cnfEval{c: c, nb: batch, d: c.d, width: c.width, exact: c.trace == TraceExact}
	e.k = 1
	if e.exact {
		e.k = c.d
	}
	analytic := analyticEligible(c)
	if analytic {
		e.k = 0 // no tangents: the trace comes in closed form
	}
	e.tile = min(batch, max(cnfTileRows, 1))
	nr := (1 + e.k) * e.tile
	e.tr = make([]float64, e.tile)
	e.fro = make([]float64, e.tile)
	m := c.f
	e.nnet = m.nparam
	widest := c.d
	for i := range m.defs {
		e.ls = append(e.ls, newCNFLayer(&m.defs[i], theta, e.tile, e.k, i == 0 && e.exact))
		widest = max(widest, m.defs[i].Out)
	}
	if e.exact {
		e.x0 = make([]float64, e.tile*c.d) // the tangent inputs e_k are implicit
	} else {
		e.x0 = make([]float64, nr*c.d)
	}
	e.ga = make([]float64, nr*widest)
	e.gb = make([]float64, nr*widest)
	if analytic {
		e.an = newCNFAnalytic(e)
	}
	e.bind(theta)
	return e
}

// bind points the evaluator at new parameter values.
func (e *cnfEval) bind(theta [][]float64) {
	for _, l := range e.ls {
		l.bind(theta)
	}
	e.sqrtT = nil
	if e.c.sqrtT != nil {
		e.sqrtT = theta[len(theta)-1]
	}
}

// Release implements odeop.Releaser: the evaluator goes back to its CNF's pool, for the
// next Bind of the same batch size.
func (e *cnfEval) Release() { e.c.pool.Put(e.nb, e) }

// getCNFEval returns a pooled evaluator for the batch size, bound to theta, or a new one.
func getCNFEval(c *CNF, theta [][]float64, batch int) *cnfEval {
	if e, ok := c.pool.Get(batch); ok {
		e.bind(theta)
		return e
	}
	return newCNFEval(c, theta, batch)
}

func (e *cnfEval) checkLen(what string, s []float64, want int) {
	if len(s) != want {
		panic(fmt.Sprintf("layers: cnf %s: %s has length %d, want %d", e.c.f.name, what, len(s), want))
	}
}

// setTile makes the next passes work on n samples.
func (e *cnfEval) setTile(n int) {
	e.cur = n
	for _, l := range e.ls {
		l.setTile(n)
	}
}

// times returns the factor of the dynamics and the network's time for solve time t.
func (e *cnfEval) times(t float64) (scale, tau float64) {
	if e.sqrtT == nil {
		return 1, t
	}
	T := e.sqrtT[0] * e.sqrtT[0]
	return T, t * T
}

// forward runs the network with its tangents on the state z and returns the stacked
// output (R×D): f on the primal rows, the Jacobian-vector products on the tangent rows.
func (e *cnfEval) forward(tau float64, z []float64, second bool) []float64 {
	d, w, nb := e.d, e.width, e.cur
	for b := 0; b < nb; b++ {
		copy(e.x0[b*d:b*d+d], z[b*w:b*w+d])
	}
	if !e.exact {
		ce := e.c.colE
		tr := e.x0[nb*d:]
		for b := 0; b < nb; b++ {
			copy(tr[b*d:b*d+d], z[b*w+ce:b*w+ce+d])
		}
	}
	x := e.x0
	for _, l := range e.ls {
		l.forward(tau, x, second)
		x = l.h
	}
	e.traces(x, z)
	return x
}

// traces fills e.tr and e.fro from the stacked network output y (or the analytic form).
func (e *cnfEval) traces(y, z []float64) {
	d, w, nb := e.d, e.width, e.cur
	cj, ce := e.c.colJ, e.c.colE
	switch {
	case e.an != nil:
		e.an.trace(e.tr[:nb], nb)
	case e.exact:
		for b := 0; b < nb; b++ {
			tr, fro := 0.0, 0.0
			for k := 0; k < e.k; k++ {
				v := y[((k+1)*nb+b)*d : ((k+1)*nb+b)*d+d]
				tr += v[k]
				if cj >= 0 {
					for _, x := range v {
						fro += x * x
					}
				}
			}
			e.tr[b], e.fro[b] = tr, fro
		}
	default:
		for b := 0; b < nb; b++ {
			v := y[(nb+b)*d : (nb+b)*d+d]
			eps := z[b*w+ce : b*w+ce+d]
			tr, fro := 0.0, 0.0
			for i, x := range v {
				tr += eps[i] * x
				fro += x * x
			}
			e.tr[b], e.fro[b] = tr, fro
		}
	}
}

// writeF writes scale·F, the augmented dynamics, from the stacked network output y and
// the per-row traces.
func (e *cnfEval) writeF(dst []float64, scale float64, y []float64) {
	d, w, nb := e.d, e.width, e.cur
	ck, cj, ce := e.c.colK, e.c.colJ, e.c.colE
	for b := 0; b < nb; b++ {
		f := y[b*d : b*d+d]
		row := dst[b*w : b*w+w]
		kin := 0.0
		for i, v := range f {
			row[i] = scale * v
			kin += v * v
		}
		row[d] = -scale * e.tr[b]
		if ck >= 0 {
			row[ck] = scale * kin
		}
		if cj >= 0 {
			row[cj] = scale * e.fro[b]
		}
		if ce >= 0 {
			clear(row[ce : ce+d])
		}
	}
}

// Eval implements odeop.Evaluator.
func (e *cnfEval) Eval(dst []float64, t float64, z []float64) {
	n := e.nb * e.width
	e.checkLen("z", z, n)
	e.checkLen("dst", dst, n)
	scale, tau := e.times(t)
	if e.an != nil {
		e.an.weights()
	}
	w := e.width
	for lo := 0; lo < e.nb; lo += e.tile {
		n := min(e.tile, e.nb-lo)
		e.setTile(n)
		y := e.forward(tau, z[lo*w:(lo+n)*w], false)
		e.writeF(dst[lo*w:(lo+n)*w], scale, y)
	}
}

// VJP implements odeop.Evaluator: the products of the cotangent a with the Jacobians of the
// augmented dynamics with respect to the state and the parameters, by reverse-over-forward
// differentiation of the network (see the comment at the top of this file).
func (e *cnfEval) VJP(fdst, dz, dtheta []float64, t float64, z, a []float64) {
	n := e.nb * e.width
	e.checkLen("z", z, n)
	e.checkLen("a", a, n)
	if fdst != nil {
		e.checkLen("f", fdst, n)
	}
	if dz != nil {
		e.checkLen("dz", dz, n)
	}
	if dtheta != nil {
		e.checkLen("dtheta", dtheta, len(e.c.params)-len(e.c.f.params)+e.nnet)
	}
	scale, tau := e.times(t)
	need := dz != nil || dtheta != nil
	if e.an != nil {
		e.an.weights()
	}
	if dtheta != nil {
		clear(dtheta)
	}
	var dt, aF float64
	var pdt *float64
	if dtheta != nil && e.sqrtT != nil {
		pdt = &dt
	}
	w := e.width
	for lo := 0; lo < e.nb; lo += e.tile {
		n := min(e.tile, e.nb-lo)
		e.setTile(n)
		rows := func(s []float64) []float64 {
			if s == nil {
				return nil
			}
			return s[lo*w : (lo+n)*w]
		}
		zt, at := rows(z), rows(a)
		y := e.forward(tau, zt, need)
		if fdst != nil {
			e.writeF(rows(fdst), scale, y)
		}
		if !need {
			continue
		}
		e.backward(rows(dz), dtheta, pdt, scale, zt, at, y, lo == 0)
		if pdt != nil {
			aF += e.dotAF(at, y)
		}
	}
	if !need {
		return
	}
	if e.an != nil && dtheta != nil {
		e.an.addParamGrads(dtheta)
	}
	if pdt != nil {
		// d/dT of T·F(sT, z): aᵀF + s·(T aᵀ ∂F/∂τ); the backward pass ran with the
		// cotangent T·a, so dt already carries the factor T. Then d/d√T = 2√T d/dT.
		dtheta[len(dtheta)-1] = 2 * e.sqrtT[0] * (aF + t*dt)
	}
}

// backward is the reverse pass of one tile after its forward pass (y the stacked network
// output), with the tile's state z and cotangent a: it writes the tile's rows of dz (when
// not nil) and accumulates into dtheta (when not nil) and *dt (when not nil).
func (e *cnfEval) backward(dz, dtheta []float64, dt *float64, scale float64, z, a, y []float64, first bool) {
	d, w, nb := e.d, e.width, e.cur
	nr := (1 + e.k) * nb
	ck, cj, ce := e.c.colK, e.c.colJ, e.c.colE
	// Seeds: the cotangent of the network's output (primal rows) and of its tangents.
	g := e.ga[:nr*d]
	for b := 0; b < nb; b++ {
		ab := a[b*w : b*w+w]
		al := scale * ab[d]
		ak, aj := 0.0, 0.0
		if ck >= 0 {
			ak = scale * ab[ck]
		}
		if cj >= 0 {
			aj = scale * ab[cj]
		}
		f := y[b*d : b*d+d]
		gp := g[b*d : b*d+d]
		for i := range gp {
			gp[i] = scale*ab[i] + 2*ak*f[i]
		}
		if e.an != nil {
			e.an.c[b] = -al
		} else if e.exact {
			for k := 0; k < e.k; k++ {
				off := ((k+1)*nb + b) * d
				v, gt := y[off:off+d], g[off:off+d]
				for i := range gt {
					gt[i] = 2 * aj * v[i]
				}
				gt[k] -= al
			}
		} else {
			off := (nb + b) * d
			v, gt := y[off:off+d], g[off:off+d]
			eps := z[b*w+ce : b*w+ce+d]
			for i := range gt {
				gt[i] = 2*aj*v[i] - al*eps[i]
			}
		}
	}
	if e.an != nil {
		e.an.backwardPrepare(nb, dtheta != nil, first)
	}
	spare := e.gb
	var dx0 []float64
	for i := len(e.ls) - 1; i >= 0; i-- {
		l := e.ls[i]
		var x, dx []float64
		if i > 0 {
			x = e.ls[i-1].h
			dx = spare[:nr*l.in]
		} else {
			x = e.x0
			if dz != nil {
				rows := nr
				if e.exact {
					rows = nb
				}
				dx = spare[:rows*l.in]
				dx0 = dx
			}
		}
		var dth []float64
		if dtheta != nil {
			dth = dtheta[l.offset : l.offset+l.nparams]
		}
		var extra []float64
		if e.an != nil && i < 2 {
			extra = e.an.ex[i][:nb*l.Out]
		}
		l.backward(dx, dth, dt, g, x, extra)
		if i > 0 {
			g, spare = dx, g[:cap(g)]
		}
	}
	if dz != nil {
		clear(dz)
		for b := 0; b < nb; b++ {
			copy(dz[b*w:b*w+d], dx0[b*d:b*d+d])
		}
		if !e.exact {
			for b := 0; b < nb; b++ {
				al := scale * a[b*w+d]
				v := y[(nb+b)*d : (nb+b)*d+d]
				de := dz[b*w+ce : b*w+ce+d]
				for i, x := range dx0[(nb+b)*d : (nb+b)*d+d] {
					de[i] = x - al*v[i]
				}
			}
		}
	}
}

// dotAF returns Σ_b a_b·F_b for the unscaled augmented dynamics F (the ε channels are 0).
func (e *cnfEval) dotAF(a, y []float64) float64 {
	d, w, nb := e.d, e.width, e.cur
	ck, cj := e.c.colK, e.c.colJ
	s := 0.0
	for b := 0; b < nb; b++ {
		ab := a[b*w : b*w+w]
		f := y[b*d : b*d+d]
		kin := 0.0
		for i, v := range f {
			s += ab[i] * v
			kin += v * v
		}
		s -= ab[d] * e.tr[b]
		if ck >= 0 {
			s += ab[ck] * kin
		}
		if cj >= 0 {
			s += ab[cj] * e.fro[b]
		}
	}
	return s
}
