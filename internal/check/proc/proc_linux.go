package proc

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// setDeathSignal makes the kernel kill the program when tcplab's thread
// that started it dies (PR_SET_PDEATHSIG), so that a tcplab killed
// mid-check leaves no student program running.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// GroupAlive reports whether a process of the group pgid is still
// running. Zombies do not count: a killed background child waits as one
// until the process it was handed to (init, often) reaps it, which may
// never happen in a container.
func GroupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, d := range dir {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces and
		// parentheses, so the fields start after the last ')'.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) >= 3 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}
