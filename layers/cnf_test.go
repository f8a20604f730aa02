package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
)

// cnfRandomInit draws every parameter (biases included) from N(0, scale²/fanIn).
func cnfRandomInit(seed uint64, scale float64) Init {
	return func(dst []float64, p ParamInfo) {
		r := rand.New(rand.NewPCG(seed, uint64(p.Layer)<<8|uint64(p.Role)))
		s := scale / math.Sqrt(float64(p.FanIn))
		for i := range dst {
			dst[i] = s * r.NormFloat64()
		}
	}
}

type cnfCase struct {
	name   string
	d      int
	layers []LayerSpec
	cfg    CNFConfig
}

func cnfCases() []cnfCase {
	mixed := []LayerSpec{ConcatSquash(6, Tanh), ConcatLinear(5, Softplus), Linear(4, Swish), ConcatSquash(3, Identity)}
	return []cnfCase{
		{"exact/concatlinear-tanh", 2, []LayerSpec{ConcatLinear(7, Tanh), ConcatLinear(7, Tanh), ConcatLinear(2, Identity)}, CNFConfig{T: 0.5}},
		{"exact/linear-softplus", 3, []LayerSpec{Linear(6, Softplus), Linear(3, Tanh)}, CNFConfig{}},
		{"exact/linear-only", 2, []LayerSpec{Linear(2, Identity)}, CNFConfig{}},
		{"analytic/linear-softplus+K+T", 3, []LayerSpec{Linear(6, Softplus), ConcatLinear(5, Sigmoid), Linear(3, Identity)},
			CNFConfig{KineticWeight: 0.3, TrainT: true, T: 0.7}},
		{"exact/mixed+reg", 3, mixed, CNFConfig{KineticWeight: 0.1, JacobianWeight: 0.2}},
		{"exact/mixed+reg+T", 3, mixed, CNFConfig{KineticWeight: 0.1, JacobianWeight: 0.2, TrainT: true, T: 0.8}},
		{"exact/sigmoid-elu-sin", 2, []LayerSpec{ConcatSquash(5, Sigmoid), Linear(5, ELU), ConcatLinear(2, Sin)}, CNFConfig{JacobianWeight: 1}},
		{"hutch/concatlinear-tanh", 2, []LayerSpec{ConcatLinear(7, Tanh), ConcatLinear(2, Identity)}, CNFConfig{Trace: TraceHutchinson}},
		{"hutch/mixed+reg+T", 3, mixed, CNFConfig{Trace: TraceHutchinson, KineticWeight: 0.3, JacobianWeight: 0.2, TrainT: true, T: 1.3}},
	}
}

func newTestCNF(t testing.TB, c cnfCase, seed uint64) *CNF {
	g := G.NewGraph()
	m, err := NewMLP(g, "f", Spec{In: c.d, Layers: c.layers, Init: cnfRandomInit(seed, 1.2)})
	if err != nil {
		t.Fatal(err)
	}
	cnf, err := NewCNF(m, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cnf
}

// cnfRandomState fills a CNF state with N(0, 1) entries and, for Hutchinson, Rademacher probes.
func cnfRandomState(c *CNF, batch int, r *rand.Rand) []float64 {
	w := c.Width()
	z := make([]float64, batch*w)
	for i := range z {
		z[i] = r.NormFloat64()
	}
	if ce := c.ProbeCol(); ce >= 0 {
		for b := 0; b < batch; b++ {
			for i := 0; i < c.Dim(); i++ {
				z[b*w+ce+i] = float64(2*r.IntN(2) - 1)
			}
		}
	}
	return z
}

func cnfCopyTheta(vs [][]float64) [][]float64 {
	out := make([][]float64, len(vs))
	for i, v := range vs {
		out[i] = append([]float64(nil), v...)
	}
	return out
}

func cnfDot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestCNFVJP checks every vector-Jacobian product of the augmented dynamics (state,
// parameters, the end time) against central finite differences of Eval.
func TestCNFVJP(t *testing.T) {
	const batch, tm = 3, 0.37
	defer func(n int) { cnfTileRows = n }(cnfTileRows)
	cnfTileRows = 2 // two tiles (2 + 1 samples): the per-tile passes and accumulations
	for ci, c := range cnfCases() {
		t.Run(c.name, func(t *testing.T) {
			cnf := newTestCNF(t, c, uint64(ci+1))
			r := rand.New(rand.NewPCG(uint64(ci), 9))
			theta := cnfCopyTheta(cnf.Values())
			ev, err := cnf.Bind(theta, batch, cnf.Width())
			if err != nil {
				t.Fatal(err)
			}
			n := batch * cnf.Width()
			z := cnfRandomState(cnf, batch, r)
			a := make([]float64, n)
			for i := range a {
				a[i] = r.NormFloat64()
			}
			f0 := make([]float64, n)
			ev.Eval(f0, tm, z)
			f := make([]float64, n)
			dz := make([]float64, n)
			np := 0
			for _, th := range theta {
				np += len(th)
			}
			dth := make([]float64, np)
			ev.VJP(f, dz, dth, tm, z, a)
			for i := range f {
				if f[i] != f0[i] {
					t.Fatalf("VJP's f[%d] = %g, Eval's %g", i, f[i], f0[i])
				}
			}
			fp, fm := make([]float64, n), make([]float64, n)
			const h = 1e-5
			fd := func(x *float64) float64 {
				old := *x
				*x = old + h
				ev.Eval(fp, tm, z)
				*x = old - h
				ev.Eval(fm, tm, z)
				*x = old
				return (cnfDot(a, fp) - cnfDot(a, fm)) / (2 * h)
			}
			worst := 0.0
			check := func(what string, got float64, x *float64) {
				want := fd(x)
				e := math.Abs(got-want) / (1 + math.Abs(want))
				worst = math.Max(worst, e)
				if e > 1e-7 {
					t.Errorf("%s: VJP %.10g, finite differences %.10g", what, got, want)
				}
			}
			for i := range z {
				check(fmt.Sprintf("dz[%d]", i), dz[i], &z[i])
			}
			off := 0
			for k, th := range theta {
				for j := range th {
					check(fmt.Sprintf("dtheta %s[%d]", cnf.Params()[k].Name(), j), dth[off+j], &th[j])
				}
				off += len(th)
			}
			// Destinations left nil are skipped, and the others do not change.
			dz2 := make([]float64, n)
			ev.VJP(nil, dz2, nil, tm, z, a)
			dth2 := make([]float64, np)
			ev.VJP(nil, nil, dth2, tm, z, a)
			for i := range dz {
				if dz[i] != dz2[i] {
					t.Fatalf("dz alone differs at %d", i)
				}
			}
			for i := range dth {
				if dth[i] != dth2[i] {
					t.Fatalf("dtheta alone differs at %d", i)
				}
			}
			t.Logf("worst relative error %.2g over %d state and %d parameter entries", worst, n, np)
		})
	}
}

// cnfJacobianFD returns the Jacobian J[i][j] = ∂f_i/∂z_j of the plain network at one point by
// central differences.
func cnfJacobianFD(net *Net, tm float64, z []float64) [][]float64 {
	d := len(z)
	J := make([][]float64, d)
	fp, fm := make([]float64, d), make([]float64, d)
	x := append([]float64(nil), z...)
	for j := 0; j < d; j++ {
		const h = 1e-6
		x[j] = z[j] + h
		net.Forward(fp, tm, x)
		x[j] = z[j] - h
		net.Forward(fm, tm, x)
		x[j] = z[j]
		for i := 0; i < d; i++ {
			if J[i] == nil {
				J[i] = make([]float64, d)
			}
			J[i][j] = (fp[i] - fm[i]) / (2 * h)
		}
	}
	return J
}

// TestCNFEval checks the augmented dynamics against the network's own forward pass and a
// finite-difference Jacobian: f, -trace, |f|², |J|²_F (exact), and εᵀJε, |Jε|² (Hutchinson).
func TestCNFEval(t *testing.T) {
	const batch, tm = 4, 0.61
	for ci, c := range cnfCases() {
		t.Run(c.name, func(t *testing.T) {
			cnf := newTestCNF(t, c, uint64(ci+11))
			r := rand.New(rand.NewPCG(uint64(ci), 3))
			theta := cnf.Values()
			ev, err := cnf.Bind(theta, batch, cnf.Width())
			if err != nil {
				t.Fatal(err)
			}
			net, err := cnf.Net().NewNet(theta[:len(cnf.Net().Params())], 1)
			if err != nil {
				t.Fatal(err)
			}
			w, d := cnf.Width(), cnf.Dim()
			z := cnfRandomState(cnf, batch, r)
			F := make([]float64, batch*w)
			ev.Eval(F, tm, z)
			T, tau := 1.0, tm
			if c.cfg.TrainT {
				T = cnf.EndTime()
				tau = tm * T
			}
			for b := 0; b < batch; b++ {
				zb := z[b*w : b*w+d]
				f := make([]float64, d)
				net.Forward(f, tau, zb)
				J := cnfJacobianFD(net, tau, zb)
				var tr, kin, fro float64
				if cnf.TraceMethod() == TraceExact {
					for i := 0; i < d; i++ {
						tr += J[i][i]
						for j := 0; j < d; j++ {
							fro += J[i][j] * J[i][j]
						}
					}
				} else {
					eps := z[b*w+cnf.ProbeCol() : b*w+cnf.ProbeCol()+d]
					for i := 0; i < d; i++ {
						jv := 0.0
						for j := 0; j < d; j++ {
							jv += J[i][j] * eps[j]
						}
						tr += eps[i] * jv
						fro += jv * jv
					}
				}
				for _, v := range f {
					kin += v * v
				}
				row := F[b*w : b*w+w]
				cmp := func(what string, got, want, tol float64) {
					if math.Abs(got-want) > tol*(1+math.Abs(want)) {
						t.Errorf("row %d %s: %.10g, want %.10g", b, what, got, want)
					}
				}
				for i := 0; i < d; i++ {
					cmp(fmt.Sprintf("f[%d]", i), row[i], T*f[i], 1e-14)
				}
				cmp("dlogp", row[d], -T*tr, 1e-8)
				if k := cnf.KineticCol(); k >= 0 {
					cmp("kinetic", row[k], T*kin, 1e-14)
				}
				if j := cnf.JacobianCol(); j >= 0 {
					cmp("jacobian", row[j], T*fro, 1e-8)
				}
				if e := cnf.ProbeCol(); e >= 0 {
					for i := 0; i < d; i++ {
						cmp("probe", row[e+i], 0, 0)
					}
				}
			}
		})
	}
}

// TestCNFHutchinsonUnbiased: the mean of the Hutchinson estimate over many probes matches
// the exact trace (and the squared Frobenius norm), for Rademacher and Gaussian probes.
// Tolerance: 5 standard errors of the mean, estimated from the same draws.
func TestCNFHutchinsonUnbiased(t *testing.T) {
	const d, probes, tm = 4, 40000, 0.2
	layers := []LayerSpec{ConcatLinear(16, Tanh), ConcatLinear(d, Identity)}
	exact := newTestCNF(t, cnfCase{d: d, layers: layers, cfg: CNFConfig{JacobianWeight: 1, Trace: TraceExact}}, 5)
	hut := newTestCNF(t, cnfCase{d: d, layers: layers, cfg: CNFConfig{JacobianWeight: 1, Trace: TraceHutchinson}}, 5)
	// one point, repeated over a batch of probes
	r := rand.New(rand.NewPCG(1, 2))
	z0 := make([]float64, d)
	for i := range z0 {
		z0[i] = r.NormFloat64()
	}
	ze := make([]float64, exact.Width())
	copy(ze, z0)
	Fe := make([]float64, exact.Width())
	eve, _ := exact.Bind(exact.Values(), 1, exact.Width())
	eve.Eval(Fe, tm, ze)
	wantTr, wantFro := -Fe[d], Fe[exact.JacobianCol()]
	for _, p := range []Probe{Rademacher, Gaussian} {
		w := hut.Width()
		z := make([]float64, probes*w)
		eps := make([]float64, probes*d)
		FillProbes(eps, p, 77, uint64(p))
		for b := 0; b < probes; b++ {
			copy(z[b*w:], z0)
			copy(z[b*w+hut.ProbeCol():b*w+hut.ProbeCol()+d], eps[b*d:b*d+d])
		}
		ev, _ := hut.Bind(hut.Values(), probes, w)
		F := make([]float64, probes*w)
		ev.Eval(F, tm, z)
		var s, s2, q, q2 float64
		for b := 0; b < probes; b++ {
			tr := -F[b*w+d]
			fr := F[b*w+hut.JacobianCol()]
			s += tr
			s2 += tr * tr
			q += fr
			q2 += fr * fr
		}
		n := float64(probes)
		mt, mf := s/n, q/n
		st := math.Sqrt((s2/n - mt*mt) / n)
		sf := math.Sqrt((q2/n - mf*mf) / n)
		t.Logf("%v: trace %.5f ± %.5f (exact %.5f); |J|_F^2 %.5f ± %.5f (exact %.5f)", p, mt, st, wantTr, mf, sf, wantFro)
		if math.Abs(mt-wantTr) > 5*st || math.Abs(mf-wantFro) > 5*sf {
			t.Errorf("%v: Hutchinson means are more than 5 standard errors from the exact values", p)
		}
	}
}

// TestCNFAnalyticTrace: the closed-form trace of networks with one hidden-to-hidden matrix
// agrees with the forward-mode path in the dynamics and in every vector-Jacobian product
// (the closed form in tiles of 2 samples, the forward mode in one tile).
func TestCNFAnalyticTrace(t *testing.T) {
	const batch, tm = 5, 0.43
	for ci, c := range cnfCases() {
		cnf := newTestCNF(t, c, uint64(ci+21))
		if !analyticEligible(cnf) {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(ci), 5))
			n := batch * cnf.Width()
			z := cnfRandomState(cnf, batch, r)
			a := make([]float64, n)
			for i := range a {
				a[i] = r.NormFloat64()
			}
			np := 0
			for _, v := range cnf.Values() {
				np += len(v)
			}
			run := func(analytic bool) (f, dz, dth []float64) {
				cnfAnalyticOn = analytic
				defer func(n int) { cnfAnalyticOn, cnfTileRows = true, n }(cnfTileRows)
				if analytic {
					cnfTileRows = 2 // three tiles against one
				}
				ev := newCNFEval(cnf, cnf.Values(), batch)
				if (ev.an != nil) != analytic {
					t.Fatalf("analytic path %v, want %v", ev.an != nil, analytic)
				}
				f, dz, dth = make([]float64, n), make([]float64, n), make([]float64, np)
				ev.VJP(f, dz, dth, tm, z, a)
				return f, dz, dth
			}
			f1, dz1, dth1 := run(true)
			f0, dz0, dth0 := run(false)
			cmp := func(what string, x, y []float64) {
				for i := range x {
					if math.Abs(x[i]-y[i]) > 1e-12*(1+math.Abs(y[i])) {
						t.Errorf("%s[%d]: analytic %.15g, forward mode %.15g", what, i, x[i], y[i])
					}
				}
			}
			cmp("f", f1, f0)
			cmp("dz", dz1, dz0)
			cmp("dtheta", dth1, dth0)
		})
	}
}

func TestFillProbes(t *testing.T) {
	x := make([]float64, 1000)
	FillProbes(x, Rademacher, 1, 2)
	s := 0.0
	for _, v := range x {
		if v != 1 && v != -1 {
			t.Fatalf("Rademacher probe entry %g", v)
		}
		s += v
	}
	if math.Abs(s) > 5*math.Sqrt(1000) {
		t.Errorf("Rademacher probes sum to %g", s)
	}
	y := make([]float64, 1000)
	FillProbes(y, Rademacher, 1, 2)
	for i := range x {
		if x[i] != y[i] {
			t.Fatal("probes not reproducible")
		}
	}
}

func TestCNFSpecErrors(t *testing.T) {
	g := G.NewGraph()
	m, err := NewMLP(g, "f", Spec{In: 2, Layers: []LayerSpec{Linear(3, Tanh)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewCNF(m, CNFConfig{}); err == nil {
		t.Error("2 -> 3 network accepted")
	}
	m2, _ := NewMLP(g, "g", Spec{In: 2, Layers: []LayerSpec{Linear(2, Tanh)}})
	if _, err := NewCNF(m2, CNFConfig{T: -1}); err == nil {
		t.Error("negative T accepted")
	}
	c, err := NewCNF(m2, CNFConfig{TrainT: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewCNF(m2, CNFConfig{TrainT: true}); err == nil {
		t.Error("a second sqrtT node of the same name accepted")
	}
	if c.Check(4, 2) == nil {
		t.Error("state without the logp column accepted")
	}
	if c.Check(4, 3) != nil || c.Width() != 3 {
		t.Errorf("width %d", c.Width())
	}
}
