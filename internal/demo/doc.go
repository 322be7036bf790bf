// Package demo runs the whole lab on one machine, as `tcplab demo` does:
// the lab's server (package server) and, one after the other, a client
// exchange (package client) for each number, with a live capture of the
// server's port (package capture) written to a pcapng file; then it reads
// the file back and presents it: the packet list and conversation table
// of package listing, the ladder diagram of package render and the
// walk-through of package explain, and an HTML report.
//
// The lab report's two cases are the default: a number in 1..100, which
// the server answers, and one outside it, which the client sends anyway
// and the server answers by closing the connection without a reply. That
// "no reply" is the expected outcome of the second case, not a failure
// (Case.Expected).
//
// Before the capture is stopped, Run waits until every conversation has
// been torn down in the capture (both FINs acknowledged, or a reset), or
// until the traffic has been quiet for a while, bounded in time, so the
// file holds each conversation whole, its final ACK included.
//
// Without CAP_NET_RAW the exchanges still run: Outcome.CaptureErr says
// why there is no capture (a *capture.PermissionError naming the remedy).
//
// With Config.Impair the exchanges cross the impaired three-namespace
// network of package netlab instead of loopback: the server listens in
// the server host, the client connects from the client host, and the
// capture is taken on the interface of the host Config.CaptureAt names.
// With Config.Transfer set, a bulk transfer (netlab.BulkTransfer) replaces
// the lab's exchanges, long enough for TCP's recovery to show:
// retransmissions, duplicate ACKs, fast retransmissions, out-of-order
// segments, a full window. The impaired network needs root.
package demo
