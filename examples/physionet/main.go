// Command physionet trains continuous-time models on the PhysioNet/CinC Challenge 2012 ICU
// records, the experiment of Rubanova, Chen, Duvenaud ("Latent ODEs for
// Irregularly-Sampled Time Series", NeurIPS 2019, Table 6): in-hospital mortality from
// the first 48 hours of a stay, and interpolation of the observed values.
//
// It reads a record file (record_id,minute,parameter,value; .gz or plain) and an
// outcomes file (RecordID,...,In-hospital_death), splits the stays (seeded, stratified
// by outcome: 70% train, 10% validation, 20% test), normalises the values with the
// training stays' minima and maxima, quantises the times (-quantum minutes) and trains
// the chosen model (-model: odernn, latentode, rnndt, or all three on the same split),
// keeping the parameters of the epoch with the best validation AUC. It reports the test
// AUC and, for every model, the mean squared error of 20% held-out observed values of
// the test stays (normalised scale), predicted from the rest.
//
// Files written (-out, default physionet-out): roc.png (the test ROC curve of each
// trained model), patients.png (a few test stays' observed values of four parameters
// with the latent ODE's reconstruction and its 90% band over draws of z0, when a latent
// ODE was trained), and the model (-save FILE; default <out>/<model>.ckpt).
//
// With -load FILE alone it evaluates a saved model on the test part of the split of -data
// and -outcomes made with -seed (test AUC and held-out MSE; roc.png and, for a latent
// ODE, patients.png in -out). With -load FILE -eval FILE
// -eval-outcomes FILE it evaluates a saved model on another
// file of the same format: every record there is test data, normalised and quantised as
// the model was trained (never with statistics of the evaluated file); the last line it
// prints is "test AUC <value>".
//
// Usage:
//
//	go run ./examples/physionet [-model odernn|latentode|rnndt|all] [-epochs 20] [-iters 0] [-batch 50] [-quantum 60] [-seed 1] [-out physionet-out] [-save FILE]
//	go run ./examples/physionet -load FILE -eval FILE -eval-outcomes FILE
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pkg/errors"
	"github.com/schollz/progressbar/v3"

	"github.com/continuum-ml/continuum/examples/internal/cli"
	"github.com/continuum-ml/continuum/models/physionet"
	"github.com/continuum-ml/continuum/odeop"
)

// defaultModel is the model trained without -model: the one with the best test AUC in
// docs/physionet.md.
const defaultModel = "latentode"

// config holds the flags.
type config struct {
	Data, Outcomes       string
	Model                string
	Save, Load           string
	Eval, EvalOutcomes   string
	Epochs, Iters, Batch int
	Quantum              int
	Seed                 uint64
	Out                  string
	LR                   float64
	Hidden, Units        int
	TimeScale            float64
	Method               string
	Adjoint              bool
	HoldOut              float64
	Plots                int
	progress             bool // a progress bar on stderr (set when stderr is a terminal)
}

// findTestdata returns the path of testdata/physionet/name, looked for in the working
// directory and its parents, then next to this source file; "" when not found.
func findTestdata(name string) string {
	rel := filepath.Join("testdata", "physionet", name)
	if dir, err := os.Getwd(); err == nil {
		for {
			p := filepath.Join(dir, rel)
			if _, err := os.Stat(p); err == nil {
				return p
			}
			up := filepath.Dir(dir)
			if up == dir {
				break
			}
			dir = up
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		p := filepath.Join(filepath.Dir(file), "..", "..", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// logf writes a timestamped line.
func logf(w io.Writer, format string, args ...interface{}) {
	fmt.Fprintf(w, format+"\n", args...)
}

// data is a split, prepared data set.
type data struct {
	norm             *physionet.Normaliser
	train, val, test []physionet.Patient
	testIn, testHeld []physionet.Patient
}

func loadStays(w io.Writer, recPath, outPath string) ([]physionet.Stay, error) {
	start := time.Now()
	recs, st, err := physionet.LoadRecords(recPath)
	if err != nil {
		return nil, err
	}
	outs, err := physionet.LoadOutcomes(outPath)
	if err != nil {
		return nil, err
	}
	stays, skipped, err := physionet.Join(recs, outs, outPath)
	if err != nil {
		return nil, err
	}
	deaths := 0
	for _, s := range stays {
		if s.Death {
			deaths++
		}
	}
	logf(w, "read %s: %d lines, %d stays (%d deaths, %.1f%%), %d unknown descriptors (-1) skipped; %s: %d outcomes without a record skipped (%.1fs)",
		recPath, st.Lines, len(stays), deaths, 100*float64(deaths)/float64(len(stays)), st.Unknown, outPath, skipped, time.Since(start).Seconds())
	return stays, nil
}

func prepare(w io.Writer, cfg config) (*data, error) {
	stays, err := loadStays(w, cfg.Data, cfg.Outcomes)
	if err != nil {
		return nil, err
	}
	sp, err := physionet.SplitStays(stays, physionet.DefaultFractions, cfg.Seed)
	if err != nil {
		return nil, err
	}
	d := &data{}
	train := physionet.Pick(stays, sp.Train)
	if d.norm, err = physionet.FitNormaliser(train); err != nil {
		return nil, err
	}
	if d.train, err = physionet.Prepare(train, d.norm, cfg.Quantum); err != nil {
		return nil, err
	}
	if d.val, err = physionet.Prepare(physionet.Pick(stays, sp.Validation), d.norm, cfg.Quantum); err != nil {
		return nil, err
	}
	if d.test, err = physionet.Prepare(physionet.Pick(stays, sp.Test), d.norm, cfg.Quantum); err != nil {
		return nil, err
	}
	if d.testIn, d.testHeld, err = physionet.HoldOut(d.test, cfg.HoldOut, cfg.Seed+1000); err != nil {
		return nil, err
	}
	maxT, sumT := 0, 0
	for _, p := range d.train {
		sumT += p.Len()
		if p.Len() > maxT {
			maxT = p.Len()
		}
	}
	logf(w, "split (seed %d): %d train, %d validation, %d test stays; %d-minute grid: %.1f observation times per training stay on average, at most %d",
		cfg.Seed, len(d.train), len(d.val), len(d.test), cfg.Quantum, float64(sumT)/float64(len(d.train)), maxT)
	return d, nil
}

// outcome is what one trained model gave.
type outcome struct {
	kind     physionet.Kind
	model    *physionet.Model
	auc, mse float64
	scores   []float64
	epoch    time.Duration
}

func (c config) modelConfig(kind physionet.Kind) physionet.Config {
	return physionet.Config{Kind: kind, Batch: c.Batch, Hidden: c.Hidden, Units: c.Units, Seed: c.Seed,
		Method: odeop.Method(c.Method), Adjoint: c.Adjoint, TimeScale: c.TimeScale}
}

func trainOne(w io.Writer, cfg config, d *data, kind physionet.Kind) (*outcome, error) {
	m, err := physionet.NewModel(cfg.modelConfig(kind))
	if err != nil {
		return nil, err
	}
	per := (len(d.train) + cfg.Batch - 1) / cfg.Batch
	total := cfg.Epochs * per
	if cfg.Iters > 0 && cfg.Iters < total {
		total = cfg.Iters
	}
	var bar *progressbar.ProgressBar
	if cfg.progress {
		bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription(string(kind)),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
	}
	logf(w, "%s: %d parameters, batch %d, %d iterations per epoch, solver %s", kind, m.NumParams(), cfg.Batch, per, m.Config().Method)
	var times []time.Duration
	tc := physionet.TrainConfig{Epochs: cfg.Epochs, Iters: cfg.Iters, LR: cfg.LR, Seed: cfg.Seed,
		Progress: func(ep, it, per int, loss float64) {
			if bar != nil {
				bar.Add(1)
			} else if it%max(per/4, 1) == 0 {
				logf(w, "  %s epoch %d iteration %d/%d loss %.4g", kind, ep+1, it, per, loss)
			}
		},
		Epoch: func(s physionet.EpochStats) {
			times = append(times, s.Time)
			mark := ""
			if s.Best {
				mark = " *"
			}
			logf(w, "  %s epoch %d: loss %.4g, bce %.4f, validation AUC %.4f bce %.4f, %.1fs (%.0f ms/batch), NFE per batch forward %d backward %d%s",
				kind, s.Epoch+1, s.Loss, s.BCE, s.ValAUC, s.ValBCE, s.Time.Seconds(), 1000*s.Time.Seconds()/float64(s.Iterations), s.Forward.NFE, s.Backward.NFE, mark)
		}}
	start := time.Now()
	_, opt, err := m.Train(d.train, d.val, tc)
	if err != nil {
		return nil, err
	}
	o := &outcome{kind: kind, model: m}
	if len(times) > 0 {
		var s time.Duration
		for _, t := range times {
			s += t
		}
		o.epoch = s / time.Duration(len(times))
	}
	if o.scores, err = m.Predict(d.test); err != nil {
		return nil, err
	}
	if o.auc, err = physionet.AUC(o.scores, d.test); err != nil {
		return nil, err
	}
	var n int
	if o.mse, n, err = m.HeldOutMSE(d.testIn, d.testHeld); err != nil {
		return nil, err
	}
	logf(w, "%s: test AUC %.4f, held-out MSE %.4e (%d values), %.1f s per epoch, %.1f min in all", kind, o.auc, o.mse, n, o.epoch.Seconds(), time.Since(start).Minutes())
	save := cfg.Save
	if save == "" && cfg.Out != "" {
		save = filepath.Join(cfg.Out, string(kind)+".ckpt")
	} else if save != "" && cfg.Model == "all" {
		save = strings.TrimSuffix(save, filepath.Ext(save)) + "-" + string(kind) + filepath.Ext(save)
	}
	if save != "" {
		if err := os.MkdirAll(filepath.Dir(save), 0o755); err != nil {
			return nil, errors.Wrap(err, "save")
		}
		if err := m.Save(save, d.norm, cfg.Quantum, opt, map[string]string{"seed": fmt.Sprint(cfg.Seed)}); err != nil {
			return nil, err
		}
		logf(w, "%s: wrote %s", kind, save)
	}
	return o, nil
}

func train(w io.Writer, cfg config) ([]*outcome, error) {
	d, err := prepare(w, cfg)
	if err != nil {
		return nil, err
	}
	kinds := []physionet.Kind{physionet.Kind(cfg.Model)}
	if cfg.Model == "all" {
		kinds = physionet.Kinds
	}
	var outs []*outcome
	for _, k := range kinds {
		o, err := trainOne(w, cfg, d, k)
		if err != nil {
			return outs, errors.Wrapf(err, "%s", k)
		}
		outs = append(outs, o)
	}
	if cfg.Out != "" {
		if err := drawROC(filepath.Join(cfg.Out, "roc.png"), d.test, outs); err != nil {
			return outs, err
		}
		logf(w, "wrote %s", filepath.Join(cfg.Out, "roc.png"))
		for _, o := range outs {
			if o.kind == physionet.LatentODE {
				path := filepath.Join(cfg.Out, "patients.png")
				if err := drawPatients(path, o.model, d, cfg.Plots, cfg.Seed); err != nil {
					return outs, err
				}
				logf(w, "wrote %s", path)
			}
		}
	}
	for _, o := range outs {
		logf(w, "result %-9s test AUC %.4f  held-out MSE %.4e  %.1f s/epoch", o.kind, o.auc, o.mse, o.epoch.Seconds())
	}
	return outs, nil
}

func evaluate(w io.Writer, cfg config) (float64, error) {
	m, norm, q, _, err := physionet.Load(cfg.Load)
	if err != nil {
		return 0, err
	}
	logf(w, "loaded %s: %s, %d parameters, %d-minute grid", cfg.Load, m.Config().Kind, m.NumParams(), q)
	stays, err := loadStays(w, cfg.Eval, cfg.EvalOutcomes)
	if err != nil {
		return 0, err
	}
	ps, err := physionet.Prepare(stays, norm, q)
	if err != nil {
		return 0, err
	}
	p, err := m.Predict(ps)
	if err != nil {
		return 0, err
	}
	return physionet.AUC(p, ps)
}

// evaluateSplit evaluates a saved model on the test part of the split of -data and
// -outcomes made with -seed (the split the model was trained on, when the seed is the
// same): the test AUC and the held-out MSE, with the saved normaliser and quantisation.
func evaluateSplit(w io.Writer, cfg config) error {
	m, norm, q, _, err := physionet.Load(cfg.Load)
	if err != nil {
		return err
	}
	stays, err := loadStays(w, cfg.Data, cfg.Outcomes)
	if err != nil {
		return err
	}
	sp, err := physionet.SplitStays(stays, physionet.DefaultFractions, cfg.Seed)
	if err != nil {
		return err
	}
	test, err := physionet.Prepare(physionet.Pick(stays, sp.Test), norm, q)
	if err != nil {
		return err
	}
	in, held, err := physionet.HoldOut(test, cfg.HoldOut, cfg.Seed+1000)
	if err != nil {
		return err
	}
	p, err := m.Predict(test)
	if err != nil {
		return err
	}
	auc, err := physionet.AUC(p, test)
	if err != nil {
		return err
	}
	mse, n, err := m.HeldOutMSE(in, held)
	if err != nil {
		return err
	}
	logf(w, "%s on the test split of seed %d (%d stays): held-out MSE %.4e (%d values)", m.Config().Kind, cfg.Seed, len(test), mse, n)
	if cfg.Out != "" {
		o := &outcome{kind: m.Config().Kind, model: m, auc: auc, mse: mse, scores: p}
		if err := drawROC(filepath.Join(cfg.Out, "roc.png"), test, []*outcome{o}); err != nil {
			return err
		}
		logf(w, "wrote %s", filepath.Join(cfg.Out, "roc.png"))
		if o.kind == physionet.LatentODE {
			path := filepath.Join(cfg.Out, "patients.png")
			if err := drawPatients(path, m, &data{test: test, testIn: in, testHeld: held}, cfg.Plots, cfg.Seed); err != nil {
				return err
			}
			logf(w, "wrote %s", path)
		}
	}
	logf(w, "test AUC %.4f", auc)
	return nil
}

func parse(args []string, stderr io.Writer) (config, error) {
	cfg := config{Model: defaultModel, Epochs: 20, Batch: 50, Quantum: physionet.Hour, Seed: 1, Out: "physionet-out",
		LR: 1e-2, Hidden: 40, Units: 64, Method: "dopri5", HoldOut: 0.2, Plots: 3}
	fs := flag.NewFlagSet("physionet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cli.UsageOf(fs,
		`Trains continuous-time models on PhysioNet/CinC Challenge 2012 ICU records (in-hospital mortality from the first 48 hours; interpolation of held-out observed values) and reports the test AUC and held-out MSE. With -load -eval -eval-outcomes it evaluates a saved model on another file of the same format and prints "test AUC <value>" last.`,
		`Writes into -out: roc.png, patients.png (when a latent ODE is trained) and the model (-save, default <out>/<model>.ckpt).`)
	fs.StringVar(&cfg.Data, "data", findTestdata("physionet2012-a.csv.gz"), "record file (record_id,minute,parameter,value; .gz or plain)")
	fs.StringVar(&cfg.Outcomes, "outcomes", findTestdata("physionet2012-outcomes-a.csv"), "outcomes file (RecordID,...,In-hospital_death)")
	fs.StringVar(&cfg.Model, "model", cfg.Model, "model: odernn, latentode, rnndt, or all (the three on the same split)")
	fs.StringVar(&cfg.Save, "save", "", "write the trained model here (default <out>/<model>.ckpt)")
	fs.StringVar(&cfg.Load, "load", "", "evaluate this saved model (with -eval and -eval-outcomes) instead of training")
	fs.StringVar(&cfg.Eval, "eval", "", "record file to evaluate the -load model on (every record is test data)")
	fs.StringVar(&cfg.EvalOutcomes, "eval-outcomes", "", "outcomes file of -eval")
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs")
	fs.IntVar(&cfg.Iters, "iters", 0, "if positive, stop training after this many iterations")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "stays per batch")
	fs.IntVar(&cfg.Quantum, "quantum", cfg.Quantum, "time quantisation in minutes (1, 6, 60, ...)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the split, the initial parameters and the batch order")
	fs.StringVar(&cfg.Out, "out", cfg.Out, "directory of the pictures and the default model file (empty: none)")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam's learning rate (decayed by 0.999 per iteration)")
	fs.IntVar(&cfg.Hidden, "hidden", cfg.Hidden, "GRU hidden units")
	fs.IntVar(&cfg.Units, "units", cfg.Units, "width of the dynamics networks")
	fs.Float64Var(&cfg.TimeScale, "timescale", 1, "unit of the ODE time: the dynamics advance by this times the gap in 48-hour units (48: hours)")
	fs.StringVar(&cfg.Method, "method", cfg.Method, "ODE method of the gap solves (dopri5, bosh3, rk4, euler, ...)")
	fs.BoolVar(&cfg.Adjoint, "adjoint", false, "adjoint gradients of the solves (default: Checkpoint)")
	fs.Float64Var(&cfg.HoldOut, "holdout", cfg.HoldOut, "fraction of the test stays' observed values held out for the interpolation MSE")
	fs.IntVar(&cfg.Plots, "plots", cfg.Plots, "test stays drawn in patients.png")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, errors.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.Eval != "" || cfg.EvalOutcomes != "" {
		if cfg.Load == "" || cfg.Eval == "" || cfg.EvalOutcomes == "" {
			return cfg, errors.New("-load, -eval and -eval-outcomes go together")
		}
		return cfg, nil
	}
	switch cfg.Model {
	case "odernn", "latentode", "rnndt", "all":
	default:
		return cfg, errors.Errorf("-model %q: want odernn, latentode, rnndt or all", cfg.Model)
	}
	if cfg.Data == "" || cfg.Outcomes == "" {
		return cfg, errors.New("no -data / -outcomes given and testdata/physionet not found from here")
	}
	if cfg.Epochs < 1 || cfg.Batch < 1 || cfg.Iters < 0 || !(cfg.LR > 0) || cfg.Plots < 0 {
		return cfg, errors.Errorf("-epochs %d, -batch %d, -iters %d, -lr %v, -plots %d: want positive values (-iters, -plots: zero or more)", cfg.Epochs, cfg.Batch, cfg.Iters, cfg.LR, cfg.Plots)
	}
	if cfg.Quantum < 1 || cfg.Quantum > physionet.MaxMinute {
		return cfg, errors.Errorf("-quantum %d: want 1..%d minutes", cfg.Quantum, physionet.MaxMinute)
	}
	if _, err := odeop.TableauOf(odeop.Method(cfg.Method)); err != nil {
		return cfg, errors.Errorf("-method %q: %v", cfg.Method, err)
	}
	if !(cfg.HoldOut > 0 && cfg.HoldOut < 1) {
		return cfg, errors.Errorf("-holdout %v: want a fraction in (0, 1)", cfg.HoldOut)
	}
	return cfg, nil
}

func main() {
	cfg, err := parse(os.Args[1:], os.Stderr)
	if err == flag.ErrHelp {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "physionet:", err)
		os.Exit(2)
	}
	cfg.progress = cli.Terminal()
	if cfg.Load != "" && cfg.Eval == "" {
		if err := evaluateSplit(os.Stdout, cfg); err != nil {
			fmt.Fprintln(os.Stderr, "physionet:", err)
			os.Exit(1)
		}
		return
	}
	if cfg.Load != "" {
		auc, err := evaluate(os.Stdout, cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "physionet:", err)
			os.Exit(1)
		}
		fmt.Printf("test AUC %.4f\n", auc)
		return
	}
	if _, err := train(os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "physionet:", err)
		os.Exit(1)
	}
}
