package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/pkg/errors"
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

//go:embed data/digits.csv.gz
var digitsCSV []byte

// loadDigits reads the digits CSV (gzip-compressed or plain): 64 pixel values 0..16 and
// the label per line; an empty path reads the copy embedded in this program
// (data/digits.csv.gz, provenance in data/README.md).
func loadDigits(path string) (*digits, error) {
	var f io.Reader
	if path == "" {
		f, path = bytes.NewReader(digitsCSV), "embedded digits.csv.gz"
	} else {
		fh, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		f = fh
	}
	var r io.Reader = f
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
	d := &digits{}
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
			p, err := strconv.ParseFloat(v, 64)
			if err != nil || p < 0 || p > 16 {
				return nil, errors.Errorf("%s:%d: pixel %q", path, line, v)
			}
			d.X = append(d.X, p/16)
		}
		y, err := strconv.Atoi(fields[pixels])
		if err != nil || y < 0 || y >= classes {
			return nil, errors.Errorf("%s:%d: label %q", path, line, fields[pixels])
		}
		d.Y = append(d.Y, y)
	}
	if err := sc.Err(); err != nil {
		return nil, errors.Wrap(err, path)
	}
	if d.len() == 0 {
		return nil, errors.Errorf("%s: no images", path)
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
