//go:build amd64 && !purego

package graphop

// pause executes PAUSE a few times (pause_amd64.s).
//
//go:noescape
func pause()
