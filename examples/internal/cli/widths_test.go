package cli

import (
	"slices"
	"testing"
)

func TestWidths(t *testing.T) {
	got, err := Widths(" 64, 32,,8")
	if err != nil || !slices.Equal(got, []int{64, 32, 8}) {
		t.Fatalf("Widths = %v, %v; want [64 32 8]", got, err)
	}
	if s := JoinWidths(got); s != "64,32,8" {
		t.Errorf("JoinWidths = %q", s)
	}
	for _, bad := range []string{"0", "-3", "x", "4,2.5"} {
		if _, err := Widths(bad); err == nil {
			t.Errorf("Widths(%q) accepted", bad)
		}
	}
}
