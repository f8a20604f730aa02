package classify

import "syscall"

// convProcCPU returns the CPU time (user + system) of the whole process in seconds: on a
// shared machine the CPU seconds per operation stay meaningful when wall time does not.
func convProcCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
