package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/examples/internal/cli"
	"github.com/continuum-ml/continuum/odeop"
)

// grav is the gravity of the ball (m/s^2), known to the model.
const grav = 9.81

// The true ball the observations come from.
const trueH, trueE = 2.0, 0.7

type config struct {
	Bar     bool // a progress bar on stderr (main sets it when stderr is a terminal)
	Iters   int
	Seed    uint64
	Bounces int
	Noise   float64
	LR      float64
	Out     string
	H0, E0  float64 // the initial guess
}

func defaultConfig() config {
	return config{Iters: 400, Seed: 1, Bounces: 4, Noise: 0.002, LR: 0.05, Out: "bouncing-out", H0: 1, E0: 0.5}
}

type result struct {
	H, E     float64   // the fit
	H0, E0   float64   // the initial guess
	Losses   []float64 // the loss at every iteration
	Observed []float64 // the observed bounce times
	Fitted   []float64 // the fitted model's bounce times
	Pictures []string
}

// ballDyn is free fall: z = [height, velocity], dz/dt = [v, -g]; no parameters.
type ballDyn struct{}

func (ballDyn) Params() G.Nodes { return nil }
func (ballDyn) Check(batch, dim int) error {
	if dim != 2 {
		return errors.Errorf("ball: dim %d, want 2 (height, velocity)", dim)
	}
	return nil
}
func (ballDyn) Bind(_ [][]float64, _, _ int) (odeop.Evaluator, error) { return ballEval{}, nil }

type ballEval struct{}

func (ballEval) Eval(dst []float64, _ float64, z []float64) {
	for i := 0; i+1 < len(z); i += 2 {
		dst[i], dst[i+1] = z[i+1], -grav
	}
}

func (e ballEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	if f != nil {
		e.Eval(f, t, z)
	}
	if dz != nil {
		for i := 0; i+1 < len(z); i += 2 {
			dz[i], dz[i+1] = 0, a[i]
		}
	}
}

// floorEvent fires where the height crosses zero.
var floorEvent = odeop.RowEvent{
	G:    func(_ float64, z []float64) float64 { return z[0] },
	Grad: func(dz []float64, _ float64, z []float64) float64 { dz[0], dz[1] = 1, 0; return 0 },
}

var eventOpts = []odeop.Option{odeop.WithTol(1e-10, 1e-12), odeop.WithDirection(odeop.Falling), odeop.WithMaxTime(100)}

// bounceTimes builds the graph of the bounce times of a ball dropped from height h (a node
// of shape (1)) with restitution e: one SolveEventFrom per flight, each starting from the
// last event's time and the bounced state [0, -e v].
func bounceTimes(g *G.ExprGraph, h, e *G.Node, bounces int) ([]*G.Node, error) {
	zero := G.NewConstant(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{0})), G.WithName("zero"))
	t0 := G.NewConstant(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{0})), G.WithName("t0"))
	z0, err := G.Reshape(G.Must(G.Concat(0, h, zero)), tensor.Shape{1, 2})
	if err != nil {
		return nil, err
	}
	var times []*G.Node
	for k := 0; k < bounces; k++ {
		ts, zs, err := odeop.SolveEventFrom(z0, ballDyn{}, t0, floorEvent, eventOpts...)
		if err != nil {
			return nil, errors.Wrapf(err, "bounce %d", k+1)
		}
		times = append(times, ts)
		v := G.Must(G.Reshape(G.Must(G.Slice(zs, nil, G.S(1, 2))), tensor.Shape{1}))
		up := G.Must(G.Neg(G.Must(G.HadamardProd(e, v))))
		z0 = G.Must(G.Reshape(G.Must(G.Concat(0, zero, up)), tensor.Shape{1, 2}))
		t0 = ts
	}
	return times, nil
}

// closedTimes are the exact bounce times: t1 = sqrt(2h/g), then flights of 2 e^k v1 / g.
func closedTimes(h, e float64, n int) []float64 {
	t := math.Sqrt(2 * h / grav)
	v := grav * t
	out := []float64{t}
	for k := 1; k < n; k++ {
		v *= e
		t += 2 * v / grav
		out = append(out, t)
	}
	return out
}

func run(cfg config, w io.Writer) (*result, error) {
	switch {
	case cfg.Iters < 1:
		return nil, errors.Errorf("-iters %d, want at least 1", cfg.Iters)
	case cfg.Bounces < 1:
		return nil, errors.Errorf("-bounces %d, want at least 1", cfg.Bounces)
	case !(cfg.Noise >= 0):
		return nil, errors.Errorf("-noise %g, want >= 0", cfg.Noise)
	case !(cfg.LR > 0):
		return nil, errors.Errorf("-lr %g, want > 0", cfg.LR)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6f6465))
	obs := closedTimes(trueH, trueE, cfg.Bounces)
	for i := range obs {
		obs[i] += cfg.Noise * rng.NormFloat64()
	}
	g := G.NewGraph()
	par := func(name string, v float64) (*G.Node, []float64) {
		data := []float64{v}
		return G.NewTensor(g, tensor.Float64, 1, G.WithShape(1), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking(data)))), data
	}
	h, hv := par("h", cfg.H0)
	e, ev := par("e", cfg.E0)
	times, err := bounceTimes(g, h, e, cfg.Bounces)
	if err != nil {
		return nil, err
	}
	var loss *G.Node
	for k, tn := range times {
		o := G.NewConstant(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{obs[k]})), G.WithName(fmt.Sprintf("obs%d", k)))
		d := G.Must(G.Sum(G.Must(G.Square(G.Must(G.Sub(tn, o))))))
		if loss == nil {
			loss = d
		} else {
			loss = G.Must(G.Add(loss, d))
		}
	}
	grads, err := G.Grad(loss, h, e)
	if err != nil {
		return nil, errors.Wrap(err, "gradient")
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	res := &result{Observed: obs, H0: cfg.H0, E0: cfg.E0}
	// Adam (Kingma, Ba 2015) on (h, e), with the defaults beta1 0.9, beta2 0.999, eps 1e-8
	var mom, vel [2]float64
	vals := [2][]float64{hv, ev}
	fmt.Fprintf(w, "observed bounce times %.4f (h %g, e %g, noise %g)\n", obs, trueH, trueE, cfg.Noise)
	var bar interface{ Add(int) error }
	if cfg.Bar {
		bar = cli.Bar(cfg.Iters, "fit")
	}
	for it := 1; it <= cfg.Iters; it++ {
		if bar != nil {
			bar.Add(1)
		}
		m.Reset()
		if err := m.RunAll(); err != nil {
			return nil, errors.Wrapf(err, "iteration %d", it)
		}
		l := loss.Value().Data().(float64)
		res.Losses = append(res.Losses, l)
		for i, gn := range grads {
			gr := gn.Value().Data().([]float64)[0]
			mom[i] = 0.9*mom[i] + 0.1*gr
			vel[i] = 0.999*vel[i] + 0.001*gr*gr
			mh := mom[i] / (1 - math.Pow(0.9, float64(it)))
			vh := vel[i] / (1 - math.Pow(0.999, float64(it)))
			vals[i][0] -= cfg.LR * mh / (math.Sqrt(vh) + 1e-8)
		}
		vals[0][0] = math.Max(vals[0][0], 1e-3) // a height above the floor
		vals[1][0] = math.Min(math.Max(vals[1][0], 0.05), 1)
		if it == 1 || it%50 == 0 || it == cfg.Iters {
			fmt.Fprintf(w, "iter %4d  loss %.3e  h %.4f  e %.4f\n", it, l, hv[0], ev[0])
		}
	}
	res.H, res.E = hv[0], ev[0]
	res.Fitted = closedTimes(res.H, res.E, cfg.Bounces)
	fmt.Fprintf(w, "fit: h %.4f (true %g), e %.4f (true %g); fitted bounce times %.4f\n", res.H, trueH, res.E, trueE, res.Fitted)
	if cfg.Out != "" {
		if res.Pictures, err = writePictures(cfg.Out, res); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "wrote %v\n", res.Pictures)
	}
	return res, nil
}
