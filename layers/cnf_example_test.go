package layers_test

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// ExampleCNF solves the augmented dynamics of a continuous normalizing flow for a few
// points: the state is [z, Δlogp], and Δlogp(T) = -∫ tr(∂f/∂z) dt is what the change of
// variables subtracts from the base log-density. For a linear network f(z) = z·W + b the
// trace is tr(W), so Δlogp(T) = -tr(W)·T exactly.
func ExampleCNF() {
	g := G.NewGraph()
	f, _ := layers.NewMLP(g, "f", layers.Spec{In: 2, Layers: []layers.LayerSpec{layers.Linear(2, layers.Identity)},
		Init: func(dst []float64, p layers.ParamInfo) {
			if p.Role == layers.Weight {
				copy(dst, []float64{0.5, 0.2, -0.1, 0.3}) // tr W = 0.8
			}
		}})
	cnf, _ := layers.NewCNF(f, layers.CNFConfig{T: 0.5}) // exact trace, state [z0, z1, Δlogp]
	s0 := tensor.New(tensor.WithShape(3, cnf.Width()), tensor.WithBacking([]float64{
		1, 0, 0,
		0, 1, 0,
		-1, 2, 0,
	}))
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(3, cnf.Width()), G.WithName("x"), G.WithValue(s0))
	zs, _ := odeop.Solve(x, cnf, cnf.Times(), odeop.WithTol(1e-9, 1e-9))
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	out := zs.Value().Data().([]float64)[3*cnf.Width():] // the state at T
	for b := 0; b < 3; b++ {
		fmt.Printf("sample %d: delta logp %.6f\n", b, out[b*cnf.Width()+cnf.LogPCol()])
	}
	fmt.Printf("-tr(W)·T = %.6f\n", -0.8*0.5)
	fmt.Println("width:", cnf.Width(), "trace:", cnf.TraceMethod(), "finite:", !math.IsNaN(out[0]))
	// Output:
	// sample 0: delta logp -0.400000
	// sample 1: delta logp -0.400000
	// sample 2: delta logp -0.400000
	// -tr(W)·T = -0.400000
	// width: 3 trace: exact finite: true
}
