package classify

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestConvClassifierParamsAndStep(t *testing.T) {
	want := map[ConvModel]int{ConvODENet: 208266, ConvRKNet: 208266, ConvResNet: 576778}
	for _, m := range []ConvModel{ConvODENet, ConvRKNet, ConvResNet} {
		const B = 2
		c, err := NewConvClassifier(ConvConfig{Model: m, Batch: B, Seed: 1}, true)
		if err != nil {
			t.Fatal(err)
		}
		if n := c.NumParams(); n != want[m] {
			t.Errorf("%s: %d parameters, want %d (torchdiffeq's odenet_mnist.py)", m, n, want[m])
		}
		rng := rand.New(rand.NewPCG(2, 3))
		x := make([]float64, B*MNISTPixels)
		for i := range x {
			x[i] = rng.Float64()
		}
		labels := []int{3, 7}
		sgd := &ConvSGD{LR: 0.05, Momentum: 0.9}
		var first, last float64
		for it := 0; it < 3; it++ {
			l, err := c.Run(x, labels)
			if err != nil {
				t.Fatal(err)
			}
			if math.IsNaN(l) || l <= 0 {
				t.Fatalf("%s: loss %v", m, l)
			}
			if it == 0 {
				first = l
			}
			last = l
			if err := sgd.Step(c.Learnables()); err != nil {
				t.Fatal(err)
			}
		}
		if !(last < first) {
			t.Errorf("%s: loss %v -> %v after two steps on one batch", m, first, last)
		}
		if blk := c.Block(); blk != nil {
			if f, b := blk.NFE(); f < 6 || (m == ConvODENet && b < 6) {
				t.Errorf("%s: NFE forward %d backward %d", m, f, b)
			}
		}
		c.Close()
	}
}

func TestConvConfigErrors(t *testing.T) {
	for _, cfg := range []ConvConfig{{Model: "mlp", Batch: 2}, {Model: ConvODENet}, {Model: ConvODENet, Batch: 2, RTol: -1}} {
		if _, err := NewConvClassifier(cfg, false); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}
