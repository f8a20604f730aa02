//go:build ignore

// gen_gemm writes gemm_amd64.s, the register-blocked micro-kernels of the matrix products.
// Run it with `go generate` in this folder (see gemm_amd64.go).
//
// Every kernel computes one column panel of C (m×w, w ≤ panel width) over all its rows:
//
//	C[i][j] (=, +=, = bias[j] +) Σ_l A(i, l) · B[l][j],   A(i, l) = a[i*rsa + l*csa],
//	                                                      B[l][j] = b[l*ldb + j],
//	                                                      C[i][j] = c[i*ldc + j].
//
// The general strides of A give the three layouts of a dense layer from one kernel: A·B
// (rsa = k, csa = 1), Aᵀ·B (rsa = 1, csa = k) and, after packing Bᵀ, A·Bᵀ. Rows are taken
// in tiles of MR (the first entry of the list) while they last, then once each in the
// smaller tiles that make up the remainder. Each tile keeps MR × NV vector accumulators in
// registers; one step of the inner loop loads NV vectors of B and broadcasts MR entries
// of A, for MR·NV fused multiply-adds.
package main

import (
	"bytes"
	"fmt"
	"os"
)

type kernel struct {
	name    string
	zmm     bool  // AVX-512 (8 doubles a vector, K-register masks) or AVX2 (4 doubles)
	nv      int   // vectors per row
	masked  bool  // AVX2: the last vector of the panel is masked (Y15); AVX-512 always masks
	mrs     []int // row tiles: the first while rows last, then each smaller one once
	comment string
}

var out bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }

// rowAddr returns the address of A(r, l) for row r of the tile, given AX = &A(0, l),
// R8 = rsa, R9 = 3 rsa, R10 = 5 rsa, R11 = 7 rsa (bytes).
func rowAddr(r int) string {
	switch r {
	case 0:
		return "(AX)"
	case 1:
		return "(AX)(R8*1)"
	case 2:
		return "(AX)(R8*2)"
	case 3:
		return "(AX)(R9*1)"
	case 4:
		return "(AX)(R8*4)"
	case 5:
		return "(AX)(R10*1)"
	case 6:
		return "(AX)(R9*2)"
	case 7:
		return "(AX)(R11*1)"
	}
	panic("row")
}

func (k *kernel) vreg(i int) string {
	if k.zmm {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}

func (k *kernel) vbytes() int {
	if k.zmm {
		return 64
	}
	return 32
}

func (k *kernel) acc(r, v int) string { return k.vreg(r*k.nv + v) }

// bReg is the register holding vector v of the current row of B.
func (k *kernel) bReg(v int) string {
	if k.zmm {
		return k.vreg(16 + v)
	}
	return k.vreg(12 + v)
}

// tReg is the register for the broadcast of row r.
func (k *kernel) tReg(r int) string {
	if k.zmm {
		return k.vreg(18 + r%8)
	}
	return k.vreg(14)
}

func (k *kernel) isMasked(v int) bool {
	return k.zmm || (k.masked && v == k.nv-1)
}

// load writes a (masked) load of vector v at addr into dst.
func (k *kernel) load(v int, addr, dst string) {
	switch {
	case k.zmm:
		p("\tVMOVUPD.Z %s, K%d, %s", addr, v+1, dst)
	case k.isMasked(v):
		p("\tVMASKMOVPD %s, Y15, %s", addr, dst)
	default:
		p("\tVMOVUPD %s, %s", addr, dst)
	}
}

func (k *kernel) store(v int, src, addr string) {
	switch {
	case k.zmm:
		p("\tVMOVUPD %s, K%d, %s", src, v+1, addr)
	case k.isMasked(v):
		p("\tVMASKMOVPD %s, Y15, %s", src, addr)
	default:
		p("\tVMOVUPD %s, %s", src, addr)
	}
}

func off(o int, reg string) string {
	if o == 0 {
		return "(" + reg + ")"
	}
	return fmt.Sprintf("%d(%s)", o, reg)
}

// sets returns how many sets of accumulators a tile of mr rows keeps: the steps of the
// inner loop go to the sets in turn, so that enough independent chains of fused
// multiply-adds hide their latency (two units with a latency of four cycles want eight)
// even in the thin tiles of the last rows; the sets are summed before the store.
func (k *kernel) sets(mr int) int {
	per := mr * k.nv
	maxAcc, want := 16, 12
	if !k.zmm {
		maxAcc, want = 12, 10
	}
	s := (want + per - 1) / per
	return max(1, min(s, maxAcc/per))
}

func (k *kernel) tile(mr int) {
	id := fmt.Sprintf("%d", mr)
	ns := k.sets(mr)
	per := mr * k.nv
	accS := func(s, r, v int) string { return k.vreg(s*per + r*k.nv + v) }
	p("\t// tile of %d rows, %d sets of accumulators", mr, ns)
	p("\tMOVQ mode+88(FP), CX")
	p("\tCMPQ CX, $1")
	p("\tJEQ  loadc%s", id)
	p("\tJGT  loadbias%s", id)
	for r := 0; r < mr; r++ {
		for v := 0; v < k.nv; v++ {
			a := k.acc(r, v)
			if k.zmm {
				p("\tVPXORQ %s, %s, %s", a, a, a)
			} else {
				p("\tVXORPD %s, %s, %s", a, a, a)
			}
		}
	}
	p("\tJMP  body%s", id)
	p("loadc%s:", id)
	p("\tMOVQ DI, CX")
	for r := 0; r < mr; r++ {
		for v := 0; v < k.nv; v++ {
			k.load(v, off(v*k.vbytes(), "CX"), k.acc(r, v))
		}
		if r < mr-1 {
			p("\tADDQ R14, CX")
		}
	}
	p("\tJMP  body%s", id)
	p("loadbias%s:", id)
	p("\tMOVQ bias+24(FP), CX")
	for r := 0; r < mr; r++ {
		for v := 0; v < k.nv; v++ {
			k.load(v, off(v*k.vbytes(), "CX"), k.acc(r, v))
		}
	}
	p("body%s:", id)
	for s := 1; s < ns; s++ {
		for r := 0; r < mr; r++ {
			for v := 0; v < k.nv; v++ {
				a := accS(s, r, v)
				if k.zmm {
					p("\tVPXORQ %s, %s, %s", a, a, a)
				} else {
					p("\tVXORPD %s, %s, %s", a, a, a)
				}
			}
		}
	}
	p("\tMOVQ SI, AX")
	p("\tMOVQ b+16(FP), DX")
	p("\tMOVQ k+40(FP), CX")
	step := func(s int) {
		for v := 0; v < k.nv; v++ {
			k.load(v, off(v*k.vbytes(), "DX"), k.bReg(v))
		}
		for r := 0; r < mr; r++ {
			t := k.tReg(r)
			p("\tVBROADCASTSD %s, %s", rowAddr(r), t)
			for v := 0; v < k.nv; v++ {
				p("\tVFMADD231PD %s, %s, %s", k.bReg(v), t, accS(s, r, v))
			}
		}
		p("\tADDQ R12, AX")
		p("\tADDQ R13, DX")
	}
	if ns > 1 {
		p("\tCMPQ CX, $%d", ns)
		p("\tJLT  rest%s", id)
		p("multi%s:", id)
		for s := 0; s < ns; s++ {
			step(s)
		}
		p("\tSUBQ $%d, CX", ns)
		p("\tCMPQ CX, $%d", ns)
		p("\tJGE  multi%s", id)
		p("rest%s:", id)
		p("\tTESTQ CX, CX")
		p("\tJZ   sum%s", id)
	}
	p("loop%s:", id)
	step(0)
	p("\tDECQ CX")
	p("\tJNZ  loop%s", id)
	if ns > 1 {
		p("sum%s:", id)
		// Pairwise: set s += set s+h, halving the number of sets.
		for n := ns; n > 1; n = (n + 1) / 2 {
			h := (n + 1) / 2
			for s := 0; s+h < n; s++ {
				for r := 0; r < mr; r++ {
					for v := 0; v < k.nv; v++ {
						p("\tVADDPD %s, %s, %s", accS(s+h, r, v), accS(s, r, v), accS(s, r, v))
					}
				}
			}
		}
	}
	p("\tMOVQ DI, CX")
	for r := 0; r < mr; r++ {
		for v := 0; v < k.nv; v++ {
			k.store(v, k.acc(r, v), off(v*k.vbytes(), "CX"))
		}
		if r < mr-1 {
			p("\tADDQ R14, CX")
		}
	}
	// Next tile: SI += mr rows of A, DI += mr rows of C.
	switch mr {
	case 8:
		p("\tLEAQ (SI)(R8*8), SI")
		p("\tLEAQ (DI)(R14*8), DI")
	case 6:
		p("\tLEAQ (SI)(R9*2), SI")
		p("\tLEAQ (DI)(R14*4), DI")
		p("\tLEAQ (DI)(R14*2), DI")
	case 4:
		p("\tLEAQ (SI)(R8*4), SI")
		p("\tLEAQ (DI)(R14*4), DI")
	case 2:
		p("\tLEAQ (SI)(R8*2), SI")
		p("\tLEAQ (DI)(R14*2), DI")
	case 1:
		p("\tADDQ R8, SI")
		p("\tADDQ R14, DI")
	default:
		panic("mr")
	}
	p("\tSUBQ $%d, R15", mr)
}

func (k *kernel) gen() {
	maskArg := "mask+80(FP)"
	p("")
	p("// %s", k.comment)
	p("TEXT ·%s(SB), NOSPLIT, $0-96", k.name)
	p("\tMOVQ c+0(FP), DI")
	p("\tMOVQ a+8(FP), SI")
	p("\tMOVQ m+32(FP), R15")
	p("\tMOVQ ldc+48(FP), R14")
	p("\tSHLQ $3, R14")
	p("\tMOVQ rsa+56(FP), R8")
	p("\tSHLQ $3, R8")
	p("\tLEAQ (R8)(R8*2), R9")
	p("\tLEAQ (R8)(R8*4), R10")
	p("\tLEAQ (R9)(R8*4), R11")
	p("\tMOVQ csa+64(FP), R12")
	p("\tSHLQ $3, R12")
	p("\tMOVQ ldb+72(FP), R13")
	p("\tSHLQ $3, R13")
	if k.zmm {
		p("\tMOVQ %s, AX", maskArg)
		p("\tKMOVW AX, K1")
		p("\tSHRQ $8, AX")
		p("\tKMOVW AX, K2")
	} else if k.masked {
		p("\tMOVQ %s, AX", maskArg)
		p("\tVMOVUPD (AX), Y15")
	}
	main := k.mrs[0]
	p("\tCMPQ R15, $%d", main)
	p("\tJLT  tail")
	p("tiles:")
	k.tile(main)
	p("\tCMPQ R15, $%d", main)
	p("\tJGE  tiles")
	p("tail:")
	for _, mr := range k.mrs[1:] {
		p("\tCMPQ R15, $%d", mr)
		p("\tJLT  skip%d", mr)
		k.tile(mr)
		p("skip%d:", mr)
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

func main() {
	p("// Code generated by gen_gemm.go; DO NOT EDIT.")
	p("")
	p("//go:build amd64 && !purego")
	p("")
	p("#include \"textflag.h\"")
	kernels := []kernel{
		{name: "gemm16Z", zmm: true, nv: 2, mrs: []int{8, 4, 2, 1},
			comment: "func gemm16Z(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb int, mask uint64, mode int)\n// AVX-512: a panel of up to 16 columns, masks K1 (columns 0-7) and K2 (8-15) from mask."},
		{name: "gemm8Z", zmm: true, nv: 1, mrs: []int{8, 4, 2, 1},
			comment: "func gemm8Z(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb int, mask uint64, mode int)\n// AVX-512: a panel of up to 8 columns, mask K1 from mask."},
		{name: "gemm8Y", nv: 2, mrs: []int{6, 4, 2, 1},
			comment: "func gemm8Y(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb int, mask *int64, mode int)\n// AVX2: a full panel of 8 columns (mask unused)."},
		{name: "gemm8YM", nv: 2, masked: true, mrs: []int{6, 4, 2, 1},
			comment: "func gemm8YM(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb int, mask *int64, mode int)\n// AVX2: a panel of 5 to 8 columns, columns 4-7 masked by the 4 lanes at mask."},
		{name: "gemm4YM", nv: 1, masked: true, mrs: []int{6, 4, 2, 1},
			comment: "func gemm4YM(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb int, mask *int64, mode int)\n// AVX2: a panel of 1 to 4 columns masked by the 4 lanes at mask."},
	}
	for i := range kernels {
		kernels[i].gen()
	}
	if err := os.WriteFile("gemm_amd64.s", out.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
