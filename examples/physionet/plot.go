package main

import (
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/continuum-ml/continuum/models/physionet"
)

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
}

// drawROC draws the test ROC curve of each model.
func drawROC(path string, test []physionet.Patient, outs []*outcome) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errors.Wrap(err, "roc picture")
	}
	p := plot.New()
	p.Title.Text = "In-hospital mortality, test ROC"
	p.X.Label.Text = "false positive rate"
	p.Y.Label.Text = "true positive rate"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	diag, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	diag.Color = color.Gray{Y: 0xa0}
	diag.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(diag)
	for i, o := range outs {
		tpr, fpr, err := physionet.ROC(o.scores, test)
		if err != nil {
			return err
		}
		xy := make(plotter.XYs, len(tpr))
		for k := range tpr {
			xy[k] = plotter.XY{X: fpr[k], Y: tpr[k]}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(string(o.kind)+" (AUC "+ftoa(o.auc)+")", l)
	}
	p.Legend.Left, p.Legend.Top = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Millimeter*2, vg.Millimeter*2
	return p.Save(5*vg.Inch, 5*vg.Inch, path)
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }

// drawn are the parameters drawn for each stay.
var drawn = []string{"HR", "MAP", "Temp", "GCS"}

// drawPatients draws, for the first n test stays, the observed values (normalised) of
// a few parameters: what the latent ODE saw (dots), the held-out values (crosses), its
// reconstruction from the posterior mean (line) and the 5-95% band over 30 draws of z0.
func drawPatients(path string, m *physionet.Model, d *data, n int, seed uint64) error {
	if n > len(d.testIn) {
		n = len(d.testIn)
	}
	if n == 0 {
		return nil
	}
	in, held, full := d.testIn[:n], d.testHeld[:n], d.test[:n]
	mean, err := m.Reconstruct(in)
	if err != nil {
		return err
	}
	draws, err := m.ReconstructSamples(in, 30, seed)
	if err != nil {
		return err
	}
	D := physionet.NumParameters
	img := vgimg.New(vg.Length(len(drawn))*3*vg.Inch, vg.Length(n)*2.4*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: n, Cols: len(drawn), PadX: vg.Millimeter, PadY: 2 * vg.Millimeter, PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	plots := make([][]*plot.Plot, n)
	for i := 0; i < n; i++ {
		plots[i] = make([]*plot.Plot, len(drawn))
		for j, name := range drawn {
			c := physionet.ParameterIndex(name)
			p := plot.New()
			p.Title.Text = name
			if j == 0 {
				p.Title.Text = "stay " + strconv.Itoa(full[i].ID) + ": " + name
			}
			p.X.Label.Text = "hours"
			var seen, hold, line, lo, hi plotter.XYs
			for k, t := range full[i].Times {
				h := t * 48
				if in[i].Mask[k*D+c] != 0 {
					seen = append(seen, plotter.XY{X: h, Y: in[i].Values[k*D+c]})
				}
				if held[i].Mask[k*D+c] != 0 {
					hold = append(hold, plotter.XY{X: h, Y: full[i].Values[k*D+c]})
				}
				line = append(line, plotter.XY{X: h, Y: mean[i][k*D+c]})
				vs := make([]float64, len(draws))
				for s := range draws {
					vs[s] = draws[s][i][k*D+c]
				}
				sort.Float64s(vs)
				lo = append(lo, plotter.XY{X: h, Y: vs[len(vs)*5/100]})
				hi = append(hi, plotter.XY{X: h, Y: vs[len(vs)*95/100]})
			}
			poly := append(plotter.XYs{}, lo...)
			for k := len(hi) - 1; k >= 0; k-- {
				poly = append(poly, hi[k])
			}
			if band, err := plotter.NewPolygon(poly); err == nil {
				band.Color = color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0x40}
				band.LineStyle.Width = 0
				p.Add(band)
			}
			if l, err := plotter.NewLine(line); err == nil {
				l.Color = palette[0]
				p.Add(l)
			}
			if len(seen) > 0 {
				s, _ := plotter.NewScatter(seen)
				s.GlyphStyle.Shape = draw.CircleGlyph{}
				s.GlyphStyle.Radius = vg.Points(2)
				p.Add(s)
			}
			if len(hold) > 0 {
				s, _ := plotter.NewScatter(hold)
				s.GlyphStyle.Shape = draw.CrossGlyph{}
				s.GlyphStyle.Color = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
				s.GlyphStyle.Radius = vg.Points(3)
				p.Add(s)
			}
			plots[i][j] = p
		}
	}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(canvases[i][j])
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errors.Wrap(err, "patients picture")
	}
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "patients picture")
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return errors.Wrap(err, "patients picture")
	}
	return errors.Wrap(f.Close(), "patients picture")
}
