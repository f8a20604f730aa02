// Command odenet trains a continuous-depth classifier (the ODE-Net of Chen et al. 2018)
// and its ResNet baseline on the 8x8 handwritten digits (embedded in models/digits, 1797
// images), and reports their test accuracy, parameter counts, forward NFE and wall time.
//
// Both models share the stem (dense 64 -> hidden, tanh) and the head (dense hidden -> 10);
// the ODE-Net's body is one ODEBlock whose dynamics are a native MLP, the ResNet's body is
// a stack of residual blocks each with the parameters of that MLP (see classify.Model).
// The data are split once, stratified and seeded, into training and test sets; training
// runs Adam on the cross-entropy in minibatches.
//
// The trained models are saved to -out (odenet.ckpt, resnet.ckpt, with their optimizer
// state); -predict FILE evaluates a saved model on the test split it was trained with
// (the seed and test fraction recorded in the file) without training, and
// -resume FILE continues training a saved model for -epochs more epochs on that same
// split, with the Adam state saved in the file.
//
// Usage:
//
//	go run ./examples/odenet [-model both] [-epochs 30] [-out odenet-out]
//	go run ./examples/odenet -predict odenet-out/odenet.ckpt
package main

import (
	"flag"
	"fmt"
	"github.com/continuum-ml/continuum/examples/internal/cli"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/pkg/errors"
	"github.com/schollz/progressbar/v3"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/models/classify"
	"github.com/continuum-ml/continuum/odeop"
)

// config holds the flags.
type config struct {
	Data     string  // the digits CSV (gzip or plain)
	Model    string  // "odenet", "resnet" or "both"
	Epochs   int     // training epochs
	Batch    int     // minibatch size (the last partial batch of an epoch is dropped)
	LR       float64 // Adam learning rate (cosine-decayed to LR/20 over the epochs)
	Hidden   int     // width of the stem output and the body state
	Width    int     // hidden width of the dynamics and residual functions
	Blocks   int     // residual blocks of the ResNet
	Seed     uint64  // weights, split and minibatch order
	TestFrac float64 // fraction of each class held out for testing
	Method   string  // Runge-Kutta method of the ODE-Net
	Rtol     float64 // tolerances of the ODE-Net's solves
	Atol     float64
	Grad     string // ODE-Net gradients: "adjoint" or "checkpoint"
	Out      string // directory for the trained models ("" saves nothing)
	Predict  string // evaluate this saved model instead of training
	Resume   string // continue training this saved model
	Progress bool   // progress bar on stderr
}

func defaultConfig() config {
	return config{
		Model:    "both",
		Epochs:   30,
		Batch:    32,
		LR:       3e-3,
		Hidden:   64,
		Width:    64,
		Blocks:   6,
		Seed:     1,
		TestFrac: 0.25,
		Method:   string(odeop.Dopri5),
		Rtol:     1e-3,
		Atol:     1e-4,
		Grad:     "adjoint",
		Out:      "odenet-out",
	}
}

// modelResult is what training or evaluating one model measured.
type modelResult struct {
	Kind      string
	Params    int
	TestAcc   float64 // fraction of the test set classified correctly
	TrainAcc  float64
	TrainLoss float64 // mean cross-entropy of the last epoch
	TrainNFE  float64 // mean forward NFE per training batch (ODE-Net)
	TestNFE   int     // forward NFE of the test-set prediction (ODE-Net)
	Wall      time.Duration
	Saved     string
}

func main() {
	cli.Usage(
		"Trains an ODE-Net and a ResNet classifier on the 8x8 handwritten digits (embedded) and reports test accuracy, parameter counts and the ODE-Net's function evaluations; -predict evaluates a saved model, -resume continues training one.",
		"Writes into -out (default odenet-out; empty: nothing): odenet.ckpt and resnet.ckpt, the trained models with their optimizer state (models.Save).")
	cfg := defaultConfig()
	flag.StringVar(&cfg.Data, "data", cfg.Data, "digits CSV (gzip or plain): 64 pixels 0..16 and the label per line (default: the embedded 8x8 digits)")
	flag.StringVar(&cfg.Model, "model", cfg.Model, "odenet, resnet or both")
	flag.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs")
	flag.IntVar(&cfg.Batch, "batch", cfg.Batch, "minibatch size")
	flag.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning rate (cosine-decayed to lr/20)")
	flag.IntVar(&cfg.Hidden, "hidden", cfg.Hidden, "width of the state of the body")
	flag.IntVar(&cfg.Width, "width", cfg.Width, "hidden width of the dynamics / residual functions")
	flag.IntVar(&cfg.Blocks, "blocks", cfg.Blocks, "residual blocks of the ResNet")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (weights, split, minibatches)")
	flag.Float64Var(&cfg.TestFrac, "test-frac", cfg.TestFrac, "fraction of each class held out for testing")
	flag.StringVar(&cfg.Method, "method", cfg.Method, "Runge-Kutta method of the ODE-Net")
	flag.Float64Var(&cfg.Rtol, "rtol", cfg.Rtol, "relative tolerance of the ODE-Net")
	flag.Float64Var(&cfg.Atol, "atol", cfg.Atol, "absolute tolerance of the ODE-Net")
	flag.StringVar(&cfg.Grad, "grad", cfg.Grad, "ODE-Net gradient method: adjoint or checkpoint")
	flag.StringVar(&cfg.Out, "out", cfg.Out, "directory for the trained models (empty: do not save)")
	flag.StringVar(&cfg.Predict, "predict", "", "evaluate this saved model on the test split, without training")
	flag.StringVar(&cfg.Resume, "resume", "", "continue training this saved model for -epochs epochs")
	flag.Parse()
	cfg.Progress = cli.Terminal() // a progress bar on a terminal, log lines otherwise
	if _, err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "odenet:", err)
		os.Exit(1)
	}
}

// run trains (or evaluates) the models as configured, writing a report to w.
func run(cfg config, w io.Writer) ([]modelResult, error) {
	if cfg.Predict != "" && cfg.Resume != "" {
		return nil, errors.New("-predict and -resume exclude each other")
	}
	grad := odeop.Adjoint
	switch cfg.Grad {
	case "adjoint":
	case "checkpoint":
		grad = odeop.Checkpoint
	default:
		return nil, errors.Errorf("grad %q: want adjoint or checkpoint", cfg.Grad)
	}
	if cfg.Epochs < 0 || cfg.Batch < 1 || cfg.LR <= 0 || cfg.TestFrac <= 0 || cfg.TestFrac >= 1 {
		return nil, errors.Errorf("epochs %d, batch %d, lr %g, test-frac %g", cfg.Epochs, cfg.Batch, cfg.LR, cfg.TestFrac)
	}
	if saved := cfg.Predict + cfg.Resume; saved != "" {
		// Use the split the model was trained with, when the checkpoint records it, so
		// that neither evaluating nor resuming sees test images as training data.
		ck, err := models.LoadFile(saved)
		if err != nil {
			return nil, err
		}
		if s, ok := ck.Meta["seed"]; ok {
			fmt.Sscan(s, &cfg.Seed)
		}
		if s, ok := ck.Meta["test_frac"]; ok {
			fmt.Sscan(s, &cfg.TestFrac)
		}
	}
	all, err := loadDigits(cfg.Data)
	if err != nil {
		return nil, err
	}
	train, test := all.split(cfg.TestFrac, cfg.Seed)
	if train.len() < cfg.Batch {
		return nil, errors.Errorf("batch %d is larger than the training set (%d)", cfg.Batch, train.len())
	}
	fmt.Fprintf(w, "digits: %d images, %d for training, %d for testing (seed %d)\n", all.len(), train.len(), test.len(), cfg.Seed)

	if cfg.Predict != "" {
		r, err := predict(cfg.Predict, test, w)
		if err != nil {
			return nil, err
		}
		return []modelResult{*r}, nil
	}

	var kinds []string
	switch cfg.Model {
	case "both":
		kinds = []string{classify.KindODENet, classify.KindResNet}
	case classify.KindODENet, classify.KindResNet:
		kinds = []string{cfg.Model}
	default:
		return nil, errors.Errorf("model %q: want odenet, resnet or both", cfg.Model)
	}
	if cfg.Resume != "" {
		kinds = []string{""}
	}
	ccfg := classify.Config{In: pixels, Classes: classes, Hidden: cfg.Hidden, Width: cfg.Width, Blocks: cfg.Blocks,
		Seed: cfg.Seed, Method: odeop.Method(cfg.Method), Rtol: cfg.Rtol, Atol: cfg.Atol, Grad: grad}
	var results []modelResult
	for _, kind := range kinds {
		r, err := trainOne(cfg, kind, ccfg, train, test, w)
		if err != nil {
			return nil, err
		}
		results = append(results, *r)
	}
	fmt.Fprintf(w, "\n%-7s %8s %9s %9s %10s %10s %8s\n", "model", "params", "test acc", "train acc", "train NFE", "test NFE", "time")
	for _, r := range results {
		fmt.Fprintf(w, "%-7s %8d %8.2f%% %8.2f%% %10.1f %10d %7.1fs\n", r.Kind, r.Params, 100*r.TestAcc, 100*r.TrainAcc,
			r.TrainNFE, r.TestNFE, r.Wall.Seconds())
	}
	if len(results) == 2 {
		o, res := results[0], results[1]
		fmt.Fprintf(w, "ODE-Net: %.2f points from the ResNet with %.0f%% of its parameters\n",
			100*(o.TestAcc-res.TestAcc), 100*float64(o.Params)/float64(res.Params))
	}
	return results, nil
}

// trainOne builds (or, with -resume, loads) a classifier, trains it and evaluates it.
func trainOne(cfg config, kind string, ccfg classify.Config, train, test *digits, w io.Writer) (*modelResult, error) {
	g := G.NewGraph()
	opt := models.NewAdam(cfg.LR)
	var c *classify.Model
	var err error
	startEpoch := 0
	if cfg.Resume != "" {
		var ck *models.Checkpoint
		if c, ck, err = classify.Load(g, cfg.Resume, opt); err != nil {
			return nil, err
		}
		fmt.Sscan(ck.Meta["epochs"], &startEpoch)
		kind = c.Kind()
		fmt.Fprintf(w, "resuming %s from %s after %d epochs (%d Adam steps)\n", kind, cfg.Resume, startEpoch, ck.Optimizer.Steps)
	} else if c, err = classify.New(g, kind, ccfg); err != nil {
		return nil, err
	}
	B := cfg.Batch
	xv := tensor.New(tensor.WithShape(B, pixels), tensor.WithBacking(make([]float64, B*pixels)))
	yv := tensor.New(tensor.WithShape(B, classes), tensor.WithBacking(make([]float64, B*classes)))
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(B, pixels), G.WithName("x"), G.WithValue(xv))
	y := G.NewMatrix(g, tensor.Float64, G.WithShape(B, classes), G.WithName("y"), G.WithValue(yv))
	logits, err := c.Fwd(x)
	if err != nil {
		return nil, err
	}
	loss, err := models.CrossEntropy(logits, y)
	if err != nil {
		return nil, err
	}
	learn := c.Learnables()
	if _, err := G.Grad(loss, learn...); err != nil {
		return nil, err
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(learn...))
	defer vm.Close()
	vgs := G.NodesToValueGrads(learn)

	total := startEpoch + cfg.Epochs
	fmt.Fprintf(w, "\n%s: %d parameters, %d epochs of %d batches of %d\n", kind, c.NumParams(), cfg.Epochs, train.len()/B, B)
	var bar *progressbar.ProgressBar
	if cfg.Progress {
		bar = progressbar.NewOptions(cfg.Epochs*(train.len()/B), progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription(kind), progressbar.OptionShowCount(), progressbar.OptionShowIts())
	}
	xd, yd := xv.Data().([]float64), yv.Data().([]float64)
	order := make([]int, train.len())
	for i := range order {
		order[i] = i
	}
	res := &modelResult{Kind: kind, Params: c.NumParams()}
	var nfeSum, nfeN float64
	start := time.Now()
	for ep := startEpoch; ep < total; ep++ {
		// The same seeded order whether or not the run was resumed.
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(ep)))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		// Cosine decay from LR to LR/20 over all the epochs.
		opt.LR = cfg.LR * (0.05 + 0.95*0.5*(1+math.Cos(math.Pi*float64(ep)/float64(max(total, 1)))))
		sum, n := 0.0, 0
		for b := 0; b+B <= len(order); b += B {
			clear(yd)
			for i, k := range order[b : b+B] {
				copy(xd[i*pixels:(i+1)*pixels], train.X[k*pixels:(k+1)*pixels])
				yd[i*classes+train.Y[k]] = 1
			}
			vm.Reset()
			if err := vm.RunAll(); err != nil {
				return nil, errors.Wrapf(err, "%s: epoch %d", kind, ep+1)
			}
			if err := opt.Step(vgs); err != nil {
				return nil, errors.Wrapf(err, "%s: epoch %d", kind, ep+1)
			}
			sum += loss.Value().Data().(float64)
			n++
			if blk := c.Block(); blk != nil {
				f, _ := blk.NFE()
				nfeSum += float64(f)
				nfeN++
			}
			if bar != nil {
				_ = bar.Add(1)
			}
		}
		res.TrainLoss = sum / float64(n)
		if bar == nil && ((ep+1)%5 == 0 || ep+1 == total) {
			fmt.Fprintf(w, "  epoch %3d  loss %.4f  (%.1fs)\n", ep+1, res.TrainLoss, time.Since(start).Seconds())
		}
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(os.Stderr)
	}
	res.Wall = time.Since(start)
	if nfeN > 0 {
		res.TrainNFE = nfeSum / nfeN
	}
	if res.TrainAcc, _, err = accuracy(c, train); err != nil {
		return nil, err
	}
	if res.TestAcc, res.TestNFE, err = accuracy(c, test); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "  %s: test accuracy %.2f%%, train accuracy %.2f%%\n", kind, 100*res.TestAcc, 100*res.TrainAcc)
	if cfg.Out != "" {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return nil, err
		}
		res.Saved = filepath.Join(cfg.Out, kind+".ckpt")
		meta := map[string]string{"epochs": fmt.Sprint(total), "test_accuracy": fmt.Sprintf("%.4f", res.TestAcc),
			"data": filepath.Base(cfg.Data), "seed": fmt.Sprint(cfg.Seed), "test_frac": fmt.Sprint(cfg.TestFrac)}
		if err := c.Save(res.Saved, opt, meta); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "  saved %s\n", res.Saved)
	}
	return res, nil
}

// accuracy classifies a data set with the classifier's current weights.
func accuracy(c *classify.Model, d *digits) (acc float64, nfe int, err error) {
	p, err := c.Predict(d.X)
	if err != nil {
		return 0, 0, err
	}
	ok := 0
	for i, y := range d.Y {
		if p.Classes[i] == y {
			ok++
		}
	}
	return float64(ok) / float64(d.len()), p.NFE, nil
}

// predict evaluates a saved model on the test split.
func predict(path string, test *digits, w io.Writer) (*modelResult, error) {
	c, ck, err := classify.Load(G.NewGraph(), path, nil)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	p, err := c.Predict(test.X)
	if err != nil {
		return nil, err
	}
	r := &modelResult{Kind: c.Kind(), Params: c.NumParams(), TestNFE: p.NFE, Wall: time.Since(start)}
	var confusion [classes][classes]int
	ok := 0
	for i, y := range test.Y {
		confusion[y][p.Classes[i]]++
		if p.Classes[i] == y {
			ok++
		}
	}
	r.TestAcc = float64(ok) / float64(test.len())
	fmt.Fprintf(w, "%s from %s (trained %s epochs): %d parameters\n", r.Kind, path, ck.Meta["epochs"], r.Params)
	fmt.Fprintf(w, "test accuracy %.2f%% (%d of %d), forward NFE %d, %.3fs\n", 100*r.TestAcc, ok, test.len(), r.TestNFE, r.Wall.Seconds())
	fmt.Fprintln(w, "confusion (rows: label, columns: prediction):")
	for yl, row := range confusion {
		fmt.Fprintf(w, "  %d:", yl)
		for _, n := range row {
			fmt.Fprintf(w, " %3d", n)
		}
		fmt.Fprintln(w)
	}
	return r, nil
}
