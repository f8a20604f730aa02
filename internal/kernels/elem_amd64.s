// Elementwise kernels (elem.go): rounded multiplies and adds in the order of the portable
// loops.

//go:build amd64 && !purego

#include "textflag.h"

DATA elemOne<>+0(SB)/8, $0x3ff0000000000000
GLOBL elemOne<>(SB), RODATA|NOPTR, $8
DATA elemMinusTwo<>+0(SB)/8, $0xc000000000000000
GLOBL elemMinusTwo<>(SB), RODATA|NOPTR, $8

// func tanhDerivsZ(d1, d2, h *float64, n int)
TEXT ·tanhDerivsZ(SB), NOSPLIT, $0-32
	MOVQ d1+0(FP), DI
	MOVQ d2+8(FP), DX
	MOVQ h+16(FP), SI
	MOVQ n+24(FP), CX
	VBROADCASTSD elemOne<>(SB), Z1
	VBROADCASTSD elemMinusTwo<>(SB), Z2
	XORQ AX, AX
tanhDerivsZ_loop:
	CMPQ AX, CX
	JGE  tanhDerivsZ_done
	VMOVUPD (SI)(AX*8), Z3
	VMULPD Z3, Z3, Z4
	VSUBPD Z4, Z1, Z4
	VMOVUPD Z4, (DI)(AX*8)
	TESTQ DX, DX
	JZ   tanhDerivsZ_next
	VMULPD Z2, Z3, Z5
	VMULPD Z4, Z5, Z5
	VMOVUPD Z5, (DX)(AX*8)
tanhDerivsZ_next:
	ADDQ $8, AX
	JMP  tanhDerivsZ_loop
tanhDerivsZ_done:
	VZEROUPPER
	RET

// func tanhDerivsY(d1, d2, h *float64, n int)
TEXT ·tanhDerivsY(SB), NOSPLIT, $0-32
	MOVQ d1+0(FP), DI
	MOVQ d2+8(FP), DX
	MOVQ h+16(FP), SI
	MOVQ n+24(FP), CX
	VBROADCASTSD elemOne<>(SB), Y1
	VBROADCASTSD elemMinusTwo<>(SB), Y2
	XORQ AX, AX
tanhDerivsY_loop:
	CMPQ AX, CX
	JGE  tanhDerivsY_done
	VMOVUPD (SI)(AX*8), Y3
	VMULPD Y3, Y3, Y4
	VSUBPD Y4, Y1, Y4
	VMOVUPD Y4, (DI)(AX*8)
	TESTQ DX, DX
	JZ   tanhDerivsY_next
	VMULPD Y2, Y3, Y5
	VMULPD Y4, Y5, Y5
	VMOVUPD Y5, (DX)(AX*8)
tanhDerivsY_next:
	ADDQ $4, AX
	JMP  tanhDerivsY_loop
tanhDerivsY_done:
	VZEROUPPER
	RET

// func mulAdd2Z(dst, a, b, c, d *float64, n int)
TEXT ·mulAdd2Z(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), R8
	MOVQ c+24(FP), R9
	MOVQ d+32(FP), R10
	MOVQ n+40(FP), CX
	XORQ AX, AX
	TESTQ R9, R9
	JZ   mulAdd2Z_mul
mulAdd2Z_loop:
	CMPQ AX, CX
	JGE  mulAdd2Z_done
	VMOVUPD (SI)(AX*8), Z0
	VMULPD (R8)(AX*8), Z0, Z0
	VMOVUPD (R9)(AX*8), Z1
	VMULPD (R10)(AX*8), Z1, Z1
	VADDPD Z1, Z0, Z0
	VMOVUPD Z0, (DI)(AX*8)
	ADDQ $8, AX
	JMP  mulAdd2Z_loop
mulAdd2Z_mul:
	CMPQ AX, CX
	JGE  mulAdd2Z_done
	VMOVUPD (SI)(AX*8), Z0
	VMULPD (R8)(AX*8), Z0, Z0
	VMOVUPD Z0, (DI)(AX*8)
	ADDQ $8, AX
	JMP  mulAdd2Z_mul
mulAdd2Z_done:
	VZEROUPPER
	RET

// func mulAdd2Y(dst, a, b, c, d *float64, n int)
TEXT ·mulAdd2Y(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), R8
	MOVQ c+24(FP), R9
	MOVQ d+32(FP), R10
	MOVQ n+40(FP), CX
	XORQ AX, AX
	TESTQ R9, R9
	JZ   mulAdd2Y_mul
mulAdd2Y_loop:
	CMPQ AX, CX
	JGE  mulAdd2Y_done
	VMOVUPD (SI)(AX*8), Y0
	VMULPD (R8)(AX*8), Y0, Y0
	VMOVUPD (R9)(AX*8), Y1
	VMULPD (R10)(AX*8), Y1, Y1
	VADDPD Y1, Y0, Y0
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ $4, AX
	JMP  mulAdd2Y_loop
mulAdd2Y_mul:
	CMPQ AX, CX
	JGE  mulAdd2Y_done
	VMOVUPD (SI)(AX*8), Y0
	VMULPD (R8)(AX*8), Y0, Y0
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ $4, AX
	JMP  mulAdd2Y_mul
mulAdd2Y_done:
	VZEROUPPER
	RET

// func scaleZ(dst, src *float64, c float64, n int)
TEXT ·scaleZ(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	VBROADCASTSD c+16(FP), Z1
	MOVQ n+24(FP), CX
	XORQ AX, AX
scaleZ_loop:
	CMPQ AX, CX
	JGE  scaleZ_done
	VMULPD (SI)(AX*8), Z1, Z0
	VMOVUPD Z0, (DI)(AX*8)
	ADDQ $8, AX
	JMP  scaleZ_loop
scaleZ_done:
	VZEROUPPER
	RET

// func scaleY(dst, src *float64, c float64, n int)
TEXT ·scaleY(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	VBROADCASTSD c+16(FP), Y1
	MOVQ n+24(FP), CX
	XORQ AX, AX
scaleY_loop:
	CMPQ AX, CX
	JGE  scaleY_done
	VMULPD (SI)(AX*8), Y1, Y0
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ $4, AX
	JMP  scaleY_loop
scaleY_done:
	VZEROUPPER
	RET
