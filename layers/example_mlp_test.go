package layers_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/layers"
)

// An MLP as dynamics: its parameters are nodes of the graph, and the same network runs
// natively on flat batches (Eval, VJP) and as Gorgonia operations (Fwd).
func ExampleNewMLP() {
	g := G.NewGraph()
	f, err := layers.NewMLP(g, "f", layers.Spec{
		In: 2,
		Layers: []layers.LayerSpec{
			layers.ConcatLinear(16, layers.Tanh), // [z, t]·W + b: time-dependent
			layers.Linear(2, nil),                // identity output
		},
		Init: layers.ReferenceInit,
	})
	if err != nil {
		panic(err)
	}
	for _, p := range f.Params() {
		fmt.Println(p.Name(), p.Shape())
	}

	// Bind the current parameter values for a batch of 3 states of dimension 2.
	ev, err := f.Bind(f.Values(), 3, 2)
	if err != nil {
		panic(err)
	}
	z := []float64{1, 0, 0, 1, 0.5, -0.5}
	dz := make([]float64, len(z))
	ev.Eval(dz, 0.25, z)
	fmt.Printf("f(0.25, z[0]) = [%.6f %.6f]\n", dz[0], dz[1])

	// a^T df/dz and a^T df/dtheta for a = 1.
	a := []float64{1, 1, 1, 1, 1, 1}
	dtheta := make([]float64, f.NumParams())
	ev.VJP(nil, dz, dtheta, 0.25, z, a)
	fmt.Printf("%d parameters, d/dz[0] = %.6f\n", f.NumParams(), dz[0])

	// Shapes are checked before a solve.
	fmt.Println(f.Check(3, 5))
	// Output:
	// f.0.W (3, 16)
	// f.0.b (16)
	// f.1.W (16, 2)
	// f.1.b (2)
	// f(0.25, z[0]) = [0.396017 0.045531]
	// 98 parameters, d/dz[0] = 0.024803
	// f: state dimension 5 but the network's input width is 2: layers: shape mismatch
}
