package layers_test

import (
	"flag"
	"math"
	"os"
	"regexp"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/continuum-ml/continuum/odeop"
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

// timedDynamics wraps a Dynamics and records the wall-clock intervals of every Eval and VJP
// of its Evaluators, so that the solver's overhead (the time of a run outside the
// evaluations, concurrent chunks counted once) can be measured.
type timedDynamics struct {
	odeop.Dynamics
	mu    sync.Mutex
	spans [][2]int64
}

type timedEval struct {
	ev odeop.Evaluator
	d  *timedDynamics
}

func (d *timedDynamics) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	ev, err := d.Dynamics.Bind(theta, batch, dim)
	if err != nil {
		return nil, err
	}
	return &timedEval{ev: ev, d: d}, nil
}

func (d *timedDynamics) record(t0 time.Time) {
	t1 := time.Now()
	d.mu.Lock()
	d.spans = append(d.spans, [2]int64{t0.UnixNano(), t1.UnixNano()})
	d.mu.Unlock()
}

// busy returns the length of the union of the recorded intervals and forgets them.
func (d *timedDynamics) busy() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.spans
	sort.Slice(s, func(i, j int) bool { return s[i][0] < s[j][0] })
	var tot, end int64
	for _, sp := range s {
		if sp[0] > end {
			tot += sp[1] - sp[0]
			end = sp[1]
		} else if sp[1] > end {
			tot += sp[1] - end
			end = sp[1]
		}
	}
	d.spans = d.spans[:0]
	return time.Duration(tot)
}

func (e *timedEval) Eval(dst []float64, t float64, z []float64) {
	t0 := time.Now()
	e.ev.Eval(dst, t, z)
	e.d.record(t0)
}

func (e *timedEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	t0 := time.Now()
	e.ev.VJP(f, dz, dtheta, t, z, a)
	e.d.record(t0)
}

func (e *timedEval) Release() {
	if r, ok := e.ev.(odeop.Releaser); ok {
		r.Release()
	}
}

// TestSolverOverhead reports, for each reference case, the share of a run's wall time
// spent outside the evaluations of the dynamics (solver, Gorgonia, allocation), in the
// fastest of 21 runs (the one least disturbed by other processes) after 30 runs of warm-up:
//
//	go test ./layers -run TestSolverOverhead -cputime -v
func TestSolverOverhead(t *testing.T) {
	if f := flag.Lookup("cputime"); f == nil || f.Value.String() != "true" {
		t.Skip("measurement only; run with -cputime")
	}
	only := regexp.MustCompile(os.Getenv("REFCPU"))
	for _, c := range []refCase{n1Single, n1Multiple, n2} {
		for _, mode := range []string{"forward", "adjoint", "seminorm", "checkpoint"} {
			if !only.MatchString(c.name + "/" + mode) {
				continue
			}
			f := &timedDynamics{}
			rc := c
			rc.wrap = func(d odeop.Dynamics) odeop.Dynamics { f.Dynamics = d; return f }
			run, _ := refRun(t, rc, mode)
			// Warm up first: until the heap has grown to its working size, every run
			// allocates its outputs in pages fresh from the OS, and a first touch of a fresh
			// page costs about 10 us on this VM (N2's forward output: 0.45 ms a run).
			for r := 0; r < 30; r++ {
				run()
			}
			best, bestTot := 0.0, math.Inf(1)
			for r := 0; r < 21; r++ {
				f.busy()
				w0 := time.Now()
				run()
				tot := float64(time.Since(w0))
				if o := 1 - float64(f.busy())/tot; tot < bestTot {
					best, bestTot = o, tot
				}
			}
			t.Logf("%-8s %-10s outside the dynamics %5.1f%% of %8.3f ms", c.name, mode, 100*best, bestTot/1e6)
		}
	}
}
