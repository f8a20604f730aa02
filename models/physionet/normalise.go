package physionet

import (
	"math"

	"github.com/pkg/errors"
)

// Normaliser maps each parameter's values to [0, 1] by min-max scaling,
// (v - Min[p]) / (Max[p] - Min[p]), as Rubanova et al. do; statistics come from the
// training stays only (FitNormaliser), and values outside the training range map outside
// [0, 1]. A parameter with a single training value has range 1; one never seen in
// training has Min 0 and Max 1.
type Normaliser struct {
	Min, Max []float64
}

// FitNormaliser computes the per-parameter minimum and maximum over the measurements of
// stays.
func FitNormaliser(stays []Stay) (*Normaliser, error) {
	if len(stays) == 0 {
		return nil, errors.Wrap(ErrData, "normaliser: no stays to fit")
	}
	n := &Normaliser{Min: make([]float64, NumParameters), Max: make([]float64, NumParameters)}
	for p := range n.Min {
		n.Min[p], n.Max[p] = math.Inf(1), math.Inf(-1)
	}
	for _, s := range stays {
		for _, m := range s.Measurements {
			n.Min[m.Param] = math.Min(n.Min[m.Param], m.Value)
			n.Max[m.Param] = math.Max(n.Max[m.Param], m.Value)
		}
	}
	for p := range n.Min {
		if math.IsInf(n.Min[p], 1) {
			n.Min[p], n.Max[p] = 0, 1
		}
	}
	return n, nil
}

// Check reports whether n has one finite, ordered range per parameter.
func (n *Normaliser) Check() error {
	if n == nil || len(n.Min) != NumParameters || len(n.Max) != NumParameters {
		return errors.Wrapf(ErrConfig, "normaliser: want %d minima and maxima", NumParameters)
	}
	for p := range n.Min {
		if math.IsNaN(n.Min[p]) || math.IsInf(n.Min[p], 0) || math.IsNaN(n.Max[p]) || math.IsInf(n.Max[p], 0) || n.Max[p] < n.Min[p] {
			return errors.Wrapf(ErrConfig, "normaliser: %s has range [%v, %v]", Parameters[p], n.Min[p], n.Max[p])
		}
	}
	return nil
}

// Apply returns the normalised value of parameter p.
func (n *Normaliser) Apply(p int, v float64) float64 {
	r := n.Max[p] - n.Min[p]
	if r == 0 {
		r = 1
	}
	return (v - n.Min[p]) / r
}

// Invert maps a normalised value of parameter p back to its unit.
func (n *Normaliser) Invert(p int, x float64) float64 {
	r := n.Max[p] - n.Min[p]
	if r == 0 {
		r = 1
	}
	return n.Min[p] + x*r
}
