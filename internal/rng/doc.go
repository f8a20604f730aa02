// Package rng is Continuum's seeded random source: small, fast, deterministic and
// splittable, for the packages that need reproducible randomness (Brownian motion in
// sdeop, Hutchinson probes of CNFs, weight initialisation).
//
// # Design
//
// Randomness is addressed, not consumed: a stream is named by a 64-bit key derived from
// a root seed and any number of integer coordinates with Derive (a SplitMix64-style
// hash; Steele, Lea, Flood 2014). Two streams with different derivation paths are
// statistically independent, and the numbers a stream produces depend only on its key,
// never on which goroutine asks or in which order other streams are used. A consumer
// that splits its work into chunks derives one stream per chunk from the chunk's
// index, so its results do not depend on how many goroutines share the chunks.
//
// A Source is a counter-based generator: its k-th output is a fixed mixing function of
// state + k*P0. The mixing function is that of wyrand (Wang Yi; the folded 128-bit
// product of the counter with a constant-flipped copy of itself, one multiplication; it
// passes BigCrush and PractRand, and Go's runtime uses it for its cheap random numbers).
// The starting counter comes from the key through SplitMix64's finaliser. A Source is a
// single uint64, costs under a nanosecond per output, jumps ahead in O(1) (Skip), can be
// copied, and satisfies math/rand/v2's Source interface.
//
// Standard normal variates come from a 256-layer ziggurat (Marsaglia, Tsang 2000) with
// 64-bit draws: the low 8 bits pick the layer and the high 52 bits give a signed
// uniform, so about 99% of variates cost one Uint64, a table lookup and a multiply
// (about 3 ns). The tail beyond R = 3.654 uses Marsaglia's exponential method (1964).
// The tests check the variates with Kolmogorov-Smirnov tests against the normal CDF.
//
// # References
//
//   - G. L. Steele, D. Lea, C. H. Flood (2014), "Fast splittable pseudorandom number
//     generators", OOPSLA.
//   - G. Marsaglia, W. W. Tsang (2000), "The Ziggurat Method for Generating Random
//     Variables", Journal of Statistical Software 5(8).
//   - G. Marsaglia (1964), "Generating a variable from the tail of the normal
//     distribution", Technometrics 6(1).
//   - Wang Yi, wyhash and wyrand, https://github.com/wangyi-fudan/wyhash (final version 4).
//   - J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw (2011), "Parallel random
//     numbers: as easy as 1, 2, 3" (the counter-based idea).
//
// This package is internal: its streams are a reproducibility contract between
// Continuum's packages, and may change between releases together with them.
package rng
