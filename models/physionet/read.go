package physionet

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Sentinel errors; every error of this package wraps one of them.
var (
	ErrFormat = errors.New("physionet: malformed input")
	ErrConfig = errors.New("physionet: invalid configuration")
	ErrData   = errors.New("physionet: unusable data")
)

// Measurement is one line of a record file: a parameter (its column in Parameters)
// measured at a minute since admission.
type Measurement struct {
	Minute int
	Param  int
	Value  float64
}

// Record is one ICU stay: its measurements sorted by minute (stable, so that lines of
// the same minute keep the order of the file).
type Record struct {
	ID           int
	Measurements []Measurement
}

// ReadStats counts what ReadRecords read and what it skipped on purpose.
type ReadStats struct {
	Lines   int // data lines (without the header)
	Unknown int // static descriptors with value -1 at minute 0 (unknown), skipped
	IDLines int // the RecordID lines, which carry no measurement
}

// open returns a reader of path, decompressed when the name ends in ".gz".
func open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrapf(ErrData, "%v", err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, errors.Wrapf(ErrFormat, "%s: %v", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{z, closers{z, f}}, nil
}

type closers []io.Closer

func (c closers) Close() error {
	var first error
	for _, x := range c {
		if err := x.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// LoadRecords reads a record file (gzip-compressed when its name ends in ".gz").
func LoadRecords(path string) ([]Record, ReadStats, error) {
	r, err := open(path)
	if err != nil {
		return nil, ReadStats{}, err
	}
	defer r.Close()
	return ReadRecords(r, path)
}

// ReadRecords parses a record file with header "record_id,minute,parameter,value"; name
// is the file's name in error messages. A record's lines need not be contiguous; records
// come back in the order of their first line. Every line must have four fields, an
// integer record id, a minute in 0..MaxMinute, a parameter among Parameters or
// "RecordID" (skipped), and a finite value. A static descriptor (Age, Gender, Height,
// Weight) of -1 at minute 0 means unknown and is skipped (counted in ReadStats.Unknown).
func ReadRecords(r io.Reader, name string) ([]Record, ReadStats, error) {
	var st ReadStats
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, st, errors.Wrapf(ErrFormat, "%s: %v", name, err)
		}
		return nil, st, errors.Wrapf(ErrFormat, "%s: empty file, want the header record_id,minute,parameter,value", name)
	}
	line++
	if h := strings.TrimSpace(sc.Text()); h != "record_id,minute,parameter,value" {
		return nil, st, errors.Wrapf(ErrFormat, "%s:1: header %q, want record_id,minute,parameter,value", name, h)
	}
	index := map[int]int{}
	var recs []Record
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		st.Lines++
		f := strings.Split(text, ",")
		if len(f) != 4 {
			return nil, st, errors.Wrapf(ErrFormat, "%s:%d: %d fields in %q, want record_id,minute,parameter,value", name, line, len(f), text)
		}
		id, err := strconv.Atoi(f[0])
		if err != nil || id < 0 {
			return nil, st, errors.Wrapf(ErrFormat, "%s:%d: record id %q is not a non-negative integer", name, line, f[0])
		}
		minute, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, st, errors.Wrapf(ErrFormat, "%s:%d: minute %q is not an integer", name, line, f[1])
		}
		if minute < 0 || minute > MaxMinute {
			return nil, st, errors.Wrapf(ErrFormat, "%s:%d: minute %d outside 0..%d", name, line, minute, MaxMinute)
		}
		v, err := strconv.ParseFloat(f[3], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, st, errors.Wrapf(ErrFormat, "%s:%d: value %q is not a finite number", name, line, f[3])
		}
		k, ok := index[id]
		if !ok {
			k = len(recs)
			index[id] = k
			recs = append(recs, Record{ID: id})
		}
		if f[2] == "RecordID" {
			st.IDLines++
			if v != float64(id) {
				return nil, st, errors.Wrapf(ErrFormat, "%s:%d: RecordID value %v in record %d", name, line, v, id)
			}
			continue
		}
		p := ParameterIndex(f[2])
		if p < 0 {
			return nil, st, errors.Wrapf(ErrFormat, "%s:%d: unknown parameter %q (want one of the %d of physionet.Parameters)", name, line, f[2], NumParameters)
		}
		if v == -1 && minute == 0 && staticParams[f[2]] {
			st.Unknown++
			continue
		}
		recs[k].Measurements = append(recs[k].Measurements, Measurement{Minute: minute, Param: p, Value: v})
	}
	if err := sc.Err(); err != nil {
		return nil, st, errors.Wrapf(ErrFormat, "%s:%d: %v", name, line+1, err)
	}
	for i := range recs {
		ms := recs[i].Measurements
		sort.SliceStable(ms, func(a, b int) bool { return ms[a].Minute < ms[b].Minute })
	}
	return recs, st, nil
}

// Outcome is one line of an outcomes file.
type Outcome struct {
	ID    int
	Death bool // In-hospital_death
	Line  int  // the line of the file it came from
}

// LoadOutcomes reads an outcomes file.
func LoadOutcomes(path string) ([]Outcome, error) {
	r, err := open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return ReadOutcomes(r, path)
}

// ReadOutcomes parses an outcomes file whose header names the columns RecordID and
// In-hospital_death (the challenge's Outcomes-a.txt has six columns; only those two are
// read). In-hospital_death must be 0 or 1; a record id may appear once.
func ReadOutcomes(r io.Reader, name string) ([]Outcome, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		return nil, errors.Wrapf(ErrFormat, "%s: empty file, want a header with RecordID and In-hospital_death", name)
	}
	head := strings.Split(strings.TrimSpace(sc.Text()), ",")
	idCol, deathCol := -1, -1
	for i, h := range head {
		switch h {
		case "RecordID":
			idCol = i
		case "In-hospital_death":
			deathCol = i
		}
	}
	if idCol < 0 || deathCol < 0 {
		return nil, errors.Wrapf(ErrFormat, "%s:1: header %q lacks RecordID or In-hospital_death", name, sc.Text())
	}
	seen := map[int]int{}
	var out []Outcome
	line := 1
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f := strings.Split(text, ",")
		if len(f) != len(head) {
			return nil, errors.Wrapf(ErrFormat, "%s:%d: %d fields, the header has %d", name, line, len(f), len(head))
		}
		id, err := strconv.Atoi(f[idCol])
		if err != nil || id < 0 {
			return nil, errors.Wrapf(ErrFormat, "%s:%d: RecordID %q is not a non-negative integer", name, line, f[idCol])
		}
		if prev, dup := seen[id]; dup {
			return nil, errors.Wrapf(ErrFormat, "%s:%d: record %d already has an outcome on line %d", name, line, id, prev)
		}
		seen[id] = line
		var death bool
		switch f[deathCol] {
		case "0":
		case "1":
			death = true
		default:
			return nil, errors.Wrapf(ErrFormat, "%s:%d: In-hospital_death %q, want 0 or 1", name, line, f[deathCol])
		}
		out = append(out, Outcome{ID: id, Death: death, Line: line})
	}
	if err := sc.Err(); err != nil {
		return nil, errors.Wrapf(ErrFormat, "%s:%d: %v", name, line+1, err)
	}
	return out, nil
}

// Stay is a record with its outcome.
type Stay struct {
	Record
	Death bool
}

// Join pairs records with outcomes, in the order of the records. A record without an
// outcome is an error naming it; outcomes without a record (set A's outcomes list four
// stays that have no measurement) are skipped and counted in skipped.
func Join(recs []Record, outs []Outcome, outcomesName string) (stays []Stay, skipped int, err error) {
	byID := make(map[int]Outcome, len(outs))
	for _, o := range outs {
		byID[o.ID] = o
	}
	used := 0
	for _, r := range recs {
		o, ok := byID[r.ID]
		if !ok {
			return nil, 0, errors.Wrapf(ErrData, "%s: no outcome for record %d", outcomesName, r.ID)
		}
		used++
		stays = append(stays, Stay{Record: r, Death: o.Death})
	}
	return stays, len(outs) - used, nil
}
