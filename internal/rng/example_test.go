package rng_test

import (
	"fmt"

	"github.com/continuum-ml/continuum/internal/rng"
)

// Streams are named, not consumed: chunk c of a vector draws from the stream (seed, c),
// so the numbers do not depend on which goroutine draws which chunk, or in which order.
func ExampleNewStream() {
	const seed = 42
	x := make([]float64, 4)
	for c := 0; c < 2; c++ {
		s := rng.NewStream(seed, uint64(c))
		s.FillNormal(x[2*c : 2*c+2])
	}
	y := make([]float64, 4)
	for c := 1; c >= 0; c-- { // the other order
		s := rng.NewStream(seed, uint64(c))
		s.FillNormal(y[2*c : 2*c+2])
	}
	fmt.Println(x[0] == y[0] && x[3] == y[3])
	// Output: true
}
