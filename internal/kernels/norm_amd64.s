// Norm kernels (norm.go).

//go:build amd64 && !purego

#include "textflag.h"

DATA normAbs<>+0(SB)/8, $0x7fffffffffffffff
GLOBL normAbs<>(SB), RODATA|NOPTR, $8

// func scaledSumSqZ(e, y0, y1 *float64, n int, rtol, atol float64, acc *[8]float64)
TEXT ·scaledSumSqZ(SB), NOSPLIT, $0-56
	MOVQ e+0(FP), SI
	MOVQ y0+8(FP), R8
	MOVQ y1+16(FP), R9
	MOVQ n+24(FP), CX
	VBROADCASTSD rtol+32(FP), Z1
	VBROADCASTSD atol+40(FP), Z2
	MOVQ acc+48(FP), DI
	VBROADCASTSD normAbs<>(SB), Z3
	VMOVUPD (DI), Z0
	XORQ AX, AX
sszloop:
	CMPQ AX, CX
	JGE  sszdone
	VPANDQ (R8)(AX*8), Z3, Z4
	VPANDQ (R9)(AX*8), Z3, Z5
	VMAXPD Z5, Z4, Z4
	VMULPD Z1, Z4, Z4
	VADDPD Z2, Z4, Z4
	VMOVUPD (SI)(AX*8), Z6
	VDIVPD Z4, Z6, Z6
	VMULPD Z6, Z6, Z6
	VADDPD Z6, Z0, Z0
	ADDQ $8, AX
	JMP  sszloop
sszdone:
	VMOVUPD Z0, (DI)
	VZEROUPPER
	RET

// func scaledSumSqY(e, y0, y1 *float64, n int, rtol, atol float64, acc *[8]float64)
TEXT ·scaledSumSqY(SB), NOSPLIT, $0-56
	MOVQ e+0(FP), SI
	MOVQ y0+8(FP), R8
	MOVQ y1+16(FP), R9
	MOVQ n+24(FP), CX
	VBROADCASTSD rtol+32(FP), Y1
	VBROADCASTSD atol+40(FP), Y2
	MOVQ acc+48(FP), DI
	VBROADCASTSD normAbs<>(SB), Y3
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y7
	XORQ AX, AX
ssyloop:
	CMPQ AX, CX
	JGE  ssydone
	VANDPD (R8)(AX*8), Y3, Y4
	VANDPD (R9)(AX*8), Y3, Y5
	VMAXPD Y5, Y4, Y4
	VMULPD Y1, Y4, Y4
	VADDPD Y2, Y4, Y4
	VMOVUPD (SI)(AX*8), Y6
	VDIVPD Y4, Y6, Y6
	VMULPD Y6, Y6, Y6
	VADDPD Y6, Y0, Y0
	VANDPD 32(R8)(AX*8), Y3, Y4
	VANDPD 32(R9)(AX*8), Y3, Y5
	VMAXPD Y5, Y4, Y4
	VMULPD Y1, Y4, Y4
	VADDPD Y2, Y4, Y4
	VMOVUPD 32(SI)(AX*8), Y6
	VDIVPD Y4, Y6, Y6
	VMULPD Y6, Y6, Y6
	VADDPD Y6, Y7, Y7
	ADDQ $8, AX
	JMP  ssyloop
ssydone:
	VMOVUPD Y0, (DI)
	VMOVUPD Y7, 32(DI)
	VZEROUPPER
	RET

// func finiteZ(x *float64, n int) int
TEXT ·finiteZ(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	XORQ AX, AX
	CMPQ CX, $16
	JLT  fz8
fz16:
	VMOVUPD (SI)(AX*8), Z2
	VMOVUPD 64(SI)(AX*8), Z3
	VSUBPD Z2, Z2, Z2
	VSUBPD Z3, Z3, Z3
	VADDPD Z2, Z0, Z0
	VADDPD Z3, Z1, Z1
	ADDQ $16, AX
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $16
	JGE  fz16
fz8:
	CMPQ AX, CX
	JGE  fzdone
	VMOVUPD (SI)(AX*8), Z2
	VSUBPD Z2, Z2, Z2
	VADDPD Z2, Z0, Z0
	ADDQ $8, AX
	JMP  fz8
fzdone:
	VADDPD Z1, Z0, Z0
	VCMPPD $3, Z0, Z0, K1
	KMOVW K1, AX
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET

// func finiteY(x *float64, n int) int
TEXT ·finiteY(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Y0, Y0, Y0
	XORQ AX, AX
fyloop:
	CMPQ AX, CX
	JGE  fydone
	VMOVUPD (SI)(AX*8), Y2
	VSUBPD Y2, Y2, Y2
	VADDPD Y2, Y0, Y0
	ADDQ $4, AX
	JMP  fyloop
fydone:
	VCMPPD $3, Y0, Y0, Y1
	VMOVMSKPD Y1, AX
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET
