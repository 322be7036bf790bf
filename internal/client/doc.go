// Package client is the lab's TCP client as a library: one exchange (connect,
// send "<name>,<number>", read the reply "<server name>,<server number>",
// close) with a deadline on all of it, returning a Result that carries the
// wire bytes and the values the original client prints. Failures are
// *Error values that say which step failed and why, with sentinels callers
// test with errors.Is: ErrUnreachable, ErrNoReply, ErrTimeout and
// ErrMalformedReply.
//
// Printing is separate from the exchange: Result.AppendLines formats the
// original client's five lines for any io.Writer.
package client
