// Package layers provides native dynamics networks for neural ODEs: multilayer
// perceptrons of Linear, ConcatLinear and ConcatSquash layers with elementwise activations
// (tanh, softplus, sigmoid, ELU, swish, sin), evaluated on flat float64 buffers with
// hand-written vector-Jacobian products. An MLP implements odeop.Dynamics, so it is the
// right-hand side of an ODE solve node; its parameters are ordinary nodes of the user's
// Gorgonia graph, trained by any Gorgonia solver.
//
//	g := gorgonia.NewGraph()
//	f, err := layers.NewMLP(g, "f", layers.Spec{
//		In: 4,
//		Layers: []layers.Layer{
//			layers.Linear(32, layers.Softplus),
//			layers.Linear(4, layers.Tanh),
//		},
//		Seed: 1, // Glorot-uniform initialization, deterministic
//	})
//
// See doc comments of MLP, Net and Activation, and the section "Inside" below.
//
// References:
//
//   - Chen, Rubanova, Bettencourt, Duvenaud (2018), "Neural Ordinary Differential Equations"
//     (torchdiffeq's ConcatLinear: the time as an extra input).
//   - Grathwohl, Chen, Bettencourt, Sutskever, Duvenaud (2019), "FFJORD: Free-form
//     Continuous Dynamics for Scalable Reversible Generative Models" (ConcatSquash).
//   - Glorot, Bengio (2010), "Understanding the difficulty of training deep feedforward
//     neural networks" (the initialization).
//   - Tang (1989), "Table-driven implementation of the exponential function in IEEE
//     floating-point arithmetic" (the fast exponential behind the activations).
package layers
