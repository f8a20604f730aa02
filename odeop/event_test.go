package odeop

import (
	"errors"
	"math"
	"testing"
)

// ball is a ball under gravity grav: y = [height, velocity].
func ball(grav float64) Func {
	return func(_ float64, y, dy []float64) {
		for i := 0; i+1 < len(y); i += 2 {
			dy[i], dy[i+1] = y[i+1], -grav
		}
	}
}

func floor(_ float64, y []float64) float64 { return y[0] }

// TestEventDropTime: a ball dropped from h hits the floor at sqrt(2h/g), located to the
// event tolerance; the state there is (0, -g t*).
func TestEventDropTime(t *testing.T) {
	for _, h := range []float64{0.3, 1, 10} {
		const g = 9.81
		sol, err := IntegrateEvent(ball(g), []float64{h, 0}, 0, floor, WithTol(1e-10, 1e-12), WithEventTol(1e-12), WithDirection(Falling))
		if err != nil {
			t.Fatal(err)
		}
		want := math.Sqrt(2 * h / g)
		if !sol.Fired || math.Abs(sol.T-want) > 1e-12 {
			t.Errorf("h %g: t* = %.16g fired %v, want %.16g (err %.2g)", h, sol.T, sol.Fired, want, sol.T-want)
		}
		if math.Abs(sol.Y[0]) > 1e-11 || math.Abs(sol.Y[1]+g*want) > 1e-9 {
			t.Errorf("h %g: state at event %v, want (0, %g)", h, sol.Y, -g*want)
		}
	}
}

// TestEventTwoCrossingsInOneStep: g = (t-a)(t-b) with b - a = 1/32 of the one step the
// solve takes (a fixed RK4 step): with 64 samples per step the first crossing is found; the
// step end alone (1 sample) sees no sign change.
func TestEventTwoCrossingsInOneStep(t *testing.T) {
	const a, b = 0.5, 0.5 + 1.0/32
	g := func(tt float64, _ []float64) float64 { return (tt - a) * (tt - b) }
	zero := func(_ float64, _, dy []float64) { dy[0] = 0 }
	sol, err := IntegrateEvent(zero, []float64{0}, 0, g, WithMethod(RK4), WithStep(1), WithMaxTime(1), WithEventSamples(64))
	if err != nil {
		t.Fatal(err)
	}
	if sol.Stats.Steps != 1 || !sol.Fired || math.Abs(sol.T-a) > 1e-12 {
		t.Errorf("64 samples: t = %.16g fired %v steps %d, want %g in one step", sol.T, sol.Fired, sol.Stats.Steps, a)
	}
	sol, err = IntegrateEvent(zero, []float64{0}, 0, g, WithMethod(RK4), WithStep(1), WithMaxTime(1), WithEventSamples(1))
	if err != nil {
		t.Fatal(err)
	}
	if sol.Fired || sol.T != 1 {
		t.Errorf("1 sample: fired %v at %g, want no event (both crossings inside the step)", sol.Fired, sol.T)
	}
}

// TestEventDirection: sin(t) crosses zero rising at 2 pi and falling at pi.
func TestEventDirection(t *testing.T) {
	f := func(tt float64, y, dy []float64) { dy[0] = math.Cos(tt) }
	g := func(_ float64, y []float64) float64 { return y[0] }
	for _, c := range []struct {
		d    Direction
		want float64
	}{{Falling, math.Pi}, {Rising, 2 * math.Pi}, {EitherCrossing, math.Pi}} {
		sol, err := IntegrateEvent(f, []float64{0}, 0, g, WithTol(1e-12, 1e-14), WithDirection(c.d), WithMaxTime(10))
		if err != nil {
			t.Fatal(err)
		}
		if !sol.Fired || math.Abs(sol.T-c.want) > 1e-9 {
			t.Errorf("direction %d: t = %.15g fired %v, want %.15g", c.d, sol.T, sol.Fired, c.want)
		}
	}
}

// TestEventBadInput: zero at t0 (armed later), never firing, NaN, refused options.
func TestEventBadInput(t *testing.T) {
	// g = y = 0 at t0 with the ball going up: the zero at t0 is no event; the landing is
	sol, err := IntegrateEvent(ball(1), []float64{0, 1}, 0, floor, WithDirection(Falling), WithTol(1e-10, 1e-12))
	if err != nil || !sol.Fired || math.Abs(sol.T-2) > 1e-9 {
		t.Errorf("zero at t0: %v %+v, want the landing at t = 2", err, sol)
	}
	sol, err = IntegrateEvent(ball(1), []float64{1, 0}, 0, func(_ float64, y []float64) float64 { return y[0] + 100 }, WithMaxTime(3))
	if err != nil || sol.Fired || sol.T != 3 || math.Abs(sol.Y[0]-(1-4.5)) > 1e-9 {
		t.Errorf("never fires: %v %+v, want Fired false and the state at t = 3", err, sol)
	}
	_, err = IntegrateEvent(ball(1), []float64{1, 0}, 0, func(tt float64, y []float64) float64 {
		if tt > 0.5 {
			return math.NaN()
		}
		return y[0]
	}, WithMaxTime(3))
	if !errors.Is(err, ErrEvent) {
		t.Errorf("NaN event: err %v, want ErrEvent", err)
	}
	_, err = IntegrateEvent(ball(1), []float64{1, 0}, 0, floor)
	if err != nil {
		t.Errorf("no max time, adaptive: %v", err)
	}
	for _, o := range []Option{WithMaxTime(1), WithDirection(Rising), WithEventTol(1e-3), WithEventSamples(3)} {
		if _, err := Integrate(ball(1), []float64{1, 0}, []float64{0, 1}, o); !errors.Is(err, ErrOption) {
			t.Errorf("Integrate with %s: err %v, want ErrOption", o.name, err)
		}
	}
	for _, o := range []Option{WithMaxTime(math.NaN()), WithDirection(3), WithEventTol(0), WithEventSamples(0)} {
		if _, err := IntegrateEvent(ball(1), []float64{1, 0}, 0, floor, o); !errors.Is(err, ErrOption) {
			t.Errorf("IntegrateEvent with bad %s: err %v, want ErrOption", o.name, err)
		}
	}
	if _, err := IntegrateEvent(ball(1), []float64{1, 0}, 0, floor, WithMethod(RK4), WithStep(0.1)); !errors.Is(err, ErrOption) {
		t.Errorf("fixed step without max time: err %v, want ErrOption", err)
	}
	if _, err := IntegrateEvent(ball(1), []float64{1, 0}, 0, nil); !errors.Is(err, ErrOption) {
		t.Errorf("nil event: err %v, want ErrOption", err)
	}
}

// TestEventDecayThreshold: y' = -y from 1 reaches c at ln(1/c); at rtol 1e-12 the event is
// located to 1e-12 (a solution that is not polynomial, so the dense output's error counts).
func TestEventDecayThreshold(t *testing.T) {
	for _, c := range []float64{0.9, 0.3, 0.01} {
		f := func(_ float64, y, dy []float64) { dy[0] = -y[0] }
		g := func(_ float64, y []float64) float64 { return y[0] - c }
		sol, err := IntegrateEvent(f, []float64{1}, 0, g, WithTol(1e-13, 1e-15), WithEventTol(1e-13))
		if err != nil {
			t.Fatal(err)
		}
		want := math.Log(1 / c)
		if !sol.Fired || math.Abs(sol.T-want) > 1e-12 {
			t.Errorf("c %g: t* = %.16g, want %.16g (err %.2g, %d steps)", c, sol.T, want, sol.T-want, sol.Stats.Steps)
		}
	}
}

// TestEventRejectedStepsAndBackward: a first step far too large is rejected (its end lies
// past the crossing) and the event is still the accepted steps'; a search backward in time
// (WithMaxTime < t0) finds sin's zero at -pi, its direction taken along the solve.
func TestEventRejectedStepsAndBackward(t *testing.T) {
	f := func(_ float64, y, dy []float64) { dy[0] = -y[0] }
	g := func(_ float64, y []float64) float64 { return y[0] - 0.3 }
	sol, err := IntegrateEvent(f, []float64{1}, 0, g, WithStep(8), WithTol(1e-12, 1e-14))
	if err != nil {
		t.Fatal(err)
	}
	if sol.Stats.Rejected == 0 || math.Abs(sol.T-math.Log(1/0.3)) > 1e-11 {
		t.Errorf("t* = %.15g with %d rejected steps, want %.15g after rejections", sol.T, sol.Stats.Rejected, math.Log(1/0.3))
	}
	s := func(tt float64, _, dy []float64) { dy[0] = math.Cos(tt) }
	y := func(_ float64, y []float64) float64 { return y[0] }
	sol, err = IntegrateEvent(s, []float64{0}, 0, y, WithMaxTime(-10), WithDirection(Rising), WithTol(1e-12, 1e-14))
	if err != nil {
		t.Fatal(err)
	}
	if !sol.Fired || math.Abs(sol.T+math.Pi) > 1e-10 {
		t.Errorf("backward: t* = %.15g fired %v, want -pi", sol.T, sol.Fired)
	}
}
