package main

import (
	"math"

	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/models/digits"
)

const (
	pixels = 64 // 8x8 images
	levels = 17 // pixel values 0..16
)

// loadPixels reads a digits file (models/digits format; the empty path reads the copy
// embedded in package digits) and returns the pixels, 64 per image, values 0..16; the
// labels are dropped.
func loadPixels(path string) ([]float64, error) {
	set, err := digits.Load(path)
	if err != nil {
		return nil, err
	}
	return set.Pixels, nil
}

// split shuffles the images with the seed and returns the first (1-frac) for training,
// the rest for testing.
func split(px []float64, frac float64, seed uint64) (train, test []float64) {
	n := len(px) / pixels
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	src := rng.New(seed)
	for i := n - 1; i > 0; i-- {
		j := src.Intn(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	nt := n - int(math.Round(frac*float64(n)))
	for k, i := range perm {
		img := px[i*pixels : (i+1)*pixels]
		if k < nt {
			train = append(train, img...)
		} else {
			test = append(test, img...)
		}
	}
	return train, test
}

// Scale is the factor of the map from dequantised pixels to the flow's space:
// x = Scale·((k + u)/17 - 1/2), k the pixel value and u ~ U(0, 1).
const Scale = 4.0

// dequantize writes x = Scale·((k + u)/17 - 1/2) for the images of px into dst, with the
// uniform noise u from the stream of seed.
func dequantize(dst, px []float64, seed uint64) {
	src := rng.New(seed)
	for i, k := range px {
		dst[i] = Scale * ((k+src.Float64())/levels - 0.5)
	}
}

// bitsPerDim turns a mean negative log-likelihood of x (nats, D dimensions) into bits per
// dimension of the discrete pixels: the dequantisation bound
// -log P(k) ≤ E_u[-log p_x(x)] - D log(Scale/17) (Theis et al. 2016), divided by D log 2.
func bitsPerDim(nll float64) float64 {
	return (nll - pixels*math.Log(Scale/levels)) / (pixels * math.Ln2)
}
