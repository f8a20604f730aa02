package layers

import (
	"flag"
	"math"
	"runtime"
	"syscall"
	"testing"
	"unsafe"
)

var cpuTimes = flag.Bool("cputime", false, "TestCPUTimes: print the thread CPU time of Eval and VJP of N1, N2, N3")

// threadCPU returns the CPU time of the calling thread in ns (CLOCK_THREAD_CPUTIME_ID).
func threadCPU() float64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0)
	return float64(ts.Nano())
}

// cpuTime returns the least, over reps runs of iters calls, thread CPU time per call of f.
func cpuTime(f func(), iters, reps int) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	best := math.Inf(1)
	for r := 0; r < reps; r++ {
		t0 := threadCPU()
		for i := 0; i < iters; i++ {
			f()
		}
		best = math.Min(best, (threadCPU()-t0)/float64(iters))
	}
	return best
}

// TestCPUTimes measures Eval and VJP of the reference dynamics by the CPU time of the
// thread, which, unlike wall-clock benchmarks, stays meaningful on a machine shared with
// other work:
//
//	go test ./layers -run TestCPUTimes -cputime -v
func TestCPUTimes(t *testing.T) {
	if !*cpuTimes {
		t.Skip("measurement only; run with -cputime")
	}
	for _, c := range []struct {
		name  string
		build func(testing.TB) (*MLP, int)
		iters int
	}{{"N1", benchN1, 20000}, {"N2", benchN2, 200}, {"N3", benchN3, 500}} {
		m, batch := c.build(t)
		net, err := m.NewNet(m.Values(), batch)
		if err != nil {
			t.Fatal(err)
		}
		z, a := refState(batch, m.In()), refState(batch, m.In())
		f, dz, dth := make([]float64, len(z)), make([]float64, len(z)), make([]float64, m.NumParams())
		e := cpuTime(func() { net.Eval(f, 0.5, z) }, c.iters, 7)
		v := cpuTime(func() { net.VJP(f, dz, dth, 0.5, z, a) }, c.iters/2, 7)
		t.Logf("%s (batch %d): Eval %.1f µs, VJP %.1f µs", c.name, batch, e/1e3, v/1e3)
	}
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = 3 * math.Sin(0.7*float64(i))
	}
	ys, g := make([]float64, len(xs)), make([]float64, len(xs))
	for _, act := range allActs {
		ta := cpuTime(func() { act.Apply(ys, xs) }, 2000, 7)
		td := cpuTime(func() { act.MulDeriv(g, xs, ys) }, 2000, 7)
		t.Logf("%-8v Apply %.2f ns/element, MulDeriv %.2f ns/element", act, ta/4096, td/4096)
	}
}
