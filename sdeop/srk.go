package sdeop

import (
	"fmt"
	"math"
)

// srkTableau is a stochastic Runge-Kutta tableau of Roessler (2010) for Ito SDEs with
// diagonal-like noise, in the form torchsde's srk uses. Stage s evaluates the drift at
// (t + C0[s] h, H0_s) and the diffusion at (t + C1[s] h, H1_s), with
//
//	H0_s = y + sum_{j<s} A0[s][j] f_j h + B0[s][j] g_j I_(1,0) / h
//	H1_s = y + sum_{j<s} A1[s][j] f_j h + B1[s][j] g_j sqrt(h)
//	y1   = y + sum_s Alpha[s] f_s h + g_s (Beta1[s] I_1 + Beta2[s] I_(1,1)/sqrt(h)
//	                                     + Beta3[s] I_(1,0)/h + Beta4[s] I_(1,1,1)/h)
//
// where I_1 = dW, I_(1,0) = integral of W - W(t) over the step = h (dW/2 + H),
// I_(1,1) = (dW^2 - h)/2 and I_(1,1,1) = (dW^3 - 3 h dW)/6. An additive tableau (SRA)
// evaluates the diffusion at y, uses only Beta1 and Beta2 (the latter on I_(1,0)/h),
// and has no A1, B1.
type srkTableau struct {
	Name     string
	Additive bool
	C0, C1   []float64
	A0, A1   [][]float64
	B0, B1   [][]float64
	Alpha    []float64
	Beta1    []float64
	Beta2    []float64
	Beta3    []float64
	Beta4    []float64
}

// srid2 is Roessler's SRI2 tableau for diagonal noise (ODE order 3, strong order 1.5),
// as torchsde _core/methods/tableaus/srid2.py.
var srid2 = srkTableau{
	Name:  "SRID2",
	C0:    []float64{0, 1, 0.5, 0},
	C1:    []float64{0, 0.25, 1, 0.25},
	A0:    [][]float64{{}, {1}, {0.25, 0.25}, {0, 0, 0}},
	A1:    [][]float64{{}, {0.25}, {1, 0}, {0, 0, 0.25}},
	B0:    [][]float64{{}, {0}, {1, 0.5}, {0, 0, 0}},
	B1:    [][]float64{{}, {-0.5}, {1, 0}, {2, -1, 0.5}},
	Alpha: []float64{1.0 / 6, 1.0 / 6, 2.0 / 3, 0},
	Beta1: []float64{-1, 4.0 / 3, 2.0 / 3, 0},
	Beta2: []float64{1, -4.0 / 3, 1.0 / 3, 0},
	Beta3: []float64{2, -4.0 / 3, -2.0 / 3, 0},
	Beta4: []float64{-2, 5.0 / 3, -2.0 / 3, 1},
}

// sra1 is Roessler's SRA1 tableau for additive noise (ODE order 2, strong order 1.5),
// as torchsde _core/methods/tableaus/sra1.py.
var sra1 = srkTableau{
	Name:     "SRA1",
	Additive: true,
	C0:       []float64{0, 0.75},
	C1:       []float64{1, 0},
	A0:       [][]float64{{}, {0.75}},
	B0:       [][]float64{{}, {1.5}},
	Alpha:    []float64{1.0 / 3, 2.0 / 3},
	Beta1:    []float64{1, 0},
	Beta2:    []float64{-1, 1},
}

// Validate checks the shapes and the first order conditions: the drift weights sum to
// one, the rows of A0 (and A1) sum to C0 (and C1), the weights of dW sum to one and
// those of the iterated integrals to zero.
func (tb *srkTableau) Validate() error {
	s := len(tb.Alpha)
	const eps = 1e-14
	sum := func(x []float64) float64 {
		var a float64
		for _, v := range x {
			a += v
		}
		return a
	}
	vecs := [][]float64{tb.C0, tb.C1, tb.Beta1, tb.Beta2}
	mats := [][][]float64{tb.A0, tb.B0}
	if !tb.Additive {
		vecs = append(vecs, tb.Beta3, tb.Beta4)
		mats = append(mats, tb.A1, tb.B1)
	}
	for _, v := range vecs {
		if len(v) != s {
			return fmt.Errorf("%s: coefficient vector of length %d, want %d stages", tb.Name, len(v), s)
		}
	}
	for _, m := range mats {
		if len(m) != s {
			return fmt.Errorf("%s: %d rows, want %d", tb.Name, len(m), s)
		}
		for i, row := range m {
			if len(row) != i {
				return fmt.Errorf("%s: row %d has %d entries, want %d (explicit)", tb.Name, i, len(row), i)
			}
		}
	}
	if d := sum(tb.Alpha) - 1; math.Abs(d) > eps {
		return fmt.Errorf("%s: drift weights sum to 1%+g", tb.Name, d)
	}
	for i := range tb.A0 {
		if d := sum(tb.A0[i]) - tb.C0[i]; math.Abs(d) > eps {
			return fmt.Errorf("%s: row %d of A0 sums to C0%+g", tb.Name, i, d)
		}
		if !tb.Additive {
			if d := sum(tb.A1[i]) - tb.C1[i]; math.Abs(d) > eps {
				return fmt.Errorf("%s: row %d of A1 sums to C1%+g", tb.Name, i, d)
			}
		}
	}
	if d := sum(tb.Beta1) - 1; math.Abs(d) > eps {
		return fmt.Errorf("%s: weights of dW sum to 1%+g", tb.Name, d)
	}
	zero := [][]float64{tb.Beta2}
	if !tb.Additive {
		zero = append(zero, tb.Beta3, tb.Beta4)
	}
	for k, b := range zero {
		if d := sum(b); math.Abs(d) > eps {
			return fmt.Errorf("%s: weights Beta%d sum to %g, want 0", tb.Name, k+2, d)
		}
	}
	return nil
}

// srkStepper steps a tableau. For h < 0 (backward) the iterated integrals are those of
// the reversed path over |h|, with the drift multiplied by h.
type srkStepper struct {
	sys        *system
	tab        *srkTableau
	fs, gs     [][]float64
	needF      []bool
	h0, h1     []float64
	xi, hx, u  []float64
	hexp, xexp []float64
	ikk, ikkk  []float64
}

func newSRKStepper(sys *system) *srkStepper {
	tab := &srid2
	if sys.noise == Additive {
		tab = &sra1
	}
	ns := len(tab.Alpha)
	s := &srkStepper{sys: sys, tab: tab, fs: newVecs(sys.n, ns), gs: newVecs(sys.n, ns), needF: make([]bool, ns)}
	// f_s is needed when it is weighted in y1 or in a later stage.
	for j := 0; j < ns; j++ {
		s.needF[j] = tab.Alpha[j] != 0
		for i := j + 1; i < ns; i++ {
			if tab.A0[i][j] != 0 || (!tab.Additive && tab.A1[i][j] != 0) {
				s.needF[j] = true
			}
		}
	}
	v := newVecs(sys.n, 7)
	s.h0, s.h1, s.u, s.xexp, s.hexp, s.ikk, s.ikkk = v[0], v[1], v[2], v[3], v[4], v[5], v[6]
	return s
}

func (s *srkStepper) init(float64, []float64) {}

func (s *srkStepper) step(t, h float64, y, dw, hh []float64) {
	tab, sys := s.tab, s.sys
	a := math.Abs(h)
	sq := math.Sqrt(a)
	rdt := 1 / a
	xi := sys.expand(s.xexp, dw)
	hx := sys.expand(s.hexp, hh)
	u := s.u
	for i := range u {
		u[i] = a * (0.5*xi[i] + hx[i]) // I_(1,0)
	}
	ns := len(tab.Alpha)
	if tab.Additive {
		for st := 0; st < ns; st++ {
			sys.g(t+tab.C1[st]*h, y, s.gs[st])
		}
		for st := 0; st < ns; st++ {
			h0 := s.h0
			copy(h0, y)
			for j := 0; j < st; j++ {
				ca, cb := tab.A0[st][j]*h, tab.B0[st][j]*rdt
				fj, gj := s.fs[j], s.gs[j]
				for i := range h0 {
					h0[i] += ca*fj[i] + cb*gj[i]*u[i]
				}
			}
			sys.f(t+tab.C0[st]*h, h0, s.fs[st])
		}
		for st := 0; st < ns; st++ {
			ca, b1, b2 := tab.Alpha[st]*h, tab.Beta1[st], tab.Beta2[st]*rdt
			fs, gs := s.fs[st], s.gs[st]
			for i := range y {
				y[i] += ca*fs[i] + gs[i]*(b1*xi[i]+b2*u[i])
			}
		}
		return
	}
	for st := 0; st < ns; st++ {
		h0, h1 := s.h0, s.h1
		copy(h0, y)
		copy(h1, y)
		for j := 0; j < st; j++ {
			a0, b0 := tab.A0[st][j]*h, tab.B0[st][j]*rdt
			a1, b1 := tab.A1[st][j]*h, tab.B1[st][j]*sq
			fj, gj := s.fs[j], s.gs[j]
			for i := range h0 {
				h0[i] += a0*fj[i] + b0*gj[i]*u[i]
				h1[i] += a1*fj[i] + b1*gj[i]
			}
		}
		if s.needF[st] {
			sys.f(t+tab.C0[st]*h, h0, s.fs[st])
		}
		sys.g(t+tab.C1[st]*h, h1, s.gs[st])
	}
	// The iterated integrals I_(1,1) and I_(1,1,1), once per step.
	ikk, ikkk := s.ikk, s.ikkk
	for i, x := range xi {
		ikk[i] = 0.5 * (x*x - a)
		ikkk[i] = (x*x - 3*a) * x * (1.0 / 6)
	}
	for st := 0; st < ns; st++ {
		ca := tab.Alpha[st] * h
		b1, b2, b3, b4 := tab.Beta1[st], tab.Beta2[st]/sq, tab.Beta3[st]*rdt, tab.Beta4[st]*rdt
		fs, gs := s.fs[st], s.gs[st]
		if ca != 0 {
			for i := range y {
				y[i] += ca * fs[i]
			}
		}
		for i := range y {
			y[i] += gs[i] * (b1*xi[i] + b2*ikk[i] + b3*u[i] + b4*ikkk[i])
		}
	}
}
