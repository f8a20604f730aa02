//go:build ignore

// gen_gemm writes gemm_amd64.s, the register-blocked micro-kernels of the matrix products.
// Run it with `go generate` in this folder (see gemm_amd64.go).
//
// Every kernel computes one column panel of C (m×w, w its fixed width) over all its rows:
//
//	C[i][j] (=, +=, = bias[j] +) Σ_l A(i, l) · B[l][j],   A(i, l) = a[i*rsa + l*csa],
//	                                                      B[l][j] = b[l*ldb + j],
//	                                                      C[i][j] = c[i*ldc + j].
//
// The general strides of A give the three layouts of a dense layer from one kernel: A·B
// (rsa = k, csa = 1), Aᵀ·B (rsa = 1, csa = k) and, after packing Bᵀ, A·Bᵀ. Rows are taken
// in tiles of MR (the first entry of the list) while they last, then once each in the
// smaller tiles that make up the remainder. A row of the panel is a list of chunks of 8
// (zmm), 4 (ymm), 2 (xmm) or 1 double(s); each tile keeps MR accumulators per chunk in
// registers, and one step of the inner loop loads the chunks of a row of B and broadcasts
// MR entries of A, for one fused multiply-add per accumulator.
//
// No access is masked: every load and store covers exactly the columns of the panel. (A
// masked access whose masked-off part lies across a page boundary costs thousands of
// cycles on the AMD Zen 5 we measured, even when the next page is mapped, and the end of a
// matrix can be anywhere.) The narrow panels (1 to 7 columns) use only AVX2 and FMA, so
// they serve both instruction sets.
package main

import (
	"bytes"
	"fmt"
	"os"
)

type kernel struct {
	name    string
	zmm     bool  // AVX-512 registers (32 of them) or AVX2 ones (16)
	chunks  []int // widths of the chunks of a row: 8 (zmm only), 4, 2 or 1
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

// nv is the number of chunks in a row.
func (k *kernel) nv() int { return len(k.chunks) }

// reg names register i at the width of chunk v.
func (k *kernel) reg(i, v int) string {
	switch k.chunks[v] {
	case 8:
		return fmt.Sprintf("Z%d", i)
	case 4:
		return fmt.Sprintf("Y%d", i)
	}
	return fmt.Sprintf("X%d", i)
}

// coff is the byte offset of chunk v in a row.
func (k *kernel) coff(v int) int {
	o := 0
	for _, w := range k.chunks[:v] {
		o += 8 * w
	}
	return o
}

// bIdx is the register holding chunk v of the current row of B.
func (k *kernel) bIdx(v int) int {
	if k.zmm {
		return 16 + v
	}
	return []int{12, 13, 15}[v]
}

// tReg is the register for the broadcast of row r, at the widest chunk's width.
func (k *kernel) tReg(r int) string {
	if k.zmm {
		return fmt.Sprintf("Z%d", 18+r%8)
	}
	return "Y14"
}

// tAt is the broadcast register of row r at the width of chunk v.
func (k *kernel) tAt(r, v int) string {
	t := k.tReg(r)
	return k.reg(atoi(t[1:]), v)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = 10*n + int(c-'0')
	}
	return n
}

func (k *kernel) load(v int, addr string, dst int) {
	if k.chunks[v] == 1 {
		p("\tVMOVSD %s, %s", addr, k.reg(dst, v))
	} else {
		p("\tVMOVUPD %s, %s", addr, k.reg(dst, v))
	}
}

func (k *kernel) store(v int, src int, addr string) {
	if k.chunks[v] == 1 {
		p("\tVMOVSD %s, %s", k.reg(src, v), addr)
	} else {
		p("\tVMOVUPD %s, %s", k.reg(src, v), addr)
	}
}

func (k *kernel) zero(i, v int) {
	if k.chunks[v] == 8 {
		r := fmt.Sprintf("Z%d", i)
		p("\tVPXORQ %s, %s, %s", r, r, r)
	} else {
		r := fmt.Sprintf("Y%d", i)
		p("\tVXORPD %s, %s, %s", r, r, r)
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
	per := mr * k.nv()
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
	nv := k.nv()
	acc := func(s, r, v int) int { return (s*mr+r)*nv + v }
	p("\t// tile of %d rows, %d sets of accumulators", mr, ns)
	p("\tMOVQ mode+80(FP), CX")
	p("\tCMPQ CX, $1")
	p("\tJEQ  loadc%s", id)
	p("\tJGT  loadbias%s", id)
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			k.zero(acc(0, r, v), v)
		}
	}
	p("\tJMP  body%s", id)
	p("loadc%s:", id)
	p("\tMOVQ DI, CX")
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			k.load(v, off(k.coff(v), "CX"), acc(0, r, v))
		}
		if r < mr-1 {
			p("\tADDQ R14, CX")
		}
	}
	p("\tJMP  body%s", id)
	p("loadbias%s:", id)
	p("\tMOVQ bias+24(FP), CX")
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			k.load(v, off(k.coff(v), "CX"), acc(0, r, v))
		}
	}
	p("body%s:", id)
	for s := 1; s < ns; s++ {
		for r := 0; r < mr; r++ {
			for v := 0; v < nv; v++ {
				k.zero(acc(s, r, v), v)
			}
		}
	}
	p("\tMOVQ SI, AX")
	p("\tMOVQ b+16(FP), DX")
	p("\tMOVQ k+40(FP), CX")
	step := func(s int) {
		for v := 0; v < nv; v++ {
			k.load(v, off(k.coff(v), "DX"), k.bIdx(v))
		}
		for r := 0; r < mr; r++ {
			p("\tVBROADCASTSD %s, %s", rowAddr(r), k.tReg(r))
			for v := 0; v < nv; v++ {
				op := "VFMADD231PD"
				if k.chunks[v] == 1 {
					op = "VFMADD231SD"
				}
				p("\t%s %s, %s, %s", op, k.reg(k.bIdx(v), v), k.tAt(r, v), k.reg(acc(s, r, v), v))
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
					for v := 0; v < nv; v++ {
						x, y := acc(s+h, r, v), acc(s, r, v)
						if k.chunks[v] == 8 {
							p("\tVADDPD Z%d, Z%d, Z%d", x, y, y)
						} else {
							p("\tVADDPD Y%d, Y%d, Y%d", x, y, y)
						}
					}
				}
			}
		}
	}
	p("\tMOVQ DI, CX")
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			k.store(v, acc(0, r, v), off(k.coff(v), "CX"))
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
	p("")
	p("// func %s(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb, mode int)", k.name)
	p("// %s", k.comment)
	p("TEXT ·%s(SB), NOSPLIT, $0-88", k.name)
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
		{name: "gemm16Z", zmm: true, chunks: []int{8, 8}, mrs: []int{8, 4, 2, 1},
			comment: "AVX-512: a panel of 16 columns."},
		{name: "gemm8Z", zmm: true, chunks: []int{8}, mrs: []int{8, 4, 2, 1},
			comment: "AVX-512: a panel of 8 columns."},
		{name: "gemm8Y", chunks: []int{4, 4}, mrs: []int{6, 4, 2, 1},
			comment: "AVX2: a panel of 8 columns."},
	}
	for w := 1; w <= 7; w++ {
		var ch []int
		for _, c := range []int{4, 2, 1} {
			if w&c != 0 {
				ch = append(ch, c)
			}
		}
		mrs := []int{6, 4, 2, 1}
		if len(ch) == 3 {
			mrs = mrs[1:]
		}
		kernels = append(kernels, kernel{name: fmt.Sprintf("gemm%dE", w), chunks: ch, mrs: mrs,
			comment: fmt.Sprintf("AVX2: a panel of %d columns.", w)})
	}
	for i := range kernels {
		kernels[i].gen()
	}
	if err := os.WriteFile("gemm_amd64.s", out.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
