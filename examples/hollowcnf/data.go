package main

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/rng"
)

const (
	pixels = 64 // 8x8 images
	levels = 17 // pixel values 0..16
)

// loadPixels reads the digits CSV (gzip-compressed or plain): 64 pixel values 0..16 and
// the label per line; it returns the pixels, 64 per image, and drops the labels.
func loadPixels(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader
	br := bufio.NewReader(f)
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errors.Wrap(err, path)
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	var px []float64
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		fields := strings.Split(s, ",")
		if len(fields) != pixels+1 {
			return nil, errors.Errorf("%s:%d: %d fields, want %d", path, line, len(fields), pixels+1)
		}
		for _, v := range fields[:pixels] {
			p, err := strconv.Atoi(v)
			if err != nil || p < 0 || p >= levels {
				return nil, errors.Errorf("%s:%d: pixel %q, want an integer 0..16", path, line, v)
			}
			px = append(px, float64(p))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, errors.Wrap(err, path)
	}
	if len(px) == 0 {
		return nil, errors.Errorf("%s: no images", path)
	}
	return px, nil
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
