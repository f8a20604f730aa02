//go:build !amd64 || purego

package graphop

// pause does nothing where there is no PAUSE instruction to execute.
func pause() {}
