// Command customdynamics fits the two parameters of dz/dt = theta (mu - z), written with
// Gorgonia operations, to trajectories observed at a few times. The gradient of the
// solve is the adjoint (the default); theta and mu are 0-d scalar nodes.
package main

import (
	"fmt"
	"log"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/odeop"
)

func main() {
	// Data: z(t) = mu + (z0 - mu) exp(-theta t) with theta = 2, mu = 0.5, from four
	// initial states, at seven times.
	ts := []float64{0, 0.25, 0.5, 0.75, 1, 1.25, 1.5}
	z0s := []float64{-1, 0, 1.5, 2}
	obs := make([]float64, len(ts)*len(z0s)) // (times, batch, 1), the layout of Solve's output
	for i, t := range ts {
		for j, z0 := range z0s {
			obs[i*len(z0s)+j] = 0.5 + (z0-0.5)*math.Exp(-2*t)
		}
	}
	g := G.NewGraph()
	z0 := G.NewMatrix(g, tensor.Float64, G.WithShape(len(z0s), 1), G.WithName("z0"),
		G.WithValue(tensor.New(tensor.WithShape(len(z0s), 1), tensor.WithBacking(z0s))))
	data := G.NewTensor(g, tensor.Float64, 3, G.WithShape(len(ts), len(z0s), 1), G.WithName("data"),
		G.WithValue(tensor.New(tensor.WithShape(len(ts), len(z0s), 1), tensor.WithBacking(obs))))
	theta := G.NewScalar(g, tensor.Float64, G.WithName("theta"), G.WithValue(1.0))
	mu := G.NewScalar(g, tensor.Float64, G.WithName("mu"), G.WithValue(0.0))

	// The dynamics: any Gorgonia expression of t, z (batch, dim) and the parameters. The
	// solve runs it in a private graph; its vector-Jacobian products come from Gorgonia's
	// symbolic differentiation.
	f := odeop.NewGraphDynamics(G.Nodes{theta, mu}, func(t, z *G.Node, p G.Nodes) (*G.Node, error) {
		return G.Mul(p[0], G.Must(G.Sub(p[1], z)))
	})
	zs, err := odeop.Solve(z0, f, ts, odeop.WithTol(1e-6, 1e-8))
	if err != nil {
		log.Fatal(err)
	}
	loss := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(zs, data))))))
	params := G.Nodes{theta, mu}
	if _, err := G.Grad(loss, params...); err != nil {
		log.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer vm.Close()
	opt := models.NewAdam(0.1)
	for range 100 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			log.Fatal(err)
		}
		if err := opt.Step(G.NodesToValueGrads(params)); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("theta %.2f, mu %.2f (true: 2.00, 0.50)\n", theta.Value().Data(), mu.Value().Data())
	fmt.Printf("mean squared error below 1e-4: %v\n", loss.Value().Data().(float64) < 1e-4)
}
