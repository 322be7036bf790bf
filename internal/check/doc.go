// Package check runs the named checks of tcplab check against a student's
// lab server or client and keeps each one's result: pass, fail, warning
// or skipped, a one-line reason, a second line on what to fix, and the
// evidence (what was sent and received, the program's output, and the
// packets when a Recorder is given).
//
// The checks only ever talk to loopback, and every load is bounded in
// count and in time; the student's programs run through package proc.
package check
