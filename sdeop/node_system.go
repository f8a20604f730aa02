package sdeop

// nodeSys is the SDE of a Solve node on a batch: drift f, diagonal diffusion g (and the
// prior drift q of SolveKL), each a bound Dynamics. Its state y has m entries: the n =
// batch*dim entries of z, followed with KL by one logqp channel per batch row with
// drift
//
//	k_b(t, z) = 1/2 sum_d ((f - q) / g)^2    (row b)
//
// and no diffusion. Nothing depends on the logqp channel, so the functions below take
// z (n entries) and write derivatives with respect to z only. Parameter gradients are
// flat over [theta_f | theta_g | theta_q] (P entries).
type nodeSys struct {
	f, g, q    *dynEval
	batch, dim int
	n, m       int
	pf, pg, pq int
	P          int
	kl         bool

	fv, qv, gv     []float64 // values at the point of the last vjp (KL)
	cF, cQ, cG, dz []float64 // cotangents and VJP output
	thf, thg, thq  []float64 // parameter VJPs of each dynamics
	cL             []float64 // zero logqp cotangent
	st             Stats
}

func newNodeSys(f, g, q *dynEval, batch, dim int) *nodeSys {
	n := batch * dim
	s := &nodeSys{f: f, g: g, q: q, batch: batch, dim: dim, n: n, m: n, pf: f.NumParams(), pg: g.NumParams()}
	if q != nil {
		s.kl = true
		s.pq = q.NumParams()
		s.m = n + batch
	}
	s.P = s.pf + s.pg + s.pq
	v := newVecs(n, 7)
	s.fv, s.qv, s.gv, s.cF, s.cQ, s.cG, s.dz = v[0], v[1], v[2], v[3], v[4], v[5], v[6]
	s.thf, s.thg, s.thq = make([]float64, s.pf), make([]float64, s.pg), make([]float64, s.pq)
	s.cL = make([]float64, batch)
	return s
}

// system is the forward system of the node over s: state [z | logqp], noise on z.
func (s *nodeSys) system(noise Noise) *system {
	n := s.n
	return &system{noise: noise, n: n, m: s.m, bmDim: n, blk: 1, glen: n,
		f: func(t float64, y, out []float64) { s.drift(out, t, y[:n]) },
		g: func(t float64, y, out []float64) { s.diffusion(out, t, y[:n]) }}
}

// drift writes the drift at (t, z) into dst (m entries: f, then the KL drift).
func (s *nodeSys) drift(dst []float64, t float64, z []float64) {
	s.f.Eval(dst[:s.n], t, z)
	s.st.NFE++
	if s.kl {
		s.q.Eval(s.qv, t, z)
		s.g.Eval(s.gv, t, z)
		s.st.NFE++
		s.st.NFEDiffusion++
		s.klDrift(dst[s.n:], dst[:s.n], s.qv, s.gv)
	}
}

// diffusion writes g(t, z) into dst (n entries).
func (s *nodeSys) diffusion(dst []float64, t float64, z []float64) {
	s.g.Eval(dst, t, z)
	s.st.NFEDiffusion++
}

// klDrift writes k_b = 1/2 sum_d ((f - q)/g)^2 for every row b into dst.
func (s *nodeSys) klDrift(dst, f, q, g []float64) {
	d := s.dim
	for b := range dst {
		acc := 0.0
		for i := b * d; i < (b+1)*d; i++ {
			u := (f[i] - q[i]) / g[i]
			acc += u * u
		}
		dst[b] = 0.5 * acc
	}
}

// vjp adds to dz (n; overwrites it when over) and adds to dth (P) the vector-Jacobian
// products of the drift (cotangent cf, m entries; nil for none) and of the diffusion
// values (cotangent cg, n entries; nil for none) at (t, z). It writes the drift into
// fOut (m) and the diffusion into gOut (n) when they are not nil. Evaluations are
// counted as NFE (drift, KL included) and NFEDiffusion.
func (s *nodeSys) vjp(fOut, gOut, dz, dth []float64, t float64, z, cf, cg []float64, over bool) {
	if s.kl {
		if over {
			clear(dz)
		}
		s.vjpKL(fOut, gOut, dz, dth, t, z, cf, cg)
		return
	}
	s.vjpPlain(fOut, gOut, dz, dth, t, z, cf, cg, over)
}

// vjpPlain is vjp without the KL channel's terms.
func (s *nodeSys) vjpPlain(fOut, gOut, dz, dth []float64, t float64, z, cf, cg []float64, over bool) {
	n := s.n
	first := over
	if cf != nil {
		if first {
			s.f.VJP(sub(fOut, 0, n), dz, s.thf, t, z, cf[:n])
			first = false
		} else {
			s.f.VJP(sub(fOut, 0, n), s.dz, s.thf, t, z, cf[:n])
			addTo(dz, s.dz)
		}
		s.st.NFE++
		addTo(dth[:s.pf], s.thf)
	} else if fOut != nil {
		s.f.Eval(fOut[:n], t, z)
		s.st.NFE++
	}
	if cg != nil {
		if first {
			s.g.VJP(gOut, dz, s.thg, t, z, cg)
			first = false
		} else {
			s.g.VJP(gOut, s.dz, s.thg, t, z, cg)
			addTo(dz, s.dz)
		}
		s.st.NFEDiffusion++
		addTo(dth[s.pf:s.pf+s.pg], s.thg)
	} else if gOut != nil {
		s.g.Eval(gOut, t, z)
		s.st.NFEDiffusion++
	}
	if first {
		clear(dz)
	}
}

// vjpSplit is vjp with over: it overwrites dz with the VJPs, except that it may leave
// one n-vector to the caller to add (returned; nil when dz is complete), which saves
// a pass when the caller has one to make anyway.
func (s *nodeSys) vjpSplit(fOut, gOut, dz, dth []float64, t float64, z, cf, cg []float64) []float64 {
	if s.kl || cf == nil || cg == nil {
		s.vjp(fOut, gOut, dz, dth, t, z, cf, cg, true)
		return nil
	}
	n := s.n
	s.f.VJP(sub(fOut, 0, n), dz, s.thf, t, z, cf[:n])
	s.g.VJP(gOut, s.dz, s.thg, t, z, cg)
	s.st.NFE++
	s.st.NFEDiffusion++
	addTo(dth[:s.pf], s.thf)
	addTo(dth[s.pf:s.pf+s.pg], s.thg)
	return s.dz
}

// vjpKL is vjp (accumulating) with the KL channel: its cotangent reaches f, q and g
// through u = (f - q)/g.
func (s *nodeSys) vjpKL(fOut, gOut, dz, dth []float64, t float64, z, cf, cg []float64) {
	n := s.n
	cL := s.cL
	if cf != nil {
		cL = cf[n:]
	}
	anyL := false
	for _, v := range cL {
		if v != 0 {
			anyL = true
			break
		}
	}
	if anyL || fOut != nil {
		s.f.Eval(s.fv, t, z)
		s.q.Eval(s.qv, t, z)
		s.g.Eval(s.gv, t, z)
		s.st.NFE++
		s.st.NFEDiffusion++
		if fOut != nil {
			copy(fOut[:n], s.fv)
			s.klDrift(fOut[n:], s.fv, s.qv, s.gv)
		}
		if gOut != nil {
			copy(gOut, s.gv)
			gOut = nil
		}
	}
	if anyL {
		d := s.dim
		for b, l := range cL {
			for i := b * d; i < (b+1)*d; i++ {
				u := (s.fv[i] - s.qv[i]) / s.gv[i]
				w := l * u / s.gv[i] // dk/df = u/g, dk/dq = -u/g, dk/dg = -u^2/g
				var c0, g0 float64
				if cf != nil {
					c0 = cf[i]
				}
				if cg != nil {
					g0 = cg[i]
				}
				s.cF[i] = c0 + w
				s.cQ[i] = -w
				s.cG[i] = g0 - w*u
			}
		}
		s.f.VJP(nil, s.dz, s.thf, t, z, s.cF)
		addTo(dz, s.dz)
		addTo(dth[:s.pf], s.thf)
		s.q.VJP(nil, s.dz, s.thq, t, z, s.cQ)
		addTo(dz, s.dz)
		addTo(dth[s.pf+s.pg:], s.thq)
		s.g.VJP(gOut, s.dz, s.thg, t, z, s.cG)
		addTo(dz, s.dz)
		addTo(dth[s.pf:s.pf+s.pg], s.thg)
		s.st.NFE++
		s.st.NFEDiffusion++
		return
	}
	s.vjpPlain(nil, gOut, dz, dth, t, z, cf, cg, false)
}

// addTo adds src to dst.
func addTo(dst, src []float64) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}
