// Package labproto is the lab's wire format: a request "<name>,<number>"
// sent by the client and a reply "<server name>,<server number>" sent by the
// server, both UTF-8 text with no terminator, exactly as the Python
// originals in the lab report send them. It does no I/O: it parses,
// formats and decides where a request ends, so the server, the client and
// the load generator share one definition and the fuzzer can reach all of
// it.
//
// # Fields
//
// The number is what follows the last comma; everything before it is the
// name, so a name may contain commas and any UTF-8 text (for example
// "李旼學,Jr.,42" is the name "李旼學,Jr." and the number 42). The number is
// read the way Python's int() reads a string: white space around it is
// allowed, an optional sign, decimal digits of any script and single
// underscores between digits. The number text is kept as sent (" 42" stays
// " 42") because the original prints it that way; its value is what the
// range check and the sum use.
//
// # Framing
//
// TCP is a byte stream and the original request has no terminator: the
// original server takes whatever its single recv(1024) returns. Frame
// decides, from the bytes read so far, whether the request has ended:
//
//   - A newline ends the request: "\n" or "\r\n", which is not part of
//     it; anything after it is ignored. This holds for every read.
//   - A request that arrives whole in the first read is taken at once, as
//     the original takes it. There is no added latency on the common path.
//   - Otherwise the request ends when the peer half-closes (end of stream)
//     or at MaxRequest (1024) bytes. More than 1024 bytes before a newline
//     is an error (ErrTooLong); to tell the two apart, a request of exactly
//     1024 bytes without a newline waits the settle time for a 1025th.
//   - Bytes that arrived in several reads and already form a complete
//     request end the request once no more bytes arrive for a short settle
//     time (50 ms by default), so a sender that writes one byte at a time
//     is not cut off at the first digit of "42".
//
// A request that is not complete by then (for example no comma yet) waits
// for more bytes until the reader's deadline; invalid UTF-8 that more bytes
// cannot repair ends the request at once.
package labproto
