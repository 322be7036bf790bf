// Package server is the lab's TCP server as a library: it accepts
// connections, reads one request "<name>,<number>" from each (framed as
// package labproto describes), answers "<server name>,<server number>" for
// a number in 1..100 and closes the connection, printing the same lines as
// the lab's original Python server.
//
// Unlike the original, which serves one client at a time and dies on the
// first bad request, a Server serves many connections at once, up to
// Config.MaxConns; every read and write has a deadline; accept errors (for
// example running out of file descriptors) back off from 5 ms to 1 s; and a
// bad peer only costs its own connection, which is closed with one log
// line naming what was wrong. Its shape follows net/http.Server: Serve,
// Shutdown (graceful, bounded by a context) and Close (abrupt), with
// ErrServerClosed.
//
// On Linux, Serve on a *net.TCPListener costs about what a C epoll server
// costs per exchange: the goroutine that accepts a connection serves it
// with non-blocking system calls, and only an exchange that has to wait
// for its peer moves into the runtime's poller, with the same deadlines
// (see serveFast).
//
// The lab's lines go to Config.Output, one Write per exchange so that
// concurrent exchanges never interleave; logs go to Config.Logger.
package server
