package physionet

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/continuum-ml/continuum/odeop"
)

var (
	setAOnce sync.Once
	setA     []Stay
	setAErr  error
)

// loadSetA reads the full set A once per test binary.
func loadSetA(b testing.TB) []Stay {
	setAOnce.Do(func() {
		dir := filepath.Join("..", "..", "testdata", "physionet")
		recs, _, err := LoadRecords(filepath.Join(dir, "physionet2012-a.csv.gz"))
		if err != nil {
			setAErr = err
			return
		}
		outs, err := LoadOutcomes(filepath.Join(dir, "physionet2012-outcomes-a.csv"))
		if err != nil {
			setAErr = err
			return
		}
		setA, _, setAErr = Join(recs, outs, "outcomes")
	})
	if setAErr != nil {
		b.Fatal(setAErr)
	}
	return setA
}

// benchBatch is the first 50 stays of set A on a quantum-minute grid, normalised with
// their own statistics.
func benchBatch(b *testing.B, quantum int) []Patient {
	stays := loadSetA(b)[:50]
	norm, err := FitNormaliser(stays)
	if err != nil {
		b.Fatal(err)
	}
	ps, err := Prepare(stays, norm, quantum)
	if err != nil {
		b.Fatal(err)
	}
	return ps
}

// benchEncoder times one training pass (forward and backward) of the ODE-RNN classifier
// (40 GRU units, dynamics 40-64-40, the package defaults) on a batch of 50 stays, laid
// out per row (GapScaled) or on the union of the batch's times, and reports the solver's
// evaluations per pass.
func benchEncoder(b *testing.B, quantum int, union bool, cfg Config) {
	ps := benchBatch(b, quantum)
	if union {
		ps = UnionGrid(ps)
	}
	cfg.Kind, cfg.Batch = ODERNN, 50
	m, err := NewModel(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if _, _, err := m.runBatch(ps, nil, true, 1, nil); err != nil { // builds the graph
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var fwd, bwd int
	for i := 0; i < b.N; i++ {
		_, res, err := m.runBatch(ps, nil, true, 1, nil)
		if err != nil {
			b.Fatal(err)
		}
		fwd, bwd = res.fwd.NFE, res.bwd.NFE
	}
	b.ReportMetric(float64(fwd), "fwdNFE/op")
	b.ReportMetric(float64(bwd), "bwdNFE/op")
	b.ReportMetric(float64(roundSteps(maxLen(ps))), "steps")
}

func BenchmarkEncoderPerRow1Min(b *testing.B) { benchEncoder(b, Minute, false, Config{}) }
func BenchmarkEncoderUnion1Min(b *testing.B)  { benchEncoder(b, Minute, true, Config{}) }
func BenchmarkEncoderPerRow6Min(b *testing.B) { benchEncoder(b, SixMinute, false, Config{}) }
func BenchmarkEncoderUnion6Min(b *testing.B)  { benchEncoder(b, SixMinute, true, Config{}) }
func BenchmarkEncoderPerRowHour(b *testing.B) { benchEncoder(b, Hour, false, Config{}) }
func BenchmarkEncoderUnionHour(b *testing.B)  { benchEncoder(b, Hour, true, Config{}) }

// BenchmarkEncoderMethods is the per-row pass on the 1-minute grid with each solver of
// the gap solves: dopri5 (rtol 1e-3, atol 1e-4), and fixed steps in s of rk4, midpoint
// and Euler.
func BenchmarkEncoderMethods(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"dopri5", Config{}},
		{"rk4-0.5", Config{Method: odeop.RK4, Step: 0.5}},
		{"midpoint-0.5", Config{Method: odeop.Midpoint, Step: 0.5}},
		{"midpoint-1", Config{Method: odeop.Midpoint, Step: 1}},
		{"euler-1", Config{Method: odeop.Euler, Step: 1}},
	} {
		b.Run(c.name, func(b *testing.B) { benchEncoder(b, Minute, false, c.cfg) })
	}
}
