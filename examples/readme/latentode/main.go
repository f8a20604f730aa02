// Command latentode trains a small latent ODE on three sequences observed at their own,
// irregular times and predicts them at new times with a 90% band.
package main

import (
	"fmt"
	"log"
	"math"

	"github.com/continuum-ml/continuum/models/latent"
)

func main() {
	// Each sequence has its own observation times; Union puts them on one grid of all
	// their times, with a mask for what each sequence did not observe.
	var seqs []latent.Sequence
	for n, times := range [][]float64{{0, 0.4, 1.3, 2.2, 2.9}, {0, 0.7, 1.1, 2.5}, {0, 0.2, 0.9, 1.6, 2.0, 2.7}} {
		q := latent.Sequence{Times: times}
		for _, t := range times {
			q.Values = append(q.Values, math.Sin(2*t+float64(n)))
		}
		seqs = append(seqs, q)
	}
	batch, err := latent.Union(seqs, 1)
	if err != nil {
		log.Fatal(err)
	}
	m, err := latent.NewODE(latent.ODEConfig{Dim: 1, Latent: 4, Hidden: 8, Units: 16, Period: 3, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	// Train on the sequences (the encoder's input and the target are the same here).
	losses, err := m.Train(batch, batch, latent.TrainConfig{Iters: 40, Batch: 3, LearnRate: 0.02})
	if err != nil {
		log.Fatal(err)
	}
	p, err := m.Predict(batch, []float64{0.5, 1.5, 3.5}, 20, 1) // 20 samples of z0
	if err != nil {
		log.Fatal(err)
	}
	lo, hi := p.Band(0.9)
	mean := p.Mean()
	fmt.Printf("grid of %d times; loss fell: %v\n", batch.T(), losses[len(losses)-1] < losses[0])
	fmt.Printf("%d sequences x %d times; band around the mean: %v\n", p.N, p.T(), lo[4] < mean[4] && mean[4] < hi[4])
}
