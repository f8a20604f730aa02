package models

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// CrossEntropy returns the mean cross-entropy of logits (batch, classes) against one-hot
// (or any probability) targets of the same shape: -mean_i Σ_j y_ij log softmax(logits_i)_j.
func CrossEntropy(logits, targets *G.Node) (*G.Node, error) {
	if logits == nil || targets == nil || logits.Dims() != 2 || !logits.Shape().Eq(targets.Shape()) {
		return nil, errors.Wrap(ErrConfig, "cross-entropy: logits and targets must be matrices of one shape")
	}
	lp, err := G.LogSoftMax(logits, 1)
	if err != nil {
		return nil, errors.Wrap(err, "cross-entropy")
	}
	s, err := G.Sum(G.Must(G.HadamardProd(lp, targets)), 1)
	if err != nil {
		return nil, errors.Wrap(err, "cross-entropy")
	}
	return G.Neg(G.Must(G.Mean(s)))
}
