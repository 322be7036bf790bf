package labproto

import (
	"bytes"
	"unicode/utf8"
)

// Decision is what Frame decided about the bytes read so far.
type Decision uint8

const (
	// More means the request is not complete yet: keep reading until the
	// connection's deadline.
	More Decision = iota
	// Settle means the bytes form a complete request but arrived in
	// pieces (or are exactly MaxRequest bytes long): keep reading for the
	// settle time only; if nothing more arrives, the request is the
	// returned bytes.
	Settle
	// Done means the request has ended: it is the returned bytes.
	Done
	// TooLong means more than MaxRequest bytes arrived before a newline.
	TooLong
)

// String returns the decision's name.
func (d Decision) String() string {
	switch d {
	case More:
		return "more"
	case Settle:
		return "settle"
	case Done:
		return "done"
	case TooLong:
		return "too long"
	}
	return "unknown"
}

// Frame decides whether buf, all the bytes read so far on a connection,
// holds a whole message, following the rule in the package comment.
// oneRead tells whether all of buf arrived in a single read; eof whether
// the peer has half-closed. The returned slice aliases buf: for Done and
// Settle it is the message without any newline terminator. Frame is
// written for requests and serves replies too, which have the same shape
// and limit.
func Frame(buf []byte, oneRead, eof bool) ([]byte, Decision) {
	// A newline may sit right after MaxRequest bytes, or after
	// MaxRequest bytes and a carriage return.
	if i := bytes.IndexByte(buf[:min(len(buf), MaxRequest+2)], '\n'); i >= 0 {
		msg := buf[:i]
		if len(msg) > 0 && msg[len(msg)-1] == '\r' {
			msg = msg[:len(msg)-1]
		}
		if len(msg) > MaxRequest {
			return nil, TooLong
		}
		return msg, Done
	}
	switch {
	case len(buf) > MaxRequest:
		return nil, TooLong
	case eof:
		return buf, Done
	case brokenUTF8(buf):
		// No further byte can repair it: let the parser report it now.
		return buf, Done
	case len(buf) == MaxRequest:
		// Ends here unless a 1025th byte shows it is too long.
		return buf, Settle
	case !complete(buf):
		return buf, More
	case oneRead:
		return buf, Done
	}
	return buf, Settle
}

// complete reports whether b parses as a message, without allocating.
func complete(b []byte) bool {
	if len(b) == 0 || invalidUTF8(b) >= 0 {
		return false
	}
	c := bytes.LastIndexByte(b, ',')
	if c < 0 {
		return false
	}
	_, _, ok := ParseNumber(b[c+1:])
	return ok
}

// brokenUTF8 reports whether b holds invalid UTF-8 other than the start of
// a multi-byte character cut off at the end, which the next read may
// complete.
func brokenUTF8(b []byte) bool {
	off := invalidUTF8(b)
	return off >= 0 && utf8.FullRune(b[off:])
}
