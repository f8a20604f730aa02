package physionet

import (
	"sort"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// ROC returns the receiver operating characteristic of scores (higher: more likely to
// die) against the outcomes of ps, by gonum's stat.ROC: true and false positive rates at
// every distinct score.
func ROC(scores []float64, ps []Patient) (tpr, fpr []float64, err error) {
	if len(scores) != len(ps) {
		return nil, nil, errors.Wrapf(ErrConfig, "roc: %d scores for %d patients", len(scores), len(ps))
	}
	pos := 0
	type sc struct {
		s float64
		c bool
	}
	v := make([]sc, len(ps))
	for i := range ps {
		v[i] = sc{scores[i], ps[i].Death}
		if ps[i].Death {
			pos++
		}
	}
	if pos == 0 || pos == len(ps) {
		return nil, nil, errors.Wrapf(ErrData, "roc: %d deaths among %d patients; both outcomes are needed", pos, len(ps))
	}
	sort.Slice(v, func(a, b int) bool { return v[a].s < v[b].s })
	y := make([]float64, len(v))
	cl := make([]bool, len(v))
	for i := range v {
		y[i], cl[i] = v[i].s, v[i].c
	}
	tpr, fpr, _ = stat.ROC(nil, y, cl, nil)
	return tpr, fpr, nil
}

// AUC is the area under the ROC curve (the trapezoidal rule over ROC's points, which
// counts ties as one half).
func AUC(scores []float64, ps []Patient) (float64, error) {
	tpr, fpr, err := ROC(scores, ps)
	if err != nil {
		return 0, err
	}
	return integrate.Trapezoidal(fpr, tpr), nil
}
