// Command cnf trains a small continuous normalizing flow (FFJORD) on the 8gaussians toy
// data, then draws samples and evaluates the learned density outside any graph.
package main

import (
	"fmt"
	"log"
	"math"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/models/flow"
	"github.com/continuum-ml/continuum/models/toy"
)

func main() {
	g := G.NewGraph()
	m, err := flow.NewCNF(g, "flow", flow.CNFConfig{Dim: 2, Hidden: []int{16, 16}, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	trainer, err := flow.NewCNFTrainer(m, 64, models.NewAdam(5e-3)) // batches of 64 points
	if err != nil {
		log.Fatal(err)
	}
	defer trainer.Close()
	var first, last float64
	for step := range 30 {
		x, err := toy.Sample("8gaussians", 64, uint64(step))
		if err != nil {
			log.Fatal(err)
		}
		loss, err := trainer.Step(x) // forward solve, adjoint, Adam update
		if err != nil {
			log.Fatal(err)
		}
		if step == 0 {
			first = loss
		}
		last = loss
	}
	fmt.Println("negative log-likelihood fell:", last < first)

	samples, err := m.Sample(1000, 7) // solve backward from standard-normal points
	if err != nil {
		log.Fatal(err)
	}
	lp, err := m.LogProbValues(samples[:2*5], 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("samples:", len(samples)/2, "finite log p:", !math.IsNaN(lp[0]) && !math.IsInf(lp[0], 0))
}
