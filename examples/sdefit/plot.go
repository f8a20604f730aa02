package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/continuum-ml/continuum/layers"
)

var (
	trueColor  = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	modelColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	thinTrue   = color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0x90}
	thinModel  = color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0x90}
	dashes     = []vg.Length{vg.Points(4), vg.Points(2)}
)

// writePictures draws sample paths, marginals and coefficients into dir and returns
// the files' paths.
func writePictures(dir string, proc process, drift, diffusion *layers.MLP, starts []float64, data *dataSet, cfg config) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errors.Wrap(err, "pictures")
	}
	var paths []string
	save := func(p *plot.Plot, name string) error {
		path := filepath.Join(dir, name)
		if err := p.Save(7*vg.Inch, 4.5*vg.Inch, path); err != nil {
			return errors.Wrapf(err, "save %s", path)
		}
		paths = append(paths, path)
		return nil
	}
	line := func(p *plot.Plot, xs, ys []float64, c color.Color, dash bool, width float64) (*plotter.Line, error) {
		pts := make(plotter.XYs, len(xs))
		for i := range xs {
			pts[i] = plotter.XY{X: xs[i], Y: ys[i]}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = c
		l.Width = vg.Points(width)
		if dash {
			l.Dashes = dashes
		}
		p.Add(l)
		return l, nil
	}
	// Fine times for the model and the true marginals.
	nt := int(math.Round(cfg.T1/cfg.Dt)) + 1
	fine := make([]float64, nt)
	for i := range fine {
		fine[i] = cfg.T1 * float64(i) / float64(nt-1)
	}
	obs := make([]float64, cfg.Obs)
	for i := range obs {
		obs[i] = cfg.T1 * float64(i) / float64(cfg.Obs-1)
	}
	const nsample = 2000
	ys, err := modelPaths(drift, diffusion, starts, fine, cfg, nsample, cfg.Seed+7)
	if err != nil {
		return nil, errors.Wrap(err, "model paths")
	}
	shown := []int{0, len(starts) / 2, len(starts) - 1}
	if len(starts) < 3 {
		shown = shown[:len(starts)]
	}

	// Sample paths.
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Sample paths: %s (blue) and the neural SDE (red)", proc.name)
	p.X.Label.Text = "t"
	p.Y.Label.Text = "x"
	for k, s := range shown {
		if k > 0 && s == shown[k-1] {
			continue
		}
		for j := 0; j < 8 && j < len(data.paths[s]); j++ {
			l, err := line(p, obs, data.paths[s][j], thinTrue, false, 0.8)
			if err != nil {
				return nil, err
			}
			if k == 0 && j == 0 {
				p.Legend.Add("data", l)
			}
			mp := make([]float64, len(fine))
			for i := range fine {
				mp[i] = ys[i][s*nsample+j]
			}
			l, err = line(p, fine, mp, thinModel, false, 0.8)
			if err != nil {
				return nil, err
			}
			if k == 0 && j == 0 {
				p.Legend.Add("model", l)
			}
		}
	}
	p.Legend.Top = true
	if err := save(p, "sdefit_paths.png"); err != nil {
		return nil, err
	}

	// Marginals: mean and mean ± 2 standard deviations.
	p = plot.New()
	p.Title.Text = "Marginals: mean ± 2 std, true (blue) and learned (red)"
	p.X.Label.Text = "t"
	p.Y.Label.Text = "x"
	for k, s := range starts {
		tm, tlo, thi := make([]float64, nt), make([]float64, nt), make([]float64, nt)
		mm, mlo, mhi := make([]float64, nt), make([]float64, nt), make([]float64, nt)
		for i, t := range fine {
			m, v := proc.moments(s, t)
			sd := math.Sqrt(v)
			tm[i], tlo[i], thi[i] = m, m-2*sd, m+2*sd
			mean, std := moments(ys[i][k*nsample : (k+1)*nsample])
			mm[i], mlo[i], mhi[i] = mean, mean-2*std, mean+2*std
		}
		for _, c := range []struct {
			ys    []float64
			col   color.Color
			dash  bool
			label string
		}{{tm, trueColor, false, "true mean"}, {tlo, trueColor, true, "true ± 2 std"}, {thi, trueColor, true, ""},
			{mm, modelColor, false, "learned mean"}, {mlo, modelColor, true, "learned ± 2 std"}, {mhi, modelColor, true, ""}} {
			l, err := line(p, fine, c.ys, c.col, c.dash, 1)
			if err != nil {
				return nil, err
			}
			if k == 0 && c.label != "" {
				p.Legend.Add(c.label, l)
			}
		}
	}
	p.Legend.Top = true
	if err := save(p, "sdefit_marginals.png"); err != nil {
		return nil, err
	}

	// Coefficients on the range the paths visit (0.5% to 99.5% of the visited states).
	var all []float64
	for _, y := range ys {
		all = append(all, y...)
	}
	sort.Float64s(all)
	lo, hi := all[len(all)/200], all[len(all)-1-len(all)/200]
	const nx = 101
	xs := make([]float64, nx)
	for i := range xs {
		xs[i] = lo + (hi-lo)*float64(i)/float64(nx-1)
	}
	fnet, err := drift.NewNet(drift.Values(), nx)
	if err != nil {
		return nil, err
	}
	gnet, err := diffusion.NewNet(diffusion.Values(), nx)
	if err != nil {
		return nil, err
	}
	lf, lg := make([]float64, nx), make([]float64, nx)
	fnet.Forward(lf, 0, xs)
	gnet.Forward(lg, 0, xs)
	tf, tg := make([]float64, nx), make([]float64, nx)
	for i, x := range xs {
		tf[i], tg[i] = proc.drift(x), proc.diffusion(x)
	}
	p = plot.New()
	p.Title.Text = "Drift (Stratonovich) and diffusion: true (solid) and learned (dashed)"
	p.X.Label.Text = "x"
	for _, c := range []struct {
		ys    []float64
		col   color.Color
		dash  bool
		label string
	}{{tf, trueColor, false, "true drift"}, {lf, trueColor, true, "learned drift"},
		{tg, modelColor, false, "true diffusion"}, {lg, modelColor, true, "learned diffusion"}} {
		l, err := line(p, xs, c.ys, c.col, c.dash, 1.2)
		if err != nil {
			return nil, err
		}
		p.Legend.Add(c.label, l)
	}
	p.Legend.Top = true
	if err := save(p, "sdefit_coeffs.png"); err != nil {
		return nil, err
	}
	return paths, nil
}
