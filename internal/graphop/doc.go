// Package graphop holds what the Gorgonia graph nodes of odeop (ODE solves) and sdeop
// (SDE solves) share: everything of such a node that does not depend on the equation.
//
//   - Values (values.go): Gorgonia values to float64 slices and back, for nodes that
//     compute in float64 whatever the graph's dtype (float32 is widened at the inputs
//     and narrowed at the outputs).
//   - Ops (op.go, extract.go): the types of the forward op, z0 (batch, dim) and the
//     parameters to z at the output times (len(ts), batch, dim), and of its gradient op,
//     which returns one flat vector [dz0 | dtheta_1 | ...]; the reading of their
//     inputs; SymDiff and DoDiff, which wire the gradient op into a graph or run it for
//     the LispMachine; Extract, the op that hands each input its part of the flat
//     gradient; and the constant parts of Gorgonia's Op interface (Pure, Hashcode).
//   - Batch evaluation (batch.go, helper.go): a Dynamics' Evaluators over a whole batch,
//     split by rows into two chunks evaluated on two goroutines above a work threshold.
//     The split depends on the problem size only and parameter gradients are summed over
//     the chunks in a fixed order, so results are bit-identical on any number of CPUs.
//     The second chunk runs on a helper goroutine that hands off by spinning before it
//     parks; helpers outlive their Batches in a small pool. Run and Range let a caller
//     (odeop's chunked Runge-Kutta steps) run its own per-chunk work.
//   - Pools (pool.go): released Evaluators kept by batch size for the next Bind, used by
//     odeop's graph dynamics and the native networks of layers.
//
// Errors: the functions that check a value take kind, the calling package's sentinel
// (odeop.ErrShape, sdeop.ErrState), and wrap it, so that errors.Is keeps matching the
// caller's sentinels and messages name the caller's package. The package cannot import
// odeop (odeop imports it), so Evaluator and Binder restate the part of odeop.Evaluator
// and odeop.Dynamics.Bind that batch evaluation needs.
//
// This package is internal: it is shared code of odeop and sdeop, not an API.
package graphop
