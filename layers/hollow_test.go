package layers

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
)

func newTestHollow(t *testing.T, d int, act Builtin) *HollowNet {
	t.Helper()
	n, err := NewHollowNet(G.NewGraph(), "hol", HollowSpec{Dim: d, Hidden: 4, Mix: 3, Act: act, Init: wideInit(5, 0.9)})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHollowDivergence checks the exact divergence and diagonal against the Jacobian
// assembled row by row from the network's own vector-Jacobian products (brute force: Dim
// backward passes), and that Jacobian against finite differences.
func TestHollowDivergence(t *testing.T) {
	const d, batch, tm = 5, 3, 0.37
	for _, act := range []Builtin{Tanh, Softplus, Sin, Swish} {
		t.Run(act.String(), func(t *testing.T) {
			n := newTestHollow(t, d, act)
			e, err := n.NewEval(n.Values(), batch)
			if err != nil {
				t.Fatal(err)
			}
			x := randVec(batch*d, 3)
			f := make([]float64, batch*d)
			e.Forward(f, tm, x)
			div := make([]float64, batch)
			diag := make([]float64, batch*d)
			e.Divergence(div)
			e.Diag(diag)
			jac := make([]float64, batch*d*d) // [b][i][j] = ∂f_i/∂x_j
			a := make([]float64, batch*d)
			dx := make([]float64, batch*d)
			for i := 0; i < d; i++ {
				clear(a)
				for b := 0; b < batch; b++ {
					a[b*d+i] = 1
				}
				e.Backward(dx, nil, a, nil)
				for b := 0; b < batch; b++ {
					copy(jac[b*d*d+i*d:b*d*d+(i+1)*d], dx[b*d:(b+1)*d])
				}
			}
			for b := 0; b < batch; b++ {
				tr := 0.0
				for i := 0; i < d; i++ {
					j := jac[b*d*d+i*d+i]
					tr += j
					if math.Abs(diag[b*d+i]-j) > 1e-12*(1+math.Abs(j)) {
						t.Errorf("sample %d: diagonal %d = %.15g, Jacobian %.15g", b, i, diag[b*d+i], j)
					}
				}
				if math.Abs(div[b]-tr) > 1e-10*(1+math.Abs(tr)) {
					t.Errorf("sample %d: divergence %.15g, trace of the Jacobian %.15g", b, div[b], tr)
				}
			}
			// the Jacobian against central differences of f
			fp, fm := make([]float64, batch*d), make([]float64, batch*d)
			for j := 0; j < d; j++ {
				const h = 1e-6
				xp := append([]float64(nil), x...)
				for b := 0; b < batch; b++ {
					xp[b*d+j] += h
				}
				e.Forward(fp, tm, xp)
				for b := 0; b < batch; b++ {
					xp[b*d+j] -= 2 * h
				}
				e.Forward(fm, tm, xp)
				for b := 0; b < batch; b++ {
					for i := 0; i < d; i++ {
						fd := (fp[b*d+i] - fm[b*d+i]) / (2 * h)
						if got := jac[b*d*d+i*d+j]; math.Abs(got-fd) > 1e-8*(1+math.Abs(fd)) {
							t.Errorf("J[%d][%d,%d] = %.10g, finite difference %.10g", b, i, j, got, fd)
						}
					}
				}
			}
		})
	}
}

// TestHollowBackward compares the gradient of Σ a·f + Σ adiv·div with central
// differences in x, t-independent parameters and all.
func TestHollowBackward(t *testing.T) {
	const d, batch, tm = 4, 3, -0.6
	for _, act := range []Builtin{Tanh, Softplus, Sin} {
		t.Run(act.String(), func(t *testing.T) {
			n := newTestHollow(t, d, act)
			e, _ := n.NewEval(n.Values(), batch)
			x := randVec(batch*d, 4)
			a := randVec(batch*d, 5)
			adiv := randVec(batch, 6)
			loss := func() float64 {
				f := make([]float64, batch*d)
				div := make([]float64, batch)
				e.Forward(f, tm, x)
				e.Divergence(div)
				s := 0.0
				for i, v := range f {
					s += a[i] * v
				}
				for b, v := range div {
					s += adiv[b] * v
				}
				return s
			}
			loss()
			dx := make([]float64, batch*d)
			dth := make([]float64, n.NumParams())
			e.Backward(dx, dth, a, adiv)
			fd := func(p *float64) float64 {
				const h = 1e-6
				p0 := *p
				*p = p0 + h
				lp := loss()
				*p = p0 - h
				lm := loss()
				*p = p0
				return (lp - lm) / (2 * h)
			}
			for i := range x {
				if g := fd(&x[i]); math.Abs(g-dx[i]) > 1e-7*(1+math.Abs(g)) {
					t.Errorf("dx[%d] = %.10g, finite difference %.10g", i, dx[i], g)
				}
			}
			off, bad := 0, 0
			for k, v := range n.Values() {
				for j := range v {
					if g := fd(&v[j]); math.Abs(g-dth[off+j]) > 1e-7*(1+math.Abs(g)) {
						if bad++; bad < 10 {
							t.Errorf("d%s[%d] = %.10g, finite difference %.10g", HollowParamNames[k], j, dth[off+j], g)
						}
					}
				}
				off += len(v)
			}
		})
	}
}

// TestHollowCNFVJP checks the augmented dynamics [f, -div] and its VJP (the solve node's
// interface) against central differences.
func TestHollowCNFVJP(t *testing.T) {
	const d, batch, tm = 3, 2, 0.25
	n := newTestHollow(t, d, Tanh)
	c, err := NewHollowCNF(n, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	w := c.Width()
	ev, err := c.Bind(n.Values(), batch, w)
	if err != nil {
		t.Fatal(err)
	}
	z := randVec(batch*w, 7)
	a := randVec(batch*w, 8)
	f := make([]float64, batch*w)
	dz := make([]float64, batch*w)
	dth := make([]float64, n.NumParams())
	ev.VJP(f, dz, dth, tm, z, a)
	f2 := make([]float64, batch*w)
	ev.Eval(f2, tm, z)
	for i := range f {
		if f[i] != f2[i] {
			t.Fatalf("VJP's f[%d] = %g, Eval's %g", i, f[i], f2[i])
		}
	}
	loss := func() float64 {
		ev.Eval(f2, tm, z)
		s := 0.0
		for i, v := range f2 {
			s += a[i] * v
		}
		return s
	}
	fd := func(p *float64) float64 {
		const h = 1e-6
		p0 := *p
		*p = p0 + h
		lp := loss()
		*p = p0 - h
		lm := loss()
		*p = p0
		return (lp - lm) / (2 * h)
	}
	for i := range z {
		if g := fd(&z[i]); math.Abs(g-dz[i]) > 1e-7*(1+math.Abs(g)) {
			t.Errorf("dz[%d] = %.10g, finite difference %.10g", i, dz[i], g)
		}
	}
	off := 0
	for _, v := range n.Values() {
		for j := range v {
			if g := fd(&v[j]); math.Abs(g-dth[off+j]) > 1e-7*(1+math.Abs(g)) {
				t.Errorf("dtheta[%d] = %.10g, finite difference %.10g", off+j, dth[off+j], g)
			}
		}
		off += len(v)
	}
	if err := c.Check(batch, d); err == nil {
		t.Error("state width without the logp column accepted")
	}
	if _, err := NewHollowNet(G.NewGraph(), "h", HollowSpec{Dim: 1}); err == nil {
		t.Error("a one-dimensional HollowNet accepted")
	}
}
