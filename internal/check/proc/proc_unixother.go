//go:build unix && !linux

package proc

import "syscall"

// setDeathSignal does nothing: only Linux has PR_SET_PDEATHSIG.
func setDeathSignal(*syscall.SysProcAttr) {}

// GroupAlive reports whether any process of the group pgid is left (a
// zombie that its new parent has not reaped yet counts).
func GroupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }
