// Command iresnet trains an invertible residual network flow (Behrmann et al. 2019, with
// the unbiased log-determinant estimator of Residual Flows, Chen et al. 2019) on a
// two-dimensional toy data set by maximum likelihood, reports the exact held-out negative
// log-likelihood beside the data's entropy and the Lipschitz constants of the trained
// blocks, and draws pictures: the data beside samples of the flow (drawn through the
// fixed-point inverse of every block) and the learned density beside the true one.
//
//	go run ./examples/iresnet                              # 8gaussians, the defaults
//	go run ./examples/iresnet -iters 3000 -eval 20000      # the figure of docs/iresnet.md
//	go run ./examples/iresnet -h                           # every flag
//
// It writes <out>/samples.png and <out>/density.png, and with -save a checkpoint of the
// flow (parameters, power-iteration state, optimiser) readable by models.Load.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/continuum-ml/continuum/examples/internal/cli"

	"github.com/continuum-ml/continuum/models/toy"
)

func main() {
	cfg := DefaultConfig()
	cli.Usage(
		`Trains an invertible residual network flow (spectrally normalised residual blocks x + g(x), log-determinants by Residual Flows' Russian-roulette estimator with the Neumann-series gradient) on a 2-D toy data set, and prints the exact held-out NLL against the data's entropy and the Lipschitz bounds of the trained blocks.`,
		`Writes into -out: samples.png (data beside samples through the inverse) and density.png (true beside learned density); with -save, a checkpoint.`)
	hidden := flag.String("hidden", cli.JoinWidths(cfg.Hidden), "hidden widths of each block's g, comma-separated")
	flag.StringVar(&cfg.Data, "data", cfg.Data, "data set: "+strings.Join(toy.Names, ", "))
	flag.IntVar(&cfg.Blocks, "blocks", cfg.Blocks, "number of residual blocks")
	flag.StringVar(&cfg.Act, "act", cfg.Act, "activation of g: elu, tanh, softplus, sigmoid, sin")
	flag.Float64Var(&cfg.Coeff, "coeff", cfg.Coeff, "spectral-norm bound c < 1 of every weight")
	flag.StringVar(&cfg.Estimator, "logdet", cfg.Estimator, "log-det estimator: roulette or series")
	flag.StringVar(&cfg.Grad, "grad", cfg.Grad, "its gradient: neumann or backprop")
	flag.IntVar(&cfg.Terms, "terms", cfg.Terms, "series terms (series) or terms before the roulette (roulette); 0: the default (5, 2)")
	flag.IntVar(&cfg.Iters, "iters", cfg.Iters, "training iterations")
	flag.IntVar(&cfg.Batch, "batch", cfg.Batch, "batch size")
	flag.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning rate (cosine decay to lr/20)")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (data, initialization, estimators)")
	flag.IntVar(&cfg.Eval, "eval", cfg.Eval, "held-out points for the final (exact) negative log-likelihood")
	flag.StringVar(&cfg.Out, "out", cfg.Out, "folder for the pictures (empty: none)")
	flag.StringVar(&cfg.Save, "save", cfg.Save, "checkpoint file to write after training (empty: none)")
	flag.IntVar(&cfg.Grid, "grid", cfg.Grid, "resolution of the density heat map")
	flag.IntVar(&cfg.Points, "points", cfg.Points, "model samples drawn for the pictures")
	flag.IntVar(&cfg.Every, "log-every", cfg.Every, "print a log line every this many iterations (0: none)")
	flag.Parse()
	var err error
	if cfg.Hidden, err = cli.Widths(*hidden); err != nil {
		fmt.Fprintln(os.Stderr, "iresnet:", err)
		os.Exit(2)
	}
	cfg.Bar = cli.Terminal()
	if _, err := Run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "iresnet:", err)
		os.Exit(1)
	}
}
