package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/continuum-ml/continuum/odeop"
)

// TestAgainstGraphDynamics binds the same network through odeop.NewGraphDynamics (Gorgonia
// operations on a TapeMachine) and through the native Bind, and compares Eval and VJP.
func TestAgainstGraphDynamics(t *testing.T) {
	for ci, c := range netCases() {
		if c.in != c.ls[len(c.ls)-1].Out {
			continue // not a dynamics
		}
		t.Run(c.name, func(t *testing.T) {
			const batch = 5
			m := newTestMLP(t, c, uint64(ci+11))
			gd := odeop.NewGraphDynamics(m.Params(), m.Build)
			ref, err := gd.Bind(m.Values(), batch, c.in)
			if err != nil {
				t.Fatal(err)
			}
			nat, err := m.Bind(m.Values(), batch, c.in)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(ci), 3))
			z := randSlice(rng, batch*c.in, 1)
			a := randSlice(rng, batch*c.in, 1)
			for _, tt := range []float64{0, 0.61} {
				fr, fn := make([]float64, len(z)), make([]float64, len(z))
				ref.Eval(fr, tt, z)
				nat.Eval(fn, tt, z)
				closeTo(t, "Eval", fn, fr, 1e-13)
				dzr, dzn := make([]float64, len(z)), make([]float64, len(z))
				dtr, dtn := make([]float64, m.NumParams()), make([]float64, m.NumParams())
				ref.VJP(nil, dzr, dtr, tt, z, a)
				nat.VJP(fn, dzn, dtn, tt, z, a)
				closeTo(t, "VJP dz", dzn, dzr, 1e-12)
				closeTo(t, "VJP dtheta", dtn, dtr, 1e-12)
			}
		})
	}
}

func closeTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	scale := 1.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	for i := range want {
		if !(math.Abs(got[i]-want[i]) <= tol*scale) {
			t.Errorf("%s[%d] = %.17g, want %.17g", what, i, got[i], want[i])
			return
		}
	}
}
