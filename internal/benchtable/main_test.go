package main

import (
	"strings"
	"testing"
)

func TestParseBest(t *testing.T) {
	in := `goos: linux
BenchmarkN1/single/forward           	    4556	    400000 ns/op	       110.0 NFE-fwd
BenchmarkN1/single/forward           	    4556	    500000 ns/op	       110.0 NFE-fwd
BenchmarkN1/single/forward           	    4556	    450000 ns/op	       110.0 NFE-fwd
BenchmarkN1/single/forward-2         	    5062	    420000 ns/op	       110.0 NFE-fwd
BenchmarkN1/single/forward-2         	    5062	    430000 ns/op	       110.0 NFE-fwd
BenchmarkN2/forward-2                	     283	   7311241 ns/op
PASS`
	times, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	// GOMAXPROCS 1: median 450000; 2: median 425000 (even count: mean of the middle two).
	ns, procs, ok := best(times["BenchmarkN1/single/forward"])
	if !ok || ns != 425000 || procs != 2 {
		t.Errorf("best = %v, %d, %v; want 425000, 2, true", ns, procs, ok)
	}
	ns, procs, ok = best(times["BenchmarkN2/forward"])
	if !ok || ns != 7311241 || procs != 2 {
		t.Errorf("N2: best = %v, %d, %v", ns, procs, ok)
	}
	if _, _, ok := best(times["BenchmarkN3/forward"]); ok {
		t.Error("a benchmark that did not run has a best time")
	}
	if got := runsLabel(times); got != "3 runs" {
		t.Errorf("runsLabel = %q, want 3 runs", got)
	}
}
