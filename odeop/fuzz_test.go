package odeop

import (
	"math"
	"testing"

	"github.com/pkg/errors"
)

// FuzzIntegrate feeds arbitrary states, times, tolerances and steps to Integrate: it must
// return a solution or an error wrapping one of the package's sentinels, never panic, and
// a solution must have one finite state per time, the first equal to y0.
//
//	go test ./odeop -run XXX -fuzz FuzzIntegrate -fuzztime 60s
func FuzzIntegrate(f *testing.F) {
	f.Add(1.0, -2.0, 0.0, 1.0, 2.0, 1e-6, 1e-9, 0.0, uint8(0), uint8(0))
	f.Add(1.0, 0.0, 2.0, 1.0, 0.0, 1e-3, 1e-3, 0.1, uint8(3), uint8(1))
	f.Add(math.NaN(), 0.0, 0.0, 1.0, 2.0, 1e-6, 1e-9, 0.0, uint8(7), uint8(2))
	f.Add(1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1e-9, 0.0, uint8(8), uint8(3))
	f.Add(1e300, -1e300, -1e308, 1e308, 1e308, 1e-12, 1e-300, 1e-300, uint8(9), uint8(4))
	f.Add(1.0, 2.0, 0.0, 5e-324, 1e-323, 1e-6, 1e-9, 0.0, uint8(5), uint8(5))
	f.Fuzz(func(t *testing.T, y0a, y0b, t0, t1, t2, rtol, atol, step float64, method, rhs uint8) {
		ms := Methods()
		m := ms[int(method)%len(ms)]
		var fn Func
		switch rhs % 6 {
		case 0:
			fn = lin2
		case 1: // blows up in finite time
			fn = func(_ float64, y, dy []float64) { dy[0] = y[0] * y[0]; dy[1] = -y[1] }
		case 2: // non-finite for t > 1
			fn = func(t float64, y, dy []float64) {
				dy[0], dy[1] = y[1], -y[0]
				if t > 1 {
					dy[1] = math.NaN()
				}
			}
		case 3: // stiff
			fn = func(_ float64, y, dy []float64) { dy[0] = -1e6 * (y[0] - 1); dy[1] = y[0] }
		case 4: // discontinuous in t
			fn = func(t float64, y, dy []float64) {
				dy[0], dy[1] = math.Floor(t), -y[1]
			}
		default: // returns Inf for large states
			fn = func(_ float64, y, dy []float64) { dy[0] = math.Exp(y[0]); dy[1] = math.Exp(y[1] * y[1]) }
		}
		y0 := []float64{y0a, y0b}
		ts := []float64{t0, t1, t2}
		sol, err := Integrate(fn, y0, ts, WithMethod(m), WithTol(rtol, atol), WithStep(step), WithMaxSteps(2000))
		if err != nil {
			for _, s := range []error{ErrTimes, ErrState, ErrTolerance, ErrMethod, ErrOption, ErrUnderflow, ErrMaxSteps, ErrNonFinite} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error %q wraps no sentinel", err)
		}
		if len(sol.Ys) != len(ts) {
			t.Fatalf("%d states for %d times", len(sol.Ys), len(ts))
		}
		for i, y := range sol.Ys {
			if len(y) != 2 || !finite(y) {
				t.Fatalf("state %d = %v", i, y)
			}
		}
		if sol.Ys[0][0] != y0a || sol.Ys[0][1] != y0b {
			t.Fatalf("Ys[0] = %v, want y0", sol.Ys[0])
		}
	})
}
