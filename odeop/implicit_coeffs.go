package odeop

// Coefficients of the implicit Runge-Kutta methods for stiff problems, as plain data: the
// ESDIRK methods of Kvaerno (2004) of orders 3, 4 and 5 and the 3-stage Radau IIA method of
// order 5. No engine uses them yet; they are kept apart from Tableau (which describes the
// explicit methods) so that the implicit stepper can take what it needs. Every constant is
// a Go constant expression, rounded to float64 once at compile time; where a source gives a
// coefficient as a formula (in gamma, in sqrt(6)) the formula is written, not its value.
// implicit_coeffs_test.go checks all of it as mathematics: the order conditions of every
// rooted tree up to each method's order and of its embedded method, stiff accuracy,
// L-stability, the Radau transformation matrices and the empirical order of a small
// fixed-step driver.

// esdirkCoeffs is an explicit-first-stage, singly diagonally implicit Runge-Kutta method
// (ESDIRK) with an embedded error estimate. With s stages Y_i = y0 + h sum_j a[i][j] f(Y_j):
// a[0] is all zero (Y_0 = y0, so stage 0 is f(t0, y0)), a[i][i] = gamma for i >= 1 and a is
// lower triangular, so each later stage is one implicit equation in Y_i alone (Newton matrix
// I - h gamma J, the same for every stage). The methods here are stiffly accurate (b = a[s-1], so
// y1 = Y_{s-1} and c[s-1] = 1) and therefore FSAL: f(Y_{s-1}) = f(t1, y1) is the next
// step's stage 0. Their embedded solution is the penultimate stage: bHat = (a[s-2], 0),
// with c[s-2] = 1 too.
type esdirkCoeffs struct {
	name          string
	order         int // order of y1 (b)
	embeddedOrder int // order of the embedded solution (bHat)
	lStable       bool

	gamma float64     // the diagonal of a (stages 1..s-1)
	a     [][]float64 // s by s, diagonal included
	b     []float64   // solution weights
	bHat  []float64   // embedded solution weights
	bErr  []float64   // b - bHat, as the source writes it
	c     []float64   // stage times, c[0] = 0

	// dense is the dense output diffrax uses for these methods (no method-specific
	// interpolant is given): the cubic Hermite interpolant through (y0, k0) and (y1, k1),
	// k0 = h f(t0, y0) the first and k1 = h f(t1, y1) the last stage increment. On the
	// step, with x = (t - t0)/h,
	//   y(t0 + x h) = sum_p x^p (dense[p][0] y0 + dense[p][1] y1 + dense[p][2] k0 + dense[p][3] k1).
	// (diffrax/_local_interpolation.py, ThirdOrderHermitePolynomialInterpolation: coefficients
	// [a, b, k0, y0] of x^3..x^0 with a = k0 + k1 + 2 y0 - 2 y1, b = -2 k0 - k1 - 3 y0 + 3 y1;
	// commit 6d7854b44bba7edb88f593734de1a275d43948ab.)
	dense [][]float64

	// predictor[i] (i entries, predictor[0] empty) is the initial guess of the Newton
	// iteration of stage i as a combination of the stage derivatives already known:
	// f(Y_i) ~ sum_{j<i} predictor[i][j] f(Y_j). Each row sums to 1 (to 1e-14: the source's
	// decimals for Kvaerno5).
	predictor [][]float64
}

// radauCoeffs is the 3-stage Radau IIA collocation method of order 5 (fully implicit)
// together with the data of Hairer's RADAU5 implementation: the transformation that
// block-diagonalises inv(A), the embedded error estimate and the collocation polynomial for
// dense output. The notation follows scipy's radau.py (scipy/integrate/_ivp/radau.py),
// which implements Hairer & Wanner, Solving ODEs II, Sec. IV.8.
type radauCoeffs struct {
	name          string
	order         int
	embeddedOrder int
	lStable       bool

	a [][]float64 // 3 by 3 (Hairer & Wanner II, Sec. IV.5, Table 5.6)
	b []float64   // = a[2]: stiffly accurate
	c []float64

	// The stage increments Z_i = Y_i - y0 solve Z = h (A kron I) F(Z). With
	// W = (TI kron I) Z, TI inv(A) T = [[muReal, 0, 0], [0, alpha, beta], [0, -beta, alpha]]
	// where muComplex = alpha - i beta, so the Newton iteration factors the real matrix
	// muReal/h I - J and the complex one muComplex/h I - J (scipy's LU_real, LU_complex).
	// t is T, ti is TI = inv(T).
	muReal    float64
	muComplex complex128
	t, ti     [][]float64

	// Embedded error estimate (Hairer & Wanner II, (8.19)-(8.20) of Sec. IV.8; scipy's E):
	//   err = (muReal/h I - J)^-1 (f(t0, y0) + (1/h) sum_i e[i] Z_i),
	// that is (I - gamma0 h J)^-1 (gamma0 h f(t0, y0) + gamma0 sum_i e[i] Z_i) with
	// gamma0 = 1/muReal. Without the (I - gamma0 h J)^-1 filter this is yHat - y1 for the
	// order-3 embedded method yHat = y0 + h (gamma0 f(t0, y0) + sum_j bHat_j f(Y_j)),
	// bHat = b + gamma0 A^T e: an explicit extra stage f(t0, y0) in front of the three
	// implicit ones.
	e      []float64
	gamma0 float64

	// Dense output, the collocation polynomial (scipy's P): on the step, with x = (t-t0)/h,
	//   y(t0 + x h) = y0 + sum_i Z_i sum_k p[i][k] x^(k+1),
	// which interpolates y0 at x = 0 and y0 + Z_i at x = c[i].
	p [][]float64
}

// hermite3Dense returns the cubic Hermite dense output of esdirkCoeffs.dense: rows are the
// powers x^0..x^3, columns the weights of y0, y1, k0, k1.
func hermite3Dense() [][]float64 {
	return [][]float64{
		{1, 0, 0, 0},
		{0, 0, 1, 0},
		{-3, 3, -2, -1},
		{2, -2, 1, 1},
	}
}

// Kvaerno's 3/2 method: Kvaerno, "Singly diagonally implicit Runge-Kutta methods with an
// explicit first stage", BIT Numer. Math. 44 (2004) 489-502; the coefficients as formulas in
// gamma exactly as diffrax writes them (patrick-kidger/diffrax, diffrax/_solver/kvaerno3.py,
// commit 3020bb5a67977547fcfa62c47150f3795acbd28b: the module constants γ, a21..a43 and
// _kvaerno3_tableau), including diffrax's 11-digit gamma 0.43586652150 (the L-stable value is
// the root 0.435866521508459 of 6 gamma^3 - 18 gamma^2 + 9 gamma - 1 = 0; the truncation
// leaves R(-inf) = 5e-11, measured). The predictor is diffrax's (θ, α21..α43, from its
// devdocs/predictor_dirk.md). Dense output: diffrax gives no method-specific interpolant; it
// uses its generic cubic Hermite interpolation between (y0, h f0) and (y1, h f1)
// (ThirdOrderHermitePolynomialInterpolation.from_k; see esdirkCoeffs.dense).
const (
	kv3g   = 0.43586652150
	kv3a31 = (-4*kv3g*kv3g + 6*kv3g - 1) / (4 * kv3g)
	kv3a32 = (-2*kv3g + 1) / (4 * kv3g)
	kv3a41 = (6*kv3g - 1) / (12 * kv3g)
	kv3a42 = -1 / ((24*kv3g - 12) * kv3g)
	kv3a43 = (-6*kv3g*kv3g + 6*kv3g - 1) / (6*kv3g - 3)
	kv3th  = 1 / (2 * kv3g)
)

func kvaerno3Coeffs() *esdirkCoeffs {
	return &esdirkCoeffs{
		name: "kvaerno3", order: 3, embeddedOrder: 2, lStable: true,
		gamma: kv3g,
		a: [][]float64{
			{0, 0, 0, 0},
			{kv3g, kv3g, 0, 0},
			{kv3a31, kv3a32, kv3g, 0},
			{kv3a41, kv3a42, kv3a43, kv3g},
		},
		b:     []float64{kv3a41, kv3a42, kv3a43, kv3g},
		bHat:  []float64{kv3a31, kv3a32, kv3g, 0},
		bErr:  []float64{kv3a41 - kv3a31, kv3a42 - kv3a32, kv3a43 - kv3g, kv3g},
		c:     []float64{0, 2 * kv3g, 1, 1},
		dense: hermite3Dense(),
		predictor: [][]float64{
			{},
			{1},
			{1 - kv3th, kv3th},
			{kv3a31, kv3a32, kv3g},
		},
	}
}

// Kvaerno's 4/3 method (the one advancing with the 4th-order last stage; the same paper has
// a "3/4" variant with another gamma): Kvaerno (2004), BIT 44, 489-502; formulas in gamma
// exactly as diffrax writes them (diffrax/_solver/kvaerno4.py, commit
// 3020bb5a67977547fcfa62c47150f3795acbd28b: γ, a21..a54, c2..c5 and _kvaerno4_tableau;
// diffrax's poly(a, b, ...) is numpy.polyval, highest power first), with diffrax's gamma
// 0.5728160625 (10 digits: R(-inf) = -7e-11, measured). The predictor is diffrax's (θ1, θ2, α21..α54). Dense output: as for Kvaerno3, only diffrax's generic cubic
// Hermite interpolation.
const (
	kv4g  = 0.5728160625
	kv4p1 = 12*kv4g*kv4g - 6*kv4g + 1 // poly(12, -6, 1)
	kv4p2 = 12*kv4g*kv4g - 9*kv4g + 2 // poly(12, -9, 2)
	kv4p3 = 3*kv4g - 1                // poly(3, -1)

	kv4a31 = (144*kv4g*kv4g*kv4g*kv4g - 180*kv4g*kv4g*kv4g + 81*kv4g*kv4g - 15*kv4g + 1) * kv4g / (kv4p1 * kv4p1)
	kv4a32 = (-36*kv4g*kv4g*kv4g + 39*kv4g*kv4g - 15*kv4g + 2) * kv4g / (kv4p1 * kv4p1)
	kv4a41 = (-144*kv4g*kv4g*kv4g*kv4g*kv4g + 396*kv4g*kv4g*kv4g*kv4g - 330*kv4g*kv4g*kv4g + 117*kv4g*kv4g - 18*kv4g + 1) /
		(12 * kv4g * kv4g * kv4p2)
	kv4a42 = (72*kv4g*kv4g*kv4g*kv4g - 126*kv4g*kv4g*kv4g + 69*kv4g*kv4g - 15*kv4g + 1) / (12 * kv4g * kv4g * kv4p3)
	kv4a43 = ((-6*kv4g*kv4g + 6*kv4g - 1) * kv4p1 * kv4p1) / (12 * kv4g * kv4g * kv4p2 * kv4p3)
	kv4a51 = (288*kv4g*kv4g*kv4g*kv4g - 312*kv4g*kv4g*kv4g + 120*kv4g*kv4g - 18*kv4g + 1) / (48 * kv4g * kv4g * kv4p2)
	kv4a52 = (24*kv4g*kv4g - 12*kv4g + 1) / (48 * kv4g * kv4g * kv4p3)
	kv4a53 = -(kv4p1 * kv4p1 * kv4p1) / (48 * kv4g * kv4g * kv4p3 * kv4p2 * (6*kv4g*kv4g - 6*kv4g + 1))
	kv4a54 = (-24*kv4g*kv4g*kv4g + 36*kv4g*kv4g - 12*kv4g + 1) / (24*kv4g*kv4g - 24*kv4g + 4) // poly(24, -24, 4)

	kv4c2  = kv4g + kv4g
	kv4c3  = kv4g + kv4a31 + kv4a32
	kv4th1 = kv4c3 / kv4c2
	kv4th2 = (1 - kv4c2) / (kv4c3 - kv4c2)
)

func kvaerno4Coeffs() *esdirkCoeffs {
	return &esdirkCoeffs{
		name: "kvaerno4", order: 4, embeddedOrder: 3, lStable: true,
		gamma: kv4g,
		a: [][]float64{
			{0, 0, 0, 0, 0},
			{kv4g, kv4g, 0, 0, 0},
			{kv4a31, kv4a32, kv4g, 0, 0},
			{kv4a41, kv4a42, kv4a43, kv4g, 0},
			{kv4a51, kv4a52, kv4a53, kv4a54, kv4g},
		},
		b:     []float64{kv4a51, kv4a52, kv4a53, kv4a54, kv4g},
		bHat:  []float64{kv4a41, kv4a42, kv4a43, kv4g, 0},
		bErr:  []float64{kv4a51 - kv4a41, kv4a52 - kv4a42, kv4a53 - kv4a43, kv4a54 - kv4g, kv4g},
		c:     []float64{0, kv4c2, kv4c3, 1, 1},
		dense: hermite3Dense(),
		predictor: [][]float64{
			{},
			{1},
			{1 - kv4th1, kv4th1},
			{0, 1 - kv4th2, kv4th2},
			{kv4a41, kv4a42, kv4a43, kv4g},
		},
	}
}

// Kvaerno's 5/4 method: Kvaerno (2004), BIT 44, 489-502; the decimal coefficients exactly
// as diffrax gives them (diffrax/_solver/kvaerno5.py, commit
// 3020bb5a67977547fcfa62c47150f3795acbd28b: γ, a21..a76 and the c of _kvaerno5_tableau).
// The predictor is diffrax's (α21..α76 and a_predictor), which it takes from
// OrdinaryDiffEq.jl's sdirk_tableaus.jl except for α21 (set to 1; OrdinaryDiffEq.jl has 0);
// rows 5 and 6 leave out the last stages (zeros in diffrax's a_predictor). Dense output: as for Kvaerno3,
// only diffrax's generic cubic Hermite interpolation.
const (
	kv5g   = 0.26
	kv5a31 = 0.13
	kv5a32 = 0.84033320996790809
	kv5a41 = 0.22371961478320505
	kv5a42 = 0.47675532319799699
	kv5a43 = -0.06470895363112615
	kv5a51 = 0.16648564323248321
	kv5a52 = 0.10450018841591720
	kv5a53 = 0.03631482272098715
	kv5a54 = -0.13090704451073998
	kv5a61 = 0.13855640231268224
	kv5a62 = 0
	kv5a63 = -0.04245337201752043
	kv5a64 = 0.02446657898003141
	kv5a65 = 0.61943039072480676
	kv5a71 = 0.13659751177640291
	kv5a72 = 0
	kv5a73 = -0.05496908796538376
	kv5a74 = -0.04118626728321046
	kv5a75 = 0.62993304899016403
	kv5a76 = 0.06962479448202728
)

func kvaerno5Coeffs() *esdirkCoeffs {
	const g = kv5g
	return &esdirkCoeffs{
		name: "kvaerno5", order: 5, embeddedOrder: 4, lStable: true,
		gamma: g,
		a: [][]float64{
			{0, 0, 0, 0, 0, 0, 0},
			{g, g, 0, 0, 0, 0, 0},
			{kv5a31, kv5a32, g, 0, 0, 0, 0},
			{kv5a41, kv5a42, kv5a43, g, 0, 0, 0},
			{kv5a51, kv5a52, kv5a53, kv5a54, g, 0, 0},
			{kv5a61, kv5a62, kv5a63, kv5a64, kv5a65, g, 0},
			{kv5a71, kv5a72, kv5a73, kv5a74, kv5a75, kv5a76, g},
		},
		b:     []float64{kv5a71, kv5a72, kv5a73, kv5a74, kv5a75, kv5a76, g},
		bHat:  []float64{kv5a61, kv5a62, kv5a63, kv5a64, kv5a65, g, 0},
		bErr:  []float64{kv5a71 - kv5a61, kv5a72 - kv5a62, kv5a73 - kv5a63, kv5a74 - kv5a64, kv5a75 - kv5a65, kv5a76 - g, g},
		c:     []float64{0, 0.52, 1.230333209967908, 0.8957659843500759, 0.43639360985864756, 1.0, 1.0},
		dense: hermite3Dense(),
		predictor: [][]float64{
			{},
			{1.0},
			{-1.366025403784441, 2.3660254037844357},
			{-0.19650552613122207, 0.8113579546496623, 0.38514757148155954},
			{0.10375304369958693, 0.937994698066431, -0.04174774176601781, 0},
			{-0.17281112873898072, 0.6235784481025847, 0.5492326806363959, 0, 0},
			{kv5a61, kv5a62, kv5a63, kv5a64, kv5a65, g},
		},
	}
}

// Irrational constants of Radau IIA to 60 significant digits (so that the expressions
// below round once, at compile time); implicit_coeffs_test.go checks them against math.
const (
	sqrt6   = 2.44948974278317809819728407470589139196594748065667012843269 // 6^(1/2)
	cbrt3   = 1.44224957030740838232163831078010958839186925349935057754642 // 3^(1/3)
	cbrt9   = 2.08008382305190411453005682435788538633780534037326210969759 // 3^(2/3)
	pow3_56 = 2.49804953296681295882635908752650726998618614368100650947072 // 3^(5/6)
	pow3_76 = 3.60281086552800818002639616204862853889522225467794667505513 // 3^(7/6)
)

// Radau IIA of order 5 (3 stages). The Butcher tableau: Hairer & Wanner, Solving Ordinary
// Differential Equations II (2nd rev. ed., Springer 1996), Sec. IV.5, Table 5.6, p. 74. The
// RADAU5 data (the transformation T, TI = inv(T), the eigenvalues of inv(A), the error
// weights E and the dense-output matrix P) exactly as scipy writes them
// (scipy/scipy, scipy/integrate/_ivp/radau.py, commit feae6c464c0a93eb97b8c26aeeee9371cd557cee,
// lines 11-40: S6, C, E, MU_REAL, MU_COMPLEX, T, TI, P), which follow Hairer & Wanner II,
// Sec. IV.8 ((8.16)-(8.20)) and Hairer's radau5.f. The stability function is the (2,3)
// Pade approximation of exp, so the method is L-stable.
func radauIIA5Coeffs() *radauCoeffs {
	const muReal = 3 + cbrt9 - cbrt3
	return &radauCoeffs{
		name: "radau5", order: 5, embeddedOrder: 3, lStable: true,
		a: [][]float64{
			{(88 - 7*sqrt6) / 360, (296 - 169*sqrt6) / 1800, (-2 + 3*sqrt6) / 225},
			{(296 + 169*sqrt6) / 1800, (88 + 7*sqrt6) / 360, (-2 - 3*sqrt6) / 225},
			{(16 - sqrt6) / 36, (16 + sqrt6) / 36, 1.0 / 9},
		},
		b:         []float64{(16 - sqrt6) / 36, (16 + sqrt6) / 36, 1.0 / 9},
		c:         []float64{(4 - sqrt6) / 10, (4 + sqrt6) / 10, 1},
		muReal:    muReal,
		muComplex: complex(3+0.5*(cbrt3-cbrt9), -0.5*(pow3_56+pow3_76)),
		t: [][]float64{
			{0.09443876248897524, -0.14125529502095421, 0.03002919410514742},
			{0.25021312296533332, 0.20412935229379994, -0.38294211275726192},
			{1, 1, 0},
		},
		ti: [][]float64{
			{4.17871859155190428, 0.32768282076106237, 0.52337644549944951},
			{-4.17871859155190428, -0.32768282076106237, 0.47662355450055044},
			{0.50287263494578682, -2.57192694985560522, 0.59603920482822492},
		},
		e:      []float64{(-13 - 7*sqrt6) / 3, (-13 + 7*sqrt6) / 3, -1.0 / 3},
		gamma0: 1 / muReal,
		p: [][]float64{
			{13.0/3 + 7*sqrt6/3, -23.0/3 - 22*sqrt6/3, 10.0/3 + 5*sqrt6},
			{13.0/3 - 7*sqrt6/3, -23.0/3 + 22*sqrt6/3, 10.0/3 - 5*sqrt6},
			{1.0 / 3, -8.0 / 3, 10.0 / 3},
		},
	}
}
