// Package sdeop solves stochastic differential equations
//
//	dy = f(t, y) dt + g(t, y) dW(t)
//
// in the Ito or the Stratonovich sense, on sample paths of Brownian motion that can be
// queried in any order and replayed exactly, as neural SDEs and their stochastic
// adjoints need.
//
// # Brownian motion
//
// A Brownian is a path W that answers increments W(t) - W(s) for any s, t in its
// interval, the same numbers whatever the order of the queries or the number of
// goroutines asking:
//
//   - BrownianInterval (Kidger et al. 2021): exact increments from a binary tree of
//     intervals, each split by a Brownian bridge whose normals come from a stream named
//     by the interval, with an LRU cache of recent intervals so that a solver sweeping
//     its steps forward or backward pays about one normal per component per step. Told
//     the solver's step (WithDtHint), every step is one tree node. With WithLevyArea it
//     also gives the space-time Levy area that SRK needs (IncrementWithLevy).
//   - BrownianTree (Li et al. 2020): the virtual Brownian tree, W(t) by bisection down
//     to a time tolerance, with no cache to speak of: O(log(1/tol)) normals per query.
//
// Both derive their random streams from internal/rng (counter-based, splittable), chunk
// large dimensions into 512-component streams and spread the chunks over GOMAXPROCS
// goroutines without changing a single number.
//
// # Solvers
//
// Integrate takes fixed steps (WithStep) between output times with one of the methods
// Euler (Euler-Maruyama), Milstein (derivative-free), SRK (Roessler's SRID2/SRA1,
// strong order 1.5), Heun, EulerHeun, Midpoint and ReversibleHeun, for the noise types
// Diagonal, Additive, Scalar and General; see Method for which method accepts which
// calculus and noise, and their strong orders (the tests check them on problems with
// exact solutions). Decreasing output times solve backward in time on the same path.
// ReversibleHeunStepper exposes reversible Heun's state and its exact algebraic reverse
// step, on which the reversible adjoint is built.
//
// Inside, there is one family of steppers: Euler, Heun, EulerHeun and Midpoint are
// tableaus of one derivative-free stochastic Runge-Kutta stepper, which also steps the
// stochastic adjoint and is what Checkpoint backpropagates through; reversible Heun is
// one stepper whose step and exact reverse are the same two kernels; Milstein and SRK
// have their own. One walk over the grid of steps serves Integrate, the node's forward
// pass and its three backward passes, and one validator checks the arguments of
// Integrate and Solve. Every option either takes effect or is an error naming it:
// Integrate refuses the options only Solve reads (it takes the calculus and the noise
// type from SDE).
//
// # The graph node
//
// Solve wraps an SDE solve with drift and diagonal diffusion given as odeop.Dynamics (so
// the native networks of package layers serve) as one Gorgonia node with output
// (len(ts), batch, dim); SolveKL adds the KL divergence of latent SDEs (torchsde's
// logqp) as a second output. Its gradients are the stochastic adjoint (the
// Stratonovich SDE of [z, a, a_theta] solved backward on the same Brownian path; Ito
// SDEs through the Ito-Stratonovich correction, from VJPs of any diffusion), the
// reversible Heun adjoint (exact for the discrete solve, O(1) memory), or Checkpoint
// (backpropagation through the stored steps), each a strategy behind GradientMethod
// (WithGradient). The Brownian path of a run comes from a seed (WithSeed, WithResample,
// SetSeed, BrownianOf). See Solve.
//
// # References
//
//   - X. Li, T.-K. L. Wong, R. T. Q. Chen, D. Duvenaud (2020), "Scalable Gradients for
//     Stochastic Differential Equations", AISTATS (virtual Brownian tree, stochastic
//     adjoint).
//   - P. Kidger, J. Foster, X. Li, T. Lyons (2021), "Efficient and Accurate Gradients for
//     Neural SDEs", NeurIPS (Brownian Interval, space-time Levy area bridge, reversible
//     Heun).
//   - A. Roessler (2010), "Runge-Kutta Methods for the Strong Approximation of Solutions
//     of Stochastic Differential Equations", SIAM J. Numer. Anal. 48(3) (SRI2/SRID2 and
//     SRA1 tableaus, as in torchsde's _core/methods/tableaus).
//   - P. E. Kloeden, E. Platen (1992), "Numerical Solution of Stochastic Differential
//     Equations", Springer (Milstein and its derivative-free form, 10.3 and 11.1).
//   - J. Foster (2020), "Numerical approximations for stochastic differential
//     equations", PhD thesis, Oxford (space-time Levy area).
//   - torchsde (github.com/google-research/torchsde): _brownian/brownian_interval.py,
//     _core/methods/{srk,milstein,reversible_heun}.py, whose conventions this package
//     follows where it does not say otherwise.
package sdeop
