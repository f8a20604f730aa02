package classify

import (
	"math/rand/v2"
	"testing"
)

// benchIteration is one training iteration (forward, backward, SGD step) of a model at
// batch 128 at initialisation, as BENCHMARKS.md M1 times torchdiffeq's example.
func benchIteration(b *testing.B, m ConvModel) {
	const B = 128
	c, err := NewConvClassifier(ConvConfig{Model: m, Batch: B, Seed: 1}, true)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, B*MNISTPixels)
	for i := range x {
		x[i] = rng.Float64()
	}
	labels := make([]int, B)
	for i := range labels {
		labels[i] = rng.IntN(MNISTClasses)
	}
	sgd := &ConvSGD{LR: 0, Momentum: 0.9} // lr 0 keeps the network at initialisation
	b.ReportAllocs()
	nfeF, nfeB := 0, 0
	for b.Loop() {
		if _, err := c.Run(x, labels); err != nil {
			b.Fatal(err)
		}
		if err := sgd.Step(c.Learnables()); err != nil {
			b.Fatal(err)
		}
		if blk := c.Block(); blk != nil {
			f, bw := blk.NFE()
			nfeF, nfeB = nfeF+f, nfeB+bw
		}
	}
	if c.Block() != nil {
		b.ReportMetric(float64(nfeF)/float64(b.N), "nfe-fwd/op")
		b.ReportMetric(float64(nfeB)/float64(b.N), "nfe-bwd/op")
	}
}

// BenchmarkConvIterODENet is an ODE-Net training iteration with adjoint gradients.
func BenchmarkConvIterODENet(b *testing.B) { benchIteration(b, ConvODENet) }

// BenchmarkConvIterRKNet is an ODE-Net training iteration with gradients through the
// Runge-Kutta steps (torchdiffeq's example's default).
func BenchmarkConvIterRKNet(b *testing.B) { benchIteration(b, ConvRKNet) }

// BenchmarkConvIterResNet is a ResNet training iteration.
func BenchmarkConvIterResNet(b *testing.B) { benchIteration(b, ConvResNet) }
