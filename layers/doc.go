// Package layers provides native dynamics networks for neural ODEs: multilayer
// perceptrons of Linear, ConcatLinear and ConcatSquash layers with elementwise activations
// (tanh, softplus, sigmoid, ELU, swish, sin), evaluated on flat float64 buffers with
// hand-written vector-Jacobian products, plus the ODEBlock and CNF built on them. An MLP
// implements odeop.Dynamics, so it is the right-hand side of an ODE solve node; its
// parameters are ordinary nodes of the user's Gorgonia graph, trained by any Gorgonia
// solver. Linear, ConcatLinear and ConcatSquash return LayerSpec values: descriptions of
// the layers of such a network, which NewMLP builds; they are not Gorgonia layers. The
// dense layer made of Gorgonia nodes, to put before or after an ODEBlock, is
// models.Dense.
//
//	g := gorgonia.NewGraph()
//	f, err := layers.NewMLP(g, "f", layers.Spec{
//		In: 4,
//		Layers: []layers.LayerSpec{
//			layers.Linear(32, layers.Softplus),
//			layers.Linear(4, layers.Tanh),
//		},
//		Seed: 1, // Glorot-uniform initialization, deterministic
//	})
//
// The parameter nodes are named "<name>.<layer>.<role>" ("f.0.W", "f.0.b", "f.1.W", ...),
// so several networks can live in one graph. Spec.Init chooses the initial values
// (GlorotUniform by default; ReferenceInit gives the closed-form weights of the reference
// benchmarks) and MLP.Reset rewrites them. The same network can also be used
//
//   - as a plain function on a batch: net, _ := f.NewNet(f.Values(), batch);
//     net.Forward(y, t, x), with its vector-Jacobian product net.VJP;
//   - as Gorgonia operations: f.Fwd(x) or f.FwdAt(t, x) build it in x's graph, and
//     odeop.NewGraphDynamics(f.Params(), f.Build) is the same dynamics evaluated by a
//     TapeMachine (the tests compare the two).
//
// # Inside
//
// Data layout. A batch is a row-major (batch×width) slice. A layer's parameters are, in
// the order of Params and of the flat gradient vector: W (rows×out, row-major; rows = in,
// or in+1 for ConcatLinear, whose last row multiplies t), b (out) and, for ConcatSquash,
// the gate weight wg, gate bias bg and hyper-bias weight wb (out each); see Role.
//
// Layers (layer.go). A layerDef places a LayerSpec in its network: input width in, rows of W,
// the index of its first parameter node (param) and its offset in the flat parameter
// vector (offset, nparams), and whether its activation is the identity (ident). A
// boundLayer binds it to parameter values and a batch size and owns its scratch. Its two
// methods are the reusable pieces every evaluator of this package is made of:
//
//	forward(out, t, x)         u = affine(x, t) (x·W + b; [x, t]·W + b;
//	                           (x·W + b)*gate + t*wb), h = act(u) into out
//	backward(dx, dθ, g, x)     g (cotangent of h) -> cotangent of u in place,
//	                           then dθ (this layer's slice, overwritten) and dx = g·Wᵀ
//
// forward keeps what backward and forward-mode products need: u (the pre-activation,
// which is h itself for the identity), h, and for ConcatSquash u0 = x·W + b and the gate
// sigmoid(t*wg + bg) with 1 - gate; ConcatLinear keeps its effective bias b + t*W[in].
//
// Net (mlp.go) chains boundLayers: Forward runs forward layer by layer (the last layer
// writes straight into the caller's buffer); VJP runs the forward pass, copies the
// cotangent into one of two ping-pong buffers of the widest layer's size and runs
// backward from the last layer to the first, the input cotangent of layer i becoming the
// output cotangent of layer i-1. All scratch is allocated by NewNet; Eval and VJP
// allocate nothing (the tests check testing.AllocsPerRun == 0).
//
// Activations (activation.go). Apply, MulDeriv (the backward pass: g *= sigma'(u)),
// Deriv and Deriv2 (sigma' and sigma” as slices) take both the pre-activation u and the
// output h = sigma(u), so each can use the cheaper or more accurate of the two (tanh'
// = 1 - h², sigmoid' = h - h², softplus' and swish' from sigmoid(u)). Forward-mode products
// through a layer, as the exact trace of a CNF needs them, are: for a tangent ẋ,
// u̇ = ẋ·W (times the gate for ConcatSquash), ḣ = sigma'(u)·u̇; their reverse-mode
// derivative brings in sigma”(u), which Deriv2 gives (see cnf_eval.go).
//
// Matrix products (gemm.go). mulNN (c += a·b), mulTN (c += aᵀ·b) and mulNT (c += a·bᵀ)
// are the only products, named for the evaluators of this package; they and the layers'
// own passes (which use the overwriting forms and the fused x·W + b) run
// internal/kernels: register-tiled AVX-512 or AVX2/FMA micro-kernels, portable Go
// elsewhere or with -tags purego.
//
// Elementary functions. The activations tanh, softplus, sigmoid and swish (and the
// backward passes of softplus and swish, through sigmoid on a stack buffer) run
// internal/kernels' vector functions, within 2.1 ulp (tanh) and 1.8 ulp (softplus) of
// 160-bit references over the tested grids. Softplus returns x above 20, as PyTorch does.
// The remaining scalar needs (ELU, the ConcatSquash gate, second derivatives) use the
// table-driven exp and expm1 of fastmath.go (1 ulp), two to three times faster than
// package math.
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
//     floating-point arithmetic" (the scalar exponential of fastmath.go).
package layers
