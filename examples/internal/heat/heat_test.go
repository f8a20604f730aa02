package heat

import "testing"

func TestHistogram(t *testing.T) {
	// 4x4 grid over [-2, 2]²: cells of side 1; (-1.5, -1.5) is cell (0, 0), (1.5, -0.5) is
	// column 3 of row 1; a point outside is dropped.
	g := Histogram([]float64{-1.5, -1.5, 1.5, -0.5, 1.5, -0.5, 9, 0}, 4, 2)
	want := map[[2]int]float64{{0, 0}: 1, {3, 1}: 2}
	for r := 0; r < 4; r++ {
		for c := 0; c < 4; c++ {
			if got := g.Value(c, r); got != want[[2]int{c, r}] {
				t.Errorf("cell (%d, %d) = %v, want %v", c, r, got, want[[2]int{c, r}])
			}
		}
	}
	if x, y := g.X(3), g.Y(1); x != 1.5 || y != -0.5 {
		t.Errorf("centres X(3) %v, Y(1) %v; want 1.5, -0.5", x, y)
	}
}
