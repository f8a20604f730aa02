// Command cnf2d trains a continuous normalizing flow (FFJORD: Grathwohl et al. 2019) on a
// two-dimensional toy data set and draws pictures: the data beside samples of the flow,
// the learned density as a heat map, and particles flowing from the standard-normal base
// distribution to the data.
//
//	go run ./examples/cnf2d                      # the demo: 8gaussians, about two minutes
//	go run ./examples/cnf2d -data checkerboard -iters 4000
//	go run ./examples/cnf2d -h                   # every flag
//
// The flow is flow.CNF: one or more blocks of layers.CNF (the augmented dynamics
// [z, Δlogp] with the exact trace or Hutchinson's estimator, and optionally the kinetic
// and Jacobian regularizers of Finlay et al. 2020), each solved by an odeop.Solve node
// whose gradient runs the adjoint; Adam updates the parameters.
package main

import (
	"flag"
	"fmt"
	"github.com/continuum-ml/continuum/examples/internal/cli"
	"os"
	"strings"

	"github.com/continuum-ml/continuum/models/toy"
)

func main() {
	cli.Usage(
		"Trains a continuous normalizing flow (FFJORD) on a two-dimensional toy data set and reports the held-out negative log-likelihood.",
		"Writes into -out (default cnf2d-out; empty: nothing): samples.png (the data beside samples of the flow), density.png (the learned density) and flow.png (particles flowing from the base distribution).")
	cfg := DefaultConfig()
	hidden := flag.String("hidden", cli.JoinWidths(cfg.Hidden), "hidden widths of each block's network, comma-separated")
	flag.StringVar(&cfg.Data, "data", cfg.Data, "data set: "+strings.Join(toy.Names, ", "))
	flag.IntVar(&cfg.Blocks, "blocks", cfg.Blocks, "number of CNF blocks")
	flag.StringVar(&cfg.Layer, "layer", cfg.Layer, "layer type: concatsquash, concatlinear, linear")
	flag.StringVar(&cfg.Act, "act", cfg.Act, "activation: tanh, softplus, sigmoid, elu, swish, sin")
	flag.Float64Var(&cfg.T, "T", cfg.T, "end time of each block")
	flag.BoolVar(&cfg.TrainT, "train-T", cfg.TrainT, "learn the end time")
	flag.Float64Var(&cfg.Rtol, "rtol", cfg.Rtol, "relative tolerance of dopri5 (forward and adjoint)")
	flag.Float64Var(&cfg.Atol, "atol", cfg.Atol, "absolute tolerance of dopri5 (forward and adjoint)")
	flag.StringVar(&cfg.Trace, "trace", cfg.Trace, "trace estimator: exact or hutchinson")
	flag.StringVar(&cfg.Probe, "probe", cfg.Probe, "Hutchinson probes: rademacher or gaussian")
	flag.Float64Var(&cfg.Kinetic, "kinetic", cfg.Kinetic, "weight of the kinetic-energy regularizer (Finlay et al. 2020)")
	flag.Float64Var(&cfg.Jacobian, "jacobian", cfg.Jacobian, "weight of the Jacobian-norm regularizer (Finlay et al. 2020)")
	flag.IntVar(&cfg.Iters, "iters", cfg.Iters, "training iterations")
	flag.IntVar(&cfg.Batch, "batch", cfg.Batch, "batch size")
	flag.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning rate (cosine decay to lr/20)")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (data, initialization, probes)")
	flag.IntVar(&cfg.Eval, "eval", cfg.Eval, "held-out points for the final negative log-likelihood")
	flag.StringVar(&cfg.Out, "out", cfg.Out, "folder for the pictures (empty: none)")
	flag.IntVar(&cfg.Grid, "grid", cfg.Grid, "resolution of the density heat map")
	flag.IntVar(&cfg.Points, "points", cfg.Points, "model samples drawn for the pictures")
	flag.IntVar(&cfg.Snaps, "snapshots", cfg.Snaps, "time snapshots in the flow picture")
	flag.IntVar(&cfg.Every, "log-every", cfg.Every, "print a log line every this many iterations (0: none)")
	flag.Parse()
	cfg.Bar = cli.Terminal() // a progress bar on a terminal, log lines otherwise
	var err error
	if cfg.Hidden, err = cli.Widths(*hidden); err != nil {
		fmt.Fprintln(os.Stderr, "cnf2d:", err)
		os.Exit(2)
	}
	if _, err := Run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cnf2d:", err)
		os.Exit(1)
	}
}
