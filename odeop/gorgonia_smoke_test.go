package odeop

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGorgoniaGraphRuns proves the pinned Gorgonia builds and runs a graph with gradients.
func TestGorgoniaGraphRuns(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, 2, 3, 4}))))
	y := G.Must(G.Sum(G.Must(G.Square(x))))
	if _, err := G.Grad(y, x); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got := y.Value().Data().(float64); got != 30 {
		t.Fatalf("sum of squares = %v, want 30", got)
	}
	gx, _ := x.Grad()
	want := []float64{2, 4, 6, 8}
	for i, v := range gx.Data().([]float64) {
		if v != want[i] {
			t.Fatalf("grad[%d] = %v, want %v", i, v, want[i])
		}
	}
}
