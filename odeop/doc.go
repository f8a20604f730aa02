// Package odeop solves ordinary differential equations and wraps an ODE solve as a
// single Gorgonia node whose gradient runs the adjoint method.
//
// The package has two floors:
//
//   - Integrate: explicit Runge-Kutta methods, and for stiff problems the implicit
//     ESDIRK methods Kvaerno3/4/5 (a Newton iteration per stage: implicit.go), on plain
//     float64 slices. Butcher
//     tableaus are data (Tableau, with Validate): the built-in methods (WithMethod) and
//     a caller's own (WithTableau) run on one engine; a step-size Controller (PI
//     control) and a pluggable error Norm decide acceptance; dense output gives values
//     at the requested times.
//   - Solve: an ODE solve as a Gorgonia node. The dynamics are a Dynamics (a native
//     network from package layers, or any Gorgonia subgraph through NewGraphDynamics);
//     gorgonia.Grad through the node runs the chosen GradientMethod: the continuous
//     adjoint (Adjoint, optionally with a seminorm) or backpropagation through the
//     stored Runge-Kutta steps (Checkpoint).
//
// Inside, one engine (rk.go) takes the steps of every caller: Integrate, the node's
// forward pass, the adjoint's backward solves (whose right-hand side is one more
// function, over [z, a, a_theta]) and Checkpoint's recomputation of the stages, which
// calls the engine's stage loop and differentiates through it. The stage loop works on
// ranges of rows: the whole vector is the case of one range; where a batch is large
// enough to be evaluated in two row chunks on two goroutines (internal/graphop.Batch),
// every stage of a chunk's rows runs on the chunk's goroutine (chunks.go), so that the
// chunks meet once per step, not once per stage. The results are those of one range
// (bit for bit, but for the order in which the error norm adds its sums of squares).
// One walk over time (solve.walk) serves fixed and adaptive steps; the Controller only
// decides.
//
// Options are checked once per entry point, and an option that the call would not use
// is an error that names it: Integrate refuses the options only Solve reads
// (WithGradient, WithSeminorm, WithAdjointTol), fixed-step methods refuse the options of
// error control but WithTol (WithNorm, WithController, WithStepBounds, and the adjoint's),
// Checkpoint refuses the adjoint's. Every error wraps one of the package's sentinels
// (ErrTimes, ErrState, ErrTolerance, ...), so callers test with errors.Is (through
// Cause for the errors of a Gorgonia machine).
//
// The implicit methods are stages of the same loop: where a tableau's diagonal
// (Tableau.Diag) is nonzero, the stage loop solves the stage by a simplified Newton
// iteration (a difference Jacobian kept across steps, gonum's LAPACK LU; by row blocks for
// a Solve's batch). Their gradients are an interpolating adjoint (Adjoint: only [a,
// a_theta] backward, on the forward solution's interpolant) and the discrete adjoint of
// their steps (Checkpoint). An explicit method that reaches its step limit on a stiff
// problem says so in its error.
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
//   - Kvaerno (2004), "Singly diagonally implicit Runge-Kutta methods with an explicit first stage".
//   - Hairer, Wanner (1996), "Solving Ordinary Differential Equations II", IV.8 (simplified Newton).
package odeop
