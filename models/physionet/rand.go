package physionet

import "math/rand"

// newRand is the package's seeded source (math/rand's generator, so that a seed gives
// the same numbers on every platform and GOMAXPROCS).
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewSource(int64(seed))) }
