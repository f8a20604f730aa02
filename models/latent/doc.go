// Package latent holds models of irregularly sampled time series: the latent ODE
// (Rubanova, Chen, Duvenaud 2019: an ODE-RNN encoder with observation masks, an ODE
// decoder on the union of query times, a Gaussian likelihood and the ELBO), the ODE-RNN,
// the RNN-dt baseline, the latent SDE (Li, Wong, Chen, Duvenaud 2020: a posterior drift
// with an encoder context, an OU or learned prior, the KL term from sdeop.SolveKL), the
// GRU cell they share, and the data helpers: Series (values and masks on a shared time
// grid), Union (sequences observed at their own times onto one grid), and the data sets
// (Periodic, Spirals, SegmentedCosine, MaunaLoaCO2).
//
//	obs, _ := latent.Periodic(latent.PeriodicConfig{N: 100, Seed: 1})
//	m, err := latent.NewODE(latent.ODEConfig{Dim: 1, Seed: 1})
//	_, err = m.Train(obs, obs, latent.TrainConfig{Iters: 300})
//	pred, err := m.Predict(obs, obs.Times, 20, 7)
//
// References:
//
//   - Rubanova, Chen, Duvenaud (2019), "Latent ODEs for Irregularly-Sampled Time
//     Series", NeurIPS.
//   - Li, Wong, Chen, Duvenaud (2020), "Scalable Gradients for Stochastic Differential
//     Equations", AISTATS.
//   - Chen, Rubanova, Bettencourt, Duvenaud (2018), "Neural Ordinary Differential
//     Equations", NeurIPS.
package latent
