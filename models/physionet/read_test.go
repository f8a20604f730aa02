package physionet

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/errors"
)

var (
	fixture         = filepath.Join("..", "..", "testdata", "physionet", "fixture.csv")
	fixtureOutcomes = filepath.Join("..", "..", "testdata", "physionet", "fixture-outcomes.csv")
)

func loadFixture(t testing.TB) []Stay {
	t.Helper()
	recs, st, err := LoadRecords(fixture)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := LoadOutcomes(fixtureOutcomes)
	if err != nil {
		t.Fatal(err)
	}
	stays, skipped, err := Join(recs, outs, fixtureOutcomes)
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 0 || len(stays) != 24 || st.IDLines != 24 {
		t.Fatalf("fixture: %d stays, %d skipped outcomes, %d RecordID lines; want 24, 0, 24", len(stays), skipped, st.IDLines)
	}
	return stays
}

func TestReadFixture(t *testing.T) {
	stays := loadFixture(t)
	deaths := 0
	for _, s := range stays {
		if s.Death {
			deaths++
		}
		for i, m := range s.Measurements {
			if i > 0 && m.Minute < s.Measurements[i-1].Minute {
				t.Fatalf("record %d: measurements not sorted at %d", s.ID, i)
			}
		}
	}
	if deaths != 8 {
		t.Errorf("%d deaths in the fixture, want 8", deaths)
	}
	// The first record's first lines (testdata/physionet/fixture.csv): Age 54, Gender 0,
	// Height -1 and Weight -1 (unknown, skipped), then GCS 15 at minute 7.
	ms := stays[0].Measurements
	if stays[0].ID != 132539 || ms[0] != (Measurement{0, ParameterIndex("Age"), 54}) || ms[1] != (Measurement{0, ParameterIndex("Gender"), 0}) || ms[2] != (Measurement{7, ParameterIndex("GCS"), 15}) {
		t.Errorf("first record %d starts %v", stays[0].ID, ms[:3])
	}
}

// TestReadFullSetA reads the whole of set A: 3,996 stays, and four outcomes without a
// record (139060, 140501, 140936, 141264).
func TestReadFullSetA(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 1.75 million lines")
	}
	recs, st, err := LoadRecords(filepath.Join("..", "..", "testdata", "physionet", "physionet2012-a.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	outs, err := LoadOutcomes(filepath.Join("..", "..", "testdata", "physionet", "physionet2012-outcomes-a.csv"))
	if err != nil {
		t.Fatal(err)
	}
	stays, skipped, err := Join(recs, outs, "outcomes")
	if err != nil {
		t.Fatal(err)
	}
	if len(stays) != 3996 || skipped != 4 || st.Lines != 1754430 {
		t.Errorf("%d stays, %d skipped, %d lines; want 3996, 4, 1754430", len(stays), skipped, st.Lines)
	}
}

func TestReadBadInput(t *testing.T) {
	const head = "record_id,minute,parameter,value\n"
	for _, c := range []struct{ name, in, want string }{
		{"unknown parameter", head + "1,0,Age,50\n1,5,Pulse,80\n", "f.csv:3: unknown parameter \"Pulse\""},
		{"three fields", head + "1,0,Age\n", "f.csv:2: 3 fields"},
		{"negative minute", head + "1,-5,HR,80\n", "f.csv:2: minute -5 outside 0..2880"},
		{"late minute", head + "1,0,HR,80\n1,2881,HR,80\n", "f.csv:3: minute 2881 outside 0..2880"},
		{"minute not a number", head + "1,5m,HR,80\n", "f.csv:2: minute \"5m\" is not an integer"},
		{"value not a number", head + "1,5,HR,eighty\n", "f.csv:2: value \"eighty\" is not a finite number"},
		{"nan value", head + "1,5,HR,NaN\n", "f.csv:2: value \"NaN\""},
		{"bad id", head + "x,5,HR,80\n", "f.csv:2: record id \"x\""},
		{"bad header", "id,minute,parameter,value\n", "f.csv:1: header"},
		{"empty", "", "f.csv: empty file"},
	} {
		_, _, err := ReadRecords(strings.NewReader(c.in), "f.csv")
		if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrFormat with %q", c.name, err, c.want)
		}
	}
	const oh = "RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death\n"
	for _, c := range []struct{ name, in, want string }{
		{"death 2", oh + "1,6,1,5,-1,2\n", "o.csv:2: In-hospital_death \"2\""},
		{"short line", oh + "1,6,1\n", "o.csv:2: 3 fields"},
		{"duplicate", oh + "1,6,1,5,-1,0\n1,6,1,5,-1,1\n", "o.csv:3: record 1 already has an outcome on line 2"},
		{"no death column", "RecordID,SOFA\n", "o.csv:1: header"},
	} {
		_, err := ReadOutcomes(strings.NewReader(c.in), "o.csv")
		if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrFormat with %q", c.name, err, c.want)
		}
	}
	recs, _, err := ReadRecords(strings.NewReader(head+"1,0,Age,50\n2,0,Age,60\n"), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	outs, err := ReadOutcomes(strings.NewReader(oh+"1,6,1,5,-1,0\n"), "o.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Join(recs, outs, "o.csv"); err == nil || !errors.Is(err, ErrData) || !strings.Contains(err.Error(), "o.csv: no outcome for record 2") {
		t.Errorf("record without outcome: %v", err)
	}
}

func TestPrepareQuantiseAverage(t *testing.T) {
	const in = "record_id,minute,parameter,value\n7,0,Weight,-1\n7,0,Age,40\n7,29,HR,80\n7,31,HR,90\n7,31,Temp,37\n7,95,HR,100\n"
	recs, st, err := ReadRecords(strings.NewReader(in), "r.csv")
	if err != nil {
		t.Fatal(err)
	}
	if st.Unknown != 1 {
		t.Errorf("%d unknown descriptors skipped, want 1", st.Unknown)
	}
	stays := []Stay{{Record: recs[0]}}
	norm := &Normaliser{Min: make([]float64, NumParameters), Max: make([]float64, NumParameters)}
	for p := range norm.Max {
		norm.Max[p] = 100
	}
	hr, temp, age := ParameterIndex("HR"), ParameterIndex("Temp"), ParameterIndex("Age")
	// Hourly: minutes 29 -> 0, 31 -> 60, 95 -> 120; the two HR at minute 31 and 29 fall on
	// different hours.
	ps, err := Prepare(stays, norm, Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	wantT := []float64{0, 60.0 / 2880, 120.0 / 2880}
	if len(p.Times) != 3 || p.Times[0] != wantT[0] || p.Times[1] != wantT[1] || p.Times[2] != wantT[2] {
		t.Fatalf("hourly times %v, want %v", p.Times, wantT)
	}
	D := NumParameters
	check := func(k, param int, want float64) {
		t.Helper()
		if p.Mask[k*D+param] != 1 || math.Abs(p.Values[k*D+param]-want) > 1e-15 {
			t.Errorf("time %d %s: value %v mask %v, want %v", k, Parameters[param], p.Values[k*D+param], p.Mask[k*D+param], want)
		}
	}
	check(0, age, 0.4)
	check(0, hr, 0.8)
	check(1, hr, 0.9)
	check(1, temp, 0.37)
	check(2, hr, 1)
	if p.Observed() != 5 {
		t.Errorf("%d observed values, want 5", p.Observed())
	}
	// Two-hourly quantum 120: 29 -> 0, 31 -> 0, 95 -> 120: the HR of minutes 29 and 31 are
	// averaged, and Weight stays missing.
	if ps, err = Prepare(stays, norm, 120); err != nil {
		t.Fatal(err)
	}
	p = ps[0]
	if len(p.Times) != 2 {
		t.Fatalf("times %v", p.Times)
	}
	check(0, hr, 0.85)
	if p.Mask[ParameterIndex("Weight")] != 0 {
		t.Error("unknown weight is observed")
	}
	if _, err := Prepare(stays, norm, 0); !errors.Is(err, ErrConfig) {
		t.Errorf("quantum 0: %v", err)
	}
}

func TestSplitNormaliser(t *testing.T) {
	stays := loadFixture(t)
	s1, err := SplitStays(stays, Fractions{Train: 0.5, Validation: 0.25}, 3)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := SplitStays(stays, Fractions{Train: 0.5, Validation: 0.25}, 3)
	count := func(idx []int) (n, d int) {
		for _, i := range idx {
			n++
			if stays[i].Death {
				d++
			}
		}
		return
	}
	// 8 deaths and 16 survivors cut 50/25/25 in each class.
	for i, part := range [][]int{s1.Train, s1.Validation, s1.Test} {
		n, d := count(part)
		want := [][2]int{{12, 4}, {6, 2}, {6, 2}}[i]
		if n != want[0] || d != want[1] {
			t.Errorf("part %d: %d stays with %d deaths, want %v", i, n, d, want)
		}
	}
	inPart := map[int]bool{}
	for i := range s1.Train {
		if s1.Train[i] != s2.Train[i] {
			t.Fatal("same seed, different split")
		}
	}
	for _, part := range [][]int{s1.Train, s1.Validation, s1.Test} {
		for _, i := range part {
			if inPart[i] {
				t.Fatalf("stay %d in two parts", i)
			}
			inPart[i] = true
		}
	}
	if _, err := SplitStays(stays, Fractions{Train: 0.9, Validation: 0.2}, 1); !errors.Is(err, ErrConfig) {
		t.Errorf("fractions over 1: %v", err)
	}
	train := Pick(stays, s1.Train)
	norm, err := FitNormaliser(train)
	if err != nil {
		t.Fatal(err)
	}
	// Training values map into [0, 1] with both ends reached for every parameter seen;
	// the statistics ignore the other parts.
	ps, err := Prepare(train, norm, Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		for k, m := range p.Mask {
			if v := p.Values[k]; m != 0 && (v < 0 || v > 1) {
				t.Fatalf("training value %v outside [0, 1]", v)
			}
		}
	}
	// Both ends of every range are training measurements.
	lo, hi, seen := make([]bool, NumParameters), make([]bool, NumParameters), make([]bool, NumParameters)
	for _, s := range train {
		for _, m := range s.Measurements {
			seen[m.Param] = true
			lo[m.Param] = lo[m.Param] || norm.Apply(m.Param, m.Value) == 0
			hi[m.Param] = hi[m.Param] || norm.Apply(m.Param, m.Value) == 1
		}
	}
	for q := range lo {
		if seen[q] && norm.Max[q] > norm.Min[q] && !(lo[q] && hi[q]) {
			t.Errorf("%s: range ends not reached", Parameters[q])
		}
	}
	all, _ := FitNormaliser(stays)
	differs := false
	for q := range all.Min {
		differs = differs || all.Min[q] != norm.Min[q] || all.Max[q] != norm.Max[q]
	}
	if !differs {
		t.Error("training statistics equal those of all stays; the fixture cannot tell them apart")
	}
}
