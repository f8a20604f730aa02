package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
	"github.com/schollz/progressbar/v3"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/odeop"
)

// Config is everything a run needs; DefaultConfig gives the defaults.
type Config struct {
	Models []string // hollow, mlp
	Data   string   // the digits CSV
	Hidden int      // HollowNet H
	Mix    int      // HollowNet M
	T      float64  // end time
	Solver string   // rk4 or dopri5
	Steps  int      // rk4 steps
	Tol    float64  // dopri5 training tolerance
	Iters  int
	Batch  int
	LR     float64
	Seed   uint64
	Eval   int    // held-out images (0: the whole test split)
	Out    string // folder for the pictures
	Every  int
	Bar    bool
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Models: []string{"hollow", "mlp"}, Data: "", Hidden: 32, Mix: 16, T: 1,
		Solver: "rk4", Steps: 4, Tol: 1e-3, Iters: 500, Batch: 128, LR: 2e-3, Seed: 1,
		Out: "hollowcnf-out", Every: 50,
	}
}

// ModelResult reports one model.
type ModelResult struct {
	Name      string
	Params    int
	TrainTime time.Duration
	LastLoss  float64
	// HeldOutBPD is the exact held-out NLL in bits per dimension (dequantisation bound),
	// HeldOutSE its standard error over the images.
	HeldOutBPD, HeldOutSE float64
	Picture               string
}

// Result reports a run.
type Result struct {
	Models []ModelResult
}

func (cfg Config) trainOpts() ([]odeop.Option, error) {
	switch strings.ToLower(cfg.Solver) {
	case "rk4":
		if cfg.Steps < 1 {
			return nil, errors.Errorf("rk4 steps %d", cfg.Steps)
		}
		return []odeop.Option{odeop.WithMethod(odeop.RK4), odeop.WithStep(cfg.T / float64(cfg.Steps)), odeop.WithGradient(odeop.Checkpoint)}, nil
	case "dopri5":
		if !(cfg.Tol > 0) {
			return nil, errors.Errorf("tolerance %g", cfg.Tol)
		}
		return []odeop.Option{odeop.WithMethod(odeop.Dopri5), odeop.WithTol(cfg.Tol, cfg.Tol)}, nil
	}
	return nil, errors.Errorf("unknown solver %q (rk4, dopri5)", cfg.Solver)
}

var evalOpts = []odeop.Option{odeop.WithMethod(odeop.Dopri5), odeop.WithTol(1e-5, 1e-5)}

// Run trains and evaluates the models of cfg, writing progress to w.
func Run(cfg Config, w io.Writer) (*Result, error) {
	if cfg.Iters < 0 || cfg.Batch < 1 || !(cfg.LR > 0) || !(cfg.T > 0) {
		return nil, errors.Errorf("iterations %d, batch %d, learning rate %g, end time %g", cfg.Iters, cfg.Batch, cfg.LR, cfg.T)
	}
	opts, err := cfg.trainOpts()
	if err != nil {
		return nil, err
	}
	px, err := loadPixels(cfg.Data)
	if err != nil {
		return nil, err
	}
	train, test := split(px, 0.2, cfg.Seed)
	ntrain, ntest := len(train)/pixels, len(test)/pixels
	if cfg.Eval > 0 && cfg.Eval < ntest {
		test, ntest = test[:cfg.Eval*pixels], cfg.Eval
	}
	fmt.Fprintf(w, "hollowcnf: %d training and %d held-out images of 64 pixels, dequantised and scaled by %g; %s, T = %g, batch %d, %d iterations\n",
		ntrain, ntest, Scale, cfg.solverName(), cfg.T, cfg.Batch, cfg.Iters)
	if cfg.Out != "" {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return nil, err
		}
		x := make([]float64, 64*pixels)
		dequantize(x, test[:min(len(test), 64*pixels)], 1)
		if err := savePNG(filepath.Join(cfg.Out, "data.png"), x[:min(len(test), 64*pixels)]); err != nil {
			return nil, err
		}
	}
	res := &Result{}
	hollowParams := 0
	for _, name := range cfg.Models {
		g := G.NewGraph()
		var m *flowModel
		switch strings.TrimSpace(name) {
		case "hollow":
			m, err = newHollowModel(g, cfg.Hidden, cfg.Mix, cfg.T, cfg.Seed)
		case "mlp":
			if hollowParams == 0 {
				hm, err := newHollowModel(G.NewGraph(), cfg.Hidden, cfg.Mix, cfg.T, cfg.Seed)
				if err != nil {
					return nil, err
				}
				hollowParams = odeop.NumParams(hm.train)
			}
			m, err = newMLPModel(g, mlpWidth(hollowParams), cfg.T, cfg.Seed)
		default:
			return nil, errors.Errorf("unknown model %q (hollow, mlp)", name)
		}
		if err != nil {
			return nil, err
		}
		mr, err := trainOne(cfg, g, m, train, test, opts, w)
		if err != nil {
			return nil, errors.Wrap(err, m.name)
		}
		if m.name == "hollow" {
			hollowParams = mr.Params
		}
		res.Models = append(res.Models, *mr)
	}
	fmt.Fprintln(w, "\nmodel    params  train time  held-out NLL (bits/dim, exact trace)")
	for _, r := range res.Models {
		fmt.Fprintf(w, "%-7s %7d  %10s  %.4f ± %.4f\n", r.Name, r.Params, r.TrainTime.Round(time.Second), r.HeldOutBPD, r.HeldOutSE)
	}
	return res, nil
}

func (cfg Config) solverName() string {
	if strings.ToLower(cfg.Solver) == "rk4" {
		return fmt.Sprintf("rk4 with %d steps (gradient through the steps)", cfg.Steps)
	}
	return fmt.Sprintf("dopri5 at %g (adjoint)", cfg.Tol)
}

// trainOne trains m and evaluates it.
func trainOne(cfg Config, g *G.ExprGraph, m *flowModel, train, test []float64, opts []odeop.Option, w io.Writer) (*ModelResult, error) {
	t, err := newTrainer(g, m, cfg.Batch, cfg.LR, opts)
	if err != nil {
		return nil, err
	}
	defer t.vm.Close()
	mr := &ModelResult{Name: m.name, Params: odeop.NumParams(m.train)}
	fmt.Fprintf(w, "\n%s: %d parameters, trained with the %s\n", m.name, mr.Params,
		map[bool]string{true: "exact trace (HollowNet)", false: "Hutchinson estimator (Rademacher probes)"}[m.probeCol < 0])
	var bar *progressbar.ProgressBar
	if cfg.Bar && cfg.Iters > 0 {
		bar = progressbar.NewOptions(cfg.Iters, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription(m.name),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionSetWidth(20), progressbar.OptionClearOnFinish())
	}
	ntrain := len(train) / pixels
	batch := make([]float64, cfg.Batch*pixels)
	idx := make([]float64, cfg.Batch*pixels)
	src := rng.New(rng.Derive(cfg.Seed, 1))
	start := time.Now()
	avg, navg := 0.0, 0
	for it := 0; it < cfg.Iters; it++ {
		for b := 0; b < cfg.Batch; b++ {
			i := src.Intn(ntrain)
			copy(idx[b*pixels:(b+1)*pixels], train[i*pixels:(i+1)*pixels])
		}
		dequantize(batch, idx, rng.Derive(cfg.Seed, uint64(1000+it)))
		loss, fwd, bwd, err := t.step(batch, cfg.Seed, uint64(it))
		if err != nil {
			return nil, errors.Wrapf(err, "iteration %d", it)
		}
		mr.LastLoss = loss
		avg += loss
		navg++
		if bar != nil {
			bar.Describe(fmt.Sprintf("%s %.3f bits/dim", m.name, bitsPerDim(loss)))
			_ = bar.Add(1)
		}
		if cfg.Every > 0 && ((it+1)%cfg.Every == 0 || it+1 == cfg.Iters) {
			if bar != nil {
				fmt.Fprint(os.Stderr, "\r\033[K")
			}
			el := time.Since(start)
			fmt.Fprintf(w, "%s iter %4d/%d  loss %.4f bits/dim (mean of last %d: %.4f)  NFE %d/%d  %.2f s/it\n", m.name, it+1, cfg.Iters,
				bitsPerDim(loss), navg, bitsPerDim(avg/float64(navg)), fwd.NFE, bwd.NFE, el.Seconds()/float64(it+1))
			avg, navg = 0, 0
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	mr.TrainTime = time.Since(start)
	// exact held-out likelihood, one dequantisation draw per image
	ntest := len(test) / pixels
	xt := make([]float64, len(test))
	dequantize(xt, test, rng.Derive(cfg.Seed, 2))
	lp, err := logProb(m, xt, evalOpts)
	if err != nil {
		return nil, errors.Wrap(err, "held-out likelihood")
	}
	var s, s2 float64
	for _, v := range lp {
		b := bitsPerDim(-v)
		s += b
		s2 += b * b
	}
	mr.HeldOutBPD = s / float64(ntest)
	mr.HeldOutSE = math.Sqrt(math.Max(s2/float64(ntest)-mr.HeldOutBPD*mr.HeldOutBPD, 0) / float64(ntest))
	fmt.Fprintf(w, "%s: held-out NLL %.4f ± %.4f bits/dim on %d images (exact trace, dopri5 at 1e-5); trained in %s\n",
		m.name, mr.HeldOutBPD, mr.HeldOutSE, ntest, mr.TrainTime.Round(time.Second))
	if cfg.Out != "" {
		z := make([]float64, 64*pixels)
		zs := rng.New(rng.Derive(cfg.Seed, 3))
		zs.FillNormal(z)
		x, err := sample(m, z, evalOpts)
		if err != nil {
			return nil, errors.Wrap(err, "samples")
		}
		mr.Picture = filepath.Join(cfg.Out, m.name+"-samples.png")
		if err := savePNG(mr.Picture, x); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "%s: samples in %s\n", m.name, mr.Picture)
	}
	return mr, nil
}

// savePNG draws the images of x (flow space, 64 values each) as an 8-wide grid of 8x8
// digits, each pixel 4x4, in grey levels (white ink on black).
func savePNG(path string, x []float64) error {
	n := len(x) / pixels
	cols := 8
	rows := (n + cols - 1) / cols
	const px, pad = 4, 2
	cell := 8*px + pad
	img := image.NewGray(image.Rect(0, 0, cols*cell+pad, rows*cell+pad))
	for i := range img.Pix {
		img.Pix[i] = 40
	}
	for k := 0; k < n; k++ {
		r0, c0 := (k/cols)*cell+pad, (k%cols)*cell+pad
		for p := 0; p < pixels; p++ {
			v := x[k*pixels+p]/Scale + 0.5 // back to [0, 1]
			v = math.Max(0, math.Min(1, v))
			g := color.Gray{Y: uint8(math.Round(255 * v))}
			for dy := 0; dy < px; dy++ {
				for dx := 0; dx < px; dx++ {
					img.SetGray(c0+(p%8)*px+dx, r0+(p/8)*px+dy, g)
				}
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
