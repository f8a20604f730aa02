package mnist

import (
	"math/rand/v2"
	"testing"
)

func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 11 MB of gzip files")
	}
	train, test, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 60000 || test.N != 10000 {
		t.Fatalf("sizes %d, %d", train.N, test.N)
	}
	// the class counts of the standard test set (LeCun et al.'s distribution)
	want := [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
	var got [10]int
	for _, l := range test.Labels {
		got[l]++
	}
	if got != want {
		t.Errorf("test class counts %v, want %v", got, want)
	}
	for _, v := range train.Images {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %v outside [0, 1]", v)
		}
	}
}

func TestDir(t *testing.T) {
	d, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkMD5(d+"/train-images-idx3-ubyte.gz", files["train-images-idx3-ubyte.gz"]); err != nil {
		t.Error(err)
	}
}

// TestRandomCrop checks that a crop is a shift of the image by at most 4 pixels with
// zeros shifted in, and that all 81 shifts occur.
func TestRandomCrop(t *testing.T) {
	src := make([]float64, Pixels)
	for i := range src {
		src[i] = float64(i + 1)
	}
	dst := make([]float64, Pixels)
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[[2]int]bool{}
	for k := 0; k < 2000; k++ {
		RandomCrop(dst, src, rng)
		// find the shift from any non-zero pixel
		var dy, dx int
		found := false
		for i, v := range dst {
			if v != 0 {
				s := int(v) - 1
				dy, dx = s/Side-i/Side, s%Side-i%Side
				found = true
				break
			}
		}
		if !found || dy < -4 || dy > 4 || dx < -4 || dx > 4 {
			t.Fatalf("crop %d: shift (%d, %d)", k, dy, dx)
		}
		seen[[2]int{dy, dx}] = true
		for y := 0; y < Side; y++ {
			for x := 0; x < Side; x++ {
				sy, sx := y+dy, x+dx
				want := 0.0
				if sy >= 0 && sy < Side && sx >= 0 && sx < Side {
					want = src[sy*Side+sx]
				}
				if dst[y*Side+x] != want {
					t.Fatalf("crop %d: pixel (%d, %d) = %v, want %v", k, y, x, dst[y*Side+x], want)
				}
			}
		}
	}
	if len(seen) != 81 {
		t.Errorf("%d distinct shifts, want 81", len(seen))
	}
}
