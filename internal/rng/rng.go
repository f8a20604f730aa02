package rng

import "math/bits"

// Golden is the SplitMix64 increment, 2^64 divided by the golden ratio (odd).
const Golden = 0x9e3779b97f4a7c15

// Mix64 is the SplitMix64 finaliser (Stafford's Mix13 variant): a bijection of the
// 64-bit integers with full avalanche.
func Mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Derive returns the key of the stream named key under seed. Derive(Derive(s, a), b)
// names a stream by the path (a, b); different paths give independent streams.
func Derive(seed, key uint64) uint64 {
	return Mix64(Mix64(seed^0x6a09e667f3bcc909) + (key+1)*Golden)
}

// wyrand constants (Wang Yi's wyhash, final version 4).
const (
	wyP0 = 0xa0761d6478bd642f
	wyP1 = 0xe7037ed1a0b428db
)

// wymix is the output function of wyrand: the folded 128-bit product of the counter
// and the counter with its bits flipped by a constant.
func wymix(st uint64) uint64 {
	hi, lo := bits.Mul64(st, st^wyP1)
	return hi ^ lo
}

// Source is a counter-based generator (wyrand: its k-th output is wymix(state + k*P0)). The zero value is a valid stream
// (that of seed 0 is different: use New). A Source must not be shared by goroutines
// without synchronisation; copy it or derive one per goroutine instead.
type Source struct {
	state uint64
}

// New returns the stream of the given seed.
func New(seed uint64) Source {
	return Source{state: Mix64(seed ^ 0xbb67ae8584caa73b)}
}

// NewStream returns the stream named key under seed: New(Derive(seed, key)).
func NewStream(seed, key uint64) Source { return New(Derive(seed, key)) }

// Uint64 returns the next 64 uniformly distributed bits.
func (s *Source) Uint64() uint64 {
	s.state += wyP0
	return wymix(s.state)
}

// Float64 returns a uniform variate in [0, 1) with 53 random bits.
func (s *Source) Float64() float64 {
	return float64(s.Uint64()>>11) * 0x1p-53
}

// Split returns a new stream, independent of s, and advances s by one output.
func (s *Source) Split() Source {
	return New(s.Uint64())
}

// Skip advances the stream by n outputs in O(1) (the generator is counter-based).
func (s *Source) Skip(n uint64) { s.state += n * wyP0 }

// FillUniform fills dst with uniform variates in [0, 1).
func (s *Source) FillUniform(dst []float64) {
	st := s.state
	for i := range dst {
		st += wyP0
		dst[i] = float64(wymix(st)>>11) * 0x1p-53
	}
	s.state = st
}

// Intn returns a uniform integer in [0, n); it panics if n <= 0.
func (s *Source) Intn(n int) int {
	if n <= 0 {
		panic("rng: Intn with n <= 0")
	}
	// Lemire's multiply-shift with rejection: unbiased.
	un := uint64(n)
	for {
		hi, lo := bits.Mul64(s.Uint64(), un)
		if lo >= un || lo >= -un%un {
			return int(hi)
		}
	}
}
