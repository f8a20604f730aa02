//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// The instruction sets the assembly may use, from the CPU and the operating system's
// support for the wider registers. Tests switch them off to check the slower paths.
var (
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F
)
