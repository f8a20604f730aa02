package odeop

import (
	"testing"
)

// lin2 is the cheap right-hand side of the overhead benchmarks: a damped rotation
// dy/dt = A y, A = [[-0.1, 1], [-1, -0.1]].
func lin2(_ float64, y, dy []float64) {
	dy[0] = -0.1*y[0] + y[1]
	dy[1] = -y[0] - 0.1*y[1]
}

func benchIntegrate(b *testing.B, t1 float64, opts ...Option) {
	y0 := []float64{1, 0}
	ts := []float64{0, t1}
	sol, err := Integrate(lin2, y0, ts, opts...)
	if err != nil {
		b.Fatal(err)
	}
	steps, nfe := sol.Stats.Steps+sol.Stats.Rejected, sol.Stats.NFE
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Integrate(lin2, y0, ts, opts...); err != nil {
			b.Fatal(err)
		}
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(ns/float64(steps), "ns/step")
	b.ReportMetric(ns/float64(nfe), "ns/NFE")
	b.ReportMetric(float64(steps), "steps")
}

func BenchmarkIntegrateDopri5(b *testing.B) { benchIntegrate(b, 100, WithTol(1e-8, 1e-8)) }
func BenchmarkIntegrateTsit5(b *testing.B) {
	benchIntegrate(b, 100, WithMethod(Tsit5), WithTol(1e-8, 1e-8))
}
func BenchmarkIntegrateDopri8(b *testing.B) {
	benchIntegrate(b, 100, WithMethod(Dopri8), WithTol(1e-10, 1e-10))
}
func BenchmarkIntegrateBosh3(b *testing.B) {
	benchIntegrate(b, 100, WithMethod(Bosh3), WithTol(1e-6, 1e-6))
}
func BenchmarkIntegrateRK4(b *testing.B) { benchIntegrate(b, 100, WithMethod(RK4), WithStep(0.01)) }
func BenchmarkIntegrateEuler(b *testing.B) {
	benchIntegrate(b, 100, WithMethod(Euler), WithStep(0.01))
}

// BenchmarkIntegrateDopri5Outputs asks for 1000 dense outputs.
func BenchmarkIntegrateDopri5Outputs(b *testing.B) {
	y0 := []float64{1, 0}
	ts := linspace(0, 100, 1000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Integrate(lin2, y0, ts, WithTol(1e-8, 1e-8)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestZeroAllocsPerStep: a solve allocates the same whatever its number of steps, so the
// step loop allocates nothing.
func TestZeroAllocsPerStep(t *testing.T) {
	for _, n := range []int{2, 64} { // the axpy and the fused paths
		zeroAllocsPerStep(t, n)
	}
}

func zeroAllocsPerStep(t *testing.T, n int) {
	y0 := make([]float64, n)
	for i := range y0 {
		y0[i] = float64(i%3) - 1
	}
	f := func(tt float64, y, dy []float64) {
		for i := 0; i < len(y); i += 2 {
			lin2(tt, y[i:i+2], dy[i:i+2])
		}
	}
	for _, c := range []struct {
		m    Method
		opts []Option
	}{
		{Dopri5, nil}, {Tsit5, nil}, {Dopri8, nil}, {AdaptiveHeun, nil}, {Bosh3, nil},
		{RK4, []Option{WithStep(0.01)}}, {Euler, []Option{WithStep(0.01)}},
		{Dopri5, []Option{WithNorm(MaxNorm)}},
		{Dopri5, []Option{WithController(TorchdiffeqController())}},
	} {
		opts := append([]Option{WithMethod(c.m), WithTol(1e-6, 1e-6)}, c.opts...)
		var short, long *Solution
		allocs := func(t1 float64, dst **Solution) float64 {
			return testing.AllocsPerRun(5, func() {
				sol, err := Integrate(f, y0, []float64{0, t1}, opts...)
				if err != nil {
					t.Fatal(err)
				}
				*dst = sol
			})
		}
		a1, a2 := allocs(1, &short), allocs(100, &long)
		if long.Stats.Steps < 10*short.Stats.Steps {
			t.Fatalf("%s: %d and %d steps", c.m, short.Stats.Steps, long.Stats.Steps)
		}
		if a1 != a2 {
			t.Errorf("%s n=%d: %v allocations for %d steps, %v for %d steps", c.m, n, a1, short.Stats.Steps, a2, long.Stats.Steps)
		}
	}
}

// BenchmarkIntegrateDopri5Dim1024 measures the per-step work of the engine itself on a
// larger state (1024 decoupled damped rotations): stage sums, error norm, finiteness checks.
func BenchmarkIntegrateDopri5Dim1024(b *testing.B) {
	const n = 1024
	f := func(_ float64, y, dy []float64) {
		for i := 0; i < n; i += 2 {
			dy[i] = -0.1*y[i] + y[i+1]
			dy[i+1] = -y[i] - 0.1*y[i+1]
		}
	}
	y0 := make([]float64, n)
	for i := range y0 {
		y0[i] = float64(i%7) - 3
	}
	ts := []float64{0, 100}
	sol, err := Integrate(f, y0, ts, WithTol(1e-8, 1e-8))
	if err != nil {
		b.Fatal(err)
	}
	steps := sol.Stats.Steps + sol.Stats.Rejected
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Integrate(f, y0, ts, WithTol(1e-8, 1e-8)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(steps), "ns/step")
}
