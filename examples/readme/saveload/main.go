// Command saveload trains an ODE-Net classifier briefly, saves it with its optimizer
// state, and predicts with it from the file alone, as a new process would:
//
//	go run ./examples/readme/saveload -out model.ckpt     # train, save, predict
//	go run ./examples/readme/saveload -predict model.ckpt # a new process: load, predict
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/models/classify"
)

// points returns n points of [-1, 1]² and their class: 1 inside the circle of radius
// 0.7, else 0.
func points(n int, seed uint64) (xs []float64, labels []int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	for range n {
		a, b := 2*rng.Float64()-1, 2*rng.Float64()-1
		xs = append(xs, a, b)
		labels = append(labels, map[bool]int{false: 0, true: 1}[a*a+b*b < 0.49])
	}
	return xs, labels
}

// train fits an ODE-Net to 256 points and saves it, with its configuration (the file
// alone rebuilds the model) and Adam's state (so training can resume exactly), to path.
func train(path string) error {
	const n = 256
	xs, labels := points(n, 1)
	onehot := make([]float64, 2*n)
	for i, c := range labels {
		onehot[2*i+c] = 1
	}
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(n, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(n, 2), tensor.WithBacking(xs))))
	y := G.NewMatrix(g, tensor.Float64, G.WithShape(n, 2), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(n, 2), tensor.WithBacking(onehot))))
	net, err := classify.NewODENet(g, classify.Config{In: 2, Classes: 2, Hidden: 8, Seed: 1})
	if err != nil {
		return err
	}
	logits, err := net.Fwd(x)
	if err != nil {
		return err
	}
	loss, err := models.CrossEntropy(logits, y)
	if err != nil {
		return err
	}
	if _, err := G.Grad(loss, net.Learnables()...); err != nil {
		return err
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(net.Learnables()...))
	defer vm.Close()
	opt := models.NewAdam(0.02)
	for range 150 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			return err
		}
		if err := opt.Step(G.NodesToValueGrads(net.Learnables())); err != nil {
			return err
		}
	}
	return net.Save(path, opt, map[string]string{"data": "circle"})
}

// predict needs nothing but the file: it rebuilds the model and classifies new points.
func predict(path string) error {
	net, ck, err := classify.Load(G.NewGraph(), path, nil)
	if err != nil {
		return err
	}
	xs, labels := points(200, 2) // points the model has not seen
	p, err := net.Predict(xs)
	if err != nil {
		return err
	}
	right := 0
	for i, c := range p.Classes {
		if c == labels[i] {
			right++
		}
	}
	fmt.Printf("loaded the %s model trained on %q; test accuracy above 90%%: %v\n", net.Kind(), ck.Meta["data"], right > 180)
	return nil
}

func main() {
	out := flag.String("out", "", "where to save the model (default: a temporary directory)")
	only := flag.String("predict", "", "only load this saved model and predict")
	flag.Parse()
	if *only != "" {
		if err := predict(*only); err != nil {
			log.Fatal(err)
		}
		return
	}
	path := *out
	if path == "" {
		dir, err := os.MkdirTemp("", "saveload")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "model.ckpt")
	}
	if err := train(path); err != nil {
		log.Fatal(err)
	}
	if err := predict(path); err != nil {
		log.Fatal(err)
	}
}
