package sdeop

import (
	"github.com/pkg/errors"
)

// adjSys is the augmented system of the stochastic adjoint (Li et al. 2020, eq. 7 and
// section 3): Y = [z | a | a_theta] (n + n + P entries) with, in Stratonovich form,
//
//	dz       =  f~(z) dt + g(z) ∘ dW
//	da       = -a^T ∂f~/∂z dt     - sum_j a^T ∂g_j/∂z ∘ dW_j      = -VJP_z(f~, a) dt - VJP_z(g, a ⊙ dW)
//	da_theta = -a^T ∂f~/∂theta dt - sum_j a^T ∂g_j/∂theta ∘ dW_j  = -VJP_theta(f~, a) dt - VJP_theta(g, a ⊙ dW)
//
// where f~ is the Stratonovich drift: f for Stratonovich SDEs, f - c for Ito SDEs with
// diagonal noise (c, see ItoCorrector), and f for additive noise. With KL the logqp
// channel's cotangent aL (constant between output times) adds -aL ∂k/∂z to da and
// -aL ∂k/∂theta to da_theta. The diffusion of [a, a_theta] is not diagonal; the
// backward schemes only need the products G(Y) dW written above. Integrated from the
// last output time to the first with negative steps and the increments of the same
// path, it returns a(t0) = dL/dz0 and a_theta(t0) = dL/dtheta.
type adjSys struct {
	s    *nodeSys
	n, P int
	corr bool      // subtract the Ito correction
	aL   []float64 // KL: cotangent of the logqp channel (batch entries)
	cf   []float64 // drift cotangent [a | aL] (KL)
	fv   []float64 // drift value (m, KL)
	aw   []float64 // a ⊙ dW
	cv   []float64 // Ito correction and its VJPs
	cdz  []float64
	cth  []float64
}

func newAdjSys(s *nodeSys, corr bool) *adjSys {
	a := &adjSys{s: s, n: s.n, P: s.P, corr: corr}
	v := newVecs(s.n, 3)
	a.aw, a.cv, a.cdz = v[0], v[1], v[2]
	if corr {
		a.cth = make([]float64, s.pg)
	}
	if s.kl {
		a.cf = make([]float64, s.m)
		a.fv = make([]float64, s.m)
		a.aL = a.cf[s.n:]
	}
	return a
}

func (a *adjSys) size() int { return 2*a.n + a.P }

// negFrom: D and S hold +VJP in the a and a_theta blocks; the stepper negates them.
func (a *adjSys) negFrom() int { return a.n }

// driftInto writes [f~(z) | VJP_z(f~, a) | VJP_theta(f~, a)] (the last two blocks stored
// negated, see negFrom), with the KL terms.
func (a *adjSys) driftInto(dst []float64, t float64, y []float64) {
	n, s := a.n, a.s
	z, adj := y[:n], y[n:2*n]
	pf, pg := s.pf, s.pg
	th := dst[2*n:]
	if s.kl {
		copy(a.cf[:n], adj)
		clear(th)
		s.vjp(a.fv, nil, dst[n:2*n], th, t, z, a.cf, nil, true)
		copy(dst[:n], a.fv[:n])
	} else {
		s.f.VJP(dst[:n], dst[n:2*n], th[:pf], t, z, adj)
		s.st.NFE++
		clear(th[pf:])
	}
	if a.corr {
		s.st.NFEDiffusion += s.g.corrVJP(a.cv, a.cdz, a.cth, t, z, adj)
		subTwo(dst[:n], a.cv, dst[n:2*n], a.cdz)
		thg := th[pf : pf+pg]
		for i, c := range a.cth {
			thg[i] -= c
		}
	}
}

// noiseInto writes [g(z) ⊙ dW | VJP_z(g, a ⊙ dW) | VJP_theta(g, a ⊙ dW)] (the last two
// blocks stored negated).
func (a *adjSys) noiseInto(dst []float64, t float64, y, dw []float64) {
	n, s := a.n, a.s
	z, adj := y[:n], y[n:2*n]
	mulTo(a.aw, adj, dw)
	pf, pg := s.pf, s.pg
	th := dst[2*n:]
	gz := dst[:n]
	s.g.VJP(gz, dst[n:2*n], th[pf:pf+pg], t, z, a.aw)
	s.st.NFEDiffusion++
	clear(th[:pf])
	clear(th[pf+pg:])
	mulBy(gz, dw)
}

// adjointBackward runs the stochastic adjoint backward over the grid of the forward
// solve, reversed, with the scheme op.adjMethod, on the run's Brownian path. At every
// output time z is reset to the forward value and the incoming gradients are added, as
// the ODE adjoint does. It returns dL/dz0 (n) and dL/dtheta (P).
func (r *nodeRun) adjointBackward(zs, gz, gL []float64) ([]float64, []float64, Stats, error) {
	op, s := r.op, r.sys
	n := s.n
	adj := newAdjSys(s, op.calc == Ito && op.noise != Additive)
	T := len(op.ts)
	Y := make([]float64, adj.size())
	copy(Y[:n], zs[(T-1)*n:])
	copy(Y[n:2*n], gz[(T-1)*n:])
	if s.kl {
		copy(adj.aL, gL[(T-1)*op.batch:])
	}
	st := newTabStepper(methods[op.adjMethod].tab, adj)
	g := &op.grid
	inc := g.increments(r.bm, r.lb, true, true)
	defer inc.stop()
	s.st = Stats{}
	err := g.walk(inc, true, func(_ int, t1, t0 float64, dw, _ []float64) error {
		st.step(t1, t0-t1, Y, dw, nil)
		return nil
	}, func(i int) error {
		if j := nonFinite(Y); j >= 0 {
			return errors.Wrapf(ErrNonFinite, "adjoint state [%d] = %g at t=%g", j, Y[j], op.ts[i])
		}
		copy(Y[:n], zs[i*n:(i+1)*n])
		addTo(Y[n:2*n], gz[i*n:(i+1)*n])
		if s.kl {
			addTo(adj.aL, gL[i*op.batch:(i+1)*op.batch])
		}
		return nil
	})
	stats := s.st
	stats.Steps = g.steps()
	if err != nil {
		return nil, nil, stats, err
	}
	return append([]float64(nil), Y[n:2*n]...), append([]float64(nil), Y[2*n:]...), stats, nil
}

// reversibleBackward backpropagates exactly through a reversible Heun solve (Kidger et
// al. 2021, section 3) from its final state (yN, yhN): with tape == nil it reconstructs
// every earlier state (y_k, yh_k) algebraically (revHeun's reverse kernels), else it
// reads them from the tape. Writing F_k = D(yh_k), G_k = G(yh_k), a step is
//
//	yh_{k+1} = 2 y_k - yh_k + h_k F_k + dW_k G_k
//	y_{k+1}  = y_k + h_k (F_k + F_{k+1})/2 + dW_k (G_k + G_{k+1})/2
//
// so the cotangents obey, from k = K down to 0 (terms with index K+1 or -1 are zero),
//
//	ybar_k  = ybar_{k+1} + 2 yhbar_{k+1} + dL/dy_k
//	Fbar_k  = h_k (yhbar_{k+1} + ybar_{k+1}/2) + h_{k-1} ybar_k / 2
//	Gbar_k  = dW_k (yhbar_{k+1} + ybar_{k+1}/2) + dW_{k-1} ybar_k / 2
//	yhbar_k = -yhbar_{k+1} + VJP(F, Fbar_k) + VJP(G, Gbar_k)      (at yh_k)
//
// one drift and one diffusion VJP per step, which also give F_k and G_k for the
// reconstruction. dL/dz0 = ybar_0 + yhbar_0 since yh_0 = y_0. Grid point k+1 is
// handled in the walk's step k (whose increment is dW_k), grid point 0 after it.
func (r *nodeRun) reversibleBackward(yN, yhN []float64, tape *nodeTape, gz, gL []float64) ([]float64, []float64, Stats, error) {
	op, s := r.op, r.sys
	n, m := s.n, s.m
	g := &op.grid
	K := g.steps()
	T := len(op.ts)
	v := newVecs(m, 9)
	y, yh, yb, yhb, ybN, yhbN, F, Fn, Fb := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]
	gv := newVecs(n, 5)
	Gk, Gn, Gb, dwk, zero := gv[0], gv[1], gv[2], gv[3], gv[4]
	zeroL := make([]float64, m-n)
	dth := make([]float64, s.P)
	rh := newRevHeun(r.fwd)
	copy(y, yN)
	copy(yh, yhN)
	out := T - 1 // the output time at the grid point being handled, or -1
	s.st = Stats{}
	// ybN, yhbN hold the cotangents at k+1 (zero at k = K); Fn, Gn the values F_{k+1},
	// G_{k+1}; dwk is dW_k and dwkm dW_{k-1}.
	point := func(k int, dwkm []float64) {
		var hk, hkm float64
		if k < K {
			hk = g.times[k+1] - g.times[k]
			if tape != nil {
				copy(y, tape.y[k*m:(k+1)*m])
				copy(yh, tape.yh[k*m:(k+1)*m])
			}
		}
		if k > 0 {
			hkm = g.times[k] - g.times[k-1]
		}
		gk, gLk := zero, zeroL
		if out >= 0 {
			gk = gz[out*n : (out+1)*n]
			if s.kl {
				gLk = gL[out*op.batch : (out+1)*op.batch]
			}
			out = -1
		}
		recon := k < K && tape == nil
		// Reconstruct yh_k = 2 y_{k+1} - yh_{k+1} - h_k F_{k+1} - dW_k G_{k+1} (y holds
		// y_{k+1}), then ybar_k, Fbar_k, Gbar_k.
		if recon {
			rh.aux(yh, y, Fn, Gn, dwk, -hk, -1)
		}
		hmm := 0.5 * hkm
		revCot(yb[:n], Fb, Gb, ybN, yhbN, gk, dwk, dwkm, hk, hmm)
		revCot(yb[n:], Fb[n:], nil, ybN[n:], yhbN[n:], gLk, nil, nil, hk, hmm)
		var fOut, gOut []float64
		if tape == nil {
			fOut, gOut = F, Gk
		}
		// yhbar_k = -yhbar_{k+1} + VJPs (rest is a part the VJPs left to add), and
		// y_k = y_{k+1} - h_k (F_k + F_{k+1})/2 - dW_k (G_k + G_{k+1})/2.
		rest := s.vjpSplit(fOut, gOut, yhb[:n], dth, g.times[k], yh[:n], Fb, Gb)
		if rest == nil {
			rest = zero
		}
		revAdj(yhb[:n], rest, yhbN)
		revAdj(yhb[n:], zeroL, yhbN[n:])
		if recon {
			rh.sol(y, F, Fn, Gk, Gn, dwk, -0.5*hk, -1)
		}
		ybN, yb = yb, ybN
		yhbN, yhb = yhb, yhbN
		Fn, F = F, Fn
		Gn, Gk = Gk, Gn
		copy(dwk, dwkm)
	}
	inc := g.increments(r.bm, nil, true, false)
	defer inc.stop()
	_ = g.walk(inc, true, func(k int, _, _ float64, dw, _ []float64) error {
		point(k+1, dw)
		return nil
	}, func(i int) error {
		out = i
		return nil
	})
	point(0, zero)
	// ybN, yhbN now hold the cotangents at k = 0.
	dz0 := make([]float64, n)
	for i := range dz0 {
		dz0[i] = ybN[i] + yhbN[i]
	}
	stats := s.st
	stats.Steps = K
	return dz0, dth, stats, nil
}

// checkpointBackward backpropagates exactly through the recorded steps of a tableau
// method (discretize-then-optimize): for each step, from the last, it recomputes the
// stage inputs from the recorded start state (tabStepper.stages) and reverses through
// the stages with VJPs of the drift and diffusion.
func (r *nodeRun) checkpointBackward(tape *nodeTape, gz, gL []float64) ([]float64, []float64, Stats, error) {
	op, s := r.op, r.sys
	n, m := s.n, s.m
	tb := methods[op.method].tab
	ns := tb.stages()
	st := newTabStepper(tb, r.fwd)
	Z, Fb, Gb := newVecs(m, ns), newVecs(m, ns), newVecs(n, ns)
	usedF, usedG := make([]bool, ns), make([]bool, ns)
	Zb, yb := make([]float64, n), make([]float64, m)
	dth := make([]float64, s.P)
	addOut := func(i int) {
		addTo(yb[:n], gz[i*n:(i+1)*n])
		if s.kl {
			addTo(yb[n:], gL[i*op.batch:(i+1)*op.batch])
		}
	}
	addOut(len(op.ts) - 1)
	g := &op.grid
	inc := g.increments(r.bm, r.lb, true, false)
	defer inc.stop()
	s.st = Stats{}
	err := g.walk(inc, true, func(k int, t1, t float64, dw, _ []float64) error {
		h := t1 - t
		st.stages(t, h, tape.y[k*m:(k+1)*m], dw, Z)
		// Cotangents of the stage values from the update y1 = y + sum a_i h F_i + b_i G_i dW.
		for i := 0; i < ns; i++ {
			c, b := tb.a[i]*h, tb.b[i]
			for q := range Fb[i] {
				Fb[i][q] = c * yb[q]
			}
			for q, w := range dw {
				Gb[i][q] = b * w * yb[q]
			}
			usedF[i], usedG[i] = c != 0, b != 0
		}
		for i := ns - 1; i >= 0; i-- {
			if !usedF[i] && !usedG[i] {
				continue
			}
			var cf, cg []float64
			if usedF[i] {
				cf = Fb[i]
			}
			if usedG[i] {
				cg = Gb[i]
			}
			s.vjp(nil, nil, Zb, dth, t+tb.c[i]*h, Z[i][:n], cf, cg, true)
			addTo(yb[:n], Zb)
			for j := 0; j < i; j++ {
				if c := tb.A[i][j] * h; c != 0 {
					axpy(Fb[j][:n], c, Zb)
					usedF[j] = true
				}
				if c := tb.B[i][j]; c != 0 {
					for q, w := range dw {
						Gb[j][q] += c * w * Zb[q]
					}
					usedG[j] = true
				}
			}
		}
		return nil
	}, func(i int) error {
		if j := nonFinite(yb); j >= 0 {
			return errors.Wrapf(ErrNonFinite, "checkpoint: cotangent [%d] = %g at t=%g", j, yb[j], op.ts[i])
		}
		addOut(i)
		return nil
	})
	stats := s.st
	stats.Steps = g.steps()
	if err != nil {
		return nil, nil, stats, err
	}
	return append([]float64(nil), yb[:n]...), dth, stats, nil
}
