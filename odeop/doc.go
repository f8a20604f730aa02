// Package odeop solves ordinary differential equations and wraps an ODE solve as a
// single Gorgonia node whose gradient runs the adjoint method.
//
// The package has two floors:
//
//   - Integrate: explicit Runge-Kutta methods on plain float64 slices. Butcher
//     tableaus are data (Tableau, with Validate); one engine steps them all; a
//     step-size Controller (PI control) and a pluggable error Norm decide
//     acceptance; dense output gives values at the requested times.
//   - Solve: an ODE solve as a Gorgonia node. The dynamics are a Dynamics (a
//     native network from package layers, or any Gorgonia subgraph through
//     NewGraphDynamics); gorgonia.Grad through the node runs the continuous
//     adjoint (Adjoint, optionally with a seminorm) or backpropagates through the
//     stored Runge-Kutta steps (Checkpoint).
//
// Where a batch is large enough to be evaluated in two row chunks on two goroutines
// (internal/graphop.Batch), the solve node's steps run every stage of a chunk's rows on
// the chunk's goroutine (chunks.go): the chunks meet once per step, not once per stage,
// and compute their own stage arguments and error estimates. The results are those of
// the whole-vector steps (bit for bit, but for the order in which the error norm adds
// its sums of squares).
//
// References:
//
//   - Dormand, Prince (1980), "A family of embedded Runge-Kutta formulae".
//   - Hairer, Norsett, Wanner (1993), "Solving Ordinary Differential Equations I", II.4 (step size
//     control, initial step), II.6 (dense output).
//   - Tsitouras (2011), "Runge-Kutta pairs of order 5(4) satisfying only the first column
//     simplifying assumption".
//   - Chen, Rubanova, Bettencourt, Duvenaud (2018), "Neural Ordinary Differential Equations".
//   - Kidger, Chen, Lyons (2021), "Hey, that's not an ODE: faster ODE adjoints via seminorms".
//   - Zhuang et al. (2020), "Adaptive Checkpoint Adjoint Method for Gradient Estimation in Neural ODE".
package odeop
