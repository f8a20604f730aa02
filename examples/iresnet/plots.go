package main

import (
	"fmt"
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

	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/layers"
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

// drawPictures writes samples.png and density.png into cfg.Out and returns their paths,
// the mass of the learned density on the density grid and the most fixed-point iterations
// a block needed when sampling.
func drawPictures(cfg Config, m *flow.IResNet) ([]string, float64, int, error) {
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, 0, 0, err
	}
	b := toy.Bound
	cell := vg.Points(300)
	var paths []string

	// Data beside model samples (base points through the inverse), as 2-D histograms.
	data, err := toy.Sample(cfg.Data, cfg.Points, seedOf(cfg.Seed, streamSamples, 1))
	if err != nil {
		return nil, 0, 0, err
	}
	z := make([]float64, 2*cfg.Points)
	src := rng.New(seedOf(cfg.Seed, streamSamples, 2))
	src.FillNormal(z)
	samples, inv, err := m.Inverse(z)
	if err != nil {
		return nil, 0, 0, err
	}
	bins := 100
	p := filepath.Join(cfg.Out, "samples.png")
	if err := saveRow(p, []*plot.Plot{
		heatPlot(fmt.Sprintf("data (%s)", cfg.Data), histogram(data, bins, b)),
		heatPlot("samples of the i-ResNet", histogram(samples, bins, b)),
	}, cell); err != nil {
		return nil, 0, 0, err
	}
	paths = append(paths, p)

	// The learned density (exact log-determinants) beside the true one where it is known.
	n := cfg.Grid
	h := 2 * b / float64(n)
	pts := make([]float64, 0, 2*n*n)
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			pts = append(pts, -b+(float64(c)+0.5)*h, -b+(float64(r)+0.5)*h)
		}
	}
	lp := make([]float64, n*n)
	if err := m.LogProb(lp, pts, layers.LogDet{Method: layers.LogDetExact}, 0); err != nil {
		return nil, 0, 0, err
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
		return nil, 0, 0, err
	}
	paths = append(paths, p)
	return paths, mass, inv, nil
}
