// Package heat draws the 2-D density pictures of the flow examples: square grids of values
// over [-B, B]², histograms of points, heat maps and rows of plots saved as PNG.
package heat

import (
	"math"
	"os"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Grid is a square N×N grid of values over [-B, B]², row r at y = -B + (r+0.5)h, values Z
// row-major: a plotter.GridXYZ.
type Grid struct {
	N int
	B float64
	Z []float64
}

// NewGrid returns a grid of zeros.
func NewGrid(n int, b float64) Grid { return Grid{N: n, B: b, Z: make([]float64, n*n)} }

// Dims is the grid's size.
func (g Grid) Dims() (c, r int) { return g.N, g.N }

// Value is the value of cell (c, r) (plotter.GridXYZ's Z).
func (g Grid) Value(c, r int) float64 { return g.Z[r*g.N+c] }

// X is the centre of column c.
func (g Grid) X(c int) float64 { return -g.B + (float64(c)+0.5)*2*g.B/float64(g.N) }

// Y is the centre of row r.
func (g Grid) Y(r int) float64 { return g.X(r) }

// xyz adapts a Grid to plotter.GridXYZ (whose Z method would clash with the field).
type xyz struct{ Grid }

func (g xyz) Z(c, r int) float64 { return g.Value(c, r) }

// Histogram bins the points (n×2, row-major) into an n×n grid over [-b, b]².
func Histogram(pts []float64, n int, b float64) Grid {
	g := NewGrid(n, b)
	h := 2 * b / float64(n)
	for i := 0; i+1 < len(pts); i += 2 {
		c := int(math.Floor((pts[i] + b) / h))
		r := int(math.Floor((pts[i+1] + b) / h))
		if c >= 0 && c < n && r >= 0 && r < n {
			g.Z[r*n+c]++
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

// Plot is a square plot of g as a heat map.
func Plot(title string, g Grid) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	hm := plotter.NewHeatMap(xyz{g}, heatPalette)
	hm.Rasterized = true
	// The color scale ends at the 99.5th percentile, so that a few sharp peaks do not
	// darken the rest; higher values take the brightest color.
	hm.Min, hm.Max = 0, quantile(g.Z, 0.995)
	if !(hm.Max > 0) {
		hm.Max = 1
	}
	hm.Overflow = heatPalette.Colors()[len(heatPalette.Colors())-1]
	p.Add(hm)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -g.B, g.B, -g.B, g.B
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

// SaveRow draws plots side by side into a PNG of the given cell size.
func SaveRow(path string, plots []*plot.Plot, cell vg.Length) error {
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
