//go:build amd64 && !purego

#include "textflag.h"

// func pause()
// Eight PAUSE instructions: a spinning thread gives its core's resources to the other
// hardware thread while it polls (see helper.go).
TEXT ·pause(SB), NOSPLIT, $0-0
	PAUSE
	PAUSE
	PAUSE
	PAUSE
	PAUSE
	PAUSE
	PAUSE
	PAUSE
	RET
