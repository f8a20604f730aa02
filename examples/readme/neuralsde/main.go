// Command neuralsde fits a neural SDE dZ = f(Z) dt + g(Z) ∘ dW (f and g small native
// networks; Stratonovich) to the marginal mean and standard deviation of an
// Ornstein-Uhlenbeck process dX = 2 (0.5 - X) dt + 0.5 dW started at 1.5.
//
// The gradient is the Stratonovich stochastic adjoint (Li et al. 2020) with the midpoint
// method; sdeop.Checkpoint (backpropagation through the steps) works the same way.
package main

import (
	"fmt"
	"log"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/sdeop"
)

func main() {
	const paths, x0, theta, mu, sigma = 128, 1.5, 2.0, 0.5, 0.5
	ts := []float64{0, 0.25, 0.5, 0.75, 1}
	// The exact marginals of the OU process at ts[1:].
	var wantMean, wantStd []float64
	for _, t := range ts[1:] {
		wantMean = append(wantMean, mu+(x0-mu)*math.Exp(-theta*t))
		wantStd = append(wantStd, sigma*math.Sqrt((1-math.Exp(-2*theta*t))/(2*theta)))
	}
	g := G.NewGraph()
	start := make([]float64, paths)
	for i := range start {
		start[i] = x0
	}
	z0 := G.NewMatrix(g, tensor.Float64, G.WithShape(paths, 1), G.WithName("z0"),
		G.WithValue(tensor.New(tensor.WithShape(paths, 1), tensor.WithBacking(start))))
	f, err := layers.NewMLP(g, "f", layers.Spec{In: 1, Seed: 1, Layers: []layers.LayerSpec{
		layers.Linear(16, layers.Tanh), layers.Linear(1, nil)}})
	if err != nil {
		log.Fatal(err)
	}
	gn, err := layers.NewMLP(g, "g", layers.Spec{In: 1, Seed: 2, Layers: []layers.LayerSpec{
		layers.Linear(16, layers.Tanh), layers.Linear(1, layers.Softplus)}})
	if err != nil {
		log.Fatal(err)
	}
	// paths sample paths per run, a new Brownian path every run (WithResample).
	zs, err := sdeop.Solve(z0, f, gn, ts, sdeop.WithCalculus(sdeop.Stratonovich),
		sdeop.WithMethod(sdeop.Midpoint), sdeop.WithStep(0.02), sdeop.WithGradient(sdeop.Adjoint),
		sdeop.WithSeed(7), sdeop.WithResample(true))
	if err != nil {
		log.Fatal(err)
	}
	// Loss: squared errors of the sample mean and standard deviation at ts[1:].
	later := G.Must(G.Reshape(G.Must(G.Slice(zs, G.S(1, len(ts)))), tensor.Shape{len(ts) - 1, paths}))
	mean := G.Must(G.Mean(later, 1))
	std := G.Must(G.Sqrt(G.Must(G.Sub(G.Must(G.Mean(G.Must(G.Square(later)), 1)), G.Must(G.Square(mean))))))
	vec := func(name string, v []float64) *G.Node {
		return G.NewVector(g, tensor.Float64, G.WithShape(len(v)), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(v))))
	}
	loss := G.Must(G.Add(
		G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(mean, vec("mean", wantMean))))))),
		G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(std, vec("std", wantStd)))))))))
	var meanV, stdV G.Value // read out at every run (the machine reuses intermediate buffers)
	G.Read(mean, &meanV)
	G.Read(std, &stdV)
	params := append(f.Params(), gn.Params()...)
	if _, err := G.Grad(loss, params...); err != nil {
		log.Fatal(err)
	}
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
	m := meanV.Data().([]float64)
	s := stdV.Data().([]float64)
	fmt.Printf("loss fell 10x: %v\n", loss.Value().Data().(float64) < first/10)
	em, es := 0.0, 0.0
	for i := range m {
		em, es = max(em, math.Abs(m[i]-wantMean[i])), max(es, math.Abs(s[i]-wantStd[i]))
	}
	fmt.Printf("mean within 0.1 and standard deviation within 0.05 of the truth at every time: %v\n", em < 0.1 && es < 0.05)
}
