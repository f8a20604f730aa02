package physionet

import (
	"math"

	"github.com/pkg/errors"
)

// Quantisations offered by the example (any whole number of minutes in 1..MaxMinute
// is accepted by Prepare).
const (
	Minute    = 1
	SixMinute = 6
	Hour      = 60
)

// Patient is a stay on its own observation grid: Times are the distinct quantised
// observation times in units of the 48-hour window (minute / MaxMinute, so in [0, 1]),
// and Values and Mask are (len(Times), NumParameters) row-major, Mask 1 where the value
// is observed and Values 0 elsewhere. Values are normalised.
type Patient struct {
	ID     int
	Death  bool
	Times  []float64
	Values []float64
	Mask   []float64
}

// Len is the number of observation times.
func (p *Patient) Len() int { return len(p.Times) }

// Observed is the number of observed values.
func (p *Patient) Observed() int {
	n := 0
	for _, m := range p.Mask {
		if m != 0 {
			n++
		}
	}
	return n
}

// Prepare quantises each stay's minutes to multiples of quantum minutes (rounded to the
// nearest), averages the values of a parameter that fall on the same quantised time (as
// Rubanova et al.'s physionet.py), normalises them with norm and returns each stay on its
// own grid. A stay with no measurement is an error naming it.
func Prepare(stays []Stay, norm *Normaliser, quantum int) ([]Patient, error) {
	if quantum < 1 || quantum > MaxMinute {
		return nil, errors.Wrapf(ErrConfig, "quantum %d minutes, want 1..%d", quantum, MaxMinute)
	}
	if err := norm.Check(); err != nil {
		return nil, err
	}
	D := NumParameters
	out := make([]Patient, 0, len(stays))
	for _, s := range stays {
		if len(s.Measurements) == 0 {
			return nil, errors.Wrapf(ErrData, "record %d has no measurement", s.ID)
		}
		p := Patient{ID: s.ID, Death: s.Death}
		var sums, counts []float64
		last := -1
		for _, m := range s.Measurements {
			q := int(math.Round(float64(m.Minute)/float64(quantum))) * quantum
			if q != last {
				p.Times = append(p.Times, float64(q)/MaxMinute)
				sums = append(sums, make([]float64, D)...)
				counts = append(counts, make([]float64, D)...)
				last = q
			}
			k := (len(p.Times)-1)*D + m.Param
			sums[k] += m.Value
			counts[k]++
		}
		p.Values = make([]float64, len(sums))
		p.Mask = make([]float64, len(sums))
		for k, c := range counts {
			if c > 0 {
				p.Values[k] = norm.Apply(k%D, sums[k]/c)
				p.Mask[k] = 1
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// HoldOut splits each patient's observed values at random into the kept ones and a
// held-out fraction frac (at least one value kept per patient): in is the patients with
// the held-out values masked out, and held has Mask 1 exactly at the held-out values
// (its Values are the patient's). Times with no kept value stay on the grid, so a model
// is asked to predict them. Seeded.
func HoldOut(ps []Patient, frac float64, seed uint64) (in, held []Patient, err error) {
	if !(frac > 0 && frac < 1) {
		return nil, nil, errors.Wrapf(ErrConfig, "hold-out fraction %v, want in (0, 1)", frac)
	}
	r := newRand(seed)
	for _, p := range ps {
		a, b := p, p
		a.Mask = append([]float64(nil), p.Mask...)
		a.Values = append([]float64(nil), p.Values...)
		b.Mask = make([]float64, len(p.Mask))
		kept := 0
		var first = -1
		for k, m := range p.Mask {
			if m == 0 {
				continue
			}
			if first < 0 {
				first = k
			}
			if r.Float64() < frac {
				a.Mask[k], a.Values[k] = 0, 0
				b.Mask[k] = 1
			} else {
				kept++
			}
		}
		if kept == 0 && first >= 0 {
			a.Mask[first], a.Values[first] = 1, p.Values[first]
			b.Mask[first] = 0
		}
		in = append(in, a)
		held = append(held, b)
	}
	return in, held, nil
}
