package physionet

import "sort"

// UnionGrid puts every patient of ps on the sorted union of their observation times (the
// layout of a shared-grid solver: every row steps through every time of every other
// row, unobserved there). It is what GapScaled avoids; the benchmarks compare the two.
func UnionGrid(ps []Patient) []Patient {
	seen := map[float64]bool{}
	var ts []float64
	for i := range ps {
		for _, t := range ps[i].Times {
			if !seen[t] {
				seen[t] = true
				ts = append(ts, t)
			}
		}
	}
	sort.Float64s(ts)
	at := make(map[float64]int, len(ts))
	for k, t := range ts {
		at[t] = k
	}
	D := NumParameters
	out := make([]Patient, len(ps))
	for i := range ps {
		p := Patient{ID: ps[i].ID, Death: ps[i].Death, Times: ts, Values: make([]float64, len(ts)*D), Mask: make([]float64, len(ts)*D)}
		for k, t := range ps[i].Times {
			u := at[t]
			copy(p.Values[u*D:(u+1)*D], ps[i].Values[k*D:(k+1)*D])
			copy(p.Mask[u*D:(u+1)*D], ps[i].Mask[k*D:(k+1)*D])
		}
		out[i] = p
	}
	return out
}
