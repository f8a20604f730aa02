package models_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/models/classify"
)

func digitsLikeInput(n, in int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n*in)
	for i := range x {
		x[i] = rng.Float64()
	}
	return x
}

func newNet(t testing.TB, kind string, cfg classify.Config) *classify.Model {
	t.Helper()
	c, err := classify.New(G.NewGraph(), kind, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// values copies the current values of nodes.
func values(nodes G.Nodes) [][]float64 {
	vs := make([][]float64, len(nodes))
	for i, n := range nodes {
		vs[i] = slices.Clone(n.Value().Data().([]float64))
	}
	return vs
}

func sameValues(a, b [][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

var smallCfg = classify.Config{In: 12, Classes: 4, Hidden: 6, Width: 8, Blocks: 3}

// TestCheckpointRoundTrip saves one model and loads it into a freshly built model of the
// same architecture with other initial weights: the predictions become identical.
func TestCheckpointRoundTrip(t *testing.T) {
	for _, kind := range []string{classify.KindODENet, classify.KindResNet} {
		t.Run(kind, func(t *testing.T) {
			cfgA, cfgB := smallCfg, smallCfg
			cfgA.Seed, cfgB.Seed = 1, 2
			a, b := newNet(t, kind, cfgA), newNet(t, kind, cfgB)
			x := digitsLikeInput(9, smallCfg.In, 3)
			pa, err := a.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			pb, err := b.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Equal(pa.Logits, pb.Logits) {
				t.Fatal("different seeds give the same model")
			}
			path := filepath.Join(t.TempDir(), "m.ckpt")
			if err := a.Save(path, nil, map[string]string{"note": "test"}); err != nil {
				t.Fatal(err)
			}
			ck, err := b.Restore(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Meta["note"] != "test" || ck.Meta[models.MetaKind] != kind {
				t.Errorf("metadata %v", ck.Meta)
			}
			pb, err = b.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pa.Logits, pb.Logits) || !slices.Equal(pa.Classes, pb.Classes) {
				t.Errorf("predictions differ after loading:\n%v\n%v", pa.Logits, pb.Logits)
			}
			// classify.Load rebuilds the model from the file alone.
			c, _, err := classify.Load(G.NewGraph(), path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind() != kind || c.Config() != a.Config() {
				t.Errorf("rebuilt %s %+v, want %s %+v", c.Kind(), c.Config(), kind, a.Config())
			}
			pc, err := c.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pa.Logits, pc.Logits) {
				t.Error("classify.Load predicts differently")
			}
		})
	}
}

// TestCheckpointBadFiles: truncated, foreign, corrupted, future-version and mismatched
// files give their error and leave the model untouched.
func TestCheckpointBadFiles(t *testing.T) {
	dir := t.TempDir()
	src := newNet(t, classify.KindODENet, smallCfg)
	good := filepath.Join(dir, "good.ckpt")
	if err := src.Save(good, nil, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("0,1,2\n"))
	zw.Close()
	flipped := slices.Clone(data)
	flipped[len(flipped)/2] ^= 0x10
	future := slices.Clone(data)
	binary.LittleEndian.PutUint16(future[8:], 9)
	binary.LittleEndian.PutUint32(future[len(future)-4:], crc32.Checksum(future[:len(future)-4], crc32.MakeTable(crc32.Castagnoli)))

	other := smallCfg
	other.Hidden = 7 // same names, other shapes
	wrongShape := filepath.Join(dir, "shape.ckpt")
	if err := newNet(t, classify.KindODENet, other).Save(wrongShape, nil, nil); err != nil {
		t.Fatal(err)
	}
	named := smallCfg
	named.Name = "other"
	wrongNames := filepath.Join(dir, "names.ckpt")
	if err := newNet(t, classify.KindODENet, named).Save(wrongNames, nil, nil); err != nil {
		t.Fatal(err)
	}
	resnet := filepath.Join(dir, "resnet.ckpt")
	if err := newNet(t, classify.KindResNet, smallCfg).Save(resnet, nil, nil); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		path string
		want error
	}{
		{"empty", write("empty", nil), models.ErrNotCheckpoint},
		{"truncated in the magic", write("t5", data[:5]), models.ErrTruncated},
		{"truncated header", write("t12", data[:12]), models.ErrTruncated},
		{"truncated payload", write("tmid", data[:len(data)/2]), models.ErrTruncated},
		{"truncated checksum", write("tcrc", data[:len(data)-1]), models.ErrTruncated},
		{"trailing bytes", write("trail", append(slices.Clone(data), 0)), models.ErrCorrupt},
		{"gzip file", write("gz", gz.Bytes()), models.ErrNotCheckpoint},
		{"text file", write("txt", []byte("hello, world\n")), models.ErrNotCheckpoint},
		{"flipped bit", write("flip", flipped), models.ErrCorrupt},
		{"future version", write("future", future), models.ErrVersion},
		{"wrong shapes", wrongShape, models.ErrMismatch},
		{"wrong names", wrongNames, models.ErrMismatch},
		{"other kind", resnet, models.ErrMismatch},
	}
	dst := newNet(t, classify.KindODENet, classify.Config{In: 12, Classes: 4, Hidden: 6, Width: 8, Seed: 5})
	before := values(dst.Learnables())
	for _, c := range cases {
		_, err := dst.Restore(c.path, nil)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
		if !sameValues(before, values(dst.Learnables())) {
			t.Fatalf("%s: the model changed", c.name)
		}
		if _, _, err := classify.Load(G.NewGraph(), c.path, nil); err == nil && c.want != models.ErrMismatch {
			t.Errorf("%s: classify.Load accepted the file", c.name)
		}
	}
	// The good file still loads.
	if _, err := dst.Restore(good, nil); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointMismatchedNodes covers Restore on plain node lists: missing and extra
// parameters, dtypes, and float32 values.
func TestCheckpointMismatchedNodes(t *testing.T) {
	g := G.NewGraph()
	mk := func(name string, dt tensor.Dtype, shape ...int) *G.Node {
		return G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithName(name), G.WithInit(G.Gaussian(0, 1)))
	}
	a, b := mk("a", tensor.Float64, 2, 3), mk("b", tensor.Float32, 4)
	ck, err := models.Capture(G.Nodes{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := ck.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	ck2, err := models.ReadCheckpoint(&buf)
	if err != nil {
		t.Fatal(err)
	}
	g2 := G.NewGraph()
	a2 := G.NewMatrix(g2, tensor.Float64, G.WithShape(2, 3), G.WithName("a"), G.WithInit(G.Zeroes()))
	b2 := G.NewVector(g2, tensor.Float32, G.WithShape(4), G.WithName("b"), G.WithInit(G.Zeroes()))
	c2 := G.NewVector(g2, tensor.Float64, G.WithShape(4), G.WithName("c"), G.WithInit(G.Zeroes()))
	b64 := G.NewVector(g2, tensor.Float64, G.WithShape(4), G.WithName("b"), G.WithInit(G.Zeroes()))
	for name, nodes := range map[string]G.Nodes{
		"missing": {a2, b2, c2},
		"extra":   {a2},
		"dtype":   {a2, b64},
	} {
		if err := ck2.Restore(nodes, nil); !errors.Is(err, models.ErrMismatch) {
			t.Errorf("%s: error %v, want ErrMismatch", name, err)
		}
		if slices.ContainsFunc(a2.Value().Data().([]float64), func(v float64) bool { return v != 0 }) {
			t.Fatalf("%s: a was assigned", name)
		}
	}
	if err := ck2.Restore(G.Nodes{b2, a2}, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Value().Data().([]float64), a2.Value().Data().([]float64)) ||
		!slices.Equal(b.Value().Data().([]float32), b2.Value().Data().([]float32)) {
		t.Error("values differ after the round trip")
	}
}
