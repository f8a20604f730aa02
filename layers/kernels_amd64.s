//go:build amd64 && !purego

#include "textflag.h"

// AVX2 + FMA kernel for the backward pass of softplus.
// kernels_amd64.go checks the CPU before any of them is called.

// Every constant is stored four times (32 bytes) so that it can be a ymm memory operand.
#define ABSMASK ·vconst+0(SB)
#define SIGNMASK ·vconst+32(SB)
#define ONE ·vconst+64(SB)
#define TWO ·vconst+96(SB)
#define HALF ·vconst+128(SB)
#define TWENTY ·vconst+160(SB)
#define MAXARG ·vconst+192(SB)
#define NEGMAX ·vconst+224(SB)
#define LOG2E ·vconst+256(SB)
#define LN2HI ·vconst+288(SB)
#define LN2LO ·vconst+320(SB)
#define SQRT2M1 ·vconst+352(SB)
#define C2 ·vconst+384(SB)
#define C3 ·vconst+416(SB)
#define C4 ·vconst+448(SB)
#define C5 ·vconst+480(SB)
#define C6 ·vconst+512(SB)
#define C7 ·vconst+544(SB)
#define C8 ·vconst+576(SB)
#define C9 ·vconst+608(SB)
#define C10 ·vconst+640(SB)
#define C11 ·vconst+672(SB)
#define C12 ·vconst+704(SB)
#define C13 ·vconst+736(SB)
#define LG1 ·vconst+768(SB)
#define LG2 ·vconst+800(SB)
#define LG3 ·vconst+832(SB)
#define LG4 ·vconst+864(SB)
#define LG5 ·vconst+896(SB)
#define LG6 ·vconst+928(SB)
#define LG7 ·vconst+960(SB)
#define ONEBITS ·vconst+992(SB)

// EXPCORE splits e^V for |V| <= 708 (in Y1): V = K ln2 + R with |R| <= ln2/2, leaving
// S = 2^K in Y6 and P = e^R - 1 in Y4 (degree-13 Taylor polynomial, relative error below
// 1e-17). Then e^V = S + S*P and e^V - 1 = (S - 1) + S*P. Clobbers Y2, Y3, Y5.
#define EXPCORE \
	VMULPD       LOG2E, Y1, Y2   \
	VROUNDPD     $0, Y2, Y2      \
	VMOVAPD      Y1, Y3          \
	VFNMADD231PD LN2HI, Y2, Y3   \
	VFNMADD231PD LN2LO, Y2, Y3   \
	VMOVUPD      C13, Y4         \
	VFMADD213PD  C12, Y3, Y4     \
	VFMADD213PD  C11, Y3, Y4     \
	VFMADD213PD  C10, Y3, Y4     \
	VFMADD213PD  C9, Y3, Y4      \
	VFMADD213PD  C8, Y3, Y4      \
	VFMADD213PD  C7, Y3, Y4      \
	VFMADD213PD  C6, Y3, Y4      \
	VFMADD213PD  C5, Y3, Y4      \
	VFMADD213PD  C4, Y3, Y4      \
	VFMADD213PD  C3, Y3, Y4      \
	VFMADD213PD  C2, Y3, Y4      \
	VMULPD       Y3, Y3, Y5      \
	VFMADD213PD  Y3, Y5, Y4      \
	VCVTPD2DQY   Y2, X6          \
	VPMOVSXDQ    X6, Y6          \
	VPSLLQ       $52, Y6, Y6     \
	VPADDQ       ONEBITS, Y6, Y6

// func mulSoftplusDerivAVX2(dst, u, h *float64, n int)
// dst[i] *= sigmoid(u[i]) = -expm1(-h[i]) with h = softplus(u), and 1 where u > 20.
TEXT ·mulSoftplusDerivAVX2(SB), NOSPLIT, $0-32
	MOVQ    dst+0(FP), DI
	MOVQ    u+8(FP), SI
	MOVQ    h+16(FP), DX
	MOVQ    n+24(FP), CX
	SHRQ    $2, CX
	JZ      spd_done
	VMOVUPD NEGMAX, Y13

spd_loop:
	VMOVUPD (DX), Y1
	VXORPD  SIGNMASK, Y1, Y1
	VMAXPD  Y1, Y13, Y1     // max(-708, -h); NaN stays NaN
	EXPCORE
	VSUBPD      ONE, Y6, Y5
	VFMADD231PD Y4, Y6, Y5  // expm1(-h)
	VXORPD      SIGNMASK, Y5, Y5
	VMOVUPD     (SI), Y0
	VCMPPD      $0x1e, TWENTY, Y0, Y7
	VBLENDVPD   Y7, ONE, Y5, Y5
	VMULPD      (DI), Y5, Y5
	VMOVUPD     Y5, (DI)
	ADDQ        $32, DI
	ADDQ        $32, SI
	ADDQ        $32, DX
	DECQ        CX
	JNZ         spd_loop

spd_done:
	VZEROUPPER
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

DATA ·vconst+0(SB)/8, $0x7fffffffffffffff
DATA ·vconst+8(SB)/8, $0x7fffffffffffffff
DATA ·vconst+16(SB)/8, $0x7fffffffffffffff
DATA ·vconst+24(SB)/8, $0x7fffffffffffffff
DATA ·vconst+32(SB)/8, $0x8000000000000000
DATA ·vconst+40(SB)/8, $0x8000000000000000
DATA ·vconst+48(SB)/8, $0x8000000000000000
DATA ·vconst+56(SB)/8, $0x8000000000000000
DATA ·vconst+64(SB)/8, $0x3ff0000000000000
DATA ·vconst+72(SB)/8, $0x3ff0000000000000
DATA ·vconst+80(SB)/8, $0x3ff0000000000000
DATA ·vconst+88(SB)/8, $0x3ff0000000000000
DATA ·vconst+96(SB)/8, $0x4000000000000000
DATA ·vconst+104(SB)/8, $0x4000000000000000
DATA ·vconst+112(SB)/8, $0x4000000000000000
DATA ·vconst+120(SB)/8, $0x4000000000000000
DATA ·vconst+128(SB)/8, $0x3fe0000000000000
DATA ·vconst+136(SB)/8, $0x3fe0000000000000
DATA ·vconst+144(SB)/8, $0x3fe0000000000000
DATA ·vconst+152(SB)/8, $0x3fe0000000000000
DATA ·vconst+160(SB)/8, $0x4034000000000000
DATA ·vconst+168(SB)/8, $0x4034000000000000
DATA ·vconst+176(SB)/8, $0x4034000000000000
DATA ·vconst+184(SB)/8, $0x4034000000000000
DATA ·vconst+192(SB)/8, $0x4086200000000000
DATA ·vconst+200(SB)/8, $0x4086200000000000
DATA ·vconst+208(SB)/8, $0x4086200000000000
DATA ·vconst+216(SB)/8, $0x4086200000000000
DATA ·vconst+224(SB)/8, $0xc086200000000000
DATA ·vconst+232(SB)/8, $0xc086200000000000
DATA ·vconst+240(SB)/8, $0xc086200000000000
DATA ·vconst+248(SB)/8, $0xc086200000000000
DATA ·vconst+256(SB)/8, $0x3ff71547652b82fe
DATA ·vconst+264(SB)/8, $0x3ff71547652b82fe
DATA ·vconst+272(SB)/8, $0x3ff71547652b82fe
DATA ·vconst+280(SB)/8, $0x3ff71547652b82fe
DATA ·vconst+288(SB)/8, $0x3fe62e42fee00000
DATA ·vconst+296(SB)/8, $0x3fe62e42fee00000
DATA ·vconst+304(SB)/8, $0x3fe62e42fee00000
DATA ·vconst+312(SB)/8, $0x3fe62e42fee00000
DATA ·vconst+320(SB)/8, $0x3dea39ef35793c76
DATA ·vconst+328(SB)/8, $0x3dea39ef35793c76
DATA ·vconst+336(SB)/8, $0x3dea39ef35793c76
DATA ·vconst+344(SB)/8, $0x3dea39ef35793c76
DATA ·vconst+352(SB)/8, $0x3fda827999fcef32
DATA ·vconst+360(SB)/8, $0x3fda827999fcef32
DATA ·vconst+368(SB)/8, $0x3fda827999fcef32
DATA ·vconst+376(SB)/8, $0x3fda827999fcef32
DATA ·vconst+384(SB)/8, $0x3fe0000000000000
DATA ·vconst+392(SB)/8, $0x3fe0000000000000
DATA ·vconst+400(SB)/8, $0x3fe0000000000000
DATA ·vconst+408(SB)/8, $0x3fe0000000000000
DATA ·vconst+416(SB)/8, $0x3fc5555555555555
DATA ·vconst+424(SB)/8, $0x3fc5555555555555
DATA ·vconst+432(SB)/8, $0x3fc5555555555555
DATA ·vconst+440(SB)/8, $0x3fc5555555555555
DATA ·vconst+448(SB)/8, $0x3fa5555555555555
DATA ·vconst+456(SB)/8, $0x3fa5555555555555
DATA ·vconst+464(SB)/8, $0x3fa5555555555555
DATA ·vconst+472(SB)/8, $0x3fa5555555555555
DATA ·vconst+480(SB)/8, $0x3f81111111111111
DATA ·vconst+488(SB)/8, $0x3f81111111111111
DATA ·vconst+496(SB)/8, $0x3f81111111111111
DATA ·vconst+504(SB)/8, $0x3f81111111111111
DATA ·vconst+512(SB)/8, $0x3f56c16c16c16c17
DATA ·vconst+520(SB)/8, $0x3f56c16c16c16c17
DATA ·vconst+528(SB)/8, $0x3f56c16c16c16c17
DATA ·vconst+536(SB)/8, $0x3f56c16c16c16c17
DATA ·vconst+544(SB)/8, $0x3f2a01a01a01a01a
DATA ·vconst+552(SB)/8, $0x3f2a01a01a01a01a
DATA ·vconst+560(SB)/8, $0x3f2a01a01a01a01a
DATA ·vconst+568(SB)/8, $0x3f2a01a01a01a01a
DATA ·vconst+576(SB)/8, $0x3efa01a01a01a01a
DATA ·vconst+584(SB)/8, $0x3efa01a01a01a01a
DATA ·vconst+592(SB)/8, $0x3efa01a01a01a01a
DATA ·vconst+600(SB)/8, $0x3efa01a01a01a01a
DATA ·vconst+608(SB)/8, $0x3ec71de3a556c734
DATA ·vconst+616(SB)/8, $0x3ec71de3a556c734
DATA ·vconst+624(SB)/8, $0x3ec71de3a556c734
DATA ·vconst+632(SB)/8, $0x3ec71de3a556c734
DATA ·vconst+640(SB)/8, $0x3e927e4fb7789f5c
DATA ·vconst+648(SB)/8, $0x3e927e4fb7789f5c
DATA ·vconst+656(SB)/8, $0x3e927e4fb7789f5c
DATA ·vconst+664(SB)/8, $0x3e927e4fb7789f5c
DATA ·vconst+672(SB)/8, $0x3e5ae64567f544e4
DATA ·vconst+680(SB)/8, $0x3e5ae64567f544e4
DATA ·vconst+688(SB)/8, $0x3e5ae64567f544e4
DATA ·vconst+696(SB)/8, $0x3e5ae64567f544e4
DATA ·vconst+704(SB)/8, $0x3e21eed8eff8d898
DATA ·vconst+712(SB)/8, $0x3e21eed8eff8d898
DATA ·vconst+720(SB)/8, $0x3e21eed8eff8d898
DATA ·vconst+728(SB)/8, $0x3e21eed8eff8d898
DATA ·vconst+736(SB)/8, $0x3de6124613a86d09
DATA ·vconst+744(SB)/8, $0x3de6124613a86d09
DATA ·vconst+752(SB)/8, $0x3de6124613a86d09
DATA ·vconst+760(SB)/8, $0x3de6124613a86d09
DATA ·vconst+768(SB)/8, $0x3fe5555555555593
DATA ·vconst+776(SB)/8, $0x3fe5555555555593
DATA ·vconst+784(SB)/8, $0x3fe5555555555593
DATA ·vconst+792(SB)/8, $0x3fe5555555555593
DATA ·vconst+800(SB)/8, $0x3fd999999997fa04
DATA ·vconst+808(SB)/8, $0x3fd999999997fa04
DATA ·vconst+816(SB)/8, $0x3fd999999997fa04
DATA ·vconst+824(SB)/8, $0x3fd999999997fa04
DATA ·vconst+832(SB)/8, $0x3fd2492494229359
DATA ·vconst+840(SB)/8, $0x3fd2492494229359
DATA ·vconst+848(SB)/8, $0x3fd2492494229359
DATA ·vconst+856(SB)/8, $0x3fd2492494229359
DATA ·vconst+864(SB)/8, $0x3fcc71c51d8e78af
DATA ·vconst+872(SB)/8, $0x3fcc71c51d8e78af
DATA ·vconst+880(SB)/8, $0x3fcc71c51d8e78af
DATA ·vconst+888(SB)/8, $0x3fcc71c51d8e78af
DATA ·vconst+896(SB)/8, $0x3fc7466496cb03de
DATA ·vconst+904(SB)/8, $0x3fc7466496cb03de
DATA ·vconst+912(SB)/8, $0x3fc7466496cb03de
DATA ·vconst+920(SB)/8, $0x3fc7466496cb03de
DATA ·vconst+928(SB)/8, $0x3fc39a09d078c69f
DATA ·vconst+936(SB)/8, $0x3fc39a09d078c69f
DATA ·vconst+944(SB)/8, $0x3fc39a09d078c69f
DATA ·vconst+952(SB)/8, $0x3fc39a09d078c69f
DATA ·vconst+960(SB)/8, $0x3fc2f112df3e5244
DATA ·vconst+968(SB)/8, $0x3fc2f112df3e5244
DATA ·vconst+976(SB)/8, $0x3fc2f112df3e5244
DATA ·vconst+984(SB)/8, $0x3fc2f112df3e5244
DATA ·vconst+992(SB)/8, $0x3ff0000000000000
DATA ·vconst+1000(SB)/8, $0x3ff0000000000000
DATA ·vconst+1008(SB)/8, $0x3ff0000000000000
DATA ·vconst+1016(SB)/8, $0x3ff0000000000000
GLOBL ·vconst(SB), RODATA|NOPTR, $1024
