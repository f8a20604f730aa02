package layers

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/internal/rng"
)

// wideInit draws every parameter from U(-a, a): weights large enough that the spectral
// normalisation is active.
func wideInit(seed uint64, a float64) Init {
	return func(dst []float64, p ParamInfo) {
		src := rng.NewStream(seed, uint64(p.Layer)*8+uint64(p.Role))
		for i := range dst {
			dst[i] = a * (2*src.Float64() - 1)
		}
	}
}

func newTestResidual(t *testing.T, dim int, hidden []int, act Builtin, coeff float64) *Residual {
	t.Helper()
	r, err := NewResidual(G.NewGraph(), "res", ResidualSpec{Dim: dim, Hidden: hidden, Act: act, Coeff: coeff, Init: wideInit(7, 1.2), Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func randVec(n int, seed uint64) []float64 {
	v := make([]float64, n)
	src := rng.New(seed)
	src.FillNormal(v)
	return v
}

func TestSpectralPowerIteration(t *testing.T) {
	const rows, cols = 7, 5
	w := randVec(rows*cols, 1)
	s, err := NewSpectral(rows, cols, 0.8, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	sig := s.Iterate(w, 300)
	want := SpectralNorm(w, rows, cols)
	if math.Abs(sig-want) > 1e-10*want {
		t.Fatalf("power iteration σ = %.15g, SVD %.15g", sig, want)
	}
	wt := make([]float64, len(w))
	scale, _ := s.Normalize(wt, w)
	if got := SpectralNorm(wt, rows, cols); math.Abs(got-0.8) > 1e-10 || scale >= 1 {
		t.Fatalf("normalised spectral norm %.15g (scale %g), want 0.8", got, scale)
	}
	// a weight below the bound is left alone
	for i := range w {
		w[i] *= 0.1 / want
	}
	s.Iterate(w, 50)
	if scale, _ := s.Normalize(wt, w); scale != 1 {
		t.Fatalf("scale %g for a weight of norm 0.1 < c", scale)
	}
	if _, err := NewSpectral(2, 2, -1, 0, 0); err == nil {
		t.Fatal("negative coefficient accepted")
	}
}

func TestSpectralBackward(t *testing.T) {
	const rows, cols = 4, 3
	w := randVec(rows*cols, 5)
	s, _ := NewSpectral(rows, cols, 0.5, 1, 2)
	s.Iterate(w, 3) // not converged: the gradient holds for any fixed u, v
	gw := randVec(rows*cols, 6)
	f := func() float64 {
		wt := make([]float64, len(w))
		s.Normalize(wt, w)
		v := 0.0
		for i := range wt {
			v += gw[i] * wt[i]
		}
		return v
	}
	dw := make([]float64, len(w))
	s.Backward(dw, gw, w)
	for i := range w {
		const h = 1e-6
		w0 := w[i]
		w[i] = w0 + h
		fp := f()
		w[i] = w0 - h
		fm := f()
		w[i] = w0
		if fd := (fp - fm) / (2 * h); math.Abs(fd-dw[i]) > 1e-8 {
			t.Errorf("dW[%d] = %.12g, finite difference %.12g", i, dw[i], fd)
		}
	}
}

// residualLoss is Σ dy·y + Σ dld·ld of one LogDet (or Forward when est is nil) call.
func residualLoss(t *testing.T, e *ResidualEval, x, dy, dld []float64, est *LogDet, seed uint64) float64 {
	t.Helper()
	y := make([]float64, len(x))
	s := 0.0
	if est != nil {
		ld := make([]float64, e.Batch())
		if err := e.LogDet(y, ld, x, *est, seed, 11); err != nil {
			t.Fatal(err)
		}
		for b, v := range ld {
			s += dld[b] * v
		}
	} else {
		e.Forward(y, x)
	}
	for i, v := range y {
		s += dy[i] * v
	}
	return s
}

// checkResidualGrad compares Backward with central differences of residualLoss in x and
// in every parameter.
func checkResidualGrad(t *testing.T, r *Residual, batch int, est *LogDet, tol float64) {
	t.Helper()
	d := r.Dim()
	e, err := r.NewEval(batch)
	if err != nil {
		t.Fatal(err)
	}
	x := randVec(batch*d, 21)
	dy := randVec(batch*d, 22)
	var dld []float64
	if est != nil {
		dld = randVec(batch, 23)
	}
	const seed = 99
	residualLoss(t, e, x, dy, dld, est, seed)
	dx := make([]float64, batch*d)
	dth := make([]float64, r.NumParams())
	if err := e.Backward(dx, dth, dy, dld); err != nil {
		t.Fatal(err)
	}
	fd := func(p *float64) float64 {
		const h = 1e-5
		p0 := *p
		*p = p0 + h
		_ = r.Normalize(0)
		fp := residualLoss(t, e, x, dy, dld, est, seed)
		*p = p0 - h
		_ = r.Normalize(0)
		fm := residualLoss(t, e, x, dy, dld, est, seed)
		*p = p0
		_ = r.Normalize(0)
		return (fp - fm) / (2 * h)
	}
	bad := 0
	for i := range x {
		if g := fd(&x[i]); math.Abs(g-dx[i]) > tol*(1+math.Abs(g)) {
			bad++
			t.Errorf("dx[%d] = %.10g, finite difference %.10g", i, dx[i], g)
		}
	}
	off := 0
	for _, v := range r.Values() {
		for j := range v {
			if g := fd(&v[j]); math.Abs(g-dth[off+j]) > tol*(1+math.Abs(g)) {
				bad++
				if bad < 10 {
					t.Errorf("dtheta[%d] = %.10g, finite difference %.10g", off+j, dth[off+j], g)
				}
			}
		}
		off += len(v)
	}
}

func TestResidualBackward(t *testing.T) {
	for _, act := range []Builtin{ELU, Tanh, Softplus} {
		t.Run(act.String(), func(t *testing.T) {
			r := newTestResidual(t, 3, []int{5, 4}, act, 0.7)
			checkResidualGrad(t, r, 4, nil, 1e-7)
		})
	}
}

func TestResidualLogDetBackward(t *testing.T) {
	cases := []struct {
		name string
		est  LogDet
	}{
		{"series", LogDet{Method: LogDetSeries, Terms: 4}},
		{"series-gaussian", LogDet{Method: LogDetSeries, Terms: 3, Probe: Gaussian}},
		{"roulette", LogDet{Method: LogDetRoulette, Terms: 2, P: 0.3}},
	}
	for _, c := range cases {
		for _, act := range []Builtin{Tanh, Softplus, Sin} {
			t.Run(c.name+"/"+act.String(), func(t *testing.T) {
				r := newTestResidual(t, 3, []int{6, 5}, act, 0.8)
				est := c.est
				checkResidualGrad(t, r, 3, &est, 2e-7)
			})
		}
	}
}

func TestResidualInverse(t *testing.T) {
	const c, batch, dim = 0.9, 16, 4
	r := newTestResidual(t, dim, []int{16, 16}, ELU, c)
	per, lip := r.Lipschitz()
	for l, s := range per {
		// the power iteration's σ̂ underestimates σ slightly until it has converged
		if s > c*(1+1e-3) {
			t.Fatalf("layer %d: spectral norm %g of the normalised weight, above c = %g", l, s, c)
		}
	}
	if lip >= c {
		t.Fatalf("Lipschitz bound %g, want below c = %g", lip, c)
	}
	e, _ := r.NewEval(batch)
	x := randVec(batch*dim, 4)
	for i := range x {
		x[i] *= 3
	}
	y := make([]float64, len(x))
	e.Forward(y, x)
	xr := make([]float64, len(x))
	const tol = 1e-10
	it, err := e.Inverse(xr, y, tol, 200)
	if err != nil {
		t.Fatal(err)
	}
	// linear convergence at rate Lip from |x0 - x| = |g(x)|: the documented bound
	gmax := 0.0
	for i := range y {
		gmax = max(gmax, math.Abs(y[i]-x[i]))
	}
	bound := int(math.Ceil(math.Log(tol*(1-lip)/gmax)/math.Log(lip))) + 1
	if it > bound {
		t.Errorf("%d iterations, above the bound %d", it, bound)
	}
	for i := range x {
		if math.Abs(xr[i]-x[i]) > 1e-8 {
			t.Fatalf("x[%d] = %.15g, inverse %.15g", i, x[i], xr[i])
		}
	}
	t.Logf("inverse in %d iterations (bound %d, Lip ≤ %.3f)", it, bound, lip)
	if _, err := e.Inverse(xr, y, 1e-14, 3); !errors.Is(err, ErrNoConvergence) {
		t.Fatalf("3 iterations to 1e-14: error %v, want ErrNoConvergence", err)
	}
	if _, err := e.Inverse(xr, y, 0, 3); err == nil {
		t.Fatal("zero tolerance accepted")
	}
}

func TestResidualJacobian(t *testing.T) {
	r := newTestResidual(t, 3, []int{5}, Tanh, 0.9)
	e, _ := r.NewEval(2)
	x := randVec(6, 8)
	jac := make([]float64, 18)
	e.Jacobian(jac, x)
	y := make([]float64, 6)
	for b := 0; b < 2; b++ {
		for j := 0; j < 3; j++ {
			const h = 1e-6
			xp := append([]float64(nil), x...)
			xp[b*3+j] += h
			e.Forward(y, xp)
			yp := append([]float64(nil), y...)
			xp[b*3+j] -= 2 * h
			e.Forward(y, xp)
			for i := 0; i < 3; i++ {
				fd := (yp[b*3+i] - y[b*3+i]) / (2 * h)
				if got := jac[b*9+i*3+j]; math.Abs(got-fd) > 1e-8 {
					t.Errorf("J[%d][%d,%d] = %.10g, finite difference %.10g", b, i, j, got, fd)
				}
			}
		}
	}
}

// exactSeries returns log det(I + J) and the truncated series Σ_{k≤n} (-1)^{k+1}/k tr(J^k)
// of sample b, from the Jacobian by brute force.
func exactSeries(jac []float64, d, n int) (logdet, series float64) {
	J := mat.NewDense(d, d, append([]float64(nil), jac...))
	I := mat.NewDiagDense(d, nil)
	for i := 0; i < d; i++ {
		I.SetDiag(i, 1)
		J.Set(i, i, J.At(i, i)-1) // jac holds I + J
	}
	var A mat.Dense
	A.Add(I, J)
	var lu mat.LU
	lu.Factorize(&A)
	logdet, _ = lu.LogDet()
	P := mat.DenseCopyOf(J)
	for k := 1; k <= n; k++ {
		s := 1 / float64(k)
		if k%2 == 0 {
			s = -s
		}
		series += s * mat.Trace(P)
		P.Mul(P, J)
	}
	return logdet, series
}

func TestResidualLogDetMean(t *testing.T) {
	const d, batch = 3, 2
	r := newTestResidual(t, d, []int{8}, ELU, 0.9)
	e, _ := r.NewEval(batch)
	x := randVec(batch*d, 31)
	jac := make([]float64, batch*d*d)
	e.Jacobian(jac, x)
	y := make([]float64, batch*d)
	exact := make([]float64, batch)
	if err := e.LogDet(y, exact, x, LogDet{Method: LogDetExact}, 0, 0); err != nil {
		t.Fatal(err)
	}
	runs := 4000
	if testing.Short() {
		runs = 1500
	}
	cases := []struct {
		est  LogDet
		want func(b int) float64
	}{
		{LogDet{Method: LogDetRoulette}, func(b int) float64 { return exact[b] }},
		{LogDet{Method: LogDetRoulette, Terms: 1, P: 0.6, Probe: Gaussian}, func(b int) float64 { return exact[b] }},
		{LogDet{Method: LogDetSeries, Terms: 3}, func(b int) float64 {
			_, s := exactSeries(jac[b*d*d:(b+1)*d*d], d, 3)
			return s
		}},
	}
	for ci, c := range cases {
		ld := make([]float64, batch)
		sum, sum2 := make([]float64, batch), make([]float64, batch)
		for k := 0; k < runs; k++ {
			if err := e.LogDet(y, ld, x, c.est, 5, uint64(k)); err != nil {
				t.Fatal(err)
			}
			for b, v := range ld {
				sum[b] += v
				sum2[b] += v * v
			}
		}
		for b := 0; b < batch; b++ {
			mean := sum[b] / float64(runs)
			se := math.Sqrt((sum2[b]/float64(runs) - mean*mean) / float64(runs))
			want := c.want(b)
			ld0, _ := exactSeries(jac[b*d*d:(b+1)*d*d], d, 1)
			if math.Abs(ld0-exact[b]) > 1e-12 {
				t.Fatalf("LU log-det %.15g, brute force %.15g", exact[b], ld0)
			}
			if math.Abs(mean-want) > 3*se {
				t.Errorf("case %d sample %d: mean %.6g ± %.2g, want %.6g", ci, b, mean, se, want)
			}
			t.Logf("case %d (%v) sample %d: mean %.5f ± %.5f, want %.5f (exact log-det %.5f)", ci, c.est.Method, b, mean, se, want, exact[b])
		}
	}
}

// TestResidualNeumannGradient checks that the Neumann-series gradient with the roulette
// is, in expectation, the gradient of the exact log-determinant (by finite differences of
// LogDetExact).
func TestResidualNeumannGradient(t *testing.T) {
	const d, batch = 2, 1
	r := newTestResidual(t, d, []int{6}, Tanh, 0.85)
	e, _ := r.NewEval(batch)
	x := randVec(batch*d, 41)
	y := make([]float64, d)
	ld := make([]float64, 1)
	exact := func() float64 {
		_ = r.Normalize(0)
		if err := e.LogDet(y, ld, x, LogDet{Method: LogDetExact}, 0, 0); err != nil {
			t.Fatal(err)
		}
		return ld[0]
	}
	n := r.NumParams()
	want := make([]float64, n+d)
	idx := 0
	for _, v := range append(r.Values(), x) {
		for j := range v {
			const h = 1e-5
			v0 := v[j]
			v[j] = v0 + h
			fp := exact()
			v[j] = v0 - h
			fm := exact()
			v[j] = v0
			want[idx] = (fp - fm) / (2 * h)
			idx++
		}
	}
	exact()
	runs := 3000
	if testing.Short() {
		runs = 1000
	}
	sum, sum2 := make([]float64, n+d), make([]float64, n+d)
	dth := make([]float64, n)
	dx := make([]float64, d)
	zero := make([]float64, d)
	for k := 0; k < runs; k++ {
		if err := e.LogDet(y, ld, x, LogDet{Method: LogDetRoulette, Grad: GradNeumann}, 8, uint64(k)); err != nil {
			t.Fatal(err)
		}
		if err := e.Backward(dx, dth, zero, []float64{1}); err != nil {
			t.Fatal(err)
		}
		for i, v := range append(dth, dx...) {
			sum[i] += v
			sum2[i] += v * v
		}
	}
	bad := 0
	for i := range want {
		mean := sum[i] / float64(runs)
		se := math.Sqrt(max(0, sum2[i]/float64(runs)-mean*mean) / float64(runs))
		// 3.5 standard errors over ~30 components, plus round-off of the finite difference
		if math.Abs(mean-want[i]) > 3.5*se+1e-8 {
			bad++
			t.Errorf("component %d: Neumann gradient mean %.6g ± %.2g, exact %.6g", i, mean, se, want[i])
		}
	}
}
