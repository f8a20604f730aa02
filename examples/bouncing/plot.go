package main

import (
	"image/color"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/continuum-ml/continuum/odeop"
)

var (
	trueColor  = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	modelColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	guessColor = color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
)

// trajectory integrates the bouncing ball (h, e) through n bounces with odeop.IntegrateEvent
// and odeop.Integrate and returns points of its height.
func trajectory(h, e float64, n int) (plotter.XYs, error) {
	f := func(_ float64, y, dy []float64) { dy[0], dy[1] = y[1], -grav }
	floor := func(_ float64, y []float64) float64 { return y[0] }
	var pts plotter.XYs
	t, y := 0.0, []float64{h, 0}
	for k := 0; k < n; k++ {
		ev, err := odeop.IntegrateEvent(f, y, t, floor, odeop.WithDirection(odeop.Falling), odeop.WithMaxTime(t+100))
		if err != nil {
			return nil, err
		}
		const m = 60
		ts := make([]float64, m+1)
		for i := range ts {
			ts[i] = t + (ev.T-t)*float64(i)/m
		}
		sol, err := odeop.Integrate(f, y, ts)
		if err != nil {
			return nil, err
		}
		for i, yi := range sol.Ys {
			pts = append(pts, plotter.XY{X: ts[i], Y: yi[0]})
		}
		t, y = ev.T, []float64{0, -e * ev.Y[1]}
	}
	return pts, nil
}

func writePictures(dir string, res *result) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errors.Wrap(err, "pictures")
	}
	var paths []string
	save := func(p *plot.Plot, name string) error {
		path := filepath.Join(dir, name)
		if err := p.Save(7*vg.Inch, 4*vg.Inch, path); err != nil {
			return errors.Wrapf(err, "save %s", path)
		}
		paths = append(paths, path)
		return nil
	}
	p := plot.New()
	p.Title.Text = "Bouncing ball: observed bounces and the fitted trajectory"
	p.X.Label.Text = "t (s)"
	p.Y.Label.Text = "height (m)"
	p.Legend.Top = true
	n := len(res.Observed)
	for i, c := range []struct {
		h, e  float64
		col   color.Color
		label string
	}{{trueH, trueE, trueColor, "true"}, {res.H, res.E, modelColor, "fitted"}, {res.H0, res.E0, guessColor, "initial guess"}} {
		pts, err := trajectory(c.h, c.e, n)
		if err != nil {
			return nil, err
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = c.col
		l.Width = vg.Points(1.5)
		if i >= 1 {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(l)
		p.Legend.Add(c.label, l)
	}
	obs := make(plotter.XYs, n)
	for i, t := range res.Observed {
		obs[i] = plotter.XY{X: t, Y: 0}
	}
	sc, err := plotter.NewScatter(obs)
	if err != nil {
		return nil, err
	}
	sc.Color = trueColor
	p.Add(sc)
	p.Legend.Add("observed bounce times", sc)
	if err := save(p, "bouncing-trajectory.png"); err != nil {
		return nil, err
	}
	q := plot.New()
	q.Title.Text = "Fit: squared error of the bounce times"
	q.X.Label.Text = "iteration"
	q.Y.Label.Text = "loss (s^2)"
	q.Y.Scale = plot.LogScale{}
	q.Y.Tick.Marker = plot.LogTicks{}
	lp := make(plotter.XYs, len(res.Losses))
	for i, l := range res.Losses {
		lp[i] = plotter.XY{X: float64(i + 1), Y: l}
	}
	ll, err := plotter.NewLine(lp)
	if err != nil {
		return nil, err
	}
	ll.Color = modelColor
	q.Add(ll)
	if err := save(q, "bouncing-fit.png"); err != nil {
		return nil, err
	}
	return paths, nil
}
