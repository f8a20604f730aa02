// Package models holds what every model of this module shares: saving and loading
// learnables (Save, Load, Capture, Checkpoint), optimisers whose state is saved with them
// (Adam, RMSProp), the ordinary fully connected Gorgonia layer (Dense) and the shared
// losses (CrossEntropy). The model families live in sub-packages:
//
//   - classify: the ODE-Net and ResNet classifiers (Chen et al. 2018, section 3).
//   - flow: continuous normalizing flows (FFJORD).
//   - latent: latent ODEs, ODE-RNNs, the RNN-dt baseline, latent SDEs, and irregularly
//     sampled time series.
//   - toy: FFJORD's two-dimensional toy data sets.
//
// Checkpoints: Capture, Save, Load and Checkpoint.Restore work on any list of named
// nodes, in a versioned binary format with a magic header, names, shapes, dtypes and a
// CRC-32C checksum. Restore checks everything before assigning anything, so a
// truncated, foreign or mismatched file never leaves a half-loaded model. Save writes a
// temporary file next to the target and renames it over the target, so a crash never
// leaves a half-written checkpoint.
//
// Adam and RMSProp are gorgonia.Solver implementations whose state is exported
// (Optimizer), so that a checkpoint holds it and training resumes bit for bit;
// Gorgonia's own solvers keep their moment estimates unexported.
//
// A training loop that saves, and a later process that loads (params are the learnable
// nodes, vm a gorgonia.TapeMachine of a graph with their gradients):
//
//	opt := models.NewAdam(1e-2)
//	for range iters {
//		vm.Reset()
//		if err := vm.RunAll(); err != nil {
//			return err
//		}
//		if err := opt.Step(gorgonia.NodesToValueGrads(params)); err != nil {
//			return err
//		}
//	}
//	if err := models.Save("model.ckpt", params, opt, map[string]string{"note": "first run"}); err != nil {
//		return err
//	}
//
//	// Later, with the same graph built again: values and Adam's moments restored.
//	ck, err := models.Load("model.ckpt", params, opt)
//
// examples/readme/saveload is a whole program (with classify.Model.Save and
// classify.Load, which also store and rebuild the model's configuration).
//
// References:
//
//   - Chen, Rubanova, Bettencourt, Duvenaud (2018), "Neural Ordinary Differential
//     Equations", NeurIPS.
//   - Kingma, Ba (2015), "Adam: A Method for Stochastic Optimization".
package models
