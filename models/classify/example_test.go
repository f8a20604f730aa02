package classify_test

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/models/classify"
)

// ExampleNewODENet builds an ODE-Net for 8x8 images (64 features) and classifies three
// rows with its initial weights; training goes through Fwd, models.CrossEntropy and an
// optimiser (see examples/readme/saveload for the whole loop).
func ExampleNewODENet() {
	net, err := classify.NewODENet(G.NewGraph(), classify.Config{In: 64, Hidden: 16, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	x := make([]float64, 3*64)
	for i := range x {
		x[i] = float64(i%17) / 16
	}
	p, err := net.Predict(x)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("kind:", net.Kind(), "parameters:", net.NumParams())
	fmt.Println("rows classified:", len(p.Classes), "logits:", len(p.Logits), "solved:", p.NFE > 0)
	// Output:
	// kind: odenet parameters: 1786
	// rows classified: 3 logits: 30 solved: true
}
