// Command latentsde trains latent SDEs (Li, Wong, Chen, Duvenaud, "Scalable Gradients for
// Stochastic Differential Equations", AISTATS 2020) on two problems and reports what
// their posterior sample paths say.
//
//   - toy: torchsde's latent-SDE example (examples/latent_sde.py): x(t) = cos(2πt)
//     observed at 10 times on [0.3, 0.8] and 10 on [1.2, 1.5]; the prior is the
//     Ornstein-Uhlenbeck process dz = -z dt + 0.5 dW started in its stationary law; the
//     posterior drift is a network of t and z (no encoder: one series); the latent state
//     is observed directly with Gaussian noise 0.05. Each iteration draws -paths sample
//     paths. The report gives the spread (90% band width) of the posterior paths on the
//     observed segments, in the gap between them and beyond the data, and the picture
//     latentsde_toy.png shows sample paths, the band and the data.
//   - co2: Mauna Loa weekly CO2 (embedded in package latent) cut into windows of 2 years, each
//     week kept with probability 0.5 (on top of the record's gaps), values centred on the
//     mean of the first year and divided by 2 ppm. Test windows start every half year in
//     six 3-year blocks spread over the record (1961, 1969, 1977, 1985, 1993, 1999);
//     training windows start every 0.1 year and overlap no test block (-split time
//     instead trains on 1958-1989 and tests on 1991-2001). The model (an ODE-RNN encoder
//     giving the posterior drift its context, a learned prior, a learned additive
//     diffusion and observation noise) sees the first year and predicts the second by
//     sampling paths of the posterior SDE; its likelihood scores the second year of the
//     training windows (-fit-all: both years). The report gives the coverage of the
//     held-out values by the 90% predictive band (200 paths plus the observation noise),
//     on the test windows and on the training windows, the band's mean width and the MSE
//     of the predictive mean. The picture latentsde_co2.png shows three test windows; the
//     trained model is saved as latentsde_co2.ckpt (latent.LoadSDE reads it).
//
// Both train with the stochastic adjoint of Li et al. (gradients of the SDE solves by a
// backward solve on the same Brownian path, O(1) memory in the steps); -adjoint=false
// backpropagates through the stored steps instead (the two gradients agree to about 2e-6).
//
// Usage:
//
//	go run ./examples/latentsde [-problem toy,co2] [-toy-iters 2500] [-co2-iters 800] [-seeds 1] [-split blocks] [-adjoint=true] [-out latentsde-out]
package main

import (
	"flag"
	"fmt"
	"github.com/continuum-ml/continuum/examples/internal/cli"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
	"github.com/schollz/progressbar/v3"

	"github.com/continuum-ml/continuum/models/latent"
)

type config struct {
	Problems  []string
	ToyIters  int // training iterations of the toy
	CO2Iters  int // training iterations of the CO2 model
	Paths     int // toy: sample paths per iteration
	Samples   int // predictive sample paths
	Seeds     int
	Batch     int     // CO2: windows per iteration
	Stride    float64 // CO2: years between training windows
	Split     string  // CO2: "blocks" or "time" (see co2Split)
	FitAll    bool    // CO2: the likelihood scores both years of the training windows, not only the second
	Adjoint   bool    // gradients of the SDE solves by the stochastic adjoint instead of backpropagation through the steps
	CO2       string
	Out       string
	Progress  bool
	Verbosity int // progress lines per run
}

func defaultConfig() config {
	return config{
		Problems: []string{"toy", "co2"},
		ToyIters: 2500, CO2Iters: 800, Paths: 64, Samples: 200, Seeds: 1, Batch: 50, Stride: 0.1, Split: "blocks",
		Out: "latentsde-out", Verbosity: 10, Adjoint: true,
	}
}

// toyResult is the spread of the toy's posterior paths.
type toyResult struct {
	Seed                             uint64
	Loss                             float64 // final training loss (negative ELBO)
	WidthSeen, WidthGap, WidthBeyond float64 // mean 90% band width on the observed segments, in the gap (0.85..1.15), beyond (1.6..2)
	MaxErrSeen                       float64 // largest distance of the predictive mean from an observation
	Train                            time.Duration
}

// co2Result is the calibration of the CO2 forecasts.
type co2Result struct {
	Seed          uint64
	Coverage      float64 // fraction of held-out values inside the 90% band
	TrainCoverage float64 // the same for the second years of the training windows
	Held          int
	Width         float64 // mean width of the band (ppm)
	MSE           float64 // of the predictive mean (ppm²)
	ObsStd        float64 // learned observation noise (ppm)
	Diffusion     float64 // mean learned diffusion (latent units per sqrt(year))
	Train         time.Duration
}

type result struct {
	Toy      []toyResult
	CO2      []co2Result
	Pictures []string
}

func progress(cfg config, w io.Writer, what string, iters int) func(int, float64) {
	var bar *progressbar.ProgressBar
	if cfg.Progress {
		bar = progressbar.NewOptions(iters, progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription(what), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
			progressbar.OptionClearOnFinish())
	}
	every := max(iters/max(cfg.Verbosity, 1), 1)
	return func(it int, loss float64) {
		if bar != nil {
			bar.Add(1)
		}
		if (it+1)%every == 0 || it+1 == iters {
			fmt.Fprintf(w, "  %s iter %4d  negative ELBO %.2f\n", what, it+1, loss)
		}
	}
}

func run(cfg config, w io.Writer) (*result, error) {
	res := &result{}
	for _, prob := range cfg.Problems {
		for s := 1; s <= cfg.Seeds; s++ {
			seed := uint64(s)
			switch prob {
			case "toy":
				r, pics, err := runToy(cfg, w, seed, s == 1)
				if err != nil {
					return nil, errors.Wrapf(err, "toy seed %d", seed)
				}
				res.Toy = append(res.Toy, r)
				res.Pictures = append(res.Pictures, pics...)
			case "co2":
				r, pics, err := runCO2(cfg, w, seed, s == 1)
				if err != nil {
					return nil, errors.Wrapf(err, "co2 seed %d", seed)
				}
				res.CO2 = append(res.CO2, r)
				res.Pictures = append(res.Pictures, pics...)
			default:
				return nil, errors.Errorf("unknown problem %q", prob)
			}
		}
	}
	report(w, res)
	return res, nil
}

func linspace(a, b float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return out
}

func runToy(cfg config, w io.Writer, seed uint64, pictures bool) (toyResult, []string, error) {
	r := toyResult{Seed: seed}
	data := latent.SegmentedCosine()
	m, err := latent.NewSDE(latent.SDEConfig{Dim: 1, Latent: 1, NoEncoder: true,
		OU: &latent.OUPrior{Theta: 1, Mu: 0}, Sigma: 0.5, Identity: true, ObsStd: 0.05,
		Units: 64, Step: 0.01, Samples: cfg.Paths, Seed: seed, Adjoint: cfg.Adjoint})
	if err != nil {
		return r, nil, err
	}
	fmt.Fprintf(w, "toy seed %d: %v, %d paths per iteration\n", seed, m, cfg.Paths)
	start := time.Now()
	losses, err := m.Train(data, data, latent.TrainConfig{Iters: cfg.ToyIters, Batch: 1, LearnRate: 1e-2,
		KLWarmup: min(100, cfg.ToyIters), Seed: seed, Progress: progress(cfg, w, "toy", cfg.ToyIters)})
	if err != nil {
		return r, nil, err
	}
	r.Train = time.Since(start)
	r.Loss = losses[len(losses)-1]
	fine := linspace(0, 2, 201)
	p, err := m.Predict(data, fine, cfg.Samples, seed)
	if err != nil {
		return r, nil, err
	}
	lo, hi := p.Band(0.9)
	mean := p.Mean()
	var seen, gap, beyond []float64
	for k, t := range fine {
		wd := hi[k] - lo[k]
		switch {
		case (t >= 0.3 && t <= 0.8) || (t >= 1.2 && t <= 1.5):
			seen = append(seen, wd)
		case t >= 0.85 && t <= 1.15:
			gap = append(gap, wd)
		case t >= 1.6:
			beyond = append(beyond, wd)
		}
	}
	r.WidthSeen, r.WidthGap, r.WidthBeyond = avg(seen), avg(gap), avg(beyond)
	at, err := m.Predict(data, data.Sequence(0).Times, cfg.Samples, seed)
	if err != nil {
		return r, nil, err
	}
	am := at.Mean()
	for k, v := range data.Sequence(0).Values {
		r.MaxErrSeen = math.Max(r.MaxErrSeen, math.Abs(am[k]-v))
	}
	fmt.Fprintf(w, "  90%% band width: %.3f on the observed segments, %.3f in the gap, %.3f beyond the data; largest error of the mean at an observation %.3f (%.0fs)\n",
		r.WidthSeen, r.WidthGap, r.WidthBeyond, r.MaxErrSeen, r.Train.Seconds())
	if !pictures || cfg.Out == "" {
		return r, nil, nil
	}
	path := filepath.Join(cfg.Out, "latentsde_toy.png")
	if err := drawToy(path, data, p, mean, lo, hi); err != nil {
		return r, nil, err
	}
	return r, []string{path}, nil
}

func avg(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func runCO2(cfg config, w io.Writer, seed uint64, pictures bool) (co2Result, []string, error) {
	r := co2Result{Seed: seed}
	rec, err := loadCO2(cfg.CO2)
	if err != nil {
		return r, nil, err
	}
	const scale = 2.0 // ppm
	train, test, err := co2Split(rec, cfg, seed)
	if err != nil {
		return r, nil, err
	}
	trainIn, trainFuture := train.SplitAt(1)
	testIn, held := test.SplitAt(1)
	train, _ = train.Center(trainIn, scale)
	trainIn = train.WithMask(trainIn.Mask)
	// The likelihood scores what the task asks for (as Rubanova et al.'s extrapolation
	// training): the second year, from the encoder's view of the first; with -fit-all it
	// scores both years.
	target := train.WithMask(trainFuture.Mask)
	if cfg.FitAll {
		target = train
	}
	test, _ = test.Center(testIn, scale)
	testIn = test.WithMask(testIn.Mask)
	m, err := latent.NewSDE(latent.SDEConfig{Dim: 1, Latent: 8, Context: 8, Hidden: 16, Units: 32, ODEEncoder: true,
		Period: 1, Sigma: 0.1, LearnSigma: true, ObsStd: 0.3, LearnStd: true, Step: 1.0 / 52, Seed: seed, Adjoint: cfg.Adjoint})
	if err != nil {
		return r, nil, err
	}
	fmt.Fprintf(w, "co2 seed %d: %v; %d training windows, %d test windows\n", seed, m, train.N, test.N)
	start := time.Now()
	if _, err := m.Train(trainIn, target, latent.TrainConfig{Iters: cfg.CO2Iters, Batch: cfg.Batch, LearnRate: 1e-2,
		Seed: seed, Progress: progress(cfg, w, "co2", cfg.CO2Iters)}); err != nil {
		return r, nil, err
	}
	r.Train = time.Since(start)
	p, err := m.Predict(testIn, test.Times, cfg.Samples, seed)
	if err != nil {
		return r, nil, err
	}
	lo, hi := p.Band(0.9)
	r.Coverage, r.Held = latent.Coverage(test, held.Mask, lo, hi)
	wsum, n := 0.0, 0
	for i, m := range held.Mask {
		if m != 0 {
			wsum += hi[i] - lo[i]
			n++
		}
	}
	r.Width = scale * wsum / float64(max(n, 1))
	mse, _ := test.MaskedMSE(p.Mean(), held.Mask)
	r.MSE = mse * scale * scale
	// The same on the training windows: how well calibrated the model is in-sample.
	ptr, err := m.Predict(trainIn, train.Times, cfg.Samples, seed)
	if err != nil {
		return r, nil, err
	}
	tlo, thi := ptr.Band(0.9)
	r.TrainCoverage, _ = latent.Coverage(train, trainFuture.Mask, tlo, thi)
	r.ObsStd = scale * m.ObsStd()[0]
	r.Diffusion = avg(m.Diffusion())
	fmt.Fprintf(w, "  second year of the training windows: 90%% band covers %.1f%%\n", 100*r.TrainCoverage)
	fmt.Fprintf(w, "  second year of %d test windows: 90%% band covers %.1f%% of %d held-out values (mean width %.2f ppm); MSE of the mean %.3f ppm²; observation noise %.2f ppm, diffusion %.3f (%.0fs)\n",
		test.N, 100*r.Coverage, r.Held, r.Width, r.MSE, r.ObsStd, r.Diffusion, r.Train.Seconds())
	if !pictures || cfg.Out == "" {
		return r, nil, nil
	}
	ckpt := filepath.Join(cfg.Out, "latentsde_co2.ckpt")
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return r, nil, err
	}
	if err := m.Save(ckpt, nil, map[string]string{"trained-on": "co2 windows, " + cfg.Split + " split"}); err != nil {
		return r, nil, err
	}
	fmt.Fprintf(w, "  saved the model to %s\n", ckpt)
	fine := linspace(test.Times[0], test.Times[test.T()-1], 200)
	pf, err := m.Predict(testIn, fine, cfg.Samples, seed)
	if err != nil {
		return r, nil, err
	}
	path := filepath.Join(cfg.Out, "latentsde_co2.png")
	if err := drawCO2(path, test, testIn, held, pf, scale); err != nil {
		return r, nil, err
	}
	return r, []string{path}, nil
}

// co2Split cuts the record into training and test windows of 2 years: with -split time,
// training windows start every Stride years from 1958 to 1987 and test windows every
// half year from 1991 to 2000 (the test decade follows the training years); with -split
// blocks, the test windows start every half year in six 3-year blocks spread over the
// record (1961, 1969, 1977, 1985, 1993, 1999) and the training windows are all those
// that do not overlap a test block.
func co2Split(rec *latent.CO2, cfg config, seed uint64) (train, test *latent.Series, err error) {
	win := func(a, b, stride float64, s uint64) (*latent.Series, error) {
		ws, _, err := rec.Windows(latent.CO2Windows{Start: a, End: b, Length: 2, Stride: stride, Keep: 0.5, Seed: s})
		return ws, err
	}
	if cfg.Split == "time" {
		if train, err = win(1958, 1989, cfg.Stride, 500+seed); err != nil {
			return nil, nil, err
		}
		test, err = win(1991, 2002, 0.5, 600+seed)
		return train, test, err
	}
	if cfg.Split != "blocks" {
		return nil, nil, errors.Errorf("unknown split %q", cfg.Split)
	}
	blocks := []float64{1961, 1969, 1977, 1985, 1993, 1999}
	var trs, tes []*latent.Series
	from := 1958.0
	for i, b := range blocks {
		if b-from >= 2 {
			s, err := win(from, b, cfg.Stride, 500+seed+uint64(10*i))
			if err != nil {
				return nil, nil, err
			}
			trs = append(trs, s)
		}
		s, err := win(b, b+3, 0.5, 600+seed+uint64(10*i))
		if err != nil {
			return nil, nil, err
		}
		tes = append(tes, s)
		from = b + 3
	}
	if train, err = latent.Join(trs...); err != nil {
		return nil, nil, err
	}
	test, err = latent.Join(tes...)
	return train, test, err
}

func report(w io.Writer, res *result) {
	if len(res.Toy) > 0 {
		fmt.Fprintln(w, "\ntoy: mean 90% band width of the posterior paths")
		fmt.Fprintf(w, "%5s %10s %10s %10s %10s\n", "seed", "observed", "gap", "beyond", "max err")
		for _, r := range res.Toy {
			fmt.Fprintf(w, "%5d %10.3f %10.3f %10.3f %10.3f\n", r.Seed, r.WidthSeen, r.WidthGap, r.WidthBeyond, r.MaxErrSeen)
		}
	}
	if len(res.CO2) > 0 {
		fmt.Fprintln(w, "\nco2 extrapolation (second year of each test window)")
		fmt.Fprintf(w, "%5s %9s %7s %11s %11s %9s\n", "seed", "coverage", "values", "width ppm", "MSE ppm²", "noise")
		var cov []float64
		for _, r := range res.CO2 {
			fmt.Fprintf(w, "%5d %8.1f%% %7d %11.2f %11.3f %9.2f\n", r.Seed, 100*r.Coverage, r.Held, r.Width, r.MSE, r.ObsStd)
			cov = append(cov, r.Coverage)
		}
		fmt.Fprintf(w, "mean coverage of the 90%% band %.1f%% (target 80%%-98%%)\n", 100*avg(cov))
	}
}

func main() {
	cli.Usage(
		"Trains latent SDEs on a segmented-cosine toy and on Mauna Loa CO2 (embedded) and reports how often the 90% predictive band covers held-out points.",
		"Writes into -out (default latentsde-out; empty: nothing): latentsde_toy.png (posterior and prior sample paths) and latentsde_co2.png (held-out windows with the predictive band).")
	cfg := defaultConfig()
	probs := flag.String("problem", strings.Join(cfg.Problems, ","), "problems: toy, co2 (comma-separated)")
	flag.IntVar(&cfg.ToyIters, "toy-iters", cfg.ToyIters, "training iterations of the toy")
	flag.IntVar(&cfg.CO2Iters, "co2-iters", cfg.CO2Iters, "training iterations of the CO2 model")
	flag.IntVar(&cfg.Paths, "paths", cfg.Paths, "toy: sample paths per iteration")
	flag.IntVar(&cfg.Samples, "samples", cfg.Samples, "predictive sample paths")
	flag.IntVar(&cfg.Seeds, "seeds", cfg.Seeds, "number of seeds (1..seeds)")
	flag.StringVar(&cfg.CO2, "co2", cfg.CO2, "a CO2 file in the format of models/latent/data/co2.csv (default: the embedded Mauna Loa record)")
	flag.Float64Var(&cfg.Stride, "stride", cfg.Stride, "CO2: years between the starts of training windows")
	flag.BoolVar(&cfg.Adjoint, "adjoint", cfg.Adjoint, "gradients by the stochastic adjoint (Li et al. 2020); false: backpropagation through the steps")
	flag.BoolVar(&cfg.FitAll, "fit-all", false, "CO2: score both years of the training windows in the likelihood")
	flag.StringVar(&cfg.Split, "split", cfg.Split, "CO2 windows: blocks (test blocks spread over the record) or time (test after 1991)")
	flag.StringVar(&cfg.Out, "out", cfg.Out, "directory of the pictures (empty: none)")
	flag.Parse()
	cfg.Progress = cli.Terminal() // a progress bar on a terminal, log lines otherwise
	cfg.Problems = strings.Split(*probs, ",")
	res, err := run(cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "latentsde:", err)
		os.Exit(1)
	}
	for _, p := range res.Pictures {
		fmt.Println("wrote", p)
	}
}

// loadCO2 reads the CO2 record at path, or the one embedded in package latent when path
// is empty.
func loadCO2(path string) (*latent.CO2, error) {
	if path == "" {
		return latent.MaunaLoaCO2()
	}
	return latent.LoadCO2(path)
}
