package models

import (
	"os"
	"path/filepath"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestSaveSyncsDirectory checks that SaveFile syncs the target's directory after the
// rename, and that a failing sync is reported.
func TestSaveSyncsDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.ckpt")
	old := syncDir
	defer func() { syncDir = old }()
	var synced []string
	syncDir = func(d string) error {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("directory synced before the rename: %v", err)
		}
		synced = append(synced, d)
		return old(d)
	}
	x := G.NewVector(G.NewGraph(), tensor.Float64, G.WithShape(2), G.WithName("x"), G.WithInit(G.Ones()))
	if err := Save(path, G.Nodes{x}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if len(synced) != 1 || synced[0] != dir {
		t.Fatalf("synced %v, want [%s]", synced, dir)
	}
	syncDir = func(string) error { return os.ErrPermission }
	if err := Save(path, G.Nodes{x}, nil, nil); err == nil {
		t.Fatal("a failing directory sync was not reported")
	}
}
