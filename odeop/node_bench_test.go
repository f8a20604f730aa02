package odeop

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
)

// gradRunner builds a graph with one solve of an oscillating linear system over [0, horizon]
// and the loss sum(z(horizon)), and returns a function running forward + gradient once.
func gradRunner(tb testing.TB, horizon float64, gm GradientMethod) (run func(), zs *G.Node) {
	g := G.NewGraph()
	z0 := matNode(g, "z0", 64, 2, randSlice(rand.New(rand.NewSource(1)), 128, 1))
	A := matNode(g, "A", 2, 2, []float64{-0.01, 1, -1, -0.01})
	zs, err := Solve(z0, &linearDyn{A: A}, []float64{0, horizon}, WithTol(1e-6, 1e-8), WithGradient(gm))
	if err != nil {
		tb.Fatal(err)
	}
	loss := G.Must(G.Sum(G.Must(G.Slice(zs, G.S(1)))))
	if _, err := G.Grad(loss, z0, A); err != nil {
		tb.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	return func() {
		m.Reset()
		if err := m.RunAll(); err != nil {
			tb.Fatal(err)
		}
	}, zs
}

// BenchmarkGradientMemory shows bytes allocated per gradient as the horizon (and so the
// number of steps) grows 100x: flat for Adjoint, growing for Checkpoint.
func BenchmarkGradientMemory(b *testing.B) {
	for _, gm := range []GradientMethod{Adjoint, Checkpoint} {
		for _, horizon := range []float64{1, 100} {
			b.Run(fmt.Sprintf("%v/horizon=%g", gm, horizon), func(b *testing.B) {
				run, zs := gradRunner(b, horizon, gm)
				run()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					run()
				}
				fwd, bwd, _ := StatsOf(zs)
				b.ReportMetric(float64(fwd.Steps), "fwd-steps")
				b.ReportMetric(float64(bwd.NFE), "bwd-NFE")
			})
		}
	}
}

func bytesPerRun(run func()) uint64 {
	run()
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	const reps = 3
	for i := 0; i < reps; i++ {
		run()
	}
	runtime.ReadMemStats(&m1)
	return (m1.TotalAlloc - m0.TotalAlloc) / reps
}

// TestGradientMemory checks what BenchmarkGradientMemory shows: the adjoint's memory does
// not grow with the number of steps; Checkpoint's does.
func TestGradientMemory(t *testing.T) {
	var bytes [2][2]uint64
	var steps [2]int
	for i, gm := range []GradientMethod{Adjoint, Checkpoint} {
		for j, horizon := range []float64{1, 100} {
			run, zs := gradRunner(t, horizon, gm)
			bytes[i][j] = bytesPerRun(run)
			fwd, _, _ := StatsOf(zs)
			steps[j] = fwd.Steps
		}
	}
	t.Logf("forward steps %d -> %d; adjoint bytes %d -> %d; checkpoint bytes %d -> %d",
		steps[0], steps[1], bytes[0][0], bytes[0][1], bytes[1][0], bytes[1][1])
	if steps[1] < 50*steps[0] {
		t.Fatalf("horizon x100 gave only %d -> %d steps", steps[0], steps[1])
	}
	if bytes[0][1] > 2*bytes[0][0] {
		t.Errorf("adjoint bytes per gradient grew from %d to %d", bytes[0][0], bytes[0][1])
	}
	// Checkpoint keeps one state (64 x 2 float64 = 1024 bytes) per step.
	perStep := float64(bytes[1][1]-min(bytes[1][1], bytes[1][0])) / float64(steps[1]-steps[0])
	if perStep < 1024 {
		t.Errorf("checkpoint bytes per gradient %d -> %d: %.0f bytes per extra step, want at least a state (1024)", bytes[1][0], bytes[1][1], perStep)
	}
}

// BenchmarkGraphVsNativeDynamics compares one forward + adjoint gradient with the same
// MLP dynamics written natively and as a Gorgonia subgraph.
func BenchmarkGraphVsNativeDynamics(b *testing.B) {
	const batch, dim, hidden = 16, 2, 32
	z0d := randSlice(rand.New(rand.NewSource(1)), batch*dim, 1)
	for _, kind := range []string{"native", "graph"} {
		b.Run(kind, func(b *testing.B) {
			g := G.NewGraph()
			z0 := matNode(g, "z0", batch, dim, z0d)
			var f Dynamics = newMLPDyn(g, "f", dim, hidden, 2, 1)
			if kind == "graph" {
				f = graphMLP(f.(*mlpDyn))
			}
			zs, err := Solve(z0, f, []float64{0, 1}, WithTol(1e-6, 1e-6))
			if err != nil {
				b.Fatal(err)
			}
			loss := G.Must(G.Sum(zs))
			if _, err := G.Grad(loss, f.Params()...); err != nil {
				b.Fatal(err)
			}
			m := G.NewTapeMachine(g)
			defer m.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.Reset()
				if err := m.RunAll(); err != nil {
					b.Fatal(err)
				}
			}
			fwd, bwd, _ := StatsOf(zs)
			b.ReportMetric(float64(fwd.NFE), "NFE-fwd")
			b.ReportMetric(float64(bwd.NFE), "NFE-bwd")
		})
	}
}
