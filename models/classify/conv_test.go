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

// TestConvResNetGradientFD checks the gradient of the whole ResNet classifier's loss
// (downsampling op, residual blocks, head op, Gorgonia's linear layer and cross-entropy)
// against central differences along a few coordinates of every parameter tensor.
func TestConvResNetGradientFD(t *testing.T) {
	if testing.Short() {
		t.Skip("about 100 runs of the network")
	}
	const B = 2
	c, err := NewConvClassifier(ConvConfig{Model: ConvResNet, Batch: B, Seed: 5}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(4, 4))
	x := make([]float64, B*MNISTPixels)
	for i := range x {
		x[i] = rng.Float64()
	}
	labels := []int{1, 8}
	if _, err := c.Run(x, labels); err != nil {
		t.Fatal(err)
	}
	var grads [][]float64
	for _, p := range c.Learnables() {
		g, _ := p.Grad()
		grads = append(grads, append([]float64(nil), g.Data().([]float64)...))
	}
	const h = 1e-5
	for k, p := range c.Learnables() {
		w := p.Value().Data().([]float64)
		for trial := 0; trial < 3; trial++ {
			i := rng.IntN(len(w))
			w0 := w[i]
			w[i] = w0 + h
			lp, err := c.Run(x, labels)
			if err != nil {
				t.Fatal(err)
			}
			w[i] = w0 - h
			lm, _ := c.Run(x, labels)
			w[i] = w0
			fd := (lp - lm) / (2 * h)
			if math.Abs(fd-grads[k][i]) > 1e-6*(math.Abs(fd)+1e-3) {
				t.Errorf("%s[%d]: gradient %v, finite difference %v", p.Name(), i, grads[k][i], fd)
			}
		}
	}
}
