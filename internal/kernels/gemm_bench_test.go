package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// The products of the dense layers of the reference networks (docs/REFERENCE-CONFIGURATIONS.md), as
// (batch, in, out): N1 4 -> 32 -> 4 on 64 rows, N2 32 -> 256 -> 32 on half of 512 rows (one
// goroutine's share), N3 3 -> 64 -> 64 -> 2 on 512 rows.
var benchLayers = []struct {
	name         string
	batch, in, o int
}{
	{"N1/L0", 64, 4, 32},
	{"N1/L1", 64, 32, 4},
	{"N2/L0", 256, 32, 256},
	{"N2/L1", 256, 256, 32},
	{"N3/L0", 512, 3, 64},
	{"N3/L1", 512, 64, 64},
	{"N3/L2", 512, 64, 2},
}

func report(b *testing.B, flops int) {
	b.ReportMetric(float64(flops)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFLOP/s")
}

// BenchmarkMul measures, for each layer, the forward product (NN: y = x·W), the weight
// gradient (TN: dW = xᵀ·g) and the input gradient (NT: dx = g·Wᵀ), each with this
// package (ours: the best path of the machine, then the AVX2 and portable Go paths
// forced), gonum's blas64.Gemm and a naive triple loop.
func BenchmarkMul(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, l := range benchLayers {
		m, in, o := l.batch, l.in, l.o
		x, w, g := randSlice(r, m*in), randSlice(r, in*o), randSlice(r, m*o)
		y, dw, dx := make([]float64, m*o), make([]float64, in*o), make([]float64, m*in)
		flops := 2 * m * in * o
		X := blas64.General{Rows: m, Cols: in, Stride: in, Data: x}
		W := blas64.General{Rows: in, Cols: o, Stride: o, Data: w}
		G := blas64.General{Rows: m, Cols: o, Stride: o, Data: g}
		Y := blas64.General{Rows: m, Cols: o, Stride: o, Data: y}
		DW := blas64.General{Rows: in, Cols: o, Stride: o, Data: dw}
		DX := blas64.General{Rows: m, Cols: in, Stride: in, Data: dx}
		ops := []struct {
			op     string
			ours   func()
			gonum  func()
			simple func()
		}{
			{"NN", func() { MulNN(y, x, w, m, in, o, false) },
				func() { blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, X, W, 0, Y) },
				func() { naiveNN(y, x, w, m, in, o) }},
			{"TN", func() { MulTN(dw, x, g, m, in, o, false) },
				func() { blas64.Gemm(blas.Trans, blas.NoTrans, 1, X, G, 0, DW) },
				func() { naiveTN(dw, x, g, m, in, o) }},
			{"NT", func() { MulNT(dx, g, w, m, o, in, false) },
				func() { blas64.Gemm(blas.NoTrans, blas.Trans, 1, G, W, 0, DX) },
				func() { naiveNT(dx, g, w, m, o, in) }},
		}
		for _, op := range ops {
			run := func(name string, f func()) {
				b.Run(fmt.Sprintf("%s/%s/%s", l.name, op.op, name), func(b *testing.B) {
					f()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						f()
					}
					report(b, flops)
				})
			}
			run("ours", op.ours)
			if hasAVX512 {
				withPath(b, "avx2", func() { run("avx2", op.ours) })
			}
			if hasAVX2 {
				withPath(b, "go", func() { run("go", op.ours) })
			}
			run("gonum", op.gonum)
			run("naive", op.simple)
		}
	}
}

// The naive loops: one dot product per entry.
func naiveNN(c, a, b []float64, m, k, n int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < k; l++ {
				s += a[i*k+l] * b[l*n+j]
			}
			c[i*n+j] = s
		}
	}
}

func naiveTN(c, a, b []float64, m, k, n int) {
	for i := 0; i < k; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < m; l++ {
				s += a[l*k+i] * b[l*n+j]
			}
			c[i*n+j] = s
		}
	}
}

func naiveNT(c, a, b []float64, m, n, k int) {
	for i := 0; i < m; i++ {
		for j := 0; j < k; j++ {
			var s float64
			for l := 0; l < n; l++ {
				s += a[i*n+l] * b[j*n+l]
			}
			c[i*k+j] = s
		}
	}
}
