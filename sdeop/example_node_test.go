package sdeop_test

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/odeop"
	"github.com/continuum-ml/continuum/sdeop"
)

// scaled is the dynamics p ⊙ z with one learnable p per dimension: the drift and the
// diffusion of geometric Brownian motion.
type scaled struct{ p *G.Node }

func (s scaled) Params() G.Nodes { return G.Nodes{s.p} }
func (s scaled) Check(batch, dim int) error {
	if s.p.Shape().TotalSize() != dim {
		return fmt.Errorf("want %d parameters", dim)
	}
	return nil
}
func (s scaled) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	return scaledEval{theta[0]}, nil
}

type scaledEval struct{ p []float64 }

func (e scaledEval) Eval(dst []float64, t float64, z []float64) {
	for i, v := range z {
		dst[i] = e.p[i%len(e.p)] * v
	}
}

func (e scaledEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	if dtheta != nil {
		clear(dtheta)
	}
	for i, v := range z {
		p := e.p[i%len(e.p)]
		if f != nil {
			f[i] = p * v
		}
		if dz != nil {
			dz[i] = p * a[i]
		}
		if dtheta != nil {
			dtheta[i%len(e.p)] += a[i] * v
		}
	}
}

// ExampleSolve differentiates the mean of a Stratonovich geometric Brownian motion
// dY = mu Y dt + sigma Y ∘ dW at t = 1 with respect to sigma, with reversible Heun and
// its adjoint, and compares with the exact pathwise derivative mean(W_1 Y_1) on the same
// Brownian path.
func ExampleSolve() {
	const batch, dim = 256, 2
	g := G.NewGraph()
	ones := make([]float64, batch*dim)
	for i := range ones {
		ones[i] = 1
	}
	y0 := G.NewMatrix(g, tensor.Float64, G.WithShape(batch, dim), G.WithName("y0"),
		G.WithValue(tensor.New(tensor.WithShape(batch, dim), tensor.WithBacking(ones))))
	vec := func(name string, v ...float64) *G.Node {
		return G.NewVector(g, tensor.Float64, G.WithShape(len(v)), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(v))))
	}
	mu, sigma := vec("mu", 0.5, 0.2), vec("sigma", 0.3, 0.1)
	ys, err := sdeop.Solve(y0, scaled{mu}, scaled{sigma}, []float64{0, 1},
		sdeop.WithCalculus(sdeop.Stratonovich), sdeop.WithMethod(sdeop.ReversibleHeun),
		sdeop.WithStep(1e-3), sdeop.WithSeed(42))
	if err != nil {
		panic(err)
	}
	loss := G.Must(G.Mean(G.Must(G.Slice(ys, G.S(1)))))
	grads, err := G.Grad(loss, sigma)
	if err != nil {
		panic(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		panic(err)
	}
	// The exact pathwise derivative: Y_1 = exp(mu + sigma W_1), dY_1/dsigma = W_1 Y_1.
	bm, _, err := sdeop.BrownianOf(ys)
	if err != nil {
		panic(err)
	}
	w := make([]float64, batch*dim)
	bm.Increment(w, 0, 1)
	exact := make([]float64, dim)
	for i, wi := range w {
		d := i % dim
		exact[d] += wi * math.Exp([]float64{0.5, 0.2}[d]+[]float64{0.3, 0.1}[d]*wi) / (batch * dim)
	}
	fwd, bwd, _ := sdeop.StatsOf(ys)
	fmt.Printf("dL/dsigma adjoint %.3f, exact %.3f\n", grads[0].Value().Data(), exact)
	fmt.Printf("%d steps, %d drift and %d diffusion VJPs backward\n", fwd.Steps, bwd.NFE, bwd.NFEDiffusion)
	// Output:
	// dL/dsigma adjoint [0.262 0.062], exact [0.262 0.062]
	// 1000 steps, 1001 drift and 1001 diffusion VJPs backward
}
