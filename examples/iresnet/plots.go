package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/continuum-ml/continuum/examples/internal/heat"
	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models/flow"
	"github.com/continuum-ml/continuum/models/toy"
)

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
	if err := heat.SaveRow(p, []*plot.Plot{
		heat.Plot(fmt.Sprintf("data (%s)", cfg.Data), heat.Histogram(data, bins, b)),
		heat.Plot("samples of the i-ResNet", heat.Histogram(samples, bins, b)),
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
		return nil, 0, 0, err
	}
	paths = append(paths, p)
	return paths, mass, inv, nil
}
