package models_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/models/classify"
)

// Example_checkpoint saves an ODE-Net and loads it into a freshly built one, which then
// predicts exactly as the original; a truncated file is refused with a clear error and
// leaves the model as it was.
func Example_checkpoint() {
	dir, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "odenet.ckpt")

	cfg := classify.Config{In: 64, Hidden: 16, Seed: 1}
	a, _ := classify.NewODENet(G.NewGraph(), cfg)
	if err := a.Save(path, nil, map[string]string{"note": "example"}); err != nil {
		fmt.Println(err)
		return
	}
	cfg.Seed = 2 // other initial weights
	b, _ := classify.NewODENet(G.NewGraph(), cfg)
	if _, err := b.Restore(path, nil); err != nil {
		fmt.Println(err)
		return
	}
	x := make([]float64, 3*64)
	for i := range x {
		x[i] = float64(i%17) / 16
	}
	pa, _ := a.Predict(x)
	pb, _ := b.Predict(x)
	fmt.Println("identical predictions:", slices.Equal(pa.Logits, pb.Logits))

	data, _ := os.ReadFile(path)
	os.WriteFile(path, data[:len(data)/2], 0o644)
	_, err := b.Restore(path, nil)
	fmt.Println(err != nil, errors.Is(err, models.ErrTruncated))
	// Output:
	// identical predictions: true
	// true true
}
