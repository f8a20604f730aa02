package physionet

import (
	"github.com/pkg/errors"
)

// Fractions are the shares of the train, validation and test parts of a split; the test
// part is what remains after the other two.
type Fractions struct {
	Train, Validation float64
}

// DefaultFractions is 70% train, 10% validation, 20% test (the test share of Rubanova et
// al.).
var DefaultFractions = Fractions{Train: 0.7, Validation: 0.1}

// Split holds indices into the stays it was made from.
type Split struct {
	Train, Validation, Test []int
}

// SplitStays makes a seeded split stratified by outcome: the deaths and the survivors
// are each shuffled and cut in the given fractions (rounded to the nearest stay), so
// that every part has the mortality rate of the whole. The same seed and stays give the
// same split.
func SplitStays(stays []Stay, fr Fractions, seed uint64) (Split, error) {
	if !(fr.Train > 0) || fr.Validation < 0 || fr.Train+fr.Validation >= 1 {
		return Split{}, errors.Wrapf(ErrConfig, "split fractions train %v, validation %v: want train > 0, validation >= 0 and their sum below 1", fr.Train, fr.Validation)
	}
	var s Split
	r := newRand(seed)
	for _, death := range []bool{false, true} {
		var idx []int
		for i, st := range stays {
			if st.Death == death {
				idx = append(idx, i)
			}
		}
		r.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		nt := int(fr.Train*float64(len(idx)) + 0.5)
		nv := int(fr.Validation*float64(len(idx)) + 0.5)
		if nt+nv > len(idx) {
			nv = len(idx) - nt
		}
		s.Train = append(s.Train, idx[:nt]...)
		s.Validation = append(s.Validation, idx[nt:nt+nv]...)
		s.Test = append(s.Test, idx[nt+nv:]...)
	}
	for _, part := range [][]int{s.Train, s.Validation, s.Test} {
		r.Shuffle(len(part), func(a, b int) { part[a], part[b] = part[b], part[a] })
	}
	if len(s.Train) == 0 {
		return Split{}, errors.Wrapf(ErrData, "split of %d stays leaves no training stay", len(stays))
	}
	return s, nil
}

// Pick returns the stays at idx.
func Pick(stays []Stay, idx []int) []Stay {
	out := make([]Stay, len(idx))
	for i, k := range idx {
		out[i] = stays[k]
	}
	return out
}
