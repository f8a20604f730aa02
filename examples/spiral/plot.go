package main

import (
	"image/color"
	"math"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var (
	trueColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	predColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	compColor = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
)

// writePictures draws the true and learned trajectories against time, the phase
// portrait and the learned vector field into dir, and returns the files' paths.
func writePictures(dir string, ts []float64, truth, pred [][]float64, field func(x, y float64) (float64, float64)) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errors.Wrap(err, "pictures")
	}
	var paths []string
	save := func(p *plot.Plot, name string) error {
		path := filepath.Join(dir, name)
		if err := p.Save(6*vg.Inch, 4.5*vg.Inch, path); err != nil {
			return errors.Wrapf(err, "save %s", path)
		}
		paths = append(paths, path)
		return nil
	}

	// Trajectories against time.
	p := plot.New()
	p.Title.Text = "Trajectories"
	p.X.Label.Text = "t"
	p.Y.Label.Text = "x, y"
	for k, name := range []string{"x", "y"} {
		for _, s := range []struct {
			ys    [][]float64
			label string
			c     color.Color
			dash  bool
		}{{truth, "true " + name, trueColor, false}, {pred, "learned " + name, predColor, true}} {
			pts := make(plotter.XYs, len(ts))
			for i, t := range ts {
				pts[i] = plotter.XY{X: t, Y: s.ys[i][k]}
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			l.Color = s.c
			if k == 1 {
				l.Color = compColor
				if s.dash {
					l.Color = color.RGBA{R: 0xff, G: 0x7f, A: 0xff}
				}
			}
			if s.dash {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			}
			p.Add(l)
			p.Legend.Add(s.label, l)
		}
	}
	p.Legend.Top = true
	if err := save(p, "spiral_traj.png"); err != nil {
		return nil, err
	}

	// Phase portrait.
	p = plot.New()
	p.Title.Text = "Phase portrait"
	p.X.Label.Text = "x"
	p.Y.Label.Text = "y"
	for _, s := range []struct {
		ys    [][]float64
		label string
		c     color.Color
		dash  bool
	}{{truth, "true", trueColor, false}, {pred, "learned", predColor, true}} {
		pts := make(plotter.XYs, len(s.ys))
		for i, y := range s.ys {
			pts[i] = plotter.XY{X: y[0], Y: y[1]}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = s.c
		if s.dash {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(l)
		p.Legend.Add(s.label, l)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -2, 2, -2, 2
	if err := save(p, "spiral_phase.png"); err != nil {
		return nil, err
	}

	// Learned vector field, normalised to unit arrows as in torchdiffeq's demo.
	p = plot.New()
	p.Title.Text = "Learned vector field"
	p.X.Label.Text = "x"
	p.Y.Label.Text = "y"
	vf := plotter.NewField(gridField{n: 21, lo: -2, hi: 2, f: field})
	vf.LineStyle.Width = vg.Points(0.6)
	vf.LineStyle.Color = color.Black
	vf.DrawGlyph = arrow
	p.Add(vf)
	if err := save(p, "spiral_field.png"); err != nil {
		return nil, err
	}
	return paths, nil
}

// arrow draws a unit vector along (1, 0) centred on the origin, with a head; Field
// rotates and scales it.
func arrow(c vg.Canvas, sty draw.LineStyle, v plotter.XY) {
	if v.X == 0 && v.Y == 0 {
		return
	}
	c.SetColor(sty.Color)
	c.SetLineWidth(sty.Width)
	var p vg.Path
	p.Move(vg.Point{X: -0.8})
	p.Line(vg.Point{X: 0.8})
	p.Move(vg.Point{X: 0.35, Y: 0.3})
	p.Line(vg.Point{X: 0.8})
	p.Line(vg.Point{X: 0.35, Y: -0.3})
	c.Stroke(p)
}

// gridField samples f on an n×n grid of [lo, hi]², with unit-length vectors.
type gridField struct {
	n      int
	lo, hi float64
	f      func(x, y float64) (float64, float64)
}

func (g gridField) Dims() (c, r int) { return g.n, g.n }
func (g gridField) X(c int) float64  { return g.lo + (g.hi-g.lo)*float64(c)/float64(g.n-1) }
func (g gridField) Y(r int) float64  { return g.lo + (g.hi-g.lo)*float64(r)/float64(g.n-1) }
func (g gridField) Vector(c, r int) plotter.XY {
	dx, dy := g.f(g.X(c), g.Y(r))
	n := math.Hypot(dx, dy)
	if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return plotter.XY{}
	}
	return plotter.XY{X: dx / n, Y: dy / n}
}
