// Package digits holds the 8x8 handwritten digits (1797 images, UCI "Optical Recognition of
// Handwritten Digits", Alpaydin & Kaynak 1998; provenance in data/README.md), embedded in the
// package so that a program finds them wherever it is started from, and reads files of the same
// format.
//
// The format is one image per line: 64 comma-separated pixel values, integers 0..16 in row-major
// order, then the label 0..9; the file may be gzip-compressed.
//
//	set, err := digits.Load("") // the embedded copy
//	img := set.Image(0)        // 64 values in 0..16
package digits

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

const (
	// Pixels is the number of pixels of an image (8x8).
	Pixels = 64
	// Levels is the number of pixel values (0..16).
	Levels = 17
	// Classes is the number of labels (0..9).
	Classes = 10
)

// ErrFormat reports a file that is not in the digits format; every error of Load and Read wraps it.
var ErrFormat = errors.New("digits: bad digits file")

//go:embed data/digits.csv.gz
var embedded []byte

// Set is a set of images and their labels.
type Set struct {
	// Pixels holds the images row-major, Pixels values (integers 0..16) per image.
	Pixels []float64
	// Labels holds one label 0..9 per image.
	Labels []int
}

// Len is the number of images.
func (s *Set) Len() int { return len(s.Labels) }

// Image returns image i's pixels (a sub-slice of s.Pixels).
func (s *Set) Image(i int) []float64 { return s.Pixels[i*Pixels : (i+1)*Pixels] }

// Load reads a digits file (gzip-compressed or plain); the empty path reads the embedded copy.
func Load(path string) (*Set, error) {
	if path == "" {
		return Read(bytes.NewReader(embedded), "embedded digits.csv.gz")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrapf(ErrFormat, "%v", err)
	}
	defer f.Close()
	return Read(f, path)
}

// Read reads the digits format from r (gzip-compressed or plain); name is used in errors.
func Read(r io.Reader, name string) (*Set, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errors.Wrapf(ErrFormat, "%s: %v", name, err)
		}
		defer zr.Close()
		src = zr
	}
	s := &Set{}
	sc := bufio.NewScanner(src)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) != Pixels+1 {
			return nil, errors.Wrapf(ErrFormat, "%s:%d: %d fields, want %d", name, line, len(fields), Pixels+1)
		}
		for _, v := range fields[:Pixels] {
			p, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || p < 0 || p >= Levels {
				return nil, errors.Wrapf(ErrFormat, "%s:%d: pixel %q, want an integer 0..16", name, line, v)
			}
			s.Pixels = append(s.Pixels, float64(p))
		}
		y, err := strconv.Atoi(strings.TrimSpace(fields[Pixels]))
		if err != nil || y < 0 || y >= Classes {
			return nil, errors.Wrapf(ErrFormat, "%s:%d: label %q, want 0..9", name, line, fields[Pixels])
		}
		s.Labels = append(s.Labels, y)
	}
	if err := sc.Err(); err != nil {
		return nil, errors.Wrapf(ErrFormat, "%s: %v", name, err)
	}
	if s.Len() == 0 {
		return nil, errors.Wrapf(ErrFormat, "%s: no images", name)
	}
	return s, nil
}
