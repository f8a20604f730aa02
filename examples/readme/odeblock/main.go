// Command odeblock trains a classifier with an ODE block between two ordinary dense
// layers: points of the square [-1, 1]² labelled by whether they lie inside a circle.
package main

import (
	"fmt"
	"log"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/odeop"
)

func main() {
	// Data: 256 points, one-hot labels (outside, inside the circle of radius 0.7).
	const n = 256
	rng := rand.New(rand.NewPCG(1, 2))
	xs, ys := make([]float64, 2*n), make([]float64, 2*n)
	for i := range n {
		a, b := 2*rng.Float64()-1, 2*rng.Float64()-1
		xs[2*i], xs[2*i+1] = a, b
		if a*a+b*b < 0.49 {
			ys[2*i+1] = 1
		} else {
			ys[2*i] = 1
		}
	}
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(n, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(n, 2), tensor.WithBacking(xs))))
	y := G.NewMatrix(g, tensor.Float64, G.WithShape(n, 2), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(n, 2), tensor.WithBacking(ys))))

	// Model: dense 2 -> 8 (tanh), then dz/dt = f(t, z) on 8 dimensions over [0, 1] with f a
	// native MLP (hand-written gradients), then dense 8 -> 2.
	stem, err := models.NewDense(g, "stem", 2, 8, layers.Tanh, 1)
	if err != nil {
		log.Fatal(err)
	}
	f, err := layers.NewMLP(g, "f", layers.Spec{In: 8, Seed: 2, Layers: []layers.LayerSpec{
		layers.ConcatLinear(16, layers.Tanh), layers.Linear(8, nil)}})
	if err != nil {
		log.Fatal(err)
	}
	block := layers.NewODEBlock(f, odeop.WithTol(1e-4, 1e-6)) // adjoint gradients by default
	head, err := models.NewDense(g, "head", 8, 2, nil, 3)
	if err != nil {
		log.Fatal(err)
	}
	h, err := stem.Fwd(x)
	if err != nil {
		log.Fatal(err)
	}
	z, err := block.Fwd(h)
	if err != nil {
		log.Fatal(err)
	}
	logits, err := head.Fwd(z)
	if err != nil {
		log.Fatal(err)
	}
	loss, err := models.CrossEntropy(logits, y)
	if err != nil {
		log.Fatal(err)
	}
	params := append(append(stem.Learnables(), block.Learnables()...), head.Learnables()...)
	if _, err := G.Grad(loss, params...); err != nil {
		log.Fatal(err)
	}

	// Training: full batch, Adam.
	vm := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer vm.Close()
	opt := models.NewAdam(0.02)
	var first float64
	for it := range 150 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			log.Fatal(err)
		}
		if it == 0 {
			first = loss.Value().Data().(float64)
		}
		if err := opt.Step(G.NodesToValueGrads(params)); err != nil {
			log.Fatal(err)
		}
	}
	right := 0
	out := logits.Value().Data().([]float64)
	for i := range n {
		if (out[2*i+1] > out[2*i]) == (ys[2*i+1] == 1) {
			right++
		}
	}
	fwd, bwd := block.NFE()
	fmt.Printf("loss %.2f at the start, below a quarter of it now: %v\n", first, loss.Value().Data().(float64) < first/4)
	fmt.Printf("training accuracy above 90%%: %v\n", right > n*9/10)
	fmt.Printf("the last step solved forward and backward: %v\n", fwd > 0 && bwd > 0)
}
