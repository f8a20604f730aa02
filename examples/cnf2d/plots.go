package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/continuum-ml/continuum/examples/internal/heat"
	"github.com/continuum-ml/continuum/models/flow"
	"github.com/continuum-ml/continuum/models/toy"
)

// drawPictures writes samples.png, density.png and flow.png into cfg.Out and returns their
// paths and the mass of the learned density on the density grid.
func drawPictures(cfg Config, m *flow.CNF) ([]string, float64, error) {
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, 0, err
	}
	b := toy.Bound
	cell := vg.Points(300)
	var paths []string

	// Data beside model samples, as 2-D histograms.
	data, err := toy.Sample(cfg.Data, cfg.Points, seedOf(cfg.Seed, streamSamples, 1))
	if err != nil {
		return nil, 0, err
	}
	samples, err := m.Sample(cfg.Points, seedOf(cfg.Seed, streamSamples, 2))
	if err != nil {
		return nil, 0, err
	}
	bins := 100
	p := filepath.Join(cfg.Out, "samples.png")
	if err := heat.SaveRow(p, []*plot.Plot{
		heat.Plot(fmt.Sprintf("data (%s)", cfg.Data), heat.Histogram(data, bins, b)),
		heat.Plot("samples of the flow", heat.Histogram(samples, bins, b)),
	}, cell); err != nil {
		return nil, 0, err
	}
	paths = append(paths, p)

	// The learned density (beside the true one where it is known).
	n := cfg.Grid
	h := 2 * b / float64(n)
	pts := make([]float64, 0, 2*n*n)
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			pts = append(pts, -b+(float64(c)+0.5)*h, -b+(float64(r)+0.5)*h)
		}
	}
	lp, err := m.LogProbValues(pts, seedOf(cfg.Seed, streamProbeEval, 1))
	if err != nil {
		return nil, 0, err
	}
	learned := heat.NewGrid(n, b)
	mass := 0.0
	for i, v := range lp {
		learned.Z[i] = math.Exp(v)
		mass += learned.Z[i]
	}
	mass *= h * h
	row := []*plot.Plot{heat.Plot("learned density", learned)}
	if _, ok := toy.LogDensity(cfg.Data, 0, 0); ok {
		truth := heat.NewGrid(n, b)
		for i := range truth.Z {
			v, _ := toy.LogDensity(cfg.Data, pts[2*i], pts[2*i+1])
			truth.Z[i] = math.Exp(v)
		}
		row = append([]*plot.Plot{heat.Plot("true density", truth)}, row...)
	}
	p = filepath.Join(cfg.Out, "density.png")
	if err := heat.SaveRow(p, row, cell); err != nil {
		return nil, 0, err
	}
	paths = append(paths, p)

	// Particles flowing from the base distribution to the data.
	if cfg.Snaps >= 2 {
		np := min(cfg.Points, 3000)
		z := m.BaseSample(np, seedOf(cfg.Seed, streamSamples, 3))
		_, snaps, err := m.Transport(z, cfg.Snaps)
		if err != nil {
			return nil, 0, err
		}
		// keep cfg.Snaps evenly spaced snapshots over all blocks
		idx := make([]int, cfg.Snaps)
		for i := range idx {
			idx[i] = int(math.Round(float64(i) * float64(len(snaps)-1) / float64(cfg.Snaps-1)))
		}
		var plots []*plot.Plot
		colors := make([]color.Color, np)
		for i := 0; i < np; i++ {
			a := math.Atan2(z[2*i+1], z[2*i]) // color by the base point's angle
			colors[i] = hueColor((a + math.Pi) / (2 * math.Pi))
		}
		total := float64(len(snaps) - 1)
		for k, i := range idx {
			q := plot.New()
			q.Title.Text = fmt.Sprintf("%s (%.0f%%)", map[bool]string{true: "base", false: "flow"}[k == 0], 100*float64(i)/total)
			if k == len(idx)-1 {
				q.Title.Text = "data space (100%)"
			}
			xy := make(plotter.XYs, np)
			for j := range xy {
				xy[j].X, xy[j].Y = snaps[i][2*j], snaps[i][2*j+1]
			}
			s, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, 0, err
			}
			s.GlyphStyleFunc = func(j int) draw.GlyphStyle {
				return draw.GlyphStyle{Color: colors[j], Radius: vg.Points(0.8), Shape: draw.CircleGlyph{}}
			}
			q.Add(s)
			q.X.Min, q.X.Max, q.Y.Min, q.Y.Max = -b, b, -b, b
			plots = append(plots, q)
		}
		p = filepath.Join(cfg.Out, "flow.png")
		if err := heat.SaveRow(p, plots, vg.Points(220)); err != nil {
			return nil, 0, err
		}
		paths = append(paths, p)
	}
	return paths, mass, nil
}

// hueColor is a saturated color of hue h in [0, 1].
func hueColor(h float64) color.Color {
	c := palette.HSVA{H: h, S: 0.85, V: 0.9, A: 1}
	return c
}
