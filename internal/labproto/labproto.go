package labproto

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// The lab's defaults, as in the Python originals.
const (
	// DefaultServerName is the original server's name.
	DefaultServerName = "Server of Nuk"
	// DefaultClientName is the original client's name.
	DefaultClientName = "Client of Louis"
	// DefaultAddr is where the original server listens and the original
	// client connects.
	DefaultAddr = "127.0.0.1:2000"
)

// Limits of the exchange.
const (
	// MaxRequest is the longest request in bytes, the original server's
	// recv(1024).
	MaxRequest = 1024
	// MaxReply is the longest reply the client accepts, the original
	// client's recv(1024).
	MaxReply = 1024
	// MinNumber and MaxNumber bound the numbers the server answers; for
	// any other number it closes the connection without replying.
	MinNumber = 1
	MaxNumber = 100
)

// OutOfRangeLine is what the original server prints, without the newline,
// for a number outside MinNumber..MaxNumber before it closes the
// connection.
const OutOfRangeLine = "Client number is not in the range 1 to 100. Closing connection."

// Sentinel errors, wrapped in a *ParseError by the parsers.
var (
	// ErrEmpty means the peer sent nothing.
	ErrEmpty = errors.New("empty message")
	// ErrInvalidUTF8 means the bytes are not UTF-8 text.
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	// ErrNoComma means there is no comma separating the name from the
	// number.
	ErrNoComma = errors.New("no comma between name and number")
	// ErrNotNumber means the text after the last comma is not an integer
	// as Python's int() reads it.
	ErrNotNumber = errors.New("not a number")
	// ErrTooLong means more than MaxRequest bytes arrived before a newline.
	ErrTooLong = errors.New("longer than 1024 bytes")
)

// ParseError is a message that could not be parsed: what was wrong (Err,
// one of the sentinels above) and the byte offset in the message where it
// was found.
type ParseError struct {
	// What is "request" or "reply".
	What string
	// Offset is the byte offset of the problem in the message.
	Offset int
	// Err is the sentinel naming the problem.
	Err error
	// Text is a short quoted excerpt of the offending text, if any.
	Text string
}

func (e *ParseError) Error() string {
	if e.Text != "" {
		return fmt.Sprintf("labproto: %s at byte %d: %v: %s", e.What, e.Offset, e.Err, e.Text)
	}
	return fmt.Sprintf("labproto: %s at byte %d: %v", e.What, e.Offset, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Message is a parsed request or reply. Name and Number alias the parsed
// bytes and stay valid as long as those bytes are not modified.
type Message struct {
	// Name is the text before the last comma.
	Name []byte
	// Number is the text after the last comma exactly as sent, white space
	// included; the original prints it this way.
	Number []byte
	// Value is Number's integer value. Values beyond ±2^62 are clamped to
	// ±2^62: they are out of range either way.
	Value int64
}

// InRange reports whether Value is within MinNumber..MaxNumber, the range
// the server answers.
func (m Message) InRange() bool { return m.Value >= MinNumber && m.Value <= MaxNumber }

// ParseRequest parses a request "<name>,<number>" (without the newline
// that Frame strips). Out-of-range numbers parse; callers check InRange.
// Errors are *ParseError wrapping ErrEmpty, ErrInvalidUTF8, ErrNoComma or
// ErrNotNumber.
func ParseRequest(b []byte) (Message, error) { return parse("request", b) }

// ParseReply parses a reply "<server name>,<server number>". The server
// number must be an integer; its range is not checked.
func ParseReply(b []byte) (Message, error) { return parse("reply", b) }

func parse(what string, b []byte) (Message, error) {
	if len(b) == 0 {
		return Message{}, &ParseError{What: what, Err: ErrEmpty}
	}
	if off := invalidUTF8(b); off >= 0 {
		return Message{}, &ParseError{What: what, Offset: off, Err: ErrInvalidUTF8, Text: excerpt(b[off:])}
	}
	c := bytes.LastIndexByte(b, ',')
	if c < 0 {
		return Message{}, &ParseError{What: what, Offset: len(b), Err: ErrNoComma, Text: excerpt(b)}
	}
	num := b[c+1:]
	v, off, ok := ParseNumber(num)
	if !ok {
		return Message{}, &ParseError{What: what, Offset: c + 1 + off, Err: ErrNotNumber, Text: excerpt(num)}
	}
	return Message{Name: b[:c], Number: num, Value: v}, nil
}

// invalidUTF8 returns the offset of the first byte that is not part of
// valid UTF-8, or -1 if b is valid.
func invalidUTF8(b []byte) int {
	// ASCII fast path: the common request is all ASCII.
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	if utf8.Valid(b[i:]) {
		return -1
	}
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// excerpt quotes at most 32 bytes of b for an error message, so that a
// bad peer cannot make a log line long.
func excerpt(b []byte) string {
	const max = 32
	if len(b) > max {
		return strconv.QuoteToASCII(string(b[:max])) + "..."
	}
	return strconv.QuoteToASCII(string(b))
}

// clamp is where ParseNumber stops counting: any value this large is out
// of every range the lab uses.
const clamp = 1 << 62

// ParseNumber reads b as Python's int() reads a string in base 10:
// surrounding Unicode white space, an optional sign, then decimal digits of
// any script (Unicode category Nd) with single underscores allowed between
// digits. It returns the value (clamped to ±2^62), and, when b is not such
// a number, false and the byte offset of the first offending byte.
func ParseNumber(b []byte) (v int64, off int, ok bool) {
	if off := invalidUTF8(b); off >= 0 {
		return 0, off, false
	}
	start, end := 0, len(b)
	for start < end {
		r, n := decodeRune(b[start:])
		if !isSpace(r) {
			break
		}
		start += n
	}
	for end > start {
		r, n := decodeLastRune(b[start:end])
		if !isSpace(r) {
			break
		}
		end -= n
	}
	i := start
	neg := false
	if i < end && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	digits := 0
	underscore := false
	for i < end {
		r, n := decodeRune(b[i:end])
		switch d := digitValue(r); {
		case d >= 0:
			if v <= clamp/10 {
				v = v*10 + int64(d)
			} else {
				v = clamp
			}
			digits++
			underscore = false
		case r == '_' && digits > 0 && !underscore:
			underscore = true
		default:
			return 0, i, false
		}
		i += n
	}
	if digits == 0 {
		return 0, i, false
	}
	if underscore {
		return 0, end - 1, false
	}
	v = min(v, clamp)
	if neg {
		v = -v
	}
	return v, 0, true
}

// decodeRune is utf8.DecodeRune with the ASCII case inline.
func decodeRune(b []byte) (rune, int) {
	if b[0] < utf8.RuneSelf {
		return rune(b[0]), 1
	}
	return utf8.DecodeRune(b)
}

// decodeLastRune is utf8.DecodeLastRune with the ASCII case inline.
func decodeLastRune(b []byte) (rune, int) {
	if c := b[len(b)-1]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeLastRune(b)
}

// isSpace reports whether Python's int() skips r as white space: exactly
// Unicode's White_Space property, which is what unicode.IsSpace tests.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || r >= '\t' && r <= '\r'
	}
	return unicode.IsSpace(r)
}

// digitValue returns the decimal value of r if r is a decimal digit
// (Unicode category Nd), else -1. Unicode assigns Nd digits in contiguous
// runs of ten from zero to nine, so the value is the distance from the
// start of r's range modulo ten.
func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	if r < utf8.RuneSelf {
		return -1
	}
	if r <= 0xFFFF {
		for _, rg := range unicode.Nd.R16 {
			if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
				if rg.Stride != 1 {
					return -1
				}
				return int(r-rune(rg.Lo)) % 10
			}
		}
		return -1
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			if rg.Stride != 1 {
				return -1
			}
			return int(r-rune(rg.Lo)) % 10
		}
	}
	return -1
}

// AppendRequest appends the request "<name>,<number>" to dst.
func AppendRequest(dst []byte, name, number string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ',')
	return append(dst, number...)
}

// AppendReply appends the reply "<name>,<number>" to dst.
func AppendReply(dst []byte, name string, number int) []byte {
	dst = append(dst, name...)
	dst = append(dst, ',')
	return strconv.AppendInt(dst, int64(number), 10)
}

// CheckName reports whether name can be a server or client name: valid
// UTF-8 without a newline (which ends a request) and, for a server name,
// without a comma, since the original client splits the reply at every
// comma and fails on more than one.
func CheckName(name string, server bool) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("labproto: name %q: %w", name, ErrInvalidUTF8)
	}
	if i := bytes.IndexAny([]byte(name), "\r\n"); i >= 0 {
		return fmt.Errorf("labproto: name %q has a line break at byte %d, which would end the message", name, i)
	}
	if i := bytes.IndexByte([]byte(name), ','); server && i >= 0 {
		return fmt.Errorf("labproto: server name %q has a comma at byte %d; the original client splits the reply at every comma", name, i)
	}
	return nil
}
