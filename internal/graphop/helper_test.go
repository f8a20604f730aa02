package graphop

import (
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"
)

// concurrentBatch returns a Batch of two chunks that runs them concurrently (GOMAXPROCS 2
// while it is made) and the restore function of GOMAXPROCS.
func concurrentBatch(t *testing.T) (*Batch, func()) {
	prev := runtime.GOMAXPROCS(2)
	var rows []int
	released := 0
	w := make([]float64, 128)
	b, err := NewBatch(squareBinder(&rows, &released), [][]float64{w}, 1025, 128)
	if err != nil {
		t.Fatal(err)
	}
	if !b.concur || len(rows) != 2 {
		t.Fatalf("chunks %v, concurrent %v: want two concurrent chunks", rows, b.concur)
	}
	return b, func() { runtime.GOMAXPROCS(prev) }
}

// TestHelperRuns: every run reaches both chunks exactly once, with the caller's work of
// that run, whether the hand-offs spin (back-to-back runs) or park (runs farther apart
// than the spin times, and chunks longer than them).
func TestHelperRuns(t *testing.T) {
	b, restore := concurrentBatch(t)
	defer restore()
	r := rand.New(rand.NewSource(3))
	counts := make([]int, 2)
	for run := 0; run < 300; run++ {
		var pause, work time.Duration
		switch r.Intn(6) {
		case 0:
			pause = helperSpin + 100*time.Microsecond // the helper parks between runs
		case 1:
			work = callerSpin + 100*time.Microsecond // the caller parks for the helper
		}
		time.Sleep(pause)
		seen := [2]int{-1, -1}
		b.run(func(c int) {
			if c == 1 {
				time.Sleep(work)
			}
			seen[c] = run
			counts[c]++
		})
		if seen != [2]int{run, run} {
			t.Fatalf("run %d: chunks saw runs %v", run, seen)
		}
	}
	if counts[0] != 300 || counts[1] != 300 {
		t.Fatalf("chunk runs %v, want 300 each", counts)
	}
	b.Release()
}

// TestHelpersPooled: Release hands the helper to the idle helpers, the next Batch takes
// it (no new goroutine), and at most maxIdleHelpers stay when many Batches end at once.
func TestHelpersPooled(t *testing.T) {
	before := runtime.NumGoroutine()
	b, restore := concurrentBatch(t)
	defer restore()
	h := b.helper
	b.Release()
	b2, _ := concurrentBatch(t)
	if b2.helper != h {
		t.Errorf("the next Batch got a new helper, not the released one")
	}
	var bs []*Batch
	for i := 0; i < 3*maxIdleHelpers; i++ {
		bi, _ := concurrentBatch(t)
		bi.run(func(c int) {})
		bs = append(bs, bi)
	}
	b2.Release()
	for _, bi := range bs {
		bi.Release()
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before+maxIdleHelpers && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+maxIdleHelpers {
		t.Errorf("%d goroutines after Release, %d before the Batches (at most %d idle helpers)", n, before, maxIdleHelpers)
	}
}

// TestHelperPanics: a panic of either chunk reaches the caller (after both chunks ended),
// and the Batch keeps working.
func TestHelperPanics(t *testing.T) {
	b, restore := concurrentBatch(t)
	defer restore()
	defer b.Release()
	for _, bad := range []int{0, 1} {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, "chunk") {
					t.Errorf("panic of chunk %d: recovered %v", bad, r)
				}
			}()
			b.run(func(c int) {
				if c == bad {
					panic("chunk failed")
				}
			})
			t.Errorf("panic of chunk %d did not reach the caller", bad)
		}()
		var ran [2]bool
		b.run(func(c int) { ran[c] = true })
		if ran != [2]bool{true, true} {
			t.Errorf("after the panic of chunk %d the next run reached chunks %v", bad, ran)
		}
	}
}
