package flow_test

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/models/flow"
	"github.com/continuum-ml/continuum/models/toy"
)

// ExampleCNF trains a small continuous normalizing flow on the 8gaussians toy data for a
// few Adam steps, then draws samples and evaluates the learned log-density outside the
// graph.
func ExampleCNF() {
	g := G.NewGraph()
	m, err := flow.NewCNF(g, "flow", flow.CNFConfig{Dim: 2, Hidden: []int{16, 16}, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	trainer, err := flow.NewCNFTrainer(m, 64, models.NewAdam(5e-3))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer trainer.Close()
	var first, last float64
	for step := 0; step < 30; step++ {
		x, _ := toy.Sample("8gaussians", 64, uint64(step))
		loss, err := trainer.Step(x) // forward solve, adjoint, Adam update
		if err != nil {
			fmt.Println(err)
			return
		}
		if step == 0 {
			first = loss
		}
		last = loss
	}
	fmt.Println("loss fell:", last < first)

	samples, _ := m.Sample(1000, 7) // solve backward from standard-normal points
	lp, _ := m.LogProbValues(samples[:2*5], 0)
	fmt.Println("samples:", len(samples)/2, "finite log p:", !math.IsNaN(lp[0]) && !math.IsInf(lp[0], 0))
	// Output:
	// loss fell: true
	// samples: 1000 finite log p: true
}
