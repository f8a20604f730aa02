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
	dataColor = color.RGBA{A: 0xff}
	heldColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	meanColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	bandColor = color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0x38}
	pathColor = color.NRGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0x60}
)

// addPrediction adds the band [lo, hi], up to paths sample paths and the mean of
// sequence n of p (values multiplied by scale) to pl.
func addPrediction(pl *plot.Plot, p *latent.Predictive, n int, mean, lo, hi []float64, paths int, scale float64, legend bool) error {
	var poly, mline plotter.XYs
	for k, t := range p.Times {
		poly = append(poly, plotter.XY{X: t, Y: scale * hi[p.Index(n, k, 0)]})
		mline = append(mline, plotter.XY{X: t, Y: scale * mean[p.Index(n, k, 0)]})
	}
	for k := len(p.Times) - 1; k >= 0; k-- {
		poly = append(poly, plotter.XY{X: p.Times[k], Y: scale * lo[p.Index(n, k, 0)]})
	}
	pg, err := plotter.NewPolygon(poly)
	if err != nil {
		return err
	}
	pg.Color, pg.LineStyle.Width = bandColor, 0
	pl.Add(pg)
	if legend {
		pl.Legend.Add("90% band", pg)
	}
	for s := 0; s < min(paths, len(p.Samples)); s++ {
		xy := make(plotter.XYs, len(p.Times))
		for k, t := range p.Times {
			xy[k] = plotter.XY{X: t, Y: scale * p.Samples[s][p.Index(n, k, 0)]}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color, l.Width = pathColor, vg.Points(0.7)
		pl.Add(l)
		if legend && s == 0 {
			pl.Legend.Add("posterior paths", l)
		}
	}
	ml, err := plotter.NewLine(mline)
	if err != nil {
		return err
	}
	ml.Color, ml.Width = meanColor, vg.Points(1.5)
	pl.Add(ml)
	if legend {
		pl.Legend.Add("mean", ml)
	}
	return nil
}

func addPoints(pl *plot.Plot, xy plotter.XYs, c color.Color, shape draw.GlyphDrawer, label string) error {
	if len(xy) == 0 {
		return nil
	}
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = c, shape, vg.Points(2.2)
	pl.Add(sc)
	if label != "" {
		pl.Legend.Add(label, sc)
	}
	return nil
}

func savePlot(pl *plot.Plot, path string, w, h vg.Length) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errors.Wrap(err, "pictures")
	}
	return errors.Wrapf(pl.Save(w, h, path), "save %s", path)
}

// drawToy draws the toy's posterior: sample paths, band, mean and the observations.
func drawToy(path string, data *latent.Series, p *latent.Predictive, mean, lo, hi []float64) error {
	pl := plot.New()
	pl.Title.Text = "latent SDE on torchsde's toy: posterior paths"
	pl.X.Label.Text = "t"
	if err := addPrediction(pl, p, 0, mean, lo, hi, 30, 1, true); err != nil {
		return err
	}
	var obs plotter.XYs
	q := data.Sequence(0)
	for k, t := range q.Times {
		obs = append(obs, plotter.XY{X: t, Y: q.Values[k]})
	}
	if err := addPoints(pl, obs, dataColor, draw.CircleGlyph{}, "observations"); err != nil {
		return err
	}
	pl.Legend.Top = true
	pl.Legend.Left = true
	return savePlot(pl, path, 7*vg.Inch, 4.5*vg.Inch)
}

// drawCO2 draws three test windows: what the model saw, the held-out second year and
// the predictive paths, band and mean (ppm about the first year's mean).
func drawCO2(path string, test, seen, held *latent.Series, p *latent.Predictive, scale float64) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errors.Wrap(err, "pictures")
	}
	rows := min(3, test.N)
	lo, hi := p.Band(0.9)
	mean := p.Mean()
	img := vgimg.New(8*vg.Inch, vg.Length(rows)*2.6*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: 1, PadX: vg.Millimeter, PadY: 2 * vg.Millimeter, PadTop: vg.Millimeter,
		PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	plots := make([][]*plot.Plot, rows)
	for n := 0; n < rows; n++ {
		pl := plot.New()
		if n == 0 {
			pl.Title.Text = "latent SDE: CO2, first year seen, second year predicted (ppm about the first year's mean)"
		}
		pl.X.Label.Text = "years into the window"
		if err := addPrediction(pl, p, n, mean, lo, hi, 10, scale, n == 0); err != nil {
			return err
		}
		var s, h plotter.XYs
		for k, t := range test.Times {
			i := test.Index(n, k, 0)
			if seen.Mask[i] != 0 {
				s = append(s, plotter.XY{X: t, Y: scale * test.Values[i]})
			}
			if held.Mask[i] != 0 {
				h = append(h, plotter.XY{X: t, Y: scale * test.Values[i]})
			}
		}
		lab := func(l string) string {
			if n == 0 {
				return l
			}
			return ""
		}
		if err := addPoints(pl, s, dataColor, draw.CircleGlyph{}, lab("seen")); err != nil {
			return err
		}
		if err := addPoints(pl, h, heldColor, draw.CrossGlyph{}, lab("held out")); err != nil {
			return err
		}
		pl.Legend.Top = true
		pl.X.Max += 0.25 * (pl.X.Max - pl.X.Min)
		plots[n] = []*plot.Plot{pl}
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
