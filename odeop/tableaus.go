package odeop

import (
	"math"

	"github.com/pkg/errors"
)

// The tableaus of the methods, as data. Every constant is a Go constant expression, so it
// is rounded to float64 once, at compile time. Sources are cited at each tableau.
//
// Stage 0 of every tableau is f(t0, y0) (C[0] = 0, empty A row), so a step costs s-1 new
// evaluations when FSAL (the last stage is f(t1, y1) and is the next step's stage 0) and
// s new evaluations otherwise (s-1 stages plus f(t1, y1), which the next step reuses).

// TableauOf returns the tableau of a method: exactly the coefficients and the dense-output
// rule that Integrate uses. The returned value is a fresh copy; callers may keep or
// modify it.
func TableauOf(m Method) (*Tableau, error) {
	mk, ok := tableauMakers[m]
	if !ok {
		return nil, errors.Wrapf(ErrMethod, "method %q (want one of euler, midpoint, heun, rk4, adaptive_heun, fehlberg2, bosh3, dopri5, dopri5_shampine, tsit5, dopri8, kvaerno3, kvaerno4, kvaerno5)", string(m))
	}
	return mk(), nil
}

// Methods lists every explicit method, fixed-step ones first (ImplicitMethods lists the
// implicit ones).
func Methods() []Method {
	return []Method{Euler, Midpoint, Heun, RK4, AdaptiveHeun, Fehlberg2, Bosh3, Dopri5, Dopri5Shampine, Tsit5, Dopri8}
}

var tableauMakers = map[Method]func() *Tableau{
	Kvaerno3:     kvaerno3Tableau,
	Kvaerno4:     kvaerno4Tableau,
	Kvaerno5:     kvaerno5Tableau,
	Euler:        eulerTableau,
	Midpoint:     midpointTableau,
	Heun:         heunTableau,
	RK4:          rk4Tableau,
	AdaptiveHeun: adaptiveHeunTableau,
	Fehlberg2:    fehlberg2Tableau,
	Bosh3:        bosh3Tableau,
	Dopri5:       dopri5Tableau,
	Dopri5Shampine: func() *Tableau {
		tb := dopri5Tableau()
		tb.Name, tb.BErr = string(Dopri5Shampine), clone(dp5EShampine)
		return tb
	},
	Tsit5:  tsit5Tableau,
	Dopri8: dopri8Tableau,
}

// Validate checks that the tableau is consistent: the shapes agree, every row of A sums to
// its C, B sums to 1, BErr sums to 0, a FSAL tableau's last row of A is B (and its last C is
// 1), and the dense output interpolates the step: Dense(0) = 0 and Dense(1) = B (with 0 in
// the extra slot of f(t1, y1) when the tableau is not FSAL). Errors wrap ErrMethod.
func (tb *Tableau) Validate() error {
	if tb == nil {
		return errors.Wrap(ErrMethod, "tableau is nil")
	}
	s := len(tb.C)
	name := tb.Name
	switch {
	case s == 0:
		return errors.Wrapf(ErrMethod, "tableau %s: no stages", name)
	case len(tb.A) != s:
		return errors.Wrapf(ErrMethod, "tableau %s: A has %d rows, want %d (one per stage)", name, len(tb.A), s)
	case len(tb.B) != s:
		return errors.Wrapf(ErrMethod, "tableau %s: B has %d weights, want %d", name, len(tb.B), s)
	case tb.BErr != nil && len(tb.BErr) != s:
		return errors.Wrapf(ErrMethod, "tableau %s: BErr has %d weights, want %d", name, len(tb.BErr), s)
	case tb.Order < 1:
		return errors.Wrapf(ErrMethod, "tableau %s: order %d, want >= 1", name, tb.Order)
	case tb.BErr != nil && (tb.ErrOrder < 1 || tb.ErrOrder >= tb.Order):
		return errors.Wrapf(ErrMethod, "tableau %s: error order %d, want 1 <= q < %d", name, tb.ErrOrder, tb.Order)
	case tb.Dense == nil:
		return errors.Wrapf(ErrMethod, "tableau %s: no dense output", name)
	case tb.C[0] != 0:
		return errors.Wrapf(ErrMethod, "tableau %s: C[0] = %g, want 0 (stage 0 is f(t0, y0))", name, tb.C[0])
	}
	if err := tb.validateDiag(); err != nil {
		return err
	}
	for i, row := range tb.A {
		if len(row) != i {
			return errors.Wrapf(ErrMethod, "tableau %s: row %d of A has %d entries, want %d", name, i, len(row), i)
		}
		sum, mag := 0.0, 0.0
		for _, a := range row {
			sum += a
			mag += math.Abs(a)
		}
		if tb.Diag != nil {
			sum += tb.Diag[i]
			mag += math.Abs(tb.Diag[i])
		}
		if !approxEq(sum, tb.C[i], mag) {
			return errors.Wrapf(ErrMethod, "tableau %s: row %d of A sums to %.17g, want C[%d] = %.17g", name, i, sum, i, tb.C[i])
		}
	}
	if sum, mag := sumMag(tb.B); !approxEq(sum, 1, mag) {
		return errors.Wrapf(ErrMethod, "tableau %s: B sums to %.17g, want 1", name, sum)
	}
	if tb.BErr != nil {
		if sum, mag := sumMag(tb.BErr); !approxEq(sum, 0, mag) {
			return errors.Wrapf(ErrMethod, "tableau %s: BErr sums to %.17g, want 0", name, sum)
		}
	}
	if tb.FSAL {
		if tb.C[s-1] != 1 || tb.B[s-1] != tb.diag(s-1) {
			return errors.Wrapf(ErrMethod, "tableau %s: FSAL needs C[s-1] = 1 and B[s-1] = %g (the last diagonal entry)", name, tb.diag(s-1))
		}
		for j, a := range tb.A[s-1] {
			if a != tb.B[j] {
				return errors.Wrapf(ErrMethod, "tableau %s: FSAL needs A[s-1] = B, A[%d][%d] = %g != B[%d] = %g", name, s-1, j, a, j, tb.B[j])
			}
		}
	}
	w := make([]float64, tb.DenseLen())
	tb.Dense(w, 0)
	for i, v := range w {
		if math.Abs(v) > 1e-14 {
			return errors.Wrapf(ErrMethod, "tableau %s: dense weight %d at theta=0 is %g, want 0", name, i, v)
		}
	}
	tb.Dense(w, 1)
	for i, v := range w {
		want := 0.0
		if i < s {
			want = tb.B[i]
		}
		if math.Abs(v-want) > 1e-12*(1+math.Abs(want)) {
			return errors.Wrapf(ErrMethod, "tableau %s: dense weight %d at theta=1 is %.17g, want B[%d] = %.17g", name, i, v, i, want)
		}
	}
	return nil
}

func sumMag(x []float64) (sum, mag float64) {
	for _, v := range x {
		sum += v
		mag += math.Abs(v)
	}
	return sum, mag
}

// approxEq reports whether a sum of terms of total magnitude mag equals want up to rounding.
func approxEq(sum, want, mag float64) bool {
	return math.Abs(sum-want) <= 1e-14*(1+mag)
}

// hermiteDense returns the cubic Hermite dense output (Hairer, Norsett, Wanner I.II.6) on
// y0, f0 = K[0], y1 = y0 + h*sum b_i K[i] and f1 = K[last] (the slot of f(t1, y1)),
// written in stage weights:
//
//	y(theta) = y0 + (3theta^2 - 2theta^3)(y1 - y0) + h(theta - 2theta^2 + theta^3) f0 + h(theta^3 - theta^2) f1.
//
// It is third order (local error O(h^4)) and costs no evaluation beyond f1.
func hermiteDense(b []float64, last int) func(dst []float64, theta float64) {
	return func(dst []float64, th float64) {
		th2 := th * th
		th3 := th2 * th
		p := 3*th2 - 2*th3
		for i := range dst {
			dst[i] = 0
		}
		for i, bi := range b {
			dst[i] = p * bi
		}
		dst[0] += th - 2*th2 + th3
		dst[last] += th3 - th2
	}
}

// ---------------------------------------------------------------------------
// Fixed-step methods (no error estimate). Hermite dense output.

// Euler: forward Euler, order 1.
func eulerTableau() *Tableau {
	b := []float64{1}
	return &Tableau{
		Name: string(Euler), C: []float64{0}, A: [][]float64{{}}, B: b, Order: 1,
		Dense: hermiteDense(b, 1),
	}
}

// Midpoint: the explicit midpoint rule, order 2 (HNW I, II.1, (1.7)).
func midpointTableau() *Tableau {
	b := []float64{0, 1}
	return &Tableau{
		Name: string(Midpoint), C: []float64{0, 0.5}, A: [][]float64{{}, {0.5}}, B: b, Order: 2,
		Dense: hermiteDense(b, 2),
	}
}

// Heun: the explicit trapezoidal rule, order 2 (HNW I, II.1, (1.8)).
func heunTableau() *Tableau {
	b := []float64{0.5, 0.5}
	return &Tableau{
		Name: string(Heun), C: []float64{0, 1}, A: [][]float64{{}, {1}}, B: b, Order: 2,
		Dense: hermiteDense(b, 2),
	}
}

// RK4: the classical fourth-order method of Kutta (1901) (HNW I, II.1, Table 1.2, left).
// (torchdiffeq's "rk4" is Kutta's 3/8 rule instead; this is the classical one.)
func rk4Tableau() *Tableau {
	b := []float64{1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}
	return &Tableau{
		Name: string(RK4), C: []float64{0, 0.5, 0.5, 1},
		A:     [][]float64{{}, {0.5}, {0, 0.5}, {0, 0, 1}},
		B:     b,
		Order: 4,
		Dense: hermiteDense(b, 4),
	}
}

// ---------------------------------------------------------------------------
// Adaptive methods.

// AdaptiveHeun: Heun's method with Euler as the embedded method, 2(1), as torchdiffeq's
// adaptive_heun (torchdiffeq/_impl/adaptive_heun.py). Not FSAL; Hermite dense output.
func adaptiveHeunTableau() *Tableau {
	b := []float64{0.5, 0.5}
	return &Tableau{
		Name: string(AdaptiveHeun), C: []float64{0, 1}, A: [][]float64{{}, {1}},
		B:     b,
		BErr:  []float64{0.5 - 1, 0.5 - 0}, // b - bhat, bhat = Euler (1, 0)
		Order: 2, ErrOrder: 1,
		Dense: hermiteDense(b, 2),
	}
}

// Fehlberg2: the Runge-Kutta-Fehlberg 1(2) pair propagating the second-order solution, as
// torchdiffeq's fehlberg2 (torchdiffeq/_impl/fehlberg2.py; Fehlberg, NASA TR R-315, 1969).
// The first-order embedded solution is the argument of stage 2, so the pair is not FSAL
// in the propagated (second-order) solution. Hermite dense output.
func fehlberg2Tableau() *Tableau {
	b := []float64{1.0 / 512, 255.0 / 256, 1.0 / 512}
	return &Tableau{
		Name: string(Fehlberg2), C: []float64{0, 0.5, 1},
		A:     [][]float64{{}, {0.5}, {1.0 / 256, 255.0 / 256}},
		B:     b,
		BErr:  []float64{1.0/512 - 1.0/256, 0, 1.0 / 512}, // b - bhat, bhat = (1/256, 255/256, 0)
		Order: 2, ErrOrder: 1,
		Dense: hermiteDense(b, 3),
	}
}

// Bosh3: Bogacki and Shampine's 3(2) pair (Appl. Math. Lett. 2(4), 1989), FSAL, as
// torchdiffeq's bosh3 (torchdiffeq/_impl/bosh3.py). Its natural dense output is the cubic
// Hermite interpolant on y0, f0, y1, f1 (third order, free with FSAL).
func bosh3Tableau() *Tableau {
	b := []float64{2.0 / 9, 1.0 / 3, 4.0 / 9, 0}
	return &Tableau{
		Name: string(Bosh3), C: []float64{0, 0.5, 0.75, 1},
		A: [][]float64{{}, {0.5}, {0, 0.75}, {2.0 / 9, 1.0 / 3, 4.0 / 9}},
		B: b,
		// b - bhat, bhat = (7/24, 1/4, 1/3, 1/8)
		BErr:  []float64{2.0/9 - 7.0/24, 1.0/3 - 1.0/4, 4.0/9 - 1.0/3, -1.0 / 8},
		Order: 3, ErrOrder: 2, FSAL: true,
		Dense: hermiteDense(b, 3),
	}
}

// Dormand-Prince 5(4) (Dormand, Prince 1980), coefficients and error weights e = b - bhat
// as in Hairer's DOPRI5 (dopri5.f, HNW I, II.5 Table 5.2; the same values as the C port
// CDOPRI, dopri5.c, coefficients "meth = 1"), FSAL.
var (
	dp5C = []float64{0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1}
	dp5A = [][]float64{
		{},
		{1.0 / 5},
		{3.0 / 40, 9.0 / 40},
		{44.0 / 45, -56.0 / 15, 32.0 / 9},
		{19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
		{9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
		{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
	}
	dp5B = []float64{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0}
	// Hairer's error weights e_i = b_i - bhat_i, bhat = (5179/57600, 0, 7571/16695, 393/640,
	// -92097/339200, 187/2100, 1/40).
	dp5E = []float64{71.0 / 57600, 0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40}
	// Shampine's alternative error weights (Shampine 1986, "Some practical Runge-Kutta
	// formulas"), the ones torchdiffeq uses (torchdiffeq/_impl/dopri5.py c_error):
	// bhat = (1951/21600, 0, 22642/50085, 451/720, -12231/42400, 649/6300, 1/60).
	dp5EShampine = []float64{
		35.0/384 - 1951.0/21600, 0, 500.0/1113 - 22642.0/50085, 125.0/192 - 451.0/720,
		-2187.0/6784 + 12231.0/42400, 11.0/84 - 649.0/6300, -1.0 / 60,
	}
	// Hairer's dense-output coefficients d_i (dopri5.f, CONTD5; Shampine 1986).
	dp5D = []float64{
		-12715105075.0 / 11282082432, 0, 87487479700.0 / 32700410799, -10690763975.0 / 1880347072,
		701980252875.0 / 199316789632, -1453857185.0 / 822651844, 69997945.0 / 29380423,
	}
)

// dopri5Dense is Hairer's fourth-order continuous extension of DOPRI5 (dopri5.f, CONTD5):
//
//	y(theta) = y0 + theta(Δ + (1-theta)(h f0 - Δ + theta(2Δ - h f0 - h f1 + (1-theta) h Σ d_i K_i)))
//
// with Δ = y1 - y0 = h Σ b_i K_i and f1 = K[6], rewritten as weights of the stages.
func dopri5Dense(dst []float64, th float64) {
	th1 := 1 - th
	for i := range dst {
		b := dp5B[i]
		e0, e6 := 0.0, 0.0
		if i == 0 {
			e0 = 1
		}
		if i == 6 {
			e6 = 1
		}
		dst[i] = th * (b + th1*(e0-b+th*(2*b-e0-e6+th1*dp5D[i])))
	}
}

func dopri5Tableau() *Tableau { return fsalPair(Dopri5, dp5C, dp5A, dp5B, dp5E, 5, dopri5Dense) }

// Tsitouras 5(4) (Tsitouras 2011, "Runge-Kutta pairs of order 5(4) satisfying only the first
// column simplifying assumption"), FSAL. Coefficients as in diffrax (diffrax/_solver/tsit5.py,
// _tsit5_tableau), which copies OrdinaryDiffEq.jl's tsit_tableaus.jl.
var (
	ts5C = []float64{0, 161.0 / 1000, 327.0 / 1000, 9.0 / 10,
		.9800255409045096857298102862870245954942137979563024768854764293221195950761080302604, 1, 1}
	ts5A = [][]float64{
		{},
		{161.0 / 1000},
		{-.8480655492356988544426874250230774675121177393430391537369234245294192976164141156943e-2,
			.3354806554923569885444268742502307746751211773934303915373692342452941929761641411569},
		{2.897153057105493432130432594192938764924887287701866490314866693455023795137503079289,
			-6.359448489975074843148159912383825625952700647415626703305928850207288721235210244366,
			4.362295432869581411017727318190886861027813359713760212991062156752264926097707165077},
		{5.325864828439256604428877920840511317836476253097040101202360397727981648835607691791,
			-11.74888356406282787774717033978577296188744178259862899288666928009020615663593781589,
			7.495539342889836208304604784564358155658679161518186721010132816213648793440552049753,
			-.9249506636175524925650207933207191611349983406029535244034750452930469056411389539635e-1},
		{5.861455442946420028659251486982647890394337666164814434818157239052507339770711679748,
			-12.92096931784710929170611868178335939541780751955743459166312250439928519268343184452,
			8.159367898576158643180400794539253485181918321135053305748355423955009222648673734986,
			-.7158497328140099722453054252582973869127213147363544882721139659546372402303777878835e-1,
			-.2826905039406838290900305721271224146717633626879770007617876201276764571291579142206e-1},
		{.9646076681806522951816731316512876333711995238157997181903319145764851595234062815396e-1,
			1.0 / 100,
			.4798896504144995747752495322905965199130404621990332488332634944254542060153074523509,
			1.379008574103741893192274821856872770756462643091360525934940067397245698027561293331,
			-3.290069515436080679901047585711363850115683290894936158531296799594813811049925401677,
			2.324710524099773982415355918398765796109060233222962411944060046314465391054716027841},
	}
	ts5B = []float64{
		.9646076681806522951816731316512876333711995238157997181903319145764851595234062815396e-1,
		1.0 / 100,
		.4798896504144995747752495322905965199130404621990332488332634944254542060153074523509,
		1.379008574103741893192274821856872770756462643091360525934940067397245698027561293331,
		-3.290069515436080679901047585711363850115683290894936158531296799594813811049925401677,
		2.324710524099773982415355918398765796109060233222962411944060046314465391054716027841,
		0,
	}
	// b - bhat, bhat the fourth-order embedded weights.
	ts5E = []float64{
		.9646076681806522951816731316512876333711995238157997181903319145764851595234062815396e-1 -
			.9468075576583945807478876255758922856117527357724631226139574065785592789071067303271e-1,
		1.0/100 - .9183565540343253096776363936645313759813746240984095238905939532922955247253608687270e-2,
		.4798896504144995747752495322905965199130404621990332488332634944254542060153074523509 -
			.4877705284247615707855642599631228241516691959761363774365216240304071651579571959813,
		1.379008574103741893192274821856872770756462643091360525934940067397245698027561293331 -
			1.234297566930478985655109673884237654035539930748192848315425833500484878378061439761,
		-3.290069515436080679901047585711363850115683290894936158531296799594813811049925401677 +
			2.707712349983525454881109975059321670689605166938197378763992255714444407154902012702,
		2.324710524099773982415355918398765796109060233222962411944060046314465391054716027841 -
			1.866628418170587035753719399566211498666255505244122593996591602841258328965767580089,
		-1.0 / 66,
	}
)

// tsit5Dense is Tsitouras' fourth-order continuous extension, in the factored form of
// diffrax (diffrax/_solver/tsit5.py, _Tsit5Interpolation.evaluate).
func tsit5Dense(dst []float64, t float64) {
	t2 := t * t
	dst[0] = -1.0530884977290216 * t * (t - 1.3299890189751412) * (t2 - 1.4364028541716351*t + 0.7139816917074209)
	dst[1] = 0.1017 * t2 * (t2 - 2.1966568338249754*t + 1.2949852507374631)
	dst[2] = 2.490627285651252793 * t2 * (t2 - 2.38535645472061657*t + 1.57803468208092486)
	dst[3] = -16.54810288924490272 * (t - 1.21712927295533244) * (t - 0.61620406037800089) * t2
	dst[4] = 47.37952196281928122 * (t - 1.203071208372362603) * (t - 0.658047292653547382) * t2
	dst[5] = -34.87065786149660974 * (t - 1.2) * (t - 0.666666666666666667) * t2
	dst[6] = 2.5 * (t - 1) * (t - 0.6) * t2
}

func tsit5Tableau() *Tableau { return fsalPair(Tsit5, ts5C, ts5A, ts5B, ts5E, 5, tsit5Dense) }

// Dopri8: Prince and Dormand's RK8(7)13M (Prince, Dormand 1981, "High order embedded
// Runge-Kutta formulae"), as torchdiffeq's dopri8 (torchdiffeq/_impl/dopri8_coefficients.py):
// 13 stages plus a 14th, f(t1, y1), which is the next step's first (FSAL), an 8th-order
// solution and a 7th-order embedded one.
//
// It is not Hairer's DOP853 ("8(5,3)"): DOP853's error estimate combines a fifth- and a
// third-order estimate nonlinearly, and its seventh-order dense output needs three more
// evaluations per step, which fit neither the linear BErr nor the Dense contract of
// Tableau (the Checkpoint gradient backpropagates through both). The dense output here is
// the sixth-order continuous extension whose values at theta = 1/2 torchdiffeq uses as its
// midpoint (TestDenseOutputOrder measures global order 7 between steps).
var (
	dp8C = []float64{0, 1.0 / 18, 1.0 / 12, 1.0 / 8, 5.0 / 16, 3.0 / 8, 59.0 / 400, 93.0 / 200,
		5490023248.0 / 9719169821, 13.0 / 20, 1201146811.0 / 1299019798, 1, 1, 1}
	dp8A = [][]float64{
		{},
		{1.0 / 18},
		{1.0 / 48, 1.0 / 16},
		{1.0 / 32, 0, 3.0 / 32},
		{5.0 / 16, 0, -75.0 / 64, 75.0 / 64},
		{3.0 / 80, 0, 0, 3.0 / 16, 3.0 / 20},
		{29443841.0 / 614563906, 0, 0, 77736538.0 / 692538347, -28693883.0 / 1125000000, 23124283.0 / 1800000000},
		{16016141.0 / 946692911, 0, 0, 61564180.0 / 158732637, 22789713.0 / 633445777, 545815736.0 / 2771057229,
			-180193667.0 / 1043307555},
		{39632708.0 / 573591083, 0, 0, -433636366.0 / 683701615, -421739975.0 / 2616292301, 100302831.0 / 723423059,
			790204164.0 / 839813087, 800635310.0 / 3783071287},
		{246121993.0 / 1340847787, 0, 0, -37695042795.0 / 15268766246, -309121744.0 / 1061227803,
			-12992083.0 / 490766935, 6005943493.0 / 2108947869, 393006217.0 / 1396673457, 123872331.0 / 1001029789},
		{-1028468189.0 / 846180014, 0, 0, 8478235783.0 / 508512852, 1311729495.0 / 1432422823,
			-10304129995.0 / 1701304382, -48777925059.0 / 3047939560, 15336726248.0 / 1032824649,
			-45442868181.0 / 3398467696, 3065993473.0 / 597172653},
		{185892177.0 / 718116043, 0, 0, -3185094517.0 / 667107341, -477755414.0 / 1098053517,
			-703635378.0 / 230739211, 5731566787.0 / 1027545527, 5232866602.0 / 850066563,
			-4093664535.0 / 808688257, 3962137247.0 / 1805957418, 65686358.0 / 487910083},
		{403863854.0 / 491063109, 0, 0, -5068492393.0 / 434740067, -411421997.0 / 543043805,
			652783627.0 / 914296604, 11173962825.0 / 925320556, -13158990841.0 / 6184727034,
			3936647629.0 / 1978049680, -160528059.0 / 685178525, 248638103.0 / 1413531060, 0},
		{14005451.0 / 335480064, 0, 0, 0, 0, -59238493.0 / 1068277825, 181606767.0 / 758867731,
			561292985.0 / 797845732, -1041891430.0 / 1371343529, 760417239.0 / 1151165299,
			118820643.0 / 751138087, -528747749.0 / 2220607170, 1.0 / 4},
	}
	dp8B = []float64{14005451.0 / 335480064, 0, 0, 0, 0, -59238493.0 / 1068277825, 181606767.0 / 758867731,
		561292985.0 / 797845732, -1041891430.0 / 1371343529, 760417239.0 / 1151165299,
		118820643.0 / 751138087, -528747749.0 / 2220607170, 1.0 / 4, 0}
	// b - bhat (torchdiffeq's C_err).
	dp8E = []float64{14005451.0/335480064 - 13451932.0/455176623, 0, 0, 0, 0,
		-59238493.0/1068277825 + 808719846.0/976000145, 181606767.0/758867731 - 1757004468.0/5645159321,
		561292985.0/797845732 - 656045339.0/265891186, -1041891430.0/1371343529 + 3867574721.0/1518517206,
		760417239.0/1151165299 - 465885868.0/322736535, 118820643.0/751138087 - 53011238.0/667516719,
		-528747749.0/2220607170 - 2.0/45, 1.0 / 4, 0}
	// dp8P holds the continuous-extension polynomials whose values at theta = 1/2 are
	// torchdiffeq's C_mid (dopri8_coefficients.py): w_i(theta) = theta*(p5 theta^5 + ... + p0),
	// coefficients p5..p0 per stage (stages 1-4 have weight 0).
	dp8P = [14][6]float64{
		0:  {-6.3448349392860401388, 22.1396504998094068976, -30.0610568289666450593, 19.9990069333683970610, -6.6910181737837595697, 1.0},
		5:  {-39.6107919852202505218, 116.4422149550342161651, -121.4999627731334642623, 52.2273532792945524050, -7.6142658045872677172, 0},
		6:  {20.3761213808791436958, -67.1451318825957197185, 83.1721004639847717481, -46.8919164181093621583, 10.7281392630428866124, 0},
		7:  {7.3347098826795362023, -16.5672243527496524646, 9.5724507555993664382, -0.1890893225010595467, 0.5526637063753648783, 0},
		8:  {32.8801774352459155182, -89.9916014847245016028, 87.8406057677205645007, -35.7075975946222072821, 4.2186562625665153803, 0},
		9:  {-10.1588990526426760954, 22.6237489648532849093, -17.4152107770762969005, 6.2736448083240352160, -0.6627209125361597559, 0},
		10: {-12.5401268098782561200, 32.2362340167355370113, -28.5903289514790976966, 10.3160881272450748458, -1.2636789001135462218, 0},
		11: {29.5553001484516038033, -82.1020315488359848644, 81.6630950584341412934, -34.7650769866611817349, 5.4106037898590422230, 0},
		12: {-41.7923486424390588923, 116.2662185791119533462, -114.9375291377009418170, 47.7457971078225540396, -7.0321379067945741781, 0},
		13: {20.3006925822100825485, -53.9020777466385396792, 50.2558364226176017553, -19.0082099341608028453, 2.3537586759714983486, 0},
	}
)

// dopri8Dense evaluates the degree-6 continuous extension of dp8P directly (Horner).
func dopri8Dense(dst []float64, th float64) {
	for i := range dst {
		p := &dp8P[i]
		v := p[0]
		for _, c := range p[1:] {
			v = v*th + c
		}
		dst[i] = th * v
	}
}

func dopri8Tableau() *Tableau { return fsalPair(Dopri8, dp8C, dp8A, dp8B, dp8E, 8, dopri8Dense) }

// fsalPair is the tableau of an FSAL embedded pair of order p (error order p-1) from its
// coefficient tables, copied.
func fsalPair(m Method, c []float64, a [][]float64, b, e []float64, p int, dense func([]float64, float64)) *Tableau {
	return &Tableau{Name: string(m), C: clone(c), A: cloneRows(a), B: clone(b), BErr: clone(e),
		Order: p, ErrOrder: p - 1, FSAL: true, Dense: dense}
}

func clone(x []float64) []float64 { return append([]float64(nil), x...) }

func cloneRows(a [][]float64) [][]float64 {
	out := make([][]float64, len(a))
	for i, r := range a {
		out[i] = clone(r)
	}
	return out
}
