package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
	"github.com/schollz/progressbar/v3"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/models/flow"
	"github.com/continuum-ml/continuum/models/toy"
	"github.com/continuum-ml/continuum/odeop"
)

// Config is everything a run needs; DefaultConfig gives the demo's values.
type Config struct {
	Data   string  // data set: one of toy.Names
	Hidden []int   // hidden widths of each block's network
	Blocks int     // CNF blocks
	Layer  string  // concatsquash, concatlinear or linear
	Act    string  // activation of the hidden layers
	T      float64 // end time of each block
	TrainT bool    // learn the end time

	Rtol, Atol float64 // dopri5 tolerances, forward and adjoint
	Trace      string  // exact or hutchinson
	Probe      string  // rademacher or gaussian
	Kinetic    float64 // weight of the kinetic-energy regularizer
	Jacobian   float64 // weight of the Jacobian-norm regularizer

	Iters  int     // training iterations
	Batch  int     // batch size
	LR     float64 // Adam's learning rate (cosine decay to LR/20 over the run)
	Seed   uint64  // seeds the data, the initialization and the probes
	Eval   int     // held-out points for the final NLL
	Out    string  // folder for the pictures ("" writes none)
	Grid   int     // heat map resolution (Grid x Grid)
	Points int     // model samples drawn for the pictures
	Snaps  int     // time snapshots of the flow picture
	Every  int     // a log line every Every iterations (0: only the progress bar)
	Bar    bool    // show a progress bar
}

// DefaultConfig returns the defaults of `make demo`: FFJORD's toy model (three hidden
// layers of 64 ConcatSquash units, tanh, T = 0.5, dopri5 at 1e-5) with the exact trace and
// a schedule sized to finish in about two minutes on two cores.
func DefaultConfig() Config {
	return Config{
		Data: "8gaussians", Hidden: []int{64, 64, 64}, Blocks: 1, Layer: "concatsquash", Act: "tanh", T: 0.5,
		Rtol: 1e-5, Atol: 1e-5, Trace: "exact", Probe: "rademacher",
		Iters: 1000, Batch: 256, LR: 5e-3, Seed: 1, Eval: 10000,
		Out: "cnf2d-out", Grid: 150, Points: 10000, Snaps: 6, Every: 100,
	}
}

// Result reports a run.
type Result struct {
	Iters       int
	TrainTime   time.Duration
	TotalTime   time.Duration
	LastLoss    float64 // loss of the last training batch
	HeldOutNLL  float64 // mean -log p over Eval fresh points, nats
	HeldOutSE   float64 // its standard error
	Entropy     float64 // the data's entropy where known, else NaN
	Mass        float64 // ∫ exp(log p) over the picture's square
	NFEForward  int     // of the last training step (all blocks)
	NFEBackward int
	// TailNFEForward and TailNFEBackward are the mean NFE over the last tenth of the
	// iterations.
	TailNFEForward, TailNFEBackward float64
	EndTimes                        []float64
	Pictures                        []string
	FinalLR                         float64
	MeanItPerSec                    float64
}

func parseLayer(s string) (func(int, layers.Activation) layers.LayerSpec, error) {
	switch strings.ToLower(s) {
	case "concatsquash":
		return layers.ConcatSquash, nil
	case "concatlinear":
		return layers.ConcatLinear, nil
	case "linear":
		return layers.Linear, nil
	}
	return nil, errors.Errorf("unknown layer %q (concatsquash, concatlinear, linear)", s)
}

func parseAct(s string) (layers.Activation, error) {
	for b := layers.Identity; b <= layers.Sin; b++ {
		if b.String() == strings.ToLower(s) {
			return b, nil
		}
	}
	return nil, errors.Errorf("unknown activation %q", s)
}

// buildModel makes the flow of cfg in a new graph.
func buildModel(cfg Config) (*flow.CNF, error) {
	lay, err := parseLayer(cfg.Layer)
	if err != nil {
		return nil, err
	}
	act, err := parseAct(cfg.Act)
	if err != nil {
		return nil, err
	}
	var tr layers.Trace
	switch strings.ToLower(cfg.Trace) {
	case "exact":
		tr = layers.TraceExact
	case "hutchinson", "hutch":
		tr = layers.TraceHutchinson
	default:
		return nil, errors.Errorf("unknown trace estimator %q (exact, hutchinson)", cfg.Trace)
	}
	var pr layers.Probe
	switch strings.ToLower(cfg.Probe) {
	case "rademacher":
		pr = layers.Rademacher
	case "gaussian":
		pr = layers.Gaussian
	default:
		return nil, errors.Errorf("unknown probe %q (rademacher, gaussian)", cfg.Probe)
	}
	return flow.NewCNF(G.NewGraph(), "cnf", flow.CNFConfig{
		Dim: 2, Blocks: cfg.Blocks, Hidden: cfg.Hidden, Layer: lay, Act: act, T: cfg.T, TrainT: cfg.TrainT,
		Trace: tr, Probe: pr, KineticWeight: cfg.Kinetic, JacobianWeight: cfg.Jacobian, Seed: cfg.Seed,
		Solver: []odeop.Option{odeop.WithTol(cfg.Rtol, cfg.Atol)},
	})
}

// Seeds of the streams a run draws from, derived from Config.Seed.
const (
	streamTrain = iota + 1
	streamEval
	streamSamples
	streamProbeEval
)

func seedOf(seed uint64, stream int, i int) uint64 {
	return seed*1_000_003 + uint64(stream)*1_000_000_007 + uint64(i)
}

// Run trains the flow of cfg, writing progress to w, evaluates the held-out NLL and draws
// the pictures into cfg.Out.
func Run(cfg Config, w io.Writer) (*Result, error) {
	start := time.Now()
	if _, err := toy.Sample(cfg.Data, 0, 0); err != nil {
		return nil, err
	}
	if cfg.Iters < 0 || cfg.Batch < 1 || cfg.LR <= 0 {
		return nil, errors.Errorf("iterations %d, batch %d, learning rate %g", cfg.Iters, cfg.Batch, cfg.LR)
	}
	m, err := buildModel(cfg)
	if err != nil {
		return nil, err
	}
	adam := models.NewAdam(cfg.LR)
	tr, err := flow.NewCNFTrainer(m, cfg.Batch, adam)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	res := &Result{Iters: cfg.Iters, Entropy: math.NaN()}
	if h, ok := toy.Entropy(cfg.Data); ok {
		res.Entropy = h
	}
	fmt.Fprintf(w, "cnf2d: %s, %d blocks of %v %s/%s, T=%g%s, %s trace, dopri5 rtol=%g atol=%g, batch %d, %d iterations\n",
		cfg.Data, cfg.Blocks, cfg.Hidden, cfg.Layer, cfg.Act, cfg.T, map[bool]string{true: " (learned)"}[cfg.TrainT],
		cfg.Trace, cfg.Rtol, cfg.Atol, cfg.Batch, cfg.Iters)

	var bar *progressbar.ProgressBar
	if cfg.Bar && cfg.Iters > 0 {
		bar = progressbar.NewOptions(cfg.Iters,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("training"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("it"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetWidth(20),
			progressbar.OptionClearOnFinish(),
		)
	}
	trainStart := time.Now()
	var avg, nfeF, nfeB float64 // sums of the loss and the NFE over the logging window
	var navg int
	var tailF, tailB, ntail float64 // NFE over the last tenth of the run
	for it := 0; it < cfg.Iters; it++ {
		// cosine decay from LR to LR/20
		adam.LR = cfg.LR * (0.05 + 0.95*0.5*(1+math.Cos(math.Pi*float64(it)/float64(cfg.Iters))))
		x, err := toy.Sample(cfg.Data, cfg.Batch, seedOf(cfg.Seed, streamTrain, it))
		if err != nil {
			return nil, err
		}
		loss, err := tr.Step(x)
		if err != nil {
			return nil, errors.Wrapf(err, "iteration %d", it)
		}
		res.LastLoss = loss
		fwd, bwd := tr.Stats()
		res.NFEForward, res.NFEBackward = fwd.NFE, bwd.NFE
		avg += loss
		nfeF += float64(fwd.NFE)
		nfeB += float64(bwd.NFE)
		navg++
		if 10*(it+1) > 9*cfg.Iters {
			tailF += float64(fwd.NFE)
			tailB += float64(bwd.NFE)
			ntail++
		}
		el := time.Since(trainStart)
		ips := float64(it+1) / el.Seconds()
		if bar != nil {
			bar.Describe(fmt.Sprintf("loss %.3f NFE %d/%d", loss, fwd.NFE, bwd.NFE))
			_ = bar.Add(1)
		}
		if cfg.Every > 0 && ((it+1)%cfg.Every == 0 || it+1 == cfg.Iters) {
			left := time.Duration(float64(cfg.Iters-it-1)/ips) * time.Second
			if bar != nil {
				fmt.Fprint(os.Stderr, "\r\033[K")
			}
			fmt.Fprintf(w, "iter %5d/%d  loss %.4f (mean of last %d: %.4f)  NFE fwd %3d bwd %3d (means %.1f, %.1f)  %.1f it/s  %s left\n",
				it+1, cfg.Iters, loss, navg, avg/float64(navg), fwd.NFE, bwd.NFE, nfeF/float64(navg), nfeB/float64(navg),
				ips, left.Round(time.Second))
			avg, nfeF, nfeB, navg = 0, 0, 0, 0
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	res.TrainTime = time.Since(trainStart)
	if ntail > 0 {
		res.TailNFEForward, res.TailNFEBackward = tailF/ntail, tailB/ntail
		fmt.Fprintf(w, "mean NFE over the last %d iterations: forward %.1f, backward %.1f\n", int(ntail),
			res.TailNFEForward, res.TailNFEBackward)
	}
	res.FinalLR = adam.LR
	if cfg.Iters > 0 {
		res.MeanItPerSec = float64(cfg.Iters) / res.TrainTime.Seconds()
	}
	for _, b := range m.Blocks() {
		res.EndTimes = append(res.EndTimes, b.EndTime())
	}

	// Held-out negative log-likelihood on fresh data.
	if cfg.Eval > 0 {
		xe, err := toy.Sample(cfg.Data, cfg.Eval, seedOf(cfg.Seed, streamEval, 0))
		if err != nil {
			return nil, err
		}
		lp, err := m.LogProbValues(xe, seedOf(cfg.Seed, streamProbeEval, 0))
		if err != nil {
			return nil, errors.Wrap(err, "held-out log-likelihood")
		}
		var s, s2 float64
		for _, v := range lp {
			s -= v
			s2 += v * v
		}
		n := float64(len(lp))
		res.HeldOutNLL = s / n
		res.HeldOutSE = math.Sqrt(math.Max(s2/n-res.HeldOutNLL*res.HeldOutNLL, 0) / n)
		line := fmt.Sprintf("held-out NLL %.4f ± %.4f nats on %d points", res.HeldOutNLL, res.HeldOutSE, cfg.Eval)
		if !math.IsNaN(res.Entropy) {
			line += fmt.Sprintf(" (true entropy %.4f: gap %.4f)", res.Entropy, res.HeldOutNLL-res.Entropy)
		}
		fmt.Fprintln(w, line)
	}
	if cfg.Out != "" {
		pics, mass, err := drawPictures(cfg, m)
		if err != nil {
			return nil, errors.Wrap(err, "pictures")
		}
		res.Pictures, res.Mass = pics, mass
		fmt.Fprintf(w, "learned density integrates to %.4f over [-%g, %g]²\n", mass, toy.Bound, toy.Bound)
	}
	res.TotalTime = time.Since(start)
	fmt.Fprintf(w, "trained in %s (%.1f it/s), total %s\n", res.TrainTime.Round(time.Millisecond),
		res.MeanItPerSec, res.TotalTime.Round(time.Millisecond))
	if len(res.Pictures) > 0 {
		abs, err := filepath.Abs(cfg.Out)
		if err != nil {
			abs = cfg.Out
		}
		fmt.Fprintf(w, "pictures in %s:\n", abs)
		for _, p := range res.Pictures {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	return res, nil
}
