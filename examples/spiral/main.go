// Command spiral is the classic neural-ODE demo (torchdiffeq's examples/ode_demo.py): it
// learns the dynamics of a two-dimensional spiral from its trajectory.
//
// The true dynamics are dy/dt = (y³)·A with A = [[-0.1, 2], [-2, -0.1]] and y(0) = [2, 0],
// sampled at 1000 times in [0, 25] (solved with dopri5 at rtol 1e-10). The model is
// dy/dt = MLP(y³), an MLP 2 -> 50 (tanh) -> 2 evaluated natively (package layers) inside
// one odeop.Solve node. Each iteration draws -batch random windows of batch-time
// consecutive samples of the true trajectory (torchdiffeq's get_batch), solves the model
// from the first sample of each window over the window's times, and takes an RMSProp
// step on the L1 loss (mean absolute error). Every test-freq iterations it prints the L1
// loss of the whole trajectory solved from y(0).
//
// At the end it writes three pictures into -out: spiral_traj.png (true and learned
// y1(t), y2(t)), spiral_phase.png (the phase portrait y2 against y1) and spiral_field.png
// (the learned vector field on [-2, 2]²).
//
// Usage:
//
//	go run ./examples/spiral [-iters 2000] [-out spiral-out] [-seed 1]
package main

import (
	"flag"
	"fmt"
	"github.com/continuum-ml/continuum/examples/internal/cli"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/pkg/errors"
	"github.com/schollz/progressbar/v3"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/odeop"
)

// config holds the flags of the demo; defaultConfig gives torchdiffeq's settings.
type config struct {
	DataSize  int     // samples of the true trajectory
	T1        float64 // the trajectory spans [0, T1]
	BatchTime int     // samples per training window
	BatchSize int     // windows per iteration
	Iters     int     // training iterations
	TestFreq  int     // iterations between full-trajectory losses
	LR        float64 // RMSProp learning rate
	Hidden    int     // hidden width of the MLP
	Seed      uint64  // seeds the initial weights and the windows
	Method    string  // Runge-Kutta method of the model's solves
	Rtol      float64 // tolerances of the model's solves
	Atol      float64
	Grad      string  // gradient method: "checkpoint" or "adjoint"
	InitStd   float64 // weights start from N(0, InitStd²); 0 means Glorot uniform
	Out       string  // directory of the pictures; "" writes none
	Progress  bool    // show a progress bar on stderr
}

func defaultConfig() config {
	return config{
		DataSize:  1000,
		T1:        25,
		BatchTime: 10,
		BatchSize: 20,
		Iters:     2000,
		TestFreq:  20,
		LR:        1e-3,
		Hidden:    50,
		Seed:      1,
		Method:    string(odeop.Dopri5),
		Rtol:      odeop.DefaultRtol,
		Atol:      odeop.DefaultAtol,
		Grad:      "checkpoint",
		InitStd:   0.1,
		Out:       "spiral-out",
	}
}

// result is what a run measured.
type result struct {
	LogIters  []int     // iterations at which the full-trajectory loss was logged
	Losses    []float64 // those losses
	Median10  float64   // median of the last ten logged losses (of all, if fewer)
	TrainTime time.Duration
	NFE       odeop.Stats // forward and backward statistics of the last training solve
	NFEBack   odeop.Stats
	Pictures  []string
}

func main() {
	cli.Usage(
		"The classic neural-ODE demo (torchdiffeq's ode_demo): learns the dynamics of a spiral from windows of its trajectory and reports the loss on the whole trajectory.",
		"Writes into -out (default spiral-out; empty: nothing): spiral_traj.png, spiral_phase.png and spiral_field.png.")
	cfg := defaultConfig()
	flag.IntVar(&cfg.DataSize, "data-size", cfg.DataSize, "samples of the true trajectory")
	flag.IntVar(&cfg.BatchTime, "batch-time", cfg.BatchTime, "samples per training window")
	flag.IntVar(&cfg.BatchSize, "batch", cfg.BatchSize, "windows per iteration")
	flag.IntVar(&cfg.Iters, "iters", cfg.Iters, "training iterations")
	flag.IntVar(&cfg.TestFreq, "test-freq", cfg.TestFreq, "iterations between full-trajectory losses")
	flag.Float64Var(&cfg.LR, "lr", cfg.LR, "RMSProp learning rate")
	flag.IntVar(&cfg.Hidden, "hidden", cfg.Hidden, "hidden width of the MLP")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (initial weights, windows)")
	flag.StringVar(&cfg.Method, "method", cfg.Method, "Runge-Kutta method of the model's solves")
	flag.Float64Var(&cfg.Rtol, "rtol", cfg.Rtol, "relative tolerance of the model's solves")
	flag.Float64Var(&cfg.Atol, "atol", cfg.Atol, "absolute tolerance of the model's solves")
	flag.StringVar(&cfg.Grad, "grad", cfg.Grad, "gradient method: checkpoint or adjoint")
	flag.Float64Var(&cfg.InitStd, "init-std", cfg.InitStd, "standard deviation of the initial weights (0: Glorot uniform)")
	flag.StringVar(&cfg.Out, "out", cfg.Out, "directory for the pictures (empty: none)")
	flag.Parse()
	cfg.Progress = cli.Terminal() // a progress bar on a terminal, log lines otherwise
	res, err := run(cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "spiral:", err)
		os.Exit(1)
	}
	fmt.Printf("median of the last %d logged losses: %.4f; training took %.2f s\n",
		min(10, len(res.Losses)), res.Median10, res.TrainTime.Seconds())
	for _, p := range res.Pictures {
		fmt.Println("wrote", p)
	}
}

// trueA is the matrix of the true dynamics dy/dt = (y³)·A.
var trueA = [2][2]float64{{-0.1, 2}, {-2, -0.1}}

func trueDynamics(_ float64, y, dy []float64) {
	c0, c1 := y[0]*y[0]*y[0], y[1]*y[1]*y[1]
	dy[0] = c0*trueA[0][0] + c1*trueA[1][0]
	dy[1] = c0*trueA[0][1] + c1*trueA[1][1]
}

func (c config) check() error {
	switch {
	case c.DataSize < 2 || c.T1 <= 0:
		return errors.Errorf("need at least 2 samples over a positive time (data-size %d, t1 %g)", c.DataSize, c.T1)
	case c.BatchTime < 2 || c.BatchTime > c.DataSize:
		return errors.Errorf("batch-time %d: want 2..%d", c.BatchTime, c.DataSize)
	case c.BatchSize < 1 || c.BatchSize > c.DataSize-c.BatchTime:
		return errors.Errorf("batch %d: want 1..%d (windows are drawn without replacement)", c.BatchSize, c.DataSize-c.BatchTime)
	case c.Iters < 0 || c.TestFreq < 1:
		return errors.Errorf("iters %d, test-freq %d", c.Iters, c.TestFreq)
	case c.Hidden < 1 || c.LR <= 0:
		return errors.Errorf("hidden %d, lr %g", c.Hidden, c.LR)
	case c.Grad != "checkpoint" && c.Grad != "adjoint":
		return errors.Errorf("grad %q: want checkpoint or adjoint", c.Grad)
	}
	return nil
}

// run trains the model as configured, logging to w, and writes the pictures.
func run(cfg config, w io.Writer) (*result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	// The data: the true trajectory at DataSize times.
	ts := make([]float64, cfg.DataSize)
	for i := range ts {
		ts[i] = cfg.T1 * float64(i) / float64(cfg.DataSize-1)
	}
	truth, err := odeop.Integrate(trueDynamics, []float64{2, 0}, ts, odeop.WithTol(1e-10, 1e-12))
	if err != nil {
		return nil, errors.Wrap(err, "true trajectory")
	}
	trueY := truth.Ys

	// The model: one graph with the windows' initial states and targets as inputs.
	gm := odeop.Adjoint
	if cfg.Grad == "checkpoint" {
		gm = odeop.Checkpoint
	}
	opts := []odeop.Option{odeop.WithMethod(odeop.Method(cfg.Method)), odeop.WithTol(cfg.Rtol, cfg.Atol), odeop.WithGradient(gm)}
	g := G.NewGraph()
	init := layers.GlorotUniform(cfg.Seed)
	if cfg.InitStd > 0 {
		init = normalInit(cfg.Seed, cfg.InitStd)
	}
	net, err := layers.NewMLP(g, "f", layers.Spec{In: 2, Init: init,
		Layers: []layers.LayerSpec{layers.Linear(cfg.Hidden, layers.Tanh), layers.Linear(2, nil)}})
	if err != nil {
		return nil, err
	}
	f := cubed{net}
	M, T := cfg.BatchSize, cfg.BatchTime
	z0v := tensor.New(tensor.WithShape(M, 2), tensor.WithBacking(make([]float64, M*2)))
	tgv := tensor.New(tensor.WithShape(T, M, 2), tensor.WithBacking(make([]float64, T*M*2)))
	z0 := G.NewMatrix(g, tensor.Float64, G.WithShape(M, 2), G.WithName("batch_y0"), G.WithValue(z0v))
	target := G.NewTensor(g, tensor.Float64, 3, G.WithShape(T, M, 2), G.WithName("batch_y"), G.WithValue(tgv))
	zs, err := odeop.Solve(z0, f, ts[:T], opts...)
	if err != nil {
		return nil, err
	}
	loss, err := G.Mean(G.Must(G.Abs(G.Must(G.Sub(zs, target)))))
	if err != nil {
		return nil, err
	}
	params := f.Params()
	if _, err := G.Grad(loss, params...); err != nil {
		return nil, err
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer vm.Close()
	opt := models.NewRMSProp(cfg.LR)
	vgs := G.NodesToValueGrads(params)

	// The full-trajectory loss, solved natively from y(0) with the current weights.
	y0 := []float64{2, 0}
	fullLoss := func() (float64, [][]float64, error) {
		ev, err := f.Bind(net.Values(), 1, 2)
		if err != nil {
			return 0, nil, err
		}
		sol, err := odeop.Integrate(func(t float64, y, dy []float64) { ev.Eval(dy, t, y) }, y0, ts, opts[:2]...)
		if err != nil {
			return 0, nil, err
		}
		s := 0.0
		for i, y := range sol.Ys {
			s += math.Abs(y[0]-trueY[i][0]) + math.Abs(y[1]-trueY[i][1])
		}
		return s / float64(2*len(ts)), sol.Ys, nil
	}

	var bar *progressbar.ProgressBar
	if cfg.Progress {
		bar = progressbar.NewOptions(cfg.Iters, progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("spiral"), progressbar.OptionShowCount(), progressbar.OptionShowIts())
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5b1a1))
	perm := make([]int, cfg.DataSize-T)
	res := &result{}
	z0d, tgd := z0v.Data().([]float64), tgv.Data().([]float64)
	start := time.Now()
	for it := 1; it <= cfg.Iters; it++ {
		// get_batch: M distinct window starts, uniformly among DataSize-T.
		for i := range perm {
			perm[i] = i
		}
		for i := 0; i < M; i++ {
			j := i + rng.IntN(len(perm)-i)
			perm[i], perm[j] = perm[j], perm[i]
		}
		for b, s := range perm[:M] {
			copy(z0d[2*b:2*b+2], trueY[s])
			for k := 0; k < T; k++ {
				copy(tgd[(k*M+b)*2:(k*M+b)*2+2], trueY[s+k])
			}
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			return nil, errors.Wrapf(err, "iteration %d", it)
		}
		if err := opt.Step(vgs); err != nil {
			return nil, errors.Wrapf(err, "iteration %d", it)
		}
		if it%cfg.TestFreq == 0 {
			l, _, err := fullLoss()
			if err != nil {
				return nil, errors.Wrapf(err, "iteration %d: full trajectory", it)
			}
			res.LogIters = append(res.LogIters, it)
			res.Losses = append(res.Losses, l)
			if bar != nil {
				bar.Describe(fmt.Sprintf("loss %.4f", l))
			} else {
				fmt.Fprintf(w, "Iter %04d | Total Loss %.6f\n", it, l)
			}
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
	res.NFE, res.NFEBack, _ = odeop.StatsOf(zs)
	if n := len(res.Losses); n > 0 {
		res.Median10 = median(res.Losses[max(0, n-10):])
	}
	if cfg.Out != "" {
		_, pred, err := fullLoss()
		if err != nil {
			return nil, errors.Wrap(err, "final trajectory")
		}
		eval, err := f.Bind(net.Values(), 1, 2)
		if err != nil {
			return nil, err
		}
		field := func(x, y float64) (float64, float64) {
			var d [2]float64
			eval.Eval(d[:], 0, []float64{x, y})
			return d[0], d[1]
		}
		if res.Pictures, err = writePictures(cfg.Out, ts, trueY, pred, field); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// normalInit is torchdiffeq's initialisation of the demo: weights from N(0, std²), biases
// zero, seeded.
func normalInit(seed uint64, std float64) layers.Init {
	return func(dst []float64, p layers.ParamInfo) {
		if p.Role != layers.Weight {
			clear(dst)
			return
		}
		rng := rand.New(rand.NewPCG(seed, uint64(p.Layer)))
		for i := range dst {
			dst[i] = std * rng.NormFloat64()
		}
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
