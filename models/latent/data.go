package latent

import (
	"bufio"
	"bytes"
	_ "embed"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/rng"
)

// ErrSeries reports a time series whose shape or contents do not fit.
var ErrSeries = errors.New("latent: invalid time series")

// ErrConfig reports an invalid configuration or argument of the latent models.
var ErrConfig = errors.New("latent: invalid latent model configuration")

// Series is a batch of N multivariate time series of D dimensions observed at irregular
// times, on a shared grid: the union of every sequence's observation times. Sequence n
// observes dimension d at Times[t] when Mask[s.Index(n, t, d)] is 1; a 0 marks a missing
// value, which every model of this package ignores (its entry of Values is never read).
// This is how Rubanova, Chen, Duvenaud (2019) batch irregularly-sampled sequences:
// solve on the union of the times and mask.
type Series struct {
	Times  []float64 // strictly increasing
	Values []float64 // N*T*D, row-major (sequence, time, dimension)
	Mask   []float64 // same shape as Values; 1 observed, 0 missing
	N, D   int
}

// Sequence is one irregularly-sampled series: its own times and values.
type Sequence struct {
	Times  []float64 // strictly increasing
	Values []float64 // len(Times)*D, row-major (time, dimension)
	Mask   []float64 // same shape as Values; nil means every value is observed
}

// NewSeries returns a Series of n sequences of dimension d on the grid times with every
// value missing.
func NewSeries(times []float64, n, d int) *Series {
	sz := n * len(times) * d
	return &Series{Times: append([]float64(nil), times...), Values: make([]float64, sz),
		Mask: make([]float64, sz), N: n, D: d}
}

// T is the number of grid times.
func (s *Series) T() int { return len(s.Times) }

// Index is the offset of (sequence n, time t, dimension d) in Values and Mask.
func (s *Series) Index(n, t, d int) int { return (n*len(s.Times)+t)*s.D + d }

// Validate checks the shapes, that the times are finite and strictly increasing, that
// the mask holds only 0 and 1 and that observed values are finite.
func (s *Series) Validate() error {
	if s == nil {
		return errors.Wrap(ErrSeries, "nil series")
	}
	if s.N < 1 || s.D < 1 || len(s.Times) < 1 {
		return errors.Wrapf(ErrSeries, "N = %d, D = %d, T = %d; want positive sizes", s.N, s.D, len(s.Times))
	}
	for i, t := range s.Times {
		if math.IsNaN(t) || math.IsInf(t, 0) || (i > 0 && !(t > s.Times[i-1])) {
			return errors.Wrapf(ErrSeries, "Times[%d] = %v; want finite, strictly increasing times", i, t)
		}
	}
	want := s.N * len(s.Times) * s.D
	if len(s.Values) != want || len(s.Mask) != want {
		return errors.Wrapf(ErrSeries, "%d values and %d mask entries for N*T*D = %d*%d*%d = %d",
			len(s.Values), len(s.Mask), s.N, len(s.Times), s.D, want)
	}
	for i, m := range s.Mask {
		if m != 0 && m != 1 {
			return errors.Wrapf(ErrSeries, "Mask[%d] = %v; want 0 or 1", i, m)
		}
		if v := s.Values[i]; m == 1 && (math.IsNaN(v) || math.IsInf(v, 0)) {
			return errors.Wrapf(ErrSeries, "observed Values[%d] = %v", i, v)
		}
	}
	return nil
}

// Clone returns a deep copy.
func (s *Series) Clone() *Series {
	return &Series{Times: append([]float64(nil), s.Times...), Values: append([]float64(nil), s.Values...),
		Mask: append([]float64(nil), s.Mask...), N: s.N, D: s.D}
}

// WithMask returns a series sharing s's times and values with another mask (copied).
func (s *Series) WithMask(mask []float64) *Series {
	return &Series{Times: s.Times, Values: s.Values, Mask: append([]float64(nil), mask...), N: s.N, D: s.D}
}

// Rows returns the sequences idx of s (copied) on the same grid.
func (s *Series) Rows(idx []int) *Series {
	out := NewSeries(s.Times, len(idx), s.D)
	w := len(s.Times) * s.D
	for i, n := range idx {
		copy(out.Values[i*w:(i+1)*w], s.Values[n*w:(n+1)*w])
		copy(out.Mask[i*w:(i+1)*w], s.Mask[n*w:(n+1)*w])
	}
	return out
}

// Observed counts the observed values.
func (s *Series) Observed() int {
	c := 0
	for _, m := range s.Mask {
		if m != 0 {
			c++
		}
	}
	return c
}

// ObservedAt reports whether sequence n observes any dimension at grid time t.
func (s *Series) ObservedAt(n, t int) bool {
	for d := 0; d < s.D; d++ {
		if s.Mask[s.Index(n, t, d)] != 0 {
			return true
		}
	}
	return false
}

// Sequence returns sequence n on its own times: the grid times at which it observes
// something, with its mask there.
func (s *Series) Sequence(n int) Sequence {
	var q Sequence
	for t := range s.Times {
		if !s.ObservedAt(n, t) {
			continue
		}
		q.Times = append(q.Times, s.Times[t])
		i := s.Index(n, t, 0)
		q.Values = append(q.Values, s.Values[i:i+s.D]...)
		q.Mask = append(q.Mask, s.Mask[i:i+s.D]...)
	}
	return q
}

// Union batches sequences of dimension d with their own times: the grid is the union of
// their times, and each sequence is masked where it has no observation.
func Union(seqs []Sequence, d int) (*Series, error) {
	if len(seqs) == 0 || d < 1 {
		return nil, errors.Wrapf(ErrSeries, "union of %d sequences of dimension %d", len(seqs), d)
	}
	var all []float64
	for i, q := range seqs {
		if len(q.Values) != len(q.Times)*d || (q.Mask != nil && len(q.Mask) != len(q.Values)) {
			return nil, errors.Wrapf(ErrSeries, "sequence %d: %d times, %d values, %d mask entries for dimension %d",
				i, len(q.Times), len(q.Values), len(q.Mask), d)
		}
		for j, t := range q.Times {
			if math.IsNaN(t) || math.IsInf(t, 0) || (j > 0 && !(t > q.Times[j-1])) {
				return nil, errors.Wrapf(ErrSeries, "sequence %d: Times[%d] = %v; want strictly increasing times", i, j, t)
			}
		}
		all = append(all, q.Times...)
	}
	sort.Float64s(all)
	grid := all[:0]
	for i, t := range all {
		if i == 0 || t != all[i-1] {
			grid = append(grid, t)
		}
	}
	s := NewSeries(grid, len(seqs), d)
	for n, q := range seqs {
		for j, t := range q.Times {
			k := sort.SearchFloat64s(s.Times, t)
			for c := 0; c < d; c++ {
				m := 1.0
				if q.Mask != nil {
					m = q.Mask[j*d+c]
				}
				if m != 0 {
					s.Values[s.Index(n, k, c)] = q.Values[j*d+c]
					s.Mask[s.Index(n, k, c)] = 1
				}
			}
		}
	}
	return s, s.Validate()
}

// SplitAt splits the observations of s at time tcut: before keeps those at times < tcut,
// after those at times >= tcut. Both share s's times and values.
func (s *Series) SplitAt(tcut float64) (before, after *Series) {
	mb := make([]float64, len(s.Mask))
	ma := make([]float64, len(s.Mask))
	for n := 0; n < s.N; n++ {
		for t, tt := range s.Times {
			for d := 0; d < s.D; d++ {
				i := s.Index(n, t, d)
				if tt < tcut {
					mb[i] = s.Mask[i]
				} else {
					ma[i] = s.Mask[i]
				}
			}
		}
	}
	return s.WithMask(mb), s.WithMask(ma)
}

// HoldOut splits the observed time points of every sequence at random: each goes to held
// with probability frac (all its dimensions together) and to kept otherwise. Both share
// s's times and values. The split depends only on seed.
func (s *Series) HoldOut(frac float64, seed uint64) (kept, held *Series) {
	src := rng.New(seed)
	mk := make([]float64, len(s.Mask))
	mh := make([]float64, len(s.Mask))
	for n := 0; n < s.N; n++ {
		for t := range s.Times {
			if !s.ObservedAt(n, t) {
				continue
			}
			dst := mk
			if src.Float64() < frac {
				dst = mh
			}
			i := s.Index(n, t, 0)
			copy(dst[i:i+s.D], s.Mask[i:i+s.D])
		}
	}
	return s.WithMask(mk), s.WithMask(mh)
}

// Subsample keeps each observed time point of every sequence with probability keep (all
// dimensions together): a sparser, irregularly-sampled series sharing s's times and
// values. The choice depends only on seed.
func (s *Series) Subsample(keep float64, seed uint64) *Series {
	_, kept := s.HoldOut(1-keep, seed)
	return kept
}

// MaskedMSE is the mean squared error of pred (laid out as s.Values) on the values that
// mask observes (mask has s.Values's layout; nil means s.Mask), and the number of them.
func (s *Series) MaskedMSE(pred, mask []float64) (mse float64, n int) {
	if mask == nil {
		mask = s.Mask
	}
	for i, m := range mask {
		if m != 0 {
			d := pred[i] - s.Values[i]
			mse += d * d
			n++
		}
	}
	if n > 0 {
		mse /= float64(n)
	}
	return mse, n
}

// PeriodicConfig configures Periodic. Zero fields take the documented defaults, which
// are those of Rubanova et al. (2019), lib/generate_timeseries.py, with a random phase
// added.
type PeriodicConfig struct {
	N        int     // sequences (default 1000)
	Times    int     // grid times, the first at 0 (default 100)
	MaxT     float64 // the grid is sorted uniform times on [0, MaxT] (default 5)
	FreqMin  float64 // frequencies are uniform on [FreqMin, FreqMax] (default 0.4)
	FreqMax  float64 // (default 0.8)
	Amp      float64 // amplitude (default 1)
	Offset   float64 // mean level; each sequence adds N(0, 0.1²) to it as Rubanova's (default 1)
	Noise    float64 // standard deviation of the Gaussian observation noise (default 0.01; negative: none)
	Keep     float64 // each sequence observes each grid time with this probability (default 1)
	NoPhase  bool    // phase 0 at t = 0 (Rubanova's choice) instead of uniform on [0, 2π)
	Seed     uint64
	GridSeed uint64 // seeds the grid separately when nonzero (train and test sets on one grid)
}

// Periodic returns the periodic toy of Rubanova, Chen, Duvenaud (2019): one-dimensional
// sine waves x(t) = Offset + e + Amp·sin(2π f t + φ) with a random frequency f, phase φ
// and level e per sequence, observed with Gaussian noise on a shared grid of irregular
// times (sorted uniform times on [0, MaxT], the first at 0), each sequence observing a
// random subset (Keep) of them. It also returns the noiseless values on the whole grid.
func Periodic(cfg PeriodicConfig) (obs, clean *Series) {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if cfg.N <= 0 {
		cfg.N = 1000
	}
	if cfg.Times <= 0 {
		cfg.Times = 100
	}
	def(&cfg.MaxT, 5)
	def(&cfg.FreqMin, 0.4)
	def(&cfg.FreqMax, 0.8)
	def(&cfg.Amp, 1)
	def(&cfg.Offset, 1)
	def(&cfg.Noise, 0.01)
	def(&cfg.Keep, 1)
	gseed := cfg.GridSeed
	if gseed == 0 {
		gseed = rng.Derive(cfg.Seed, 1)
	}
	g := rng.New(gseed)
	times := make([]float64, cfg.Times)
	for i := 1; i < cfg.Times; i++ {
		times[i] = cfg.MaxT * g.Float64()
	}
	sort.Float64s(times)
	times = latDedupe(times)
	obs = NewSeries(times, cfg.N, 1)
	clean = NewSeries(times, cfg.N, 1)
	src := rng.NewStream(cfg.Seed, 2)
	for n := 0; n < cfg.N; n++ {
		f := cfg.FreqMin + (cfg.FreqMax-cfg.FreqMin)*src.Float64()
		phi := 2 * math.Pi * src.Float64()
		if cfg.NoPhase {
			phi = 0
		}
		level := cfg.Offset + 0.1*src.NormFloat64()
		for t, tt := range times {
			v := level + cfg.Amp*math.Sin(2*math.Pi*f*tt+phi)
			i := clean.Index(n, t, 0)
			clean.Values[i], clean.Mask[i] = v, 1
			noise := src.NormFloat64()
			keep := src.Float64() < cfg.Keep
			if cfg.Noise > 0 {
				v += cfg.Noise * noise
			}
			if keep {
				obs.Values[i], obs.Mask[i] = v, 1
			}
		}
	}
	return obs, clean
}

func latDedupe(sorted []float64) []float64 {
	out := sorted[:0]
	for i, t := range sorted {
		if i == 0 || t != sorted[i-1] {
			out = append(out, t)
		}
	}
	return out
}

// SpiralConfig configures Spirals. Zero fields take the defaults of torchdiffeq's
// latent-ODE example (examples/latent_ode.py, generate_spiral2d with its arguments).
type SpiralConfig struct {
	N      int     // spirals (default 1000)
	Total  int     // points of the underlying trajectories (default 1000)
	Sample int     // consecutive points observed per spiral (default 100)
	Stop   float64 // the trajectories run over [0, Stop] (default 6π)
	Noise  float64 // standard deviation of the observation noise (default 0.3; negative: none)
	A, B   float64 // radius a + b·θ (defaults 0 and 0.3)
	Seed   uint64
}

// Spirals returns the two-dimensional spirals of torchdiffeq's latent-ODE example: each
// sequence is Sample consecutive points of a clockwise or a counter-clockwise spiral
// (chosen at random) starting at a random index, with Gaussian noise; all share the times
// linspace(0, Stop, Total)[:Sample]. It also returns the noiseless values.
func Spirals(cfg SpiralConfig) (obs, clean *Series) {
	if cfg.N <= 0 {
		cfg.N = 1000
	}
	if cfg.Total <= 0 {
		cfg.Total = 1000
	}
	if cfg.Sample <= 0 {
		cfg.Sample = 100
	}
	if cfg.Stop == 0 {
		cfg.Stop = 6 * math.Pi
	}
	if cfg.Noise == 0 {
		cfg.Noise = 0.3
	}
	if cfg.B == 0 {
		cfg.B = 0.3
	}
	orig := make([]float64, cfg.Total)
	for i := range orig {
		orig[i] = cfg.Stop * float64(i) / float64(cfg.Total-1)
	}
	// Clockwise: z = stop + 1 - t, r = a + 50b/z, centred at (-5, 0); counter-clockwise:
	// z = t, r = a + b z, centred at (5, 0).
	traj := func(cc bool, i int) (x, y float64) {
		if cc {
			z := orig[i]
			r := cfg.A + cfg.B*z
			return r*math.Cos(z) + 5, r * math.Sin(z)
		}
		z := cfg.Stop + 1 - orig[i]
		r := cfg.A + cfg.B*50/z
		return r*math.Cos(z) - 5, r * math.Sin(z)
	}
	obs = NewSeries(orig[:cfg.Sample], cfg.N, 2)
	clean = NewSeries(orig[:cfg.Sample], cfg.N, 2)
	src := rng.New(cfg.Seed)
	span := max(cfg.Total-2*cfg.Sample, 1)
	for n := 0; n < cfg.N; n++ {
		t0 := src.Intn(span) + cfg.Sample
		cc := src.Float64() > 0.5
		for t := 0; t < cfg.Sample; t++ {
			x, y := traj(cc, min(t0+t, cfg.Total-1))
			i := clean.Index(n, t, 0)
			clean.Values[i], clean.Values[i+1] = x, y
			clean.Mask[i], clean.Mask[i+1] = 1, 1
			if cfg.Noise > 0 {
				x += cfg.Noise * src.NormFloat64()
				y += cfg.Noise * src.NormFloat64()
			}
			obs.Values[i], obs.Values[i+1] = x, y
			obs.Mask[i], obs.Mask[i+1] = 1, 1
		}
	}
	return obs, clean
}

// CO2 is the Mauna Loa weekly CO2 record: Times in decimal years (the day of the sample
// divided by the length of its year), PPM in parts per million, NaN where the week has no
// value.
type CO2 struct {
	Times []float64
	PPM   []float64
}

//go:embed data/co2.csv
var co2CSV []byte

// MaunaLoaCO2 returns the Mauna Loa weekly CO2 record of 1958-2001 (Keeling and Whorf
// 2004; 2284 weeks, 59 of them missing) that is embedded in this package (data/co2.csv,
// provenance in data/README.md).
func MaunaLoaCO2() (*CO2, error) {
	c, err := ReadCO2(bytes.NewReader(co2CSV))
	return c, errors.Wrap(err, "embedded co2")
}

// LoadCO2 reads a CO2 record in the format of the embedded data/co2.csv (header
// "date,co2", dates as YYYYMMDD, an empty value for a missing week) from the file at path.
func LoadCO2(path string) (*CO2, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "load co2")
	}
	defer f.Close()
	c, err := ReadCO2(f)
	return c, errors.Wrapf(err, "load co2 %s", path)
}

// ReadCO2 reads the CO2 record from r (see LoadCO2).
func ReadCO2(r io.Reader) (*CO2, error) {
	sc := bufio.NewScanner(r)
	c := &CO2{}
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if line == 1 {
			if s != "date,co2" {
				return nil, errors.Wrapf(ErrSeries, "header %q; want \"date,co2\"", s)
			}
			continue
		}
		if s == "" {
			continue
		}
		date, val, ok := strings.Cut(s, ",")
		if !ok {
			return nil, errors.Wrapf(ErrSeries, "line %d: %q has no comma", line, s)
		}
		day, err := time.Parse("20060102", date)
		if err != nil {
			return nil, errors.Wrapf(ErrSeries, "line %d: date %q", line, date)
		}
		y := day.Year()
		start := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		end := time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
		t := float64(y) + day.Sub(start).Hours()/end.Sub(start).Hours()
		if n := len(c.Times); n > 0 && !(t > c.Times[n-1]) {
			return nil, errors.Wrapf(ErrSeries, "line %d: date %s is not after the previous one", line, date)
		}
		v := math.NaN()
		if val = strings.TrimSpace(val); val != "" {
			if v, err = strconv.ParseFloat(val, 64); err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, errors.Wrapf(ErrSeries, "line %d: value %q", line, val)
			}
		}
		c.Times = append(c.Times, t)
		c.PPM = append(c.PPM, v)
	}
	if err := sc.Err(); err != nil {
		return nil, errors.Wrap(err, "read co2")
	}
	if len(c.Times) == 0 {
		return nil, errors.Wrap(ErrSeries, "no data")
	}
	return c, nil
}

// Missing counts the weeks without a value.
func (c *CO2) Missing() int {
	n := 0
	for _, v := range c.PPM {
		if math.IsNaN(v) {
			n++
		}
	}
	return n
}

// CO2Windows configures Windows.
type CO2Windows struct {
	Start, End float64 // windows start at or after Start and end at or before End (years)
	Length     float64 // window length in years (default 2)
	Stride     float64 // years between window starts (default 0.25)
	Keep       float64 // each available week is kept with this probability (default 0.5)
	Seed       uint64  // seeds the subsampling
}

// Windows cuts the record into windows of Length years starting every Stride years in
// [Start, End]. Each window is a sequence on a weekly grid of times relative to its start
// (in years, the first week at 0, week k at 7k/365.25): the weeks without a value (the
// record's gaps) are missing, and each remaining week is kept with probability Keep,
// which makes the series sparser and irregularly sampled. Values are in ppm; Center
// normalizes them. starts holds each window's absolute start time.
func (c *CO2) Windows(w CO2Windows) (s *Series, starts []float64, err error) {
	if w.Length == 0 {
		w.Length = 2
	}
	if w.Stride == 0 {
		w.Stride = 0.25
	}
	if w.Keep == 0 {
		w.Keep = 0.5
	}
	if !(w.Length > 0) || !(w.Stride > 0) || !(w.End-w.Start >= w.Length) {
		return nil, nil, errors.Wrapf(ErrSeries, "windows of %g years every %g years in [%g, %g]", w.Length, w.Stride, w.Start, w.End)
	}
	const week = 7 / 365.25
	nweek := int(math.Floor(w.Length/week + 1e-9))
	grid := make([]float64, nweek)
	for i := range grid {
		grid[i] = float64(i) * week
	}
	var seqs [][]float64 // per window: nweek values, NaN missing
	for a := w.Start; a+w.Length <= w.End+1e-9; a += w.Stride {
		i0 := sort.SearchFloat64s(c.Times, a)
		if i0+nweek > len(c.Times) {
			break
		}
		seqs = append(seqs, c.PPM[i0:i0+nweek])
		starts = append(starts, c.Times[i0])
	}
	if len(seqs) == 0 {
		return nil, nil, errors.Wrapf(ErrSeries, "no window of %g years fits in [%g, %g]", w.Length, w.Start, w.End)
	}
	s = NewSeries(grid, len(seqs), 1)
	src := rng.New(w.Seed)
	for n, vals := range seqs {
		for k, v := range vals {
			keep := src.Float64() < w.Keep
			if math.IsNaN(v) || !keep {
				continue
			}
			s.Values[s.Index(n, k, 0)] = v
			s.Mask[s.Index(n, k, 0)] = 1
		}
	}
	return s, starts, s.Validate()
}

// Center returns s with every value of sequence n replaced by (v - level_n)/scale, where
// level_n is the mean of the values that visible observes in that sequence (per
// dimension; visible shares s's grid, nil means s itself), so that a model predicting
// from visible sees nothing else. It also returns the levels (N*D).
func (s *Series) Center(visible *Series, scale float64) (*Series, []float64) {
	if visible == nil {
		visible = s
	}
	out := s.Clone()
	levels := make([]float64, s.N*s.D)
	for n := 0; n < s.N; n++ {
		for d := 0; d < s.D; d++ {
			sum, cnt := 0.0, 0
			for t := range s.Times {
				if i := s.Index(n, t, d); visible.Mask[i] != 0 {
					sum += visible.Values[i]
					cnt++
				}
			}
			if cnt > 0 {
				levels[n*s.D+d] = sum / float64(cnt)
			}
			for t := range s.Times {
				i := s.Index(n, t, d)
				out.Values[i] = (s.Values[i] - levels[n*s.D+d]) / scale
				if s.Mask[i] == 0 {
					out.Values[i] = 0
				}
			}
		}
	}
	return out, levels
}

// SegmentedCosine is the data of torchsde's latent-SDE toy example (examples/latent_sde.py):
// one series x(t) = cos(2πt) observed at 10 times evenly spaced on [0.3, 0.8] and 10 on
// [1.2, 1.5], on a grid that also holds the unobserved times 0 and 2 (where the example
// starts and ends its solves).
func SegmentedCosine() *Series {
	var times []float64
	times = append(times, 0)
	for i := 0; i < 10; i++ {
		times = append(times, 0.3+0.5*float64(i)/9)
	}
	for i := 0; i < 10; i++ {
		times = append(times, 1.2+0.3*float64(i)/9)
	}
	times = append(times, 2)
	s := NewSeries(times, 1, 1)
	for t, tt := range times {
		if t == 0 || t == len(times)-1 {
			continue
		}
		s.Values[t] = math.Cos(2 * math.Pi * tt)
		s.Mask[t] = 1
	}
	return s
}

// Join stacks the sequences of series on the same grid and of the same dimension.
func Join(ss ...*Series) (*Series, error) {
	if len(ss) == 0 {
		return nil, errors.Wrap(ErrSeries, "join of no series")
	}
	n := 0
	for i, s := range ss {
		if s.D != ss[0].D || len(s.Times) != len(ss[0].Times) {
			return nil, errors.Wrapf(ErrSeries, "join: series %d has dimension %d on %d times, series 0 %d on %d", i, s.D, len(s.Times), ss[0].D, len(ss[0].Times))
		}
		for k, t := range s.Times {
			if t != ss[0].Times[k] {
				return nil, errors.Wrapf(ErrSeries, "join: series %d has another grid", i)
			}
		}
		n += s.N
	}
	out := NewSeries(ss[0].Times, n, ss[0].D)
	out.Values, out.Mask = out.Values[:0], out.Mask[:0]
	for _, s := range ss {
		out.Values = append(out.Values, s.Values...)
		out.Mask = append(out.Mask, s.Mask...)
	}
	return out, nil
}
