package main

import (
	"image/color"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/continuum-ml/continuum/models/latent"
)

var (
	seenColor = color.RGBA{A: 0xff}
	heldColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	lodeColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	bandColor = color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0x40}
	rnnColor  = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
)

// drawPredictions draws the first three test sequences of e: what the models saw, the
// held-out values, and the predictions at the times of mean, band and rnn (the latent
// ODE's mean and 90% band on a fine grid, and RNN-Δt's prediction on the test grid: its
// roll-out is a discrete recursion over the grid it is given).
func drawPredictions(path, title string, e *experiment, mean, band, rnn *latent.Predictive) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errors.Wrap(err, "pictures")
	}
	rows := min(3, e.test.N)
	lo, hi := band.Band(0.9)
	mu, pr := mean.Mean(), rnn.Mean()
	img := vgimg.New(8*vg.Inch, vg.Length(rows)*2.6*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: 1, PadX: vg.Millimeter, PadY: 2 * vg.Millimeter, PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	plots := make([][]*plot.Plot, rows)
	for n := 0; n < rows; n++ {
		p := plot.New()
		if n == 0 {
			p.Title.Text = title + ": latent ODE (mean, 90% band) and RNN-dt"
		}
		p.X.Label.Text = "t"
		var seen, held, lm, rm plotter.XYs
		var poly plotter.XYs
		for k, t := range e.test.Times {
			i := e.test.Index(n, k, 0)
			if e.testIn.Mask[i] != 0 {
				seen = append(seen, plotter.XY{X: t, Y: e.test.Values[i]})
			}
			if e.held[i] != 0 {
				held = append(held, plotter.XY{X: t, Y: e.test.Values[i]})
			}
		}
		for k, t := range mean.Times {
			j := mean.Index(n, k, 0)
			lm = append(lm, plotter.XY{X: t, Y: mu[j]})
			poly = append(poly, plotter.XY{X: t, Y: hi[j]})
		}
		for k, t := range rnn.Times {
			rm = append(rm, plotter.XY{X: t, Y: pr[rnn.Index(n, k, 0)]})
		}
		for k := len(mean.Times) - 1; k >= 0; k-- {
			poly = append(poly, plotter.XY{X: mean.Times[k], Y: lo[band.Index(n, k, 0)]})
		}
		pg, err := plotter.NewPolygon(poly)
		if err != nil {
			return err
		}
		pg.Color, pg.LineStyle.Width = bandColor, 0
		p.Add(pg)
		for _, l := range []struct {
			xy    plotter.XYs
			c     color.Color
			label string
			dash  bool
		}{{lm, lodeColor, "latent ODE", false}, {rm, rnnColor, "RNN-dt", true}} {
			line, err := plotter.NewLine(l.xy)
			if err != nil {
				return err
			}
			line.Color = l.c
			line.Width = vg.Points(1.5)
			if l.dash {
				line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			}
			p.Add(line)
			if n == 0 {
				p.Legend.Add(l.label, line)
			}
		}
		for _, s := range []struct {
			xy    plotter.XYs
			c     color.Color
			shape draw.GlyphDrawer
			label string
		}{{seen, seenColor, draw.CircleGlyph{}, "seen"}, {held, heldColor, draw.CrossGlyph{}, "held out"}} {
			if len(s.xy) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(s.xy)
			if err != nil {
				return err
			}
			sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = s.c, s.shape, vg.Points(2)
			p.Add(sc)
			if n == 0 {
				p.Legend.Add(s.label, sc)
			}
		}
		p.Legend.Top = true
		// Room on the right for the legend.
		p.X.Max += 0.22 * (p.X.Max - p.X.Min)
		plots[n] = []*plot.Plot{p}
	}
	canvases := plot.Align(plots, tiles, dc)
	for n := range plots {
		plots[n][0].Draw(canvases[n][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "pictures")
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return errors.Wrapf(err, "write %s", path)
	}
	return errors.Wrapf(f.Close(), "write %s", path)
}
