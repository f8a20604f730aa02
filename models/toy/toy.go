// Package toy generates the two-dimensional toy data sets of FFJORD (Grathwohl et al.
// 2019) from a seed: 8gaussians, pinwheel, checkerboard, circles, moons, 2spirals,
// swissroll and rings. Each generator follows lib/toy_data.py of the FFJORD repository
// (github.com/rtqichen/ffjord, function inf_train_gen) formula for formula, with
// scikit-learn's make_circles, make_moons and make_swiss_roll written out where FFJORD
// calls them; only the random streams differ (Continuum's seeded internal/rng instead of
// NumPy's), so the distributions are FFJORD's, not its exact numbers.
//
// Where the data distribution is known in closed form, LogDensity evaluates it and Entropy
// gives its differential entropy in nats: the lower bound of any model's expected negative
// log-likelihood on the data, so that a trained density model can be judged by how close
// its held-out NLL comes to it.
//
//   - 8gaussians: an equal mixture of eight isotropic Gaussians, centres 4·u_k/1.414 with
//     u_k the eight unit vectors at multiples of 45°, standard deviation 0.5/1.414. Its
//     entropy has no closed form; EightGaussiansEntropy is computed by quadrature (see the
//     tests, which also check it by Monte Carlo).
//   - checkerboard: uniform on eight squares. Note that FFJORD scales its unit
//     checkerboard by 2, so each square has side 2 and the support has area 32: the entropy
//     is log 32 ≈ 3.466 nats (the unscaled board, eight unit squares, would have log 8).
//
// References:
//
//   - W. Grathwohl, R. T. Q. Chen, J. Bettencourt, I. Sutskever, D. Duvenaud (2019),
//     "FFJORD: Free-form Continuous Dynamics for Scalable Reversible Generative Models",
//     ICLR; code: github.com/rtqichen/ffjord, lib/toy_data.py.
//   - F. Pedregosa et al. (2011), "Scikit-learn: Machine Learning in Python", JMLR 12
//     (sklearn.datasets.make_circles, make_moons, make_swiss_roll).
package toy

import (
	"math"
	"sort"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/rng"
)

// ErrUnknown is returned for a data set name that is not one of Names.
var ErrUnknown = errors.New("toy: unknown data set")

// Names lists the data sets, in FFJORD's order of presentation.
var Names = []string{"8gaussians", "pinwheel", "checkerboard", "circles", "moons", "2spirals", "swissroll", "rings"}

// EightGaussiansEntropy is the differential entropy (nats) of the 8gaussians distribution,
// -∫ p log p, computed by the trapezoidal rule on [-5.5, 5.5]² to better than 1e-9 (TestEntropy
// recomputes it and checks it by Monte Carlo). It is slightly below log 8 plus the entropy
// of one component, log(2πe σ²) (together 2.83817), because the components overlap a
// little.
const EightGaussiansEntropy = 2.8318804061

// CheckerboardEntropy is the differential entropy of the checkerboard distribution: log 32,
// uniform on eight squares of side 2.
var CheckerboardEntropy = math.Log(32)

// Sample returns n points of the data set name as a row-major (n, 2) slice. The points
// depend only on name, n and seed.
func Sample(name string, n int, seed uint64) ([]float64, error) {
	if n < 0 {
		return nil, errors.Errorf("toy: negative sample size %d", n)
	}
	gen, ok := generators[name]
	if !ok {
		return nil, errors.Wrapf(ErrUnknown, "%q (have %v)", name, Names)
	}
	src := rng.NewStream(seed, nameKey(name))
	out := make([]float64, 2*n)
	if n > 0 {
		gen(out, n, &src)
	}
	return out, nil
}

// Entropy returns the differential entropy of the data set's distribution in nats, with
// ok false where it is not known (every set but 8gaussians and checkerboard).
func Entropy(name string) (h float64, ok bool) {
	switch name {
	case "8gaussians":
		return EightGaussiansEntropy, true
	case "checkerboard":
		return CheckerboardEntropy, true
	}
	return 0, false
}

// LogDensity returns the log-density of the data set's distribution at (x, y), with ok
// false where it is not known (every set but 8gaussians and checkerboard). Outside the
// checkerboard's support it is -Inf.
func LogDensity(name string, x, y float64) (logp float64, ok bool) {
	switch name {
	case "8gaussians":
		return eightGaussiansLogDensity(x, y), true
	case "checkerboard":
		if onCheckerboard(x, y) {
			return -CheckerboardEntropy, true
		}
		return math.Inf(-1), true
	}
	return 0, false
}

// Bound is the half-width of the square [-Bound, Bound]² on which FFJORD draws its toy
// densities; it holds practically all of the mass of every data set here (all of it for
// checkerboard, all but 2.3e-4 for 8gaussians, whose outer centres lie 3.3 standard
// deviations inside it).
const Bound = 4.0

func nameKey(name string) uint64 {
	i := sort.SearchStrings(sortedNames, name)
	return uint64(i) + 1
}

var sortedNames = func() []string {
	s := append([]string(nil), Names...)
	sort.Strings(s)
	return s
}()

type generator func(dst []float64, n int, r *rng.Source)

var generators = map[string]generator{
	"8gaussians":   eightGaussians,
	"pinwheel":     pinwheel,
	"checkerboard": checkerboard,
	"circles":      circles,
	"moons":        moons,
	"2spirals":     twoSpirals,
	"swissroll":    swissRoll,
	"rings":        rings,
}

// Parameters of 8gaussians (FFJORD: scale 4, standard deviation 0.5, all divided by 1.414).
const (
	eightScale = 4.0
	eightStd   = 0.5
	eightDiv   = 1.414
)

// eightCenters are FFJORD's centres, in its order, before the division by 1.414.
var eightCenters = func() [8][2]float64 {
	r := 1 / math.Sqrt2
	u := [8][2]float64{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {r, r}, {r, -r}, {-r, r}, {-r, -r}}
	for i := range u {
		u[i][0] *= eightScale
		u[i][1] *= eightScale
	}
	return u
}()

// eightGaussians: point = randn(2)*0.5 + centers[randint(8)], all divided by 1.414.
func eightGaussians(dst []float64, n int, r *rng.Source) {
	for i := 0; i < n; i++ {
		px := r.NormFloat64() * eightStd
		py := r.NormFloat64() * eightStd
		c := eightCenters[r.Intn(8)]
		dst[2*i] = (px + c[0]) / eightDiv
		dst[2*i+1] = (py + c[1]) / eightDiv
	}
}

// eightGaussiansLogDensity is log of (1/8) Σ_k N((x, y); c_k/1.414, σ² I), σ = 0.5/1.414,
// summed stably (log-sum-exp).
func eightGaussiansLogDensity(x, y float64) float64 {
	s := eightStd / eightDiv
	var e [8]float64
	m := math.Inf(-1)
	for k, c := range eightCenters {
		dx, dy := x-c[0]/eightDiv, y-c[1]/eightDiv
		e[k] = -(dx*dx + dy*dy) / (2 * s * s)
		m = math.Max(m, e[k])
	}
	sum := 0.0
	for _, v := range e {
		sum += math.Exp(v - m)
	}
	return m + math.Log(sum/8) - math.Log(2*math.Pi*s*s)
}

// pinwheel: five arms; features ~ N((1, 0), diag(0.3², 0.1²)), angle = 2πk/5 +
// 0.25·exp(f0), point = 2·f·R(angle) with R = [[cos, -sin], [sin, cos]] acting on the
// row vector f, then a random permutation. FFJORD returns 5·floor(n/5) points (n/5 per
// arm); here the arms get n/5 points each with the remainder spread over the first arms,
// so exactly n points come back (the same distribution when 5 divides n).
func pinwheel(dst []float64, n int, r *rng.Source) {
	const (
		radialStd     = 0.3
		tangentialStd = 0.1
		numClasses    = 5
		rate          = 0.25
	)
	per := n / numClasses
	for i := 0; i < n; i++ {
		label := i / max(per, 1)
		if per == 0 || label >= numClasses {
			label = (i - numClasses*per) % numClasses
		}
		f0 := r.NormFloat64()*radialStd + 1
		f1 := r.NormFloat64() * tangentialStd
		a := 2*math.Pi*float64(label)/numClasses + rate*math.Exp(f0)
		c, s := math.Cos(a), math.Sin(a)
		// einsum("ti,tij->tj"): out_j = Σ_i f_i R_ij, R = [[c, -s], [s, c]].
		dst[2*i] = 2 * (f0*c + f1*s)
		dst[2*i+1] = 2 * (-f0*s + f1*c)
	}
	permuteRows(dst, n, r)
}

// checkerboard: x1 ~ U[-2, 2), x2 = U[0, 1) - 2·randint(0, 2) + (floor(x1) mod 2), both
// times 2: uniform on eight squares of side 2 inside [-4, 4]².
func checkerboard(dst []float64, n int, r *rng.Source) {
	for i := 0; i < n; i++ {
		x1 := r.Float64()*4 - 2
		x2 := r.Float64() - float64(r.Intn(2))*2
		x2 += pyMod(math.Floor(x1), 2)
		dst[2*i] = 2 * x1
		dst[2*i+1] = 2 * x2
	}
}

// pyMod is Python's float modulo (the result has the sign of m).
func pyMod(a, m float64) float64 {
	r := math.Mod(a, m)
	if r != 0 && (r < 0) != (m < 0) {
		r += m
	}
	return r
}

// onCheckerboard reports whether (x, y) is in the support of checkerboard.
func onCheckerboard(x, y float64) bool {
	x1, x2 := x/2, y/2
	if !(x1 >= -2 && x1 < 2 && x2 >= -2 && x2 < 2) {
		return false
	}
	v := x2 - pyMod(math.Floor(x1), 2) // in [0, 1) or [-2, -1) on the support
	return (v >= 0 && v < 1) || (v >= -2 && v < -1)
}

// circles: scikit-learn's make_circles(n, factor=0.5, noise=0.08), times 3. The outer
// circle gets n/2 points and the inner one (radius 0.5) the rest, at equally spaced
// angles from 0 (endpoint excluded); the rows are shuffled, then N(0, 0.08²) noise is
// added to every coordinate.
func circles(dst []float64, n int, r *rng.Source) {
	const factor, noise, scale = 0.5, 0.08, 3.0
	nOut := n / 2
	nIn := n - nOut
	k := 0
	for i := 0; i < nOut; i++ {
		a := 2 * math.Pi * float64(i) / float64(nOut)
		dst[k], dst[k+1] = math.Cos(a), math.Sin(a)
		k += 2
	}
	for i := 0; i < nIn; i++ {
		a := 2 * math.Pi * float64(i) / float64(nIn)
		dst[k], dst[k+1] = factor*math.Cos(a), factor*math.Sin(a)
		k += 2
	}
	permuteRows(dst, n, r)
	for i := range dst {
		dst[i] = (dst[i] + noise*r.NormFloat64()) * scale
	}
}

// moons: scikit-learn's make_moons(n, noise=0.1), times 2, plus (-1, -0.2). The upper moon
// gets n/2 points (cos s, sin s), the lower one the rest (1 - cos s, 0.5 - sin s), for s
// equally spaced in [0, π] (endpoints included); shuffle, then N(0, 0.1²) noise.
func moons(dst []float64, n int, r *rng.Source) {
	const noise = 0.1
	nOut := n / 2
	nIn := n - nOut
	k := 0
	for i := 0; i < nOut; i++ {
		s := math.Pi * linspaceFrac(i, nOut)
		dst[k], dst[k+1] = math.Cos(s), math.Sin(s)
		k += 2
	}
	for i := 0; i < nIn; i++ {
		s := math.Pi * linspaceFrac(i, nIn)
		dst[k], dst[k+1] = 1-math.Cos(s), 1-math.Sin(s)-0.5
		k += 2
	}
	permuteRows(dst, n, r)
	for i := 0; i < n; i++ {
		dst[2*i] = (dst[2*i]+noise*r.NormFloat64())*2 - 1
		dst[2*i+1] = (dst[2*i+1]+noise*r.NormFloat64())*2 - 0.2
	}
}

// linspaceFrac is the i-th of n points of numpy.linspace(0, 1, n) (endpoint included).
func linspaceFrac(i, n int) float64 {
	if n <= 1 {
		return 0
	}
	return float64(i) / float64(n-1)
}

// twoSpirals: s = sqrt(U)·540·2π/360, arm (-cos(s)·s + 0.5·U', sin(s)·s + 0.5·U”) and its
// mirror image, all divided by 3, plus N(0, 0.1²) noise. The first n/2 points are on one
// arm and the rest on the other (FFJORD returns 2·floor(n/2) points; the remainder goes to
// the mirror arm here). The rows are not shuffled, as in FFJORD.
func twoSpirals(dst []float64, n int, r *rng.Source) {
	arm := func() (x, y float64) {
		s := math.Sqrt(r.Float64()) * 540 * (2 * math.Pi) / 360
		return -math.Cos(s)*s + r.Float64()*0.5, math.Sin(s)*s + r.Float64()*0.5
	}
	half := n / 2
	for i := 0; i < half; i++ {
		x, y := arm()
		dst[2*i], dst[2*i+1] = x, y
		dst[2*(half+i)], dst[2*(half+i)+1] = -x, -y // numpy's vstack((d1, -d1))
	}
	if n%2 == 1 {
		x, y := arm()
		dst[2*(n-1)], dst[2*(n-1)+1] = -x, -y
	}
	for i := range dst {
		dst[i] = dst[i]/3 + r.NormFloat64()*0.1
	}
}

// swissRoll: scikit-learn's make_swiss_roll(n, noise=1.0) keeping the x and z
// coordinates, divided by 5: s = 1.5π(1 + 2U), (s·cos s, s·sin s) plus N(0, 1) noise.
// (The discarded y coordinate, 21·U, is not drawn.)
func swissRoll(dst []float64, n int, r *rng.Source) {
	for i := 0; i < n; i++ {
		s := 1.5 * math.Pi * (1 + 2*r.Float64())
		x := s*math.Cos(s) + r.NormFloat64()
		z := s*math.Sin(s) + r.NormFloat64()
		dst[2*i], dst[2*i+1] = x/5, z/5
	}
}

// rings: four concentric circles of radii 3, 2.25, 1.5 and 0.75; the three outer circles
// get n/4 points each and the innermost the rest, at equally spaced angles from 0
// (endpoint excluded); shuffle, then N(0, 0.08²) noise.
func rings(dst []float64, n int, r *rng.Source) {
	n4 := n / 4
	n1 := n - 3*n4
	counts := [4]int{n4, n4, n4, n1}
	radii := [4]float64{1, 0.75, 0.5, 0.25}
	k := 0
	for c, m := range counts {
		for i := 0; i < m; i++ {
			a := 2 * math.Pi * float64(i) / float64(m)
			dst[k] = math.Cos(a) * radii[c] * 3
			dst[k+1] = math.Sin(a) * radii[c] * 3
			k += 2
		}
	}
	permuteRows(dst, n, r)
	for i := range dst {
		dst[i] += 0.08 * r.NormFloat64()
	}
}

// permuteRows shuffles the n rows of a (n, 2) slice uniformly (Fisher-Yates).
func permuteRows(dst []float64, n int, r *rng.Source) {
	for i := n - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		dst[2*i], dst[2*j] = dst[2*j], dst[2*i]
		dst[2*i+1], dst[2*j+1] = dst[2*j+1], dst[2*i+1]
	}
}
