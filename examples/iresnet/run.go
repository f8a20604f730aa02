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

	"github.com/continuum-ml/continuum/examples/internal/cli"
	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/models/flow"
	"github.com/continuum-ml/continuum/models/toy"
)

// Config is everything a run needs; DefaultConfig gives the defaults.
type Config struct {
	Data      string  // data set: one of toy.Names
	Hidden    []int   // hidden widths of each block's g
	Blocks    int     // residual blocks
	Act       string  // activation of g
	Coeff     float64 // spectral-norm bound c
	Estimator string  // roulette or series
	Grad      string  // neumann or backprop
	Terms     int     // estimator terms (0: the estimator's default)

	Iters  int     // training iterations
	Batch  int     // batch size
	LR     float64 // Adam's learning rate (cosine decay to LR/20 over the run)
	Seed   uint64  // seeds the data, the initialization and the estimators
	Eval   int     // held-out points for the final NLL
	Out    string  // folder for the pictures ("" writes none)
	Save   string  // checkpoint path ("" writes none)
	Grid   int     // heat map resolution (Grid x Grid)
	Points int     // model samples drawn for the pictures
	Every  int     // a log line every Every iterations (0: none)
	Bar    bool    // show a progress bar
}

// DefaultConfig returns the defaults: 10 blocks of g = 2-64-64-2 (ELU, c = 0.9), the
// roulette with the Neumann gradient, Adam at 5e-3, 3000 iterations of batch 256.
func DefaultConfig() Config {
	return Config{
		Data: "8gaussians", Hidden: []int{64, 64}, Blocks: 10, Act: "elu", Coeff: 0.9,
		Estimator: "roulette", Grad: "neumann",
		Iters: 3000, Batch: 256, LR: 5e-3, Seed: 1, Eval: 20000,
		Out: "iresnet-out", Grid: 150, Points: 10000, Every: 250,
	}
}

// Result reports a run.
type Result struct {
	TrainTime  time.Duration
	LastLoss   float64   // estimated NLL of the last training batch
	HeldOutNLL float64   // mean exact -log p over Eval fresh points, nats
	HeldOutSE  float64   // its standard error
	Entropy    float64   // the data's entropy where known, else NaN
	Mass       float64   // ∫ exp(log p) over the picture's square
	Lipschitz  []float64 // per block, Π σ(W̃) of the trained weights
	InvIters   int       // most fixed-point iterations of any block when sampling
	Pictures   []string
}

func parseAct(s string) (layers.Builtin, error) {
	for b := layers.Identity; b <= layers.Sin; b++ {
		if b.String() == strings.ToLower(s) {
			return b, nil
		}
	}
	return 0, errors.Errorf("unknown activation %q", s)
}

func (cfg Config) logDet() (layers.LogDet, error) {
	var e layers.LogDet
	switch strings.ToLower(cfg.Estimator) {
	case "roulette":
		e.Method = layers.LogDetRoulette
	case "series":
		e.Method = layers.LogDetSeries
	default:
		return e, errors.Errorf("unknown log-det estimator %q (roulette, series)", cfg.Estimator)
	}
	switch strings.ToLower(cfg.Grad) {
	case "neumann":
		e.Grad = layers.GradNeumann
	case "backprop":
		e.Grad = layers.GradBackprop
	default:
		return e, errors.Errorf("unknown log-det gradient %q (neumann, backprop)", cfg.Grad)
	}
	e.Terms = cfg.Terms
	return e, e.Check()
}

// Seeds of the streams a run draws from, derived from Config.Seed.
const (
	streamTrain = iota + 1
	streamEval
	streamSamples
)

func seedOf(seed uint64, stream int, i int) uint64 {
	return seed*1_000_003 + uint64(stream)*1_000_000_007 + uint64(i)
}

// Run trains the flow of cfg, writing progress to w, evaluates the held-out NLL and draws
// the pictures into cfg.Out.
func Run(cfg Config, w io.Writer) (*Result, error) {
	if _, err := toy.Sample(cfg.Data, 0, 0); err != nil {
		return nil, err
	}
	if cfg.Iters < 0 || cfg.Batch < 1 || !(cfg.LR > 0) {
		return nil, errors.Errorf("iterations %d, batch %d, learning rate %g", cfg.Iters, cfg.Batch, cfg.LR)
	}
	act, err := parseAct(cfg.Act)
	if err != nil {
		return nil, err
	}
	est, err := cfg.logDet()
	if err != nil {
		return nil, err
	}
	m, err := flow.NewIResNet(G.NewGraph(), "ires", flow.IResNetConfig{
		Dim: 2, Blocks: cfg.Blocks, Hidden: cfg.Hidden, Act: act, Coeff: cfg.Coeff, LogDet: &est, Seed: cfg.Seed,
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Entropy: math.NaN()}
	if h, ok := toy.Entropy(cfg.Data); ok {
		res.Entropy = h
	}
	nparam := 0
	for _, n := range m.Learnables() {
		nparam += n.Shape().TotalSize()
	}
	fmt.Fprintf(w, "iresnet: %s, %d blocks of g = 2-%s-2 (%s, c = %g), %d parameters, log-det %s/%s, batch %d, %d iterations\n",
		cfg.Data, cfg.Blocks, cli.JoinWidths(cfg.Hidden), act, cfg.Coeff, nparam, est.Method, est.Grad, cfg.Batch, cfg.Iters)
	adam := models.NewAdam(cfg.LR)
	var bar *progressbar.ProgressBar
	if cfg.Bar && cfg.Iters > 0 {
		bar = progressbar.NewOptions(cfg.Iters,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("training"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("it"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetWidth(20),
			progressbar.OptionClearOnFinish(),
		)
	}
	start := time.Now()
	avg, navg := 0.0, 0
	for it := 0; it < cfg.Iters; it++ {
		adam.LR = cfg.LR * (0.05 + 0.95*0.5*(1+math.Cos(math.Pi*float64(it)/float64(cfg.Iters))))
		x, err := toy.Sample(cfg.Data, cfg.Batch, seedOf(cfg.Seed, streamTrain, it))
		if err != nil {
			return nil, err
		}
		loss, err := m.TrainStep(adam, x, uint64(it))
		if err != nil {
			return nil, errors.Wrapf(err, "iteration %d", it)
		}
		res.LastLoss = loss
		avg += loss
		navg++
		if bar != nil {
			bar.Describe(fmt.Sprintf("loss %.3f", loss))
			_ = bar.Add(1)
		}
		if cfg.Every > 0 && ((it+1)%cfg.Every == 0 || it+1 == cfg.Iters) {
			el := time.Since(start)
			ips := float64(it+1) / el.Seconds()
			if bar != nil {
				fmt.Fprint(os.Stderr, "\r\033[K")
			}
			fmt.Fprintf(w, "iter %5d/%d  loss %.4f (mean of last %d: %.4f)  %.1f it/s  %s left\n", it+1, cfg.Iters, loss, navg,
				avg/float64(navg), ips, (time.Duration(float64(cfg.Iters-it-1)/ips) * time.Second).Round(time.Second))
			avg, navg = 0, 0
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	res.TrainTime = time.Since(start)
	res.Lipschitz = m.Lipschitz()
	maxLip, maxSig := 0.0, 0.0
	for _, l := range res.Lipschitz {
		maxLip = max(maxLip, l)
	}
	for _, b := range m.Blocks() {
		per, _ := b.Lipschitz()
		for _, s := range per {
			maxSig = max(maxSig, s)
		}
	}
	fmt.Fprintf(w, "trained blocks (SVD of the normalised weights): Lip(g) ≤ Π σ(W̃) = %.4f at most (c = %g); largest σ(W̃) of one layer %.4f\n",
		maxLip, cfg.Coeff, maxSig)
	if cfg.Eval > 0 {
		xe, err := toy.Sample(cfg.Data, cfg.Eval, seedOf(cfg.Seed, streamEval, 0))
		if err != nil {
			return nil, err
		}
		lp := make([]float64, cfg.Eval)
		if err := m.LogProb(lp, xe, layers.LogDet{Method: layers.LogDetExact}, 0); err != nil {
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
		line := fmt.Sprintf("held-out NLL %.4f ± %.4f nats on %d points (exact log-determinants)", res.HeldOutNLL, res.HeldOutSE, cfg.Eval)
		if !math.IsNaN(res.Entropy) {
			line += fmt.Sprintf(" (true entropy %.4f: gap %.4f)", res.Entropy, res.HeldOutNLL-res.Entropy)
		}
		fmt.Fprintln(w, line)
	}
	if cfg.Save != "" {
		if err := models.Save(cfg.Save, m.Nodes(), adam, map[string]string{"model": "iresnet", "data": cfg.Data}); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "checkpoint written to %s\n", cfg.Save)
	}
	if cfg.Out != "" {
		pics, mass, inv, err := drawPictures(cfg, m)
		if err != nil {
			return nil, errors.Wrap(err, "pictures")
		}
		res.Pictures, res.Mass, res.InvIters = pics, mass, inv
		fmt.Fprintf(w, "learned density integrates to %.4f over [-%g, %g]²; samples through the inverse took at most %d fixed-point iterations per block (tolerance %g)\n",
			mass, toy.Bound, toy.Bound, inv, m.Config().InverseTol)
		abs, err := filepath.Abs(cfg.Out)
		if err != nil {
			abs = cfg.Out
		}
		fmt.Fprintf(w, "pictures in %s:\n", abs)
		for _, p := range res.Pictures {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	fmt.Fprintf(w, "trained in %s\n", res.TrainTime.Round(time.Millisecond))
	return res, nil
}
