package sdeop

import "math"

// grid is the steps of a fixed-step solve over output times ts: steps of dt from each
// output time towards the next, the last one shortened to land on it (ts may decrease).
type grid struct {
	times []float64 // step boundaries
	outAt []int     // grid index of each output time
}

func newGrid(ts []float64, dt float64) grid {
	g := grid{times: []float64{ts[0]}, outAt: make([]int, len(ts))}
	for i := 0; i+1 < len(ts); i++ {
		a, b := ts[i], ts[i+1]
		dir := 1.0
		if b < a {
			dir = -1
		}
		ns := numSteps(math.Abs(b-a), dt)
		for k := int64(1); k < ns; k++ {
			g.times = append(g.times, a+dir*float64(k)*dt)
		}
		g.times = append(g.times, b)
		g.outAt[i+1] = len(g.times) - 1
	}
	return g
}

// steps is the number of steps of the grid.
func (g *grid) steps() int { return len(g.times) - 1 }

// increments streams the Brownian increments of the steps of the grid: in order, or
// from the last step to the first with back; each as W(t_k) - W(t_{k+1}) with flip (the
// backward solve's), else as W(t_{k+1}) - W(t_k). With lb, also the Levy areas.
func (g *grid) increments(bm Brownian, lb LevyBrownian, back, flip bool) *incStream {
	K := g.steps()
	return newIncStream(bm.Dim(), lb != nil, K, func(dw, hh []float64, k int) {
		if back {
			k = K - 1 - k
		}
		s, t := g.times[k], g.times[k+1]
		if flip {
			s, t = t, s
		}
		if lb != nil {
			lb.IncrementWithLevy(dw, hh, s, t)
			return
		}
		bm.Increment(dw, s, t)
	})
}

// walk is the one walk over the grid of every solve. Forward, it calls step(k, t_k,
// t_{k+1}, dW, H) for k = 0, 1, ... with the increments of inc, and at(i) after the step
// that lands on output time i (i >= 1). With back, it calls step(k, t_{k+1}, t_k, ...)
// for k from the last step down to 0, and at(i) after the step that lands on output
// time i (i <= len(ts)-2). It stops at the first error.
func (g *grid) walk(inc *incStream, back bool, step func(k int, t0, t1 float64, dw, hh []float64) error, at func(i int) error) error {
	K, T := g.steps(), len(g.outAt)
	if !back {
		next := 1
		for k := 0; k < K; k++ {
			dw, hh := inc.next()
			if err := step(k, g.times[k], g.times[k+1], dw, hh); err != nil {
				return err
			}
			for ; next < T && g.outAt[next] == k+1; next++ {
				if err := at(next); err != nil {
					return err
				}
			}
		}
		return nil
	}
	next := T - 2
	for k := K - 1; k >= 0; k-- {
		dw, hh := inc.next()
		if err := step(k, g.times[k+1], g.times[k], dw, hh); err != nil {
			return err
		}
		for ; next >= 0 && g.outAt[next] == k; next-- {
			if err := at(next); err != nil {
				return err
			}
		}
	}
	return nil
}
