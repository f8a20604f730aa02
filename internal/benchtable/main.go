// Command benchtable reads `go test -bench` output on stdin and prints one table of the
// reference configurations of docs/REFERENCE-CONFIGURATIONS.md: configuration, our median time (the
// best median over the GOMAXPROCS settings it ran with, as the reference figures are the
// best of their thread settings), that setting, the PyTorch (torchdiffeq/torchsde)
// reference figure, and the ratio reference/ours.
//
//	go test -run '^$' -bench 'N1|N2|N3|S1|S2' -cpu 1,2 -count 5 ./... | go run ./internal/benchtable
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// reference maps a benchmark name (without the -GOMAXPROCS suffix) to its description and
// the reference time in milliseconds from BENCHMARKS.md.
var reference = []struct {
	name, what string
	ms         float64
}{
	{"BenchmarkN1/single/forward", "N1 single: forward", 9.2},
	{"BenchmarkN1/single/adjoint", "N1 single: forward + adjoint", 91.3},
	{"BenchmarkN1/single/seminorm", "N1 single: forward + seminorm adjoint", 56.8},
	{"BenchmarkN1/single/checkpoint", "N1 single: forward + backprop through solver", 18.2},
	{"BenchmarkN1/single-default/forward", "N1 single: forward, our default dopri5 controller", 9.2},
	{"BenchmarkN1/single-default/adjoint", "N1 single: forward + adjoint, our default dopri5 controller", 91.3},
	{"BenchmarkN1/multiple/forward", "N1 multiple: forward", 10.9},
	{"BenchmarkN1/multiple/adjoint", "N1 multiple: forward + adjoint", 541},
	{"BenchmarkN1/multiple/seminorm", "N1 multiple: forward + seminorm adjoint", 531},
	{"BenchmarkN1/multiple/checkpoint", "N1 multiple: forward + backprop through solver", 30.7},
	{"BenchmarkN2/forward", "N2: forward", 22.0},
	{"BenchmarkN2/adjoint", "N2: forward + adjoint", 118},
	{"BenchmarkN2/seminorm", "N2: forward + seminorm adjoint", 81.4},
	{"BenchmarkN2/checkpoint", "N2: forward + backprop through solver", 54.9},
	{"BenchmarkN3/forward", "N3: CNF forward", 15.8},
	{"BenchmarkN3/adjoint", "N3: CNF forward + adjoint", 56.6},
	{"BenchmarkN3/seminorm", "N3: CNF forward + seminorm adjoint", 52.1},
	{"BenchmarkS1BrownianIntervalForward", "S1: Brownian interval (dt told), 1000 queries in order", 1263},
	{"BenchmarkS1BrownianIntervalReverse", "S1: Brownian interval (dt told), 1000 queries reversed", 1409},
	{"BenchmarkS1BrownianTree", "S1: Brownian tree (tol 1e-5), 1000 queries in order", 8447},
	{"BenchmarkS1NormalBaseline", "S1 baseline: drawing the same number of normals, one goroutine", 0},
	{"BenchmarkS1NormalBaselineParallel", "S1 baseline: drawing the same number of normals, split over GOMAXPROCS goroutines", 0},
	{"BenchmarkS2/ito_euler/forward", "S2 Ito euler: forward", 790},
	{"BenchmarkS2/ito_euler/adjoint", "S2 Ito euler: forward + adjoint", 3375},
	{"BenchmarkS2/ito_milstein/forward", "S2 Ito milstein: forward", 860},
	{"BenchmarkS2/ito_milstein/adjoint", "S2 Ito milstein: forward + adjoint", 3664},
	{"BenchmarkS2/strat_midpoint/forward", "S2 Stratonovich midpoint: forward", 821},
	{"BenchmarkS2/strat_midpoint/adjoint", "S2 Stratonovich midpoint: forward + adjoint", 3446},
	{"BenchmarkS2/reversible_heun/forward", "S2 reversible Heun: forward", 835},
	{"BenchmarkS2/reversible_heun/adjoint", "S2 reversible Heun: forward + adjoint", 3420},
	{"BenchmarkS2/reversible_heun_interval/forward", "S2 reversible Heun, Brownian interval: forward", 236},
	{"BenchmarkS2/reversible_heun_interval/adjoint", "S2 reversible Heun, Brownian interval: forward + adjoint", 1043},
}

var line = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+([0-9.]+) ns/op`)

func main() {
	times, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	fmt.Printf("| configuration | ours (ms, median of %s) | GOMAXPROCS | reference (ms) | speed-up |\n", runsLabel(times))
	fmt.Println("| --- | --- | --- | --- | --- |")
	for _, r := range reference {
		m, procs, ok := best(times[r.name])
		if !ok {
			continue
		}
		m /= 1e6
		if r.ms == 0 {
			fmt.Printf("| %s | %.3g | %d | - | - |\n", r.what, m, procs)
			continue
		}
		fmt.Printf("| %s | %.3g | %d | %g | %.1fx |\n", r.what, m, procs, r.ms, r.ms/m)
	}
}

// best returns the smallest of the medians over the GOMAXPROCS settings a benchmark ran
// with (go test -cpu 1,2), and that setting: the reference figures are likewise the best
// of their thread settings.
func best(byProcs map[int][]float64) (ns float64, procs int, ok bool) {
	for p, ts := range byProcs {
		if m := median(ts); !ok || m < ns || (m == ns && p < procs) {
			ns, procs, ok = m, p, true
		}
	}
	return ns, procs, ok
}

// parse reads the times in ns/op of every benchmark by name and GOMAXPROCS (the -N suffix
// of the name; none means 1).
func parse(r io.Reader) (map[string]map[int][]float64, error) {
	out := map[string]map[int][]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return nil, err
		}
		procs := 1
		if m[2] != "" {
			if procs, err = strconv.Atoi(m[2][1:]); err != nil {
				return nil, err
			}
		}
		if out[m[1]] == nil {
			out[m[1]] = map[int][]float64{}
		}
		out[m[1]][procs] = append(out[m[1]][procs], v)
	}
	return out, sc.Err()
}

func runsLabel(times map[string]map[int][]float64) string {
	n := 0
	for _, byProcs := range times {
		for _, ts := range byProcs {
			n = max(n, len(ts))
		}
	}
	return fmt.Sprintf("%d runs", n)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
