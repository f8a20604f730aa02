// Command sdefit fits a neural SDE to sample paths of a known SDE: it learns the drift
// and the diffusion from data, through the sdeop.Solve node and its stochastic adjoint.
//
// The data are paths of an Ornstein-Uhlenbeck process dX = theta (mu - X) dt + sigma dW
// (theta = 2, mu = 0.5, sigma = 0.5; -process ou, the default) or of a geometric
// Brownian motion dX = mu X dt + sigma X dW in the Ito sense (mu = 0.5, sigma = 0.4;
// -process gbm), sampled exactly at the observation times 0, 0.1, ..., 1 from several
// initial states (data-paths paths from each). The model is
//
//	dZ = f(Z) dt + g(Z) ∘ dW,   f = MLP 1 -> hidden (tanh) -> 1,   g = MLP 1 -> hidden (tanh) -> 1 (softplus)
//
// (Stratonovich; two native layers.MLP networks), solved by one sdeop.Solve node for
// model-paths paths from each initial state with fixed steps -dt, a new Brownian path
// every iteration (WithResample), and trained with Adam on the marginal moments: the
// squared differences between the model's and the data's mean and standard deviation
// at every observation time and initial state (for these processes, whose marginals are
// Gaussian or log-normal, the first two moments determine them). Every test-freq
// iterations it prints the loss and the error of the learned marginals against the true
// ones (from a large sample of model paths).
//
// At the end it writes into -out: sdefit_paths.png (data and model sample paths),
// sdefit_marginals.png (true against learned mean ± 2 standard deviations) and
// sdefit_coeffs.png (learned against true drift and diffusion).
//
// Usage:
//
//	go run ./examples/sdefit [-process ou|gbm] [-iters 400] [-out sdefit-out] [-seed 1]
package main

import (
	"flag"
	"fmt"
	"github.com/continuum-ml/continuum/examples/internal/cli"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/pkg/errors"
	"github.com/schollz/progressbar/v3"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/sdeop"
)

// config holds the flags of the example.
type config struct {
	Process    string  // "ou" or "gbm"
	Starts     int     // initial states
	DataPaths  int     // data paths per initial state
	ModelPaths int     // model paths per initial state and iteration
	Obs        int     // observation times in [0, T1], 0 included
	T1         float64 // the paths span [0, T1]
	Dt         float64 // step of the model's solves
	Iters      int     // training iterations
	TestFreq   int     // iterations between evaluations
	LR         float64 // Adam learning rate
	Hidden     int     // hidden width of both networks
	Seed       uint64  // seeds the data, the weights and the Brownian paths
	Method     string  // sdeop method of the model's solves (Stratonovich)
	Grad       string  // "adjoint" or "checkpoint"
	Out        string  // directory of the pictures; "" writes none
	Progress   bool    // show a progress bar on stderr
}

func defaultConfig() config {
	return config{
		Process:    "ou",
		Starts:     6,
		DataPaths:  512,
		ModelPaths: 128,
		Obs:        11,
		T1:         1,
		Dt:         0.01,
		Iters:      400,
		TestFreq:   25,
		LR:         1e-2,
		Hidden:     32,
		Seed:       1,
		Method:     string(sdeop.Midpoint),
		Grad:       "adjoint",
		Out:        "sdefit-out",
	}
}

func (c config) check() error {
	switch {
	case c.Process != "ou" && c.Process != "gbm":
		return errors.Errorf("process %q: want ou or gbm", c.Process)
	case c.Starts < 1 || c.DataPaths < 2 || c.ModelPaths < 2:
		return errors.Errorf("starts %d, data-paths %d, model-paths %d: want at least 1, 2, 2", c.Starts, c.DataPaths, c.ModelPaths)
	case c.Obs < 2 || !(c.T1 > 0) || !(c.Dt > 0):
		return errors.Errorf("obs %d, t1 %g, dt %g: want at least 2 times over a positive span and a positive step", c.Obs, c.T1, c.Dt)
	case c.Iters < 0 || c.TestFreq < 1 || c.Hidden < 1 || !(c.LR > 0):
		return errors.Errorf("iters %d, test-freq %d, hidden %d, lr %g", c.Iters, c.TestFreq, c.Hidden, c.LR)
	case c.Grad != "adjoint" && c.Grad != "checkpoint":
		return errors.Errorf("grad %q: want adjoint or checkpoint", c.Grad)
	}
	return nil
}

// result is what a run measured.
type result struct {
	LogIters  []int
	Losses    []float64 // training loss at the logged iterations
	Marginal  []float64 // marginal error (see marginalError) at the logged iterations
	TrainTime time.Duration
	Forward   sdeop.Stats // statistics of the last training solve
	Backward  sdeop.Stats
	Pictures  []string
}

func main() {
	cli.Usage(
		"Fits a neural SDE (drift and diffusion networks) to sample paths of an Ornstein-Uhlenbeck process or a geometric Brownian motion through sdeop.Solve, and reports the error of the learned marginals.",
		"Writes into -out (default sdefit-out; empty: nothing): sdefit_paths.png, sdefit_marginals.png and sdefit_coeffs.png.")
	cfg := defaultConfig()
	flag.StringVar(&cfg.Process, "process", cfg.Process, "true process: ou (Ornstein-Uhlenbeck) or gbm (geometric Brownian motion)")
	flag.IntVar(&cfg.Starts, "starts", cfg.Starts, "initial states")
	flag.IntVar(&cfg.DataPaths, "data-paths", cfg.DataPaths, "data paths per initial state")
	flag.IntVar(&cfg.ModelPaths, "model-paths", cfg.ModelPaths, "model paths per initial state and iteration")
	flag.IntVar(&cfg.Obs, "obs", cfg.Obs, "observation times in [0, 1]")
	flag.Float64Var(&cfg.Dt, "dt", cfg.Dt, "step of the model's solves")
	flag.IntVar(&cfg.Iters, "iters", cfg.Iters, "training iterations")
	flag.IntVar(&cfg.TestFreq, "test-freq", cfg.TestFreq, "iterations between evaluations")
	flag.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning rate")
	flag.IntVar(&cfg.Hidden, "hidden", cfg.Hidden, "hidden width of the networks")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (data, weights, Brownian paths)")
	flag.StringVar(&cfg.Method, "method", cfg.Method, "Stratonovich method: midpoint, heun, euler_heun or reversible_heun")
	flag.StringVar(&cfg.Grad, "grad", cfg.Grad, "gradient method: adjoint or checkpoint")
	flag.StringVar(&cfg.Out, "out", cfg.Out, "directory for the pictures (empty: none)")
	flag.Parse()
	cfg.Progress = cli.Terminal() // a progress bar on a terminal, log lines otherwise
	res, err := run(cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdefit:", err)
		os.Exit(1)
	}
	if n := len(res.Marginal); n > 0 {
		fmt.Printf("marginal error %.4f at the start, %.4f at the end; training took %.2f s\n",
			res.Marginal[0], res.Marginal[n-1], res.TrainTime.Seconds())
	}
	for _, p := range res.Pictures {
		fmt.Println("wrote", p)
	}
}

// run trains the model as configured, logging to w, and writes the pictures.
func run(cfg config, w io.Writer) (*result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	proc := processes[cfg.Process]
	obs := make([]float64, cfg.Obs)
	for i := range obs {
		obs[i] = cfg.T1 * float64(i) / float64(cfg.Obs-1)
	}
	starts := make([]float64, cfg.Starts)
	for s := range starts {
		starts[s] = proc.x0lo
		if cfg.Starts > 1 {
			starts[s] += (proc.x0hi - proc.x0lo) * float64(s) / float64(cfg.Starts-1)
		}
	}
	data := sampleData(proc, starts, obs, cfg.DataPaths, cfg.Seed)

	// The model and the training graph.
	S, M, T := cfg.Starts, cfg.ModelPaths, cfg.Obs
	g := G.NewGraph()
	drift, err := layers.NewMLP(g, "f", layers.Spec{In: 1, Seed: cfg.Seed,
		Layers: []layers.LayerSpec{layers.Linear(cfg.Hidden, layers.Tanh), layers.Linear(1, nil)}})
	if err != nil {
		return nil, err
	}
	diffusion, err := layers.NewMLP(g, "g", layers.Spec{In: 1, Seed: cfg.Seed + 1,
		Layers: []layers.LayerSpec{layers.Linear(cfg.Hidden, layers.Tanh), layers.Linear(1, layers.Softplus)}})
	if err != nil {
		return nil, err
	}
	z0d := make([]float64, S*M)
	for s := 0; s < S; s++ {
		for m := 0; m < M; m++ {
			z0d[s*M+m] = starts[s]
		}
	}
	z0 := G.NewMatrix(g, tensor.Float64, G.WithShape(S*M, 1), G.WithName("z0"),
		G.WithValue(tensor.New(tensor.WithShape(S*M, 1), tensor.WithBacking(z0d))))
	gm := sdeop.Adjoint
	if cfg.Grad == "checkpoint" {
		gm = sdeop.Checkpoint
	}
	opts := []sdeop.Option{sdeop.WithCalculus(sdeop.Stratonovich), sdeop.WithMethod(sdeop.Method(cfg.Method)),
		sdeop.WithStep(cfg.Dt), sdeop.WithGradient(gm), sdeop.WithSeed(cfg.Seed), sdeop.WithResample(true)}
	zs, err := sdeop.Solve(z0, drift, diffusion, obs, opts...)
	if err != nil {
		return nil, err
	}
	loss, err := momentLoss(g, zs, data, S, M, T)
	if err != nil {
		return nil, err
	}
	params := append(drift.Params(), diffusion.Params()...)
	if _, err := G.Grad(loss, params...); err != nil {
		return nil, err
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer vm.Close()
	opt := models.NewAdam(cfg.LR)
	vgs := G.NodesToValueGrads(params)

	var bar *progressbar.ProgressBar
	if cfg.Progress {
		bar = progressbar.NewOptions(cfg.Iters, progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("sdefit"), progressbar.OptionShowCount(), progressbar.OptionShowIts())
	}
	res := &result{}
	evaluate := func(it int, l float64) error {
		me, err := marginalError(proc, drift, diffusion, starts, obs, cfg, 1000)
		if err != nil {
			return errors.Wrapf(err, "iteration %d: evaluation", it)
		}
		res.LogIters = append(res.LogIters, it)
		res.Losses = append(res.Losses, l)
		res.Marginal = append(res.Marginal, me)
		if bar != nil {
			bar.Describe(fmt.Sprintf("loss %.4f, marginal error %.4f", l, me))
		} else {
			fmt.Fprintf(w, "Iter %04d | loss %.6f | marginal error %.4f\n", it, l, me)
		}
		return nil
	}
	// Each run of the machine computes the loss (and its gradient) at the current
	// parameters; iteration it logs the loss after it steps of Adam, so the line of
	// iteration 0 is the model before training. The run after the last step only
	// measures its loss.
	start := time.Now()
	for it := 0; it <= cfg.Iters; it++ {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			return nil, errors.Wrapf(err, "iteration %d", it)
		}
		if it%cfg.TestFreq == 0 || it == cfg.Iters {
			if err := evaluate(it, loss.Value().Data().(float64)); err != nil {
				return nil, err
			}
		}
		if it == cfg.Iters {
			break
		}
		if err := opt.Step(vgs); err != nil {
			return nil, errors.Wrapf(err, "iteration %d", it)
		}
		if bar != nil {
			_ = bar.Add(1)
		}
	}
	res.TrainTime = time.Since(start)
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(os.Stderr)
	}
	res.Forward, res.Backward, _ = sdeop.StatsOf(zs)
	if cfg.Out != "" {
		if res.Pictures, err = writePictures(cfg.Out, proc, drift, diffusion, starts, data, cfg); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// momentLoss is the training loss: over the observation times after the first and the
// initial states, the mean squared difference of the model's sample mean and standard
// deviation (over its M paths) from the data's.
func momentLoss(g *G.ExprGraph, zs *G.Node, data *dataSet, S, M, T int) (*G.Node, error) {
	tm := make([]float64, (T-1)*S)
	tsd := make([]float64, (T-1)*S)
	for i := 1; i < T; i++ {
		for s := 0; s < S; s++ {
			tm[(i-1)*S+s] = data.mean[i][s]
			tsd[(i-1)*S+s] = data.std[i][s]
		}
	}
	target := func(name string, v []float64) *G.Node {
		return G.NewMatrix(g, tensor.Float64, G.WithShape(T-1, S), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(T-1, S), tensor.WithBacking(v))))
	}
	later, err := G.Slice(zs, G.S(1, T))
	if err != nil {
		return nil, err
	}
	z3, err := G.Reshape(later, tensor.Shape{T - 1, S, M})
	if err != nil {
		return nil, err
	}
	mean := G.Must(G.Mean(z3, 2))
	m2 := G.Must(G.Mean(G.Must(G.Square(z3)), 2))
	std := G.Must(G.Sqrt(G.Must(G.Sub(m2, G.Must(G.Square(mean))))))
	lm := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(mean, target("target_mean", tm)))))))
	ls := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(std, target("target_std", tsd)))))))
	return G.Add(lm, ls)
}

// marginalError solves the learned SDE for n paths from every initial state (with
// sdeop.Integrate on a fixed seed) and returns the mean over the observation times
// after the first and the initial states of |mean - true mean| + |std - true std|.
func marginalError(proc process, drift, diffusion *layers.MLP, starts, obs []float64, cfg config, n int) (float64, error) {
	ys, err := modelPaths(drift, diffusion, starts, obs, cfg, n, cfg.Seed+99)
	if err != nil {
		return 0, err
	}
	e := 0.0
	for i := 1; i < len(obs); i++ {
		for s, x0 := range starts {
			m, sd := moments(ys[i][s*n : (s+1)*n])
			tm, tv := proc.moments(x0, obs[i])
			e += math.Abs(m-tm) + math.Abs(sd-math.Sqrt(tv))
		}
	}
	return e / float64((len(obs)-1)*len(starts)), nil
}

// modelPaths solves the learned SDE (Stratonovich, the training method and step) for n
// paths from every initial state and returns the states at the times ts: ys[i] holds
// the paths of start s at entries s*n .. (s+1)*n-1.
func modelPaths(drift, diffusion *layers.MLP, starts, ts []float64, cfg config, n int, seed uint64) ([][]float64, error) {
	B := len(starts) * n
	f, err := drift.NewNet(drift.Values(), B)
	if err != nil {
		return nil, err
	}
	gn, err := diffusion.NewNet(diffusion.Values(), B)
	if err != nil {
		return nil, err
	}
	sde := sdeop.SDE{
		Drift:     func(t float64, y, out []float64) { f.Forward(out, t, y) },
		Diffusion: func(t float64, y, out []float64) { gn.Forward(out, t, y) },
		Calculus:  sdeop.Stratonovich,
	}
	y0 := make([]float64, B)
	for s, x0 := range starts {
		for m := 0; m < n; m++ {
			y0[s*n+m] = x0
		}
	}
	sol, err := sdeop.Integrate(sde, y0, ts, nil, sdeop.WithMethod(sdeop.Method(cfg.Method)), sdeop.WithStep(cfg.Dt), sdeop.WithSeed(seed))
	if err != nil {
		return nil, err
	}
	return sol.Ys, nil
}

// moments returns the sample mean and standard deviation of x.
func moments(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)-1))
}

// process is a known SDE with exact transitions.
type process struct {
	name       string
	x0lo, x0hi float64                                // range of the initial states
	drift      func(x float64) float64                // Stratonovich drift (what the model learns)
	diffusion  func(x float64) float64                //
	moments    func(x0, t float64) (mean, vr float64) // exact marginal moments
	step       func(x, dt, z float64) float64         // exact transition over dt, z standard normal
}

var processes = map[string]process{
	"ou": func() process {
		const theta, mu, sigma = 2.0, 0.5, 0.5
		return process{
			name: "Ornstein-Uhlenbeck", x0lo: -1.5, x0hi: 2.5,
			drift:     func(x float64) float64 { return theta * (mu - x) },
			diffusion: func(float64) float64 { return sigma },
			moments: func(x0, t float64) (float64, float64) {
				return mu + (x0-mu)*math.Exp(-theta*t), sigma * sigma * (1 - math.Exp(-2*theta*t)) / (2 * theta)
			},
			step: func(x, dt, z float64) float64 {
				e := math.Exp(-theta * dt)
				return mu + (x-mu)*e + sigma*math.Sqrt((1-e*e)/(2*theta))*z
			},
		}
	}(),
	"gbm": func() process {
		const mu, sigma = 0.5, 0.4
		return process{
			name: "geometric Brownian motion", x0lo: 0.5, x0hi: 2,
			// Ito drift mu x; the Stratonovich drift is (mu - sigma^2/2) x.
			drift:     func(x float64) float64 { return (mu - sigma*sigma/2) * x },
			diffusion: func(x float64) float64 { return sigma * x },
			moments: func(x0, t float64) (float64, float64) {
				m := x0 * math.Exp(mu*t)
				return m, m * m * (math.Exp(sigma*sigma*t) - 1)
			},
			step: func(x, dt, z float64) float64 {
				return x * math.Exp((mu-sigma*sigma/2)*dt+sigma*math.Sqrt(dt)*z)
			},
		}
	}(),
}

// dataSet holds the data paths and their moments at the observation times.
type dataSet struct {
	paths     [][][]float64 // paths[s][p][i]: start s, path p, time i
	mean, std [][]float64   // mean[i][s]
}

// sampleData draws n exact paths of proc from every start at the times obs.
func sampleData(proc process, starts, obs []float64, n int, seed uint64) *dataSet {
	rng := rand.New(rand.NewPCG(seed, 0xda7a))
	d := &dataSet{paths: make([][][]float64, len(starts))}
	for s, x0 := range starts {
		for p := 0; p < n; p++ {
			path := make([]float64, len(obs))
			path[0] = x0
			for i := 1; i < len(obs); i++ {
				path[i] = proc.step(path[i-1], obs[i]-obs[i-1], rng.NormFloat64())
			}
			d.paths[s] = append(d.paths[s], path)
		}
	}
	d.mean = make([][]float64, len(obs))
	d.std = make([][]float64, len(obs))
	x := make([]float64, n)
	for i := range obs {
		d.mean[i] = make([]float64, len(starts))
		d.std[i] = make([]float64, len(starts))
		for s := range starts {
			for p := 0; p < n; p++ {
				x[p] = d.paths[s][p][i]
			}
			d.mean[i][s], d.std[i][s] = moments(x)
		}
	}
	return d
}
