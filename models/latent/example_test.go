package latent_test

import (
	"fmt"
	"math"

	"github.com/continuum-ml/continuum/models/latent"
)

// ExampleODE batches three sequences observed at their own times on the union of
// the times, trains a small latent ODE on them and predicts each at new times, with a
// 90% band.
func ExampleODE() {
	var seqs []latent.Sequence
	for n, times := range [][]float64{{0, 0.4, 1.3, 2.2, 2.9}, {0, 0.7, 1.1, 2.5}, {0, 0.2, 0.9, 1.6, 2.0, 2.7}} {
		q := latent.Sequence{Times: times}
		for _, t := range times {
			q.Values = append(q.Values, math.Sin(2*t+float64(n)))
		}
		seqs = append(seqs, q)
	}
	batch, err := latent.Union(seqs, 1) // 13 grid times, each sequence masked elsewhere
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := latent.NewODE(latent.ODEConfig{Dim: 1, Latent: 4, Hidden: 8, Units: 16, Period: 3, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	losses, err := m.Train(batch, batch, latent.TrainConfig{Iters: 40, Batch: 3, LearnRate: 0.02})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := m.Predict(batch, []float64{0.5, 1.5, 3.5}, 20, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	lo, hi := p.Band(0.9)
	fmt.Printf("grid of %d times; loss fell: %v\n", batch.T(), losses[len(losses)-1] < losses[0])
	fmt.Printf("%d sequences x %d times; band around the mean: %v\n", p.N, p.T(), lo[4] < p.Mean()[4] && p.Mean()[4] < hi[4])
	// Output:
	// grid of 13 times; loss fell: true
	// 3 sequences x 3 times; band around the mean: true
}
