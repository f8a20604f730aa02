package layers

import (
	"errors"
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestNewMLPHugeWidths checks that widths whose parameters cannot be allocated (or whose
// sizes overflow an int) are refused with ErrSpec instead of a panic in makeslice or an
// out-of-memory crash.
func TestNewMLPHugeWidths(t *testing.T) {
	for name, spec := range map[string]Spec{
		"width 2^31":          {In: 2, Layers: []LayerSpec{Linear(1<<31, Tanh), Linear(2, nil)}},
		"input 2^31":          {In: 1 << 31, Layers: []LayerSpec{Linear(2, nil)}},
		"width 2^62":          {In: 2, Layers: []LayerSpec{Linear(1<<62, nil)}},
		"product overflows":   {In: 1 << 40, Layers: []LayerSpec{Linear(1<<40, nil)}},
		"too many parameters": {In: 1 << 16, Layers: []LayerSpec{Linear(1<<16, Tanh), ConcatSquash(1<<15, nil)}},
	} {
		_, err := NewMLP(G.NewGraph(), "f", spec)
		if !errors.Is(err, ErrSpec) {
			t.Errorf("%s: got %v, want ErrSpec", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
