//go:build amd64 && !purego

#include "textflag.h"

// func dot4Z(c, a, bt, bias *float64, m, k, ldc, lda, mode int)
//
// C (m×4) (mode) A·B for A (m×k, row stride lda) and B (k×4) given as Bᵀ (4×k, packed,
// row stride k), k a positive multiple of 8: two rows of A at a time, each against the
// four rows of Bᵀ, eight zmm accumulators of partial dot products; then one transposing
// reduction (unpack, and two 128-bit-lane shuffles) turns them into the eight results
// [C[i][0..3] | C[i+1][0..3]]. A last odd row is computed as a pair with itself and
// stored once. See dot4.go.
TEXT ·dot4Z(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ bt+16(FP), DX
	MOVQ bias+24(FP), R12
	MOVQ m+32(FP), R15
	MOVQ k+40(FP), R9
	SHLQ $3, R9            // k in bytes: the row stride of Bᵀ and the end of a row
	MOVQ ldc+48(FP), R14
	SHLQ $3, R14
	MOVQ lda+56(FP), R8
	SHLQ $3, R8
	MOVQ mode+64(FP), R11
	CMPQ R11, $2
	JNE  rows
	VBROADCASTF64X4 (R12), Z30 // [bias | bias]
rows:
	LEAQ (DX)(R9*1), R10   // row 1 of Bᵀ
	LEAQ (R10)(R9*1), R12  // row 2
	LEAQ (R12)(R9*1), R13  // row 3
pair:
	CMPQ R15, $0
	JLE  done
	MOVQ SI, AX            // row i of A
	LEAQ (SI)(R8*1), BX    // row i+1
	LEAQ (DI)(R14*1), CX   // row i+1 of C
	CMPQ R15, $1
	JNE  two
	MOVQ SI, BX            // a last single row: paired with itself
	MOVQ DI, CX
two:
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3
	VXORPD Z4, Z4, Z4
	VXORPD Z5, Z5, Z5
	VXORPD Z6, Z6, Z6
	VXORPD Z7, Z7, Z7
	XORQ R11, R11          // byte offset along the rows
loopk:
	VMOVUPD (AX)(R11*1), Z8
	VMOVUPD (BX)(R11*1), Z9
	VMOVUPD (DX)(R11*1), Z10
	VMOVUPD (R10)(R11*1), Z11
	VMOVUPD (R12)(R11*1), Z12
	VMOVUPD (R13)(R11*1), Z13
	VFMADD231PD Z10, Z8, Z0
	VFMADD231PD Z11, Z8, Z1
	VFMADD231PD Z12, Z8, Z2
	VFMADD231PD Z13, Z8, Z3
	VFMADD231PD Z10, Z9, Z4
	VFMADD231PD Z11, Z9, Z5
	VFMADD231PD Z12, Z9, Z6
	VFMADD231PD Z13, Z9, Z7
	ADDQ $64, R11
	CMPQ R11, R9
	JLT  loopk
	// Q01 = [P0_0+P0_1, P1_0+P1_1, P0_2+P0_3, P1_2+P1_3, ...], likewise Q23, Q45, Q67.
	VUNPCKLPD Z1, Z0, Z14
	VUNPCKHPD Z1, Z0, Z15
	VADDPD Z15, Z14, Z14
	VUNPCKLPD Z3, Z2, Z15
	VUNPCKHPD Z3, Z2, Z16
	VADDPD Z16, Z15, Z15
	VUNPCKLPD Z5, Z4, Z16
	VUNPCKHPD Z5, Z4, Z17
	VADDPD Z17, Z16, Z16
	VUNPCKLPD Z7, Z6, Z17
	VUNPCKHPD Z7, Z6, Z18
	VADDPD Z18, Z17, Z17
	// T0123 = [Q01.l0 + Q01.l1, Q01.l2 + Q01.l3, Q23.l0 + Q23.l1, Q23.l2 + Q23.l3]
	// (128-bit lanes), likewise T4567.
	VSHUFF64X2 $0x88, Z15, Z14, Z18
	VSHUFF64X2 $0xDD, Z15, Z14, Z19
	VADDPD Z19, Z18, Z18
	VSHUFF64X2 $0x88, Z17, Z16, Z19
	VSHUFF64X2 $0xDD, Z17, Z16, Z20
	VADDPD Z20, Z19, Z19
	// [P0 P1 P2 P3 P4 P5 P6 P7]: the lanes of T0123 and T4567 summed in pairs.
	VSHUFF64X2 $0x88, Z19, Z18, Z20
	VSHUFF64X2 $0xDD, Z19, Z18, Z21
	VADDPD Z21, Z20, Z20
	MOVQ mode+64(FP), R11
	CMPQ R11, $1
	JLT  store
	JGT  bias
	VMOVUPD (DI), Y21      // C += A·B
	VINSERTF64X4 $1, (CX), Z21, Z21
	VADDPD Z21, Z20, Z20
	JMP  store
bias:
	VADDPD Z30, Z20, Z20
store:
	VEXTRACTF64X4 $1, Z20, (CX)
	VMOVUPD Y20, (DI)      // after the upper half: a single row is stored from the lower
	LEAQ (SI)(R8*2), SI
	LEAQ (DI)(R14*2), DI
	SUBQ $2, R15
	JMP  pair
done:
	VZEROUPPER
	RET
