package odeop_test

import (
	"fmt"

	"github.com/continuum-ml/continuum/odeop"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Example_trainingStep trains dz/dt = tanh(z·W) written with Gorgonia ops: a solve node, a
// loss, gorgonia.Grad through the node (the adjoint runs backward) and Adam steps.
func Example_trainingStep() {
	g := G.NewGraph()
	z0 := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 2), G.WithName("z0"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, 0, 0, 1}))))
	W := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 2), G.WithName("W"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{0.1, 0.2, -0.3, 0.1}))))
	f := odeop.NewGraphDynamics(G.Nodes{W}, func(t, z *G.Node, ps G.Nodes) (*G.Node, error) {
		return G.Tanh(G.Must(G.Mul(z, ps[0])))
	})
	zs, err := odeop.Solve(z0, f, []float64{0, 1}) // shape (2 times, 2 batch, 2 dim)
	if err != nil {
		fmt.Println(err)
		return
	}
	target := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 2), G.WithName("target"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1.5, 0.5, -0.5, 1}))))
	zT := G.Must(G.Slice(zs, G.S(1)))
	loss := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(zT, target))))))
	if _, err := G.Grad(loss, W); err != nil {
		fmt.Println(err)
		return
	}
	m := G.NewTapeMachine(g, G.BindDualValues(W))
	defer m.Close()
	adam := G.NewAdamSolver(G.WithLearnRate(0.05))
	var first float64
	for step := 0; step < 200; step++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			fmt.Println(err)
			return
		}
		if step == 0 {
			first = loss.Value().Data().(float64)
		}
		if err := adam.Step(G.NodesToValueGrads(G.Nodes{W})); err != nil {
			fmt.Println(err)
			return
		}
	}
	last := loss.Value().Data().(float64)
	fwd, bwd, _ := odeop.StatsOf(zs)
	fmt.Printf("loss fell 10x: %v\n", last < first/10)
	fmt.Printf("forward and backward solves ran: %v\n", fwd.NFE > 0 && bwd.NFE > 0)
	// Output:
	// loss fell 10x: true
	// forward and backward solves ran: true
}
