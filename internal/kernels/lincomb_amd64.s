// Lincomb kernels (lincomb.go): for each vector of dst, the sum starts at base (or at
// c[0]*x[0]) and adds c[j]*x[j] with a rounded multiply and a rounded add, j in order, as
// the portable loop does.

//go:build amd64 && !purego

#include "textflag.h"

// func lincombZ(dst, base *float64, xs *[]float64, c *float64, k, n int)
TEXT ·lincombZ(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ base+8(FP), SI
	MOVQ xs+16(FP), R8
	MOVQ c+24(FP), R9
	MOVQ k+32(FP), R10
	MOVQ n+40(FP), CX
	XORQ AX, AX
lincombZ_loop:
	CMPQ AX, CX
	JGE  lincombZ_done
	TESTQ SI, SI
	JZ   lincombZ_nobase
	VMOVUPD (SI)(AX*8), Z0
	XORQ BX, BX
	MOVQ R8, R11
	JMP  lincombZ_terms
lincombZ_nobase:
	MOVQ (R8), DX
	VBROADCASTSD (R9), Z1
	VMULPD (DX)(AX*8), Z1, Z0
	MOVQ $1, BX
	LEAQ 24(R8), R11
lincombZ_terms:
	CMPQ BX, R10
	JGE  lincombZ_store
	MOVQ (R11), DX
	VBROADCASTSD (R9)(BX*8), Z1
	VMULPD (DX)(AX*8), Z1, Z2
	VADDPD Z2, Z0, Z0
	INCQ BX
	ADDQ $24, R11
	JMP  lincombZ_terms
lincombZ_store:
	VMOVUPD Z0, (DI)(AX*8)
	ADDQ $8, AX
	JMP  lincombZ_loop
lincombZ_done:
	VZEROUPPER
	RET

// func lincombY(dst, base *float64, xs *[]float64, c *float64, k, n int)
TEXT ·lincombY(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ base+8(FP), SI
	MOVQ xs+16(FP), R8
	MOVQ c+24(FP), R9
	MOVQ k+32(FP), R10
	MOVQ n+40(FP), CX
	XORQ AX, AX
lincombY_loop:
	CMPQ AX, CX
	JGE  lincombY_done
	TESTQ SI, SI
	JZ   lincombY_nobase
	VMOVUPD (SI)(AX*8), Y0
	XORQ BX, BX
	MOVQ R8, R11
	JMP  lincombY_terms
lincombY_nobase:
	MOVQ (R8), DX
	VBROADCASTSD (R9), Y1
	VMULPD (DX)(AX*8), Y1, Y0
	MOVQ $1, BX
	LEAQ 24(R8), R11
lincombY_terms:
	CMPQ BX, R10
	JGE  lincombY_store
	MOVQ (R11), DX
	VBROADCASTSD (R9)(BX*8), Y1
	VMULPD (DX)(AX*8), Y1, Y2
	VADDPD Y2, Y0, Y0
	INCQ BX
	ADDQ $24, R11
	JMP  lincombY_terms
lincombY_store:
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ $4, AX
	JMP  lincombY_loop
lincombY_done:
	VZEROUPPER
	RET
