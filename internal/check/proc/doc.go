// Package proc runs a student's lab program for tcplab check: the command
// with {port} (and {number}) replaced, in a process group of its own,
// with its output kept, a time limit, and a Stop that kills the whole
// group — the program and everything it started — and waits for it.
//
// Only a program that leaves its process group (setsid, a daemon) can
// outlive Stop; on Linux the program itself also dies with tcplab
// (PR_SET_PDEATHSIG), so an interrupted check leaves nothing behind.
package proc
