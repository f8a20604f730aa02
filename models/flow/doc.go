// Package flow holds continuous normalizing flows (Chen et al. 2018, section 4;
// Grathwohl et al. 2019, FFJORD): density models whose log-likelihood comes from
// integrating d log p/dt = -tr(∂f/∂z) alongside the state, with the kinetic-energy and
// Jacobian-Frobenius regularizers of Finlay et al. (2020).
//
// A CNF is one or more blocks of layers.CNF dynamics. CNF.Fwd builds the negative
// log-likelihood in a graph; CNFTrainer runs that graph with an optimiser; Sample,
// LogProbValues and Transport evaluate the trained flow outside any graph.
//
//	m, err := flow.NewCNF(g, "flow", flow.CNFConfig{Dim: 2, Hidden: []int{64, 64, 64}})
//	tr, err := flow.NewCNFTrainer(m, 512, models.NewAdam(1e-3))
//	loss, err := tr.Step(batch) // batch: 512 rows of 2 values
//	samples, err := m.Sample(1000, seed)
//
// References:
//
//   - Chen, Rubanova, Bettencourt, Duvenaud (2018), "Neural Ordinary Differential
//     Equations", NeurIPS.
//   - Grathwohl, Chen, Bettencourt, Sutskever, Duvenaud (2019), "FFJORD: Free-form
//     Continuous Dynamics for Scalable Reversible Generative Models", ICLR.
//   - Finlay, Jacobsen, Nurbekyan, Oberman (2020), "How to train your neural ODE: the
//     world of Jacobian and kinetic regularization", ICML.
package flow
