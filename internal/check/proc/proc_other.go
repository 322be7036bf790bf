//go:build !unix

package proc

import (
	"os"
	"os/exec"
)

// On systems without process groups Stop kills the program alone.
func setGroup(*exec.Cmd) {}
func termGroup(pid int)  { killGroup(pid) }
func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// GroupAlive reports false: without process groups it cannot be told.
func GroupAlive(int) bool { return false }

func signalName(*os.ProcessState) string { return "" }
