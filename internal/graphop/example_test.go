package graphop_test

import (
	"fmt"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// decay is f(t, z) = -k z, with the rate k as its one parameter.
type decay struct {
	k    float64
	rows int
}

func (e *decay) Eval(dst []float64, t float64, z []float64) {
	for i, v := range z {
		dst[i] = -e.k * v
	}
}

func (e *decay) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	if f != nil {
		e.Eval(f, t, z)
	}
	if dz != nil {
		for i, v := range a {
			dz[i] = -e.k * v
		}
	}
	if dtheta != nil {
		dtheta[0] = 0
		for i, v := range z {
			dtheta[0] -= a[i] * v
		}
	}
}

// A batch large enough to be split: two Evaluators of half the rows each, whose
// parameter gradients are summed in chunk order.
func ExampleNewBatch() {
	const batch, dim = 2, graphop.ParallelWork / 2
	var rows []int
	bind := func(theta [][]float64, nb, d int) (graphop.Evaluator, error) {
		rows = append(rows, nb)
		return &decay{k: theta[0][0], rows: nb}, nil
	}
	b, err := graphop.NewBatch(bind, [][]float64{{0.5}}, batch, dim)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Release()
	z := make([]float64, batch*dim)
	a := make([]float64, batch*dim)
	for i := range z {
		z[i], a[i] = 2, 1
	}
	f := make([]float64, batch*dim)
	dk := make([]float64, 1)
	b.VJP(f, nil, dk, 0, z, a)
	fmt.Println("chunks of rows:", rows)
	fmt.Println("f[0], f[last]:", f[0], f[len(f)-1])
	fmt.Println("dL/dk:", dk[0])
	// Output:
	// chunks of rows: [1 1]
	// f[0], f[last]: -1 -1
	// dL/dk: -262144
}
