package physionet

import (
	"math"
	"math/rand"
	"testing"
)

// TestAUCMannWhitney checks AUC against its definition: the probability that a random
// death scores above a random survivor, ties counting one half (the Mann-Whitney
// statistic, counted pair by pair).
func TestAUCMannWhitney(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for trial := 0; trial < 5; trial++ {
		n := 30 + 20*trial
		ps := make([]Patient, n)
		s := make([]float64, n)
		for i := range ps {
			ps[i].Death = i%4 == 0
			s[i] = math.Round(r.NormFloat64()*4) / 4 // ties on purpose
			if ps[i].Death {
				s[i] += 0.5
			}
		}
		var num, den float64
		for i := range ps {
			for j := range ps {
				if ps[i].Death && !ps[j].Death {
					den++
					switch {
					case s[i] > s[j]:
						num++
					case s[i] == s[j]:
						num += 0.5
					}
				}
			}
		}
		got, err := AUC(s, ps)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-num/den) > 1e-12 {
			t.Errorf("trial %d: AUC %v, Mann-Whitney %v", trial, got, num/den)
		}
	}
	if _, err := AUC([]float64{1, 2}, []Patient{{}, {}}); err == nil {
		t.Error("AUC without a death: no error")
	}
}
