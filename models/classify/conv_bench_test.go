package classify

import (
	"testing"

	"github.com/continuum-ml/continuum/models/mnist"
)

// benchIteration is one training iteration (forward, backward, SGD step) of a model at
// batch 128 at initialisation on the first 128 training images, with torchdiffeq's step
// sequence (TorchSteps), as torchdiffeq's example is timed.
func benchIteration(b *testing.B, m ConvModel) {
	const B = 128
	c, err := NewConvClassifier(ConvConfig{Model: m, Batch: B, Seed: 1, TorchSteps: true}, true)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	// the first 128 training images, as torchdiffeq's example sees them
	train, _, err := mnist.Load("")
	if err != nil {
		b.Fatal(err)
	}
	x := train.Images[:B*MNISTPixels]
	labels := train.Labels[:B]
	sgd := &ConvSGD{LR: 0, Momentum: 0.9} // lr 0 keeps the network at initialisation
	b.ReportAllocs()
	nfeF, nfeB := 0, 0
	c0 := convProcCPU()
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
	b.ReportMetric((convProcCPU()-c0)/float64(b.N), "cpu-s/op")
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
