//go:build !linux

package classify

// convProcCPU is 0 where the process CPU time is not read.
func convProcCPU() float64 { return 0 }
