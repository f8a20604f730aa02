package toy

import (
	"math"
	"testing"
)

// quadEntropy computes -∫ p log p of 8gaussians by the trapezoidal rule on [-L, L]² with
// step h (spectrally accurate for a smooth, rapidly decaying integrand).
func quadEntropy(L, h float64) float64 {
	n := int(math.Round(2 * L / h))
	s := 0.0
	for i := 0; i <= n; i++ {
		x := -L + float64(i)*h
		for j := 0; j <= n; j++ {
			y := -L + float64(j)*h
			lp := eightGaussiansLogDensity(x, y)
			s -= math.Exp(lp) * lp
		}
	}
	return s * h * h
}

func TestEntropy(t *testing.T) {
	h := 0.02
	if testing.Short() {
		h = 0.04
	}
	q := quadEntropy(5.5, h)
	t.Logf("8gaussians entropy by quadrature (h=%g): %.10f; constant %.10f", h, q, EightGaussiansEntropy)
	if math.Abs(q-EightGaussiansEntropy) > 2e-10 {
		t.Errorf("quadrature %.12f, constant %.12f", q, EightGaussiansEntropy)
	}
	// Monte Carlo: the mean of -log p over samples, with a 5-sigma tolerance.
	for _, name := range []string{"8gaussians", "checkerboard"} {
		n := 200000
		x, err := Sample(name, n, 7)
		if err != nil {
			t.Fatal(err)
		}
		var s, s2 float64
		for i := 0; i < n; i++ {
			lp, ok := LogDensity(name, x[2*i], x[2*i+1])
			if !ok || math.IsInf(lp, 0) {
				t.Fatalf("%s: log density at a sample (%g, %g) = %v", name, x[2*i], x[2*i+1], lp)
			}
			s -= lp
			s2 += lp * lp
		}
		mean := s / float64(n)
		sd := math.Sqrt(max(s2/float64(n)-mean*mean, 0) / float64(n))
		want, _ := Entropy(name)
		t.Logf("%s: Monte Carlo entropy %.5f ± %.5f, exact %.5f", name, mean, sd, want)
		if math.Abs(mean-want) > 5*sd+1e-12 {
			t.Errorf("%s: Monte Carlo entropy %.5f ± %.5f, want %.5f", name, mean, sd, want)
		}
	}
}

// TestDensityIntegratesToOne: the known densities are normalized.
func TestDensityIntegratesToOne(t *testing.T) {
	for _, name := range []string{"8gaussians", "checkerboard"} {
		n, L := 1200, 6.0
		h := 2 * L / float64(n)
		s := 0.0
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				lp, _ := LogDensity(name, -L+(float64(i)+0.5)*h, -L+(float64(j)+0.5)*h)
				s += math.Exp(lp)
			}
		}
		s *= h * h
		if math.Abs(s-1) > 1e-6 {
			t.Errorf("%s: density integrates to %.8f over [-%g, %g]²", name, s, L, L)
		}
	}
}

// TestSamples checks every data set: deterministic in the seed, the requested size,
// finite, inside the plotting square (almost always), and first and second moments that
// follow from FFJORD's formulas.
func TestSamples(t *testing.T) {
	n := 20000
	for _, name := range Names {
		a, err := Sample(name, n, 1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Sample(name, n, 1)
		c, _ := Sample(name, n, 2)
		if len(a) != 2*n {
			t.Fatalf("%s: %d values, want %d", name, len(a), 2*n)
		}
		same, diff := true, false
		out := 0
		var mx, my, r2 float64
		for i := range a {
			same = same && a[i] == b[i]
			diff = diff || a[i] != c[i]
			if math.IsNaN(a[i]) || math.IsInf(a[i], 0) {
				t.Fatalf("%s: non-finite value", name)
			}
		}
		for i := 0; i < n; i++ {
			x, y := a[2*i], a[2*i+1]
			if math.Abs(x) > Bound || math.Abs(y) > Bound {
				out++
			}
			mx += x
			my += y
			r2 += x*x + y*y
		}
		mx, my, r2 = mx/float64(n), my/float64(n), r2/float64(n)
		t.Logf("%-12s mean (%+.3f, %+.3f), E|x|^2 %.3f, %d of %d outside [-4,4]^2", name, mx, my, r2, out, n)
		if !same || !diff {
			t.Errorf("%s: not deterministic in the seed (same seed equal: %v, other seed differs: %v)", name, same, diff)
		}
		if float64(out) > 0.01*float64(n) {
			t.Errorf("%s: %d points outside the plotting square", name, out)
		}
		if want, ok := secondMoment[name]; ok && math.Abs(r2-want) > 0.05*want {
			t.Errorf("%s: E|x|^2 = %.4f, want %.4f", name, r2, want)
		}
	}
	if _, err := Sample("nope", 1, 1); err == nil {
		t.Error("unknown name: no error")
	}
}

// secondMoment is E|x|^2 of the sets where it follows simply from the formulas.
var secondMoment = map[string]float64{
	// |c|^2 + 2 sigma^2 with |c| = 4/1.414, sigma = 0.5/1.414
	"8gaussians": (16 + 0.5) / (1.414 * 1.414),
	// uniform on the squares: E x1^2 = (2*2)^2/3 ... x1 ~ U[-4,4): 16/3; x2 likewise 16/3
	"checkerboard": 32.0 / 3,
	// 9 * (mean of r^2 over the four rings) + 2*0.08^2
	"rings": 9*(1+0.5625+0.25+0.0625)/4 + 2*0.0064,
	// 9 * ((1 + 0.25)/2 + 2*0.08^2)
	"circles": 9 * ((1+0.25)/2 + 2*0.0064),
}
