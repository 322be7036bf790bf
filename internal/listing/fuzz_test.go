package listing

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

func FuzzParseSelector(f *testing.F) {
	f.Add("port 2000")                    // one term
	f.Add("stream 3,stream 4 host ::1")   // commas and spaces, IPv6 host
	f.Add("127.0.0.1:2000 [::1]:80")      // endpoints
	f.Add("port")                         // keyword without a value
	f.Add("port 70000")                   // out of range
	f.Add("host ::ffff:10.0.0.1")         // IPv4-mapped, unmapped on parse
	f.Add(strings.Repeat("port 1 ", 300)) // too many terms
	f.Add("stream -1")                    // negative
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := ParseSelector(expr)
		if err != nil {
			return
		}
		// Round trip: the canonical form parses to the same selector.
		s2, err := ParseSelector(s.String())
		if err != nil {
			t.Fatalf("ParseSelector(%q) (canonical form of %q): %v", s.String(), expr, err)
		}
		if s.String() != s2.String() {
			t.Fatalf("round trip of %q: %q then %q", expr, s.String(), s2.String())
		}
	})
}

// FuzzFormat decodes a sequence of raw IPv4 packets (split on a marker),
// analyses them and formats every TCP segment as a text line and a JSON
// record: nothing may panic, and every record must be valid JSON.
func FuzzFormat(f *testing.F) {
	e := endpoints{ep("10.0.0.1:40000"), ep("10.0.0.2:2000")}
	join := func(segs ...seg) []byte {
		var b []byte
		for _, s := range segs {
			b = append(b, e.frame(s)[14:]...)
			b = append(b, "|SPLIT|"...)
		}
		return b
	}
	f.Add(join(seg{seq: 1, flags: fS, win: 100, opts: synOpts}, seg{fromB: true, seq: 9, ack: 2, flags: fS | fA, win: 100, opts: synOpts})) // handshake with options
	f.Add(join(seg{seq: 1, ack: 1, flags: fA, opts: []byte{5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4}}))                        // SACK blocks
	f.Add(join(seg{seq: 1, ack: 1, flags: fA, opts: []byte{3, 3, 200}}, seg{seq: 1, ack: 1, flags: fA | fU, urg: 3, payload: 4, win: 5}))   // shift above 14, urgent data
	f.Add(join(seg{seq: 1, ack: 1, flags: 0xfff, opts: []byte{34, 2, 253, 4, 0xf9, 0x89, 2, 40}}))                                          // every flag, TFO, option running past the header
	f.Add([]byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6})                                                                                        // truncated IPv4 header
	f.Fuzz(func(t *testing.T, data []byte) {
		a := tcpanalysis.New()
		a.SetHealth(true)
		var d decode.Packet
		var r tcpanalysis.Result
		buf := make([]byte, 0, 512)
		for i, frame := range bytes.Split(data, []byte("|SPLIT|")) {
			if err := decode.Decode(decode.LinkRaw, frame, &d); err != nil && !d.TCP.Valid() {
				continue
			}
			if !a.Analyze(uint32(i+1), int64(i)*1000, len(frame), &d, &r) {
				continue
			}
			pk := &Packet{Number: uint32(i + 1), RelTime: int64(i) * 1000, Resolution: 9, WireLen: len(frame), Decoded: &d, Result: &r}
			buf = AppendLine(buf[:0], pk)
			st, _ := d.TCPChecksum()
			buf = appendJSON(buf[:0], pk, st)
			if !json.Valid(buf) {
				t.Fatalf("invalid JSON record: %s", buf)
			}
		}
		for _, s := range a.Streams() {
			if b := appendStreamJSON(nil, s, 6, true); !json.Valid(b) {
				t.Fatalf("invalid stream record: %s", b)
			}
		}
		AppendConversations(nil, a.Streams(), 0, nil)
		for _, s := range a.Streams() {
			appendHealthRows(nil, s)
		}
	})
}

// FuzzRun feeds arbitrary bytes to Run as a capture file, in every output
// mode: it must end with output and an error or nil, never a panic.
func FuzzRun(f *testing.F) {
	f.Add(labCapture(f, 2))                  // two lab exchanges
	f.Add(labCapture(f, 1)[:100])            // cut inside the second record
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1})    // a magic number and nothing else
	f.Add([]byte("\x1f\x8b\x08\x00garbage")) // a gzip header and garbage
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{
			{Format: Text, Follow: -1},
			{Format: Text, Follow: -1, Health: true},
			{Format: NDJSON, Follow: -1},
			{Format: Text, Follow: 0},
		} {
			rd, err := pcapio.NewReader(bytes.NewReader(data))
			if err != nil {
				return
			}
			var out bytes.Buffer
			Run(context.Background(), rd, &out, opts)
		}
	})
}
