package odeop

import "testing"

// BenchmarkEventSearch: a ball dropped from 10 m under gravity with a drag-free but
// non-polynomial twist (a damped oscillator in a second pair of components, so that the
// solve takes several steps): IntegrateEvent until the landing against Integrate over the
// same span, the cost of the event search (samples per step 8, and 1).
func BenchmarkEventSearch(b *testing.B) {
	f := func(_ float64, y, dy []float64) {
		dy[0], dy[1] = y[1], -9.81
		dy[2], dy[3] = y[3], -4*y[2]-0.1*y[3]
	}
	y0 := []float64{10, 0, 1, 0}
	floorG := func(_ float64, y []float64) float64 { return y[0] }
	sol, err := IntegrateEvent(f, y0, 0, floorG, WithDirection(Falling))
	if err != nil {
		b.Fatal(err)
	}
	ts := []float64{0, sol.T}
	b.Run("integrate", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := Integrate(f, y0, ts); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct {
		name string
		n    int
	}{{"event-samples8", 8}, {"event-samples1", 1}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := IntegrateEvent(f, y0, 0, floorG, WithDirection(Falling), WithEventSamples(c.n)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
