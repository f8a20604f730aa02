package odeop

import (
	"math"
	"testing"
)

func TestExpDecayQuick(t *testing.T) {
	f := func(t float64, y, dy []float64) { dy[0] = -y[0] }
	sol, err := Integrate(f, []float64{1}, []float64{0, 0.5, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range sol.Ts {
		if d := math.Abs(sol.Ys[i][0] - math.Exp(-tt)); d > 1e-7 {
			t.Errorf("t=%g err %g", tt, d)
		}
	}
	t.Logf("%+v", sol.Stats)
}
