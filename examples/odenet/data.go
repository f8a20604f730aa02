package main

import (
	"math/rand/v2"

	mdigits "github.com/continuum-ml/continuum/models/digits"
)

const (
	pixels  = 64 // 8x8 images
	classes = 10
)

// digits is a set of 8x8 images scaled to [0, 1] (row-major, 64 per image) and labels.
type digits struct {
	X []float64
	Y []int
}

func (d *digits) len() int { return len(d.Y) }

// loadDigits reads a digits file (models/digits format; the empty path reads the copy
// embedded in package digits) with the pixels scaled to [0, 1].
func loadDigits(path string) (*digits, error) {
	set, err := mdigits.Load(path)
	if err != nil {
		return nil, err
	}
	d := &digits{X: make([]float64, len(set.Pixels)), Y: set.Labels}
	for i, p := range set.Pixels {
		d.X[i] = p / 16
	}
	return d, nil
}

// split is a seeded stratified split: a fraction testFrac of each class (rounded) goes to
// the test set, the rest to the training set, both in a seeded random order.
func (d *digits) split(testFrac float64, seed uint64) (train, test *digits) {
	rng := rand.New(rand.NewPCG(seed, 0xd161))
	byClass := make([][]int, classes)
	for i, y := range d.Y {
		byClass[y] = append(byClass[y], i)
	}
	var tr, te []int
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		k := int(testFrac*float64(len(idx)) + 0.5)
		te = append(te, idx[:k]...)
		tr = append(tr, idx[k:]...)
	}
	rng.Shuffle(len(tr), func(i, j int) { tr[i], tr[j] = tr[j], tr[i] })
	rng.Shuffle(len(te), func(i, j int) { te[i], te[j] = te[j], te[i] })
	return d.subset(tr), d.subset(te)
}

func (d *digits) subset(idx []int) *digits {
	s := &digits{X: make([]float64, 0, len(idx)*pixels), Y: make([]int, 0, len(idx))}
	for _, i := range idx {
		s.X = append(s.X, d.X[i*pixels:(i+1)*pixels]...)
		s.Y = append(s.Y, d.Y[i])
	}
	return s
}
