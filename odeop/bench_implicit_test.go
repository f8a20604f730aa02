package odeop

import "testing"

// BenchmarkImplicitRobertson: Kvaerno5 on Robertson to t = 1e5 at rtol 1e-6 (93 steps):
// the cost of the Newton iterations per solve; -benchmem shows the allocations of a whole
// Integrate call, which allocates its engine and solution once (no allocation per step:
// compare the two lengths).
func BenchmarkImplicitRobertson(b *testing.B) {
	for _, tEnd := range []float64{1e3, 1e5} {
		b.Run(map[float64]string{1e3: "t1e3", 1e5: "t1e5"}[tEnd], func(b *testing.B) {
			b.ReportAllocs()
			steps := 0
			for range b.N {
				sol, err := Integrate(stiffRobertson, []float64{1, 0, 0}, []float64{0, tEnd}, WithMethod(Kvaerno5), WithTol(1e-6, 1e-16))
				if err != nil {
					b.Fatal(err)
				}
				steps = sol.Stats.Steps
			}
			b.ReportMetric(float64(steps), "steps")
		})
	}
}
