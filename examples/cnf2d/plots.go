package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/continuum-ml/continuum/models/flow"
	"github.com/continuum-ml/continuum/models/toy"
)

// grid is a square n×n grid of values over [-b, b]², row r at y = -b + (r+0.5)h: a
// plotter.GridXYZ.
type grid struct {
	n int
	b float64
	z []float64
}

func (g grid) Dims() (c, r int)   { return g.n, g.n }
func (g grid) Z(c, r int) float64 { return g.z[r*g.n+c] }
func (g grid) X(c int) float64    { return -g.b + (float64(c)+0.5)*2*g.b/float64(g.n) }
func (g grid) Y(r int) float64    { return g.X(r) }

// histogram bins the points (n×2) into an n×n grid over [-b, b]².
func histogram(pts []float64, n int, b float64) grid {
	g := grid{n: n, b: b, z: make([]float64, n*n)}
	h := 2 * b / float64(n)
	for i := 0; i+1 < len(pts); i += 2 {
		c := int(math.Floor((pts[i] + b) / h))
		r := int(math.Floor((pts[i+1] + b) / h))
		if c >= 0 && c < n && r >= 0 && r < n {
			g.z[r*n+c]++
		}
	}
	return g
}

var heatPalette = func() palette.Palette {
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(0)
	cm.SetMax(1)
	return cm.Palette(256)
}()

// heatPlot is a square plot of g as a heat map.
func heatPlot(title string, g grid) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	hm := plotter.NewHeatMap(g, heatPalette)
	hm.Rasterized = true
	// The color scale ends at the 99.5th percentile, so that a few sharp peaks do not
	// darken the rest; higher values take the brightest color.
	hm.Min, hm.Max = 0, quantile(g.z, 0.995)
	if !(hm.Max > 0) {
		hm.Max = 1
	}
	hm.Overflow = heatPalette.Colors()[len(heatPalette.Colors())-1]
	p.Add(hm)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -g.b, g.b, -g.b, g.b
	return p
}

// quantile returns the q-quantile of the values (a copy is sorted).
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// saveRow draws plots side by side into a PNG of the given cell size.
func saveRow(path string, plots []*plot.Plot, cell vg.Length) error {
	img := vgimg.New(cell*vg.Length(len(plots)), cell)
	dc := draw.New(img)
	t := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 3, PadY: vg.Millimeter,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	cs := plot.Align([][]*plot.Plot{plots}, t, dc)
	for i, p := range plots {
		p.Draw(cs[0][i])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

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
	if err := saveRow(p, []*plot.Plot{
		heatPlot(fmt.Sprintf("data (%s)", cfg.Data), histogram(data, bins, b)),
		heatPlot("samples of the flow", histogram(samples, bins, b)),
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
	learned := grid{n: n, b: b, z: make([]float64, n*n)}
	mass := 0.0
	for i, v := range lp {
		learned.z[i] = math.Exp(v)
		mass += learned.z[i]
	}
	mass *= h * h
	row := []*plot.Plot{heatPlot("learned density", learned)}
	if _, ok := toy.LogDensity(cfg.Data, 0, 0); ok {
		truth := grid{n: n, b: b, z: make([]float64, n*n)}
		for i := range truth.z {
			v, _ := toy.LogDensity(cfg.Data, pts[2*i], pts[2*i+1])
			truth.z[i] = math.Exp(v)
		}
		row = append([]*plot.Plot{heatPlot("true density", truth)}, row...)
	}
	p = filepath.Join(cfg.Out, "density.png")
	if err := saveRow(p, row, cell); err != nil {
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
		if err := saveRow(p, plots, vg.Points(220)); err != nil {
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
