package odeop

import (
	"testing"

	G "gorgonia.org/gorgonia"
)

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

// BenchmarkImplicitBatch: the Solve node's forward pass with Kvaerno5 on a batch of 32
// Robertson states (the Newton iteration by row blocks, implicit_block.go) to t = 40 and
// t = 4000 at rtol 1e-6: -benchmem's allocations per run are those of the graph's run and
// the solve's setup, the same for more steps (none per step).
func BenchmarkImplicitBatch(b *testing.B) {
	for _, tEnd := range []float64{40, 4000} {
		b.Run(map[float64]string{40: "t40", 4000: "t4000"}[tEnd], func(b *testing.B) {
			const batch = 32
			z0d := make([]float64, 3*batch)
			for r := range batch {
				x := 0.2 * float64(r) / batch
				z0d[3*r], z0d[3*r+2] = 1-x, x
			}
			g := G.NewGraph()
			z0 := matNode(g, "z0", batch, 3, z0d)
			logk := matNode(g, "logk", 1, 3, append([]float64(nil), robertsonLogK...))
			zs, err := Solve(z0, &robertsonDyn{logk: logk}, []float64{0, tEnd}, WithMethod(Kvaerno5), WithTol(1e-6, 1e-16))
			if err != nil {
				b.Fatal(err)
			}
			m := G.NewTapeMachine(g)
			defer m.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				m.Reset()
				if err := m.RunAll(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(zs.Op().(*solveOp).fwd.Steps), "steps")
		})
	}
}
