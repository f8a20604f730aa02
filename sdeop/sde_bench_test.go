package sdeop

import (
	"math"
	"testing"
)

// BenchmarkIntegrateGBM is the forward solve of S2 (docs/REFERENCE-CONFIGURATIONS.md) on plain
// slices: geometric Brownian motion with diagonal noise, batch 1024 x dim 4, y0 = 1,
// mu = [0.5, 0.4, 0.3, 0.2], sigma = [0.3, 0.25, 0.2, 0.15], ts = [0, 1], 1000 fixed
// steps, on a BrownianInterval told dt = 1e-3 (built outside the timer). torchsde's
// forward takes 236 ms in this configuration (790 ms with a default interval). Each
// run checks mean(Y(1)) against the exact solution on the same path.
func BenchmarkIntegrateGBM(b *testing.B) {
	const batch, dim, dt = 1024, 4, 1e-3
	mu := [dim]float64{0.5, 0.4, 0.3, 0.2}
	sigma := [dim]float64{0.3, 0.25, 0.2, 0.15}
	for _, c := range []struct {
		method Method
		calc   Calculus
		levy   bool
	}{
		{Euler, Ito, false}, {Milstein, Ito, false}, {SRK, Ito, true},
		{Midpoint, Stratonovich, false}, {Heun, Stratonovich, false}, {ReversibleHeun, Stratonovich, false},
	} {
		b.Run(string(c.method), func(b *testing.B) {
			sde := SDE{
				Drift: func(_ float64, y, f []float64) {
					for i := range y {
						f[i] = mu[i%dim] * y[i]
					}
				},
				Diffusion: func(_ float64, y, g []float64) {
					for i := range y {
						g[i] = sigma[i%dim] * y[i]
					}
				},
				Calculus: c.calc,
			}
			y0 := filled(batch*dim, 1)
			newBM := func() *BrownianInterval {
				opts := []IntervalOption{WithDtHint(dt)}
				if c.levy {
					opts = append(opts, WithLevyArea())
				}
				bm, err := NewBrownianInterval(0, 1, batch*dim, 1, opts...)
				if err != nil {
					b.Fatal(err)
				}
				return bm
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				bm := newBM()
				b.StartTimer()
				sol, err := Integrate(sde, y0, []float64{0, 1}, bm, WithMethod(c.method), WithStep(dt))
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					b.StopTimer()
					w := make([]float64, batch*dim)
					bm.Increment(w, 0, 1)
					var got, want float64
					for k, y := range sol.Ys[1] {
						d := k % dim
						e := mu[d] + sigma[d]*w[k]
						if c.calc == Ito {
							e -= 0.5 * sigma[d] * sigma[d]
						}
						got += y
						want += math.Exp(e)
					}
					if rel := math.Abs(got-want) / want; rel > 1e-3 {
						b.Fatalf("mean(Y(1)) off the exact solution by %.2g (relative)", rel)
					}
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/solve")
		})
	}
}
