// Command bouncing fits a bouncing ball to observed bounce times: a ball dropped from an
// unknown height h under gravity g = 9.81 bounces with an unknown coefficient of
// restitution e (each bounce turns the velocity v into -e v). Each flight is a terminal
// event (odeop.SolveEventFrom: the solve stops where the height crosses zero, falling), and
// the next flight starts from the event's time and state; the gradients of the bounce
// times with respect to h and e flow through the event times by the implicit function
// theorem and through the adjoint. Adam fits h and e to the observed times (made from
// h = 2, e = 0.7 with noise of standard deviation -noise, seeded).
//
//	go run ./examples/bouncing                 # fit, print the result, write the pictures
//	go run ./examples/bouncing -iters 400 -seed 3 -out /tmp/bounce
//	go run ./examples/bouncing -h              # every flag
//
// It writes two PNG files into -out: bouncing-trajectory.png (the observed and the fitted
// trajectory with the bounce times) and bouncing-fit.png (the loss over the iterations).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/continuum-ml/continuum/examples/internal/cli"
)

func main() {
	cfg := defaultConfig()
	cli.Usage(
		`Fits the initial height and the coefficient of restitution of a bouncing ball to observed bounce times, with gradients through the event times of odeop.SolveEventFrom, and prints the fit.`,
		`Writes into -out: bouncing-trajectory.png and bouncing-fit.png.`)
	flag.IntVar(&cfg.Iters, "iters", cfg.Iters, "Adam iterations")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (noise of the observed times)")
	flag.IntVar(&cfg.Bounces, "bounces", cfg.Bounces, "observed bounces")
	flag.Float64Var(&cfg.Noise, "noise", cfg.Noise, "standard deviation of the noise on the observed times (s)")
	flag.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning rate")
	flag.StringVar(&cfg.Out, "out", cfg.Out, "folder for the pictures (empty: none)")
	flag.Parse()
	cfg.Bar = cli.Terminal()
	if _, err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bouncing:", err)
		os.Exit(1)
	}
}
