package layers_test

import (
	"flag"
	"math"
	"os"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time (user + system) of the whole process in ns: every
// goroutine and the garbage collector count.
func processCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestReferenceCPUTimes measures the reference configurations (one forward, or forward +
// gradient, through the Gorgonia graph) by the process CPU time, which stays meaningful on
// a loaded machine, with the wall time beside it; each figure is the least over 7 rounds:
//
//	go test ./layers -run TestReferenceCPUTimes -cputime -v
//
// REFCPU, a regular expression, picks the cases by "name/mode" (single/adjoint, N2/forward).
func TestReferenceCPUTimes(t *testing.T) {
	if f := flag.Lookup("cputime"); f == nil || f.Value.String() != "true" {
		t.Skip("measurement only; run with -cputime")
	}
	only := regexp.MustCompile(os.Getenv("REFCPU")) // e.g. REFCPU=multiple/adjoint
	for _, c := range []struct {
		rc    refCase
		iters int
	}{{n1Single, 40}, {n1Multiple, 6}, {n2, 6}} {
		for _, mode := range []string{"forward", "adjoint", "seminorm", "checkpoint"} {
			if !only.MatchString(c.rc.name + "/" + mode) {
				continue
			}
			run, _ := refRun(t, c.rc, mode)
			run()
			iters := c.iters
			if mode == "forward" {
				iters *= 8
			}
			cpu, wall := math.Inf(1), math.Inf(1)
			for r := 0; r < 7; r++ {
				c0, w0 := processCPU(), time.Now()
				for i := 0; i < iters; i++ {
					run()
				}
				cpu = math.Min(cpu, (processCPU()-c0)/float64(iters))
				wall = math.Min(wall, float64(time.Since(w0).Nanoseconds())/float64(iters))
			}
			t.Logf("%-8s %-10s cpu %8.3f ms  wall %8.3f ms", c.rc.name, mode, cpu/1e6, wall/1e6)
		}
	}
}
