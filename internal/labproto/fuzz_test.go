package labproto

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"
)

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("Client of Louis,42"))         // the lab's in-range request
	f.Add([]byte("Client of Louis,150"))        // the lab's out-of-range request
	f.Add([]byte(""))                           // empty connection
	f.Add([]byte("hello"))                      // no comma
	f.Add([]byte("a,abc"))                      // not a number
	f.Add([]byte("李旼學,Jr., ٤٢ "))               // commas in the name, Unicode digits and spaces
	f.Add([]byte("a,4_2"))                      // Python's digit separator
	f.Add([]byte("a,1__0"))                     // doubled separator
	f.Add([]byte("a\xff,42"))                   // invalid UTF-8
	f.Add([]byte("a,-99999999999999999999999")) // clamped value
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseRequest(b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(b) {
				t.Fatalf("ParseRequest(%q) = %v: not a *ParseError with an offset in 0..%d", b, err, len(b))
			}
			if complete(b) {
				t.Fatalf("ParseRequest(%q) = %v, but complete reports true", b, err)
			}
			return
		}
		if !complete(b) {
			t.Fatalf("ParseRequest(%q) succeeded, but complete reports false", b)
		}
		if !utf8.Valid(b) || bytes.IndexByte(m.Number, ',') >= 0 {
			t.Fatalf("ParseRequest(%q) = %+v: accepted invalid UTF-8 or a comma in the number", b, m)
		}
		// Round trip: the encoder rebuilds the exact bytes.
		if got := AppendRequest(nil, string(m.Name), string(m.Number)); !bytes.Equal(got, b) {
			t.Fatalf("AppendRequest(ParseRequest(%q)) = %q", b, got)
		}
		if m.Value > clamp || m.Value < -clamp {
			t.Fatalf("ParseRequest(%q).Value = %d, beyond the clamp", b, m.Value)
		}
	})
}

func FuzzParseReply(f *testing.F) {
	f.Add([]byte("Server of Nuk,17")) // the lab's reply
	f.Add([]byte("Server of Nuk"))    // no comma
	f.Add([]byte("Server of Nuk,"))   // no number
	f.Add([]byte(",0"))               // empty name
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseReply(b)
		if err != nil {
			return
		}
		if got := AppendReply(nil, string(m.Name), 0); !bytes.HasPrefix(got, m.Name) {
			t.Fatalf("AppendReply lost the name of %q", b)
		}
		if !bytes.Equal(append(append(append([]byte{}, m.Name...), ','), m.Number...), b) {
			t.Fatalf("ParseReply(%q) = %+v does not rebuild the input", b, m)
		}
	})
}

func FuzzFrame(f *testing.F) {
	f.Add([]byte("Client of Louis,42"), true, false)    // whole request in one read
	f.Add([]byte("Client of Louis,4"), false, false)    // complete so far, in pieces
	f.Add([]byte("a,42\r\nxx"), false, false)           // newline terminator
	f.Add([]byte("\xe6\x9d"), true, false)              // cut multi-byte character
	f.Add(bytes.Repeat([]byte("x"), 1030), true, false) // too long
	f.Fuzz(func(t *testing.T, b []byte, oneRead, eof bool) {
		msg, d := Frame(b, oneRead, eof)
		switch d {
		case TooLong:
			if len(b) <= MaxRequest {
				t.Fatalf("Frame(%q) = TooLong for %d bytes", b, len(b))
			}
		case Done, Settle, More:
			if len(msg) > MaxRequest || !bytes.HasPrefix(b, msg) || bytes.IndexByte(msg, '\n') >= 0 {
				t.Fatalf("Frame(%q) = %q, %v: not a prefix within the limit without newline", b, msg, d)
			}
			if eof && d != Done {
				t.Fatalf("Frame(%q, eof) = %v, want Done", b, d)
			}
		default:
			t.Fatalf("Frame(%q) = unknown decision %d", b, d)
		}
	})
}
