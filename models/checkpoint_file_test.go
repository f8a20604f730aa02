package models_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/models"
)

// TestLoadChecksLengthFirst writes a valid header that claims a payload far larger than
// the file: Load must say the file is truncated from the header and the file's size.
func TestLoadChecksLengthFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.ckpt")
	x := G.NewVector(G.NewGraph(), tensor.Float64, G.WithShape(3), G.WithName("x"), G.WithInit(G.Ones()))
	if err := models.Save(path, G.Nodes{x}, nil, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The payload length is the 8 bytes at offset 12 (see the format in checkpoint.go).
	b[12+4] = 0x10 // + 2^36 bytes
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := models.LoadFile(path); !errors.Is(err, models.ErrTruncated) {
		t.Fatalf("got %v, want ErrTruncated", err)
	}
	// Bytes after the checksum are still found.
	b[12+4] = 0
	if err := os.WriteFile(path, append(b, 1, 2, 3), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := models.LoadFile(path); !errors.Is(err, models.ErrCorrupt) {
		t.Fatalf("trailing bytes: got %v, want ErrCorrupt", err)
	}
}

// TestSaveRemovesStaleTemporaries plants the temporary files that a save killed mid-way
// leaves behind; the next save of the same target removes them, and only them.
func TestSaveRemovesStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.ckpt")
	stale := []string{".m.ckpt.tmp123", ".m.ckpt.tmp9876543"}
	keep := []string{".other.ckpt.tmp1", "m.ckpt.tmp5", ".m.ckpt.bak"}
	for _, n := range append(append([]string{}, stale...), keep...) {
		if err := os.WriteFile(filepath.Join(dir, n), make([]byte, 1000), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	x := G.NewVector(G.NewGraph(), tensor.Float64, G.WithShape(3), G.WithName("x"), G.WithInit(G.Ones()))
	if err := models.Save(path, G.Nodes{x}, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("stale temporary %s is still there (%v)", n, err)
		}
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed: %v", n, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1+len(keep) {
		t.Errorf("%d files in the directory, want %d", len(ents), 1+len(keep))
	}
	if _, err := models.LoadFile(path); err != nil {
		t.Fatal(err)
	}
}
