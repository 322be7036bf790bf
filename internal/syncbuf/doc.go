// Package syncbuf is for tests that read what a command, server or
// goroutine writes while it still runs: Buffer is a bytes.Buffer that the
// writer and the test may use at once, and WaitFor polls such output until
// a regular expression matches it.
//
// Only tests import it.
package syncbuf
