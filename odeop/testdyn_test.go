package odeop

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Test-only native dynamics: a linear system and a one-hidden-layer tanh network with a
// time input, with hand-written vector-Jacobian products.

// linearDyn is dz/dt = z·A.
type linearDyn struct{ A *G.Node }

func (d *linearDyn) Params() G.Nodes { return G.Nodes{d.A} }
func (d *linearDyn) Check(batch, dim int) error {
	if s := d.A.Shape(); s[0] != dim || s[1] != dim {
		return errors.Errorf("A has shape %v, want (%d, %d)", s, dim, dim)
	}
	return nil
}
func (d *linearDyn) Bind(theta [][]float64, batch, dim int) (Evaluator, error) {
	return &linearEval{A: theta[0], batch: batch, dim: dim}, nil
}

type linearEval struct {
	A          []float64
	batch, dim int
}

func (e *linearEval) Eval(dst []float64, t float64, z []float64) {
	mulRows(dst, z, e.A, e.batch, e.dim, e.dim, 1)
}

// mulRows sets dst = x·M for x of shape (batch, d) and M (d, d) with M[r][c] = m[r*rs+c*cs].
func mulRows(dst, x, m []float64, batch, d, rs, cs int) {
	for b := 0; b < batch; b++ {
		for c := 0; c < d; c++ {
			s := 0.0
			for r := 0; r < d; r++ {
				s += x[b*d+r] * m[r*rs+c*cs]
			}
			dst[b*d+c] = s
		}
	}
}

func (e *linearEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	d := e.dim
	if f != nil {
		e.Eval(f, t, z)
	}
	if dz != nil {
		mulRows(dz, a, e.A, e.batch, d, 1, d) // a·A^T
	}
	if dtheta != nil {
		for k := 0; k < d; k++ {
			for j := 0; j < d; j++ {
				s := 0.0
				for b := 0; b < e.batch; b++ {
					s += z[b*d+k] * a[b*d+j]
				}
				dtheta[k*d+j] = s
			}
		}
	}
}

// mlpDyn is f(t, z) = tanh([z, t]·W1 + b1)·W2 + b2 with W1 (dim+1, H), W2 (H, dim).
type mlpDyn struct {
	W1, B1, W2, B2 *G.Node
	H              int
}

func newMLPDyn(g *G.ExprGraph, name string, dim, hidden int, seed int64, scale float64) *mlpDyn {
	r := rand.New(rand.NewSource(seed))
	mk := func(nm string, shape ...int) *G.Node {
		n := 1
		for _, s := range shape {
			n *= s
		}
		data := make([]float64, n)
		fan := float64(shape[0])
		for i := range data {
			data[i] = scale * r.NormFloat64() / math.Sqrt(fan)
		}
		return G.NewTensor(g, tensor.Float64, len(shape), G.WithShape(shape...), G.WithName(name+"."+nm),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))))
	}
	return &mlpDyn{W1: mk("W1", dim+1, hidden), B1: mk("b1", hidden), W2: mk("W2", hidden, dim), B2: mk("b2", dim), H: hidden}
}

func (d *mlpDyn) Params() G.Nodes { return G.Nodes{d.W1, d.B1, d.W2, d.B2} }
func (d *mlpDyn) Check(batch, dim int) error {
	if d.W1.Shape()[0] != dim+1 || d.W2.Shape()[1] != dim {
		return fmt.Errorf("mlp expects dim %d, got %d", d.W2.Shape()[1], dim)
	}
	return nil
}
func (d *mlpDyn) Bind(theta [][]float64, batch, dim int) (Evaluator, error) {
	return &mlpEval{W1: theta[0], b1: theta[1], W2: theta[2], b2: theta[3], batch: batch, dim: dim, H: d.H,
		h: make([]float64, batch*d.H), gh: make([]float64, batch*d.H)}, nil
}

type mlpEval struct {
	W1, b1, W2, b2 []float64
	batch, dim, H  int
	h, gh          []float64
}

func (e *mlpEval) hidden(t float64, z []float64) {
	d, H := e.dim, e.H
	for b := 0; b < e.batch; b++ {
		for j := 0; j < H; j++ {
			s := e.b1[j] + t*e.W1[d*H+j]
			for k := 0; k < d; k++ {
				s += z[b*d+k] * e.W1[k*H+j]
			}
			e.h[b*H+j] = math.Tanh(s)
		}
	}
}

func (e *mlpEval) out(dst []float64) {
	d, H := e.dim, e.H
	for b := 0; b < e.batch; b++ {
		for k := 0; k < d; k++ {
			s := e.b2[k]
			for j := 0; j < H; j++ {
				s += e.h[b*H+j] * e.W2[j*d+k]
			}
			dst[b*d+k] = s
		}
	}
}

func (e *mlpEval) Eval(dst []float64, t float64, z []float64) {
	e.hidden(t, z)
	e.out(dst)
}

func (e *mlpEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	d, H := e.dim, e.H
	e.hidden(t, z)
	if f != nil {
		e.out(f)
	}
	// gh = (a·W2^T) * (1 - h^2)
	for b := 0; b < e.batch; b++ {
		for j := 0; j < H; j++ {
			s := 0.0
			for k := 0; k < d; k++ {
				s += a[b*d+k] * e.W2[j*d+k]
			}
			hv := e.h[b*H+j]
			e.gh[b*H+j] = s * (1 - hv*hv)
		}
	}
	if dz != nil {
		for b := 0; b < e.batch; b++ {
			for k := 0; k < d; k++ {
				s := 0.0
				for j := 0; j < H; j++ {
					s += e.gh[b*H+j] * e.W1[k*H+j]
				}
				dz[b*d+k] = s
			}
		}
	}
	if dtheta != nil {
		nW1 := (d + 1) * H
		dW1, db1 := dtheta[:nW1], dtheta[nW1:nW1+H]
		dW2, db2 := dtheta[nW1+H:nW1+H+H*d], dtheta[nW1+H+H*d:]
		clear(dtheta)
		for b := 0; b < e.batch; b++ {
			for j := 0; j < H; j++ {
				g := e.gh[b*H+j]
				for k := 0; k < d; k++ {
					dW1[k*H+j] += z[b*d+k] * g
				}
				dW1[d*H+j] += t * g
				db1[j] += g
				hv := e.h[b*H+j]
				for k := 0; k < d; k++ {
					dW2[j*d+k] += hv * a[b*d+k]
				}
			}
			for k := 0; k < d; k++ {
				db2[k] += a[b*d+k]
			}
		}
	}
}

// graphMLP is the same network as mlpDyn written with Gorgonia ops.
func graphMLP(d *mlpDyn) Dynamics {
	return NewGraphDynamics(d.Params(), func(t, z *G.Node, ps G.Nodes) (*G.Node, error) {
		batch := z.Shape()[0]
		tcol := G.Must(G.Mul(t, G.NewMatrix(z.Graph(), tensor.Float64, G.WithShape(batch, 1), G.WithName("ones"),
			G.WithInit(G.Ones()))))
		in := G.Must(G.Concat(1, z, tcol))
		h := G.Must(G.Tanh(G.Must(G.BroadcastAdd(G.Must(G.Mul(in, ps[0])), ps[1], nil, []byte{0}))))
		return G.BroadcastAdd(G.Must(G.Mul(h, ps[2])), ps[3], nil, []byte{0})
	})
}
