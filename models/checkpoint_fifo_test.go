//go:build unix

package models_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/continuum-ml/continuum/models"
)

// loadWithin runs models.LoadFile(path) and fails the test if it has not returned after d.
func loadWithin(t *testing.T, path string, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := models.LoadFile(path)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("LoadFile(%s) still blocked after %v", path, d)
		return nil
	}
}

// TestLoadRefusesNonRegularFiles checks that Load refuses what is not a regular file
// before reading it: a FIFO (which blocked forever) and /dev/zero (which exhausted memory).
func TestLoadRefusesNonRegularFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := loadWithin(t, fifo, 5*time.Second); err == nil {
		t.Error("a FIFO loaded")
	} else {
		t.Logf("fifo: %v", err)
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		if err := loadWithin(t, "/dev/zero", 5*time.Second); err == nil {
			t.Error("/dev/zero loaded")
		} else {
			t.Logf("/dev/zero: %v", err)
		}
	}
	if err := loadWithin(t, t.TempDir(), 5*time.Second); err == nil {
		t.Error("a directory loaded")
	}
}
