package labsheet

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// FuzzBuild builds the sheet of made-up conversations (20 bytes a
// segment) and writes it every way: no input panics, the JSON parses,
// and the six rows' estimates follow α from their samples.
func FuzzBuild(f *testing.F) {
	f.Add([]byte{})                       // nothing
	f.Add(make([]byte, 20*8))             // eight empty segments from the client
	f.Add([]byte("abcdefghijklmnopqrst" + // unrelated segments, both ways
		"ABCDEFGHIJKLMNOPQRST" + "0123456789abcdefghij"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &conversation.Conversation{SinglePoint: true,
			Client: netip.MustParseAddrPort("10.0.0.1:40000"), Server: netip.MustParseAddrPort("10.0.0.2:5001")}
		var tm time.Duration
		for i := 0; i+20 <= len(data) && len(c.Packets) < 300; i += 20 {
			d := data[i : i+20]
			tm += time.Duration(binary.LittleEndian.Uint32(d) % 400_000_000)
			s := conversation.Segment{
				Frame: len(c.Packets) + 1, Time: tm, Flags: binary.LittleEndian.Uint16(d[4:]) & 0x0fff,
				Seq: binary.LittleEndian.Uint32(d[6:]) % 100_000, Ack: binary.LittleEndian.Uint32(d[10:]) % 100_000,
				Len: int(d[14]) * 8, Win: int(binary.LittleEndian.Uint16(d[15:])) * 16,
				Analysis: tcpanalysis.Flags(binary.LittleEndian.Uint16(d[17:])), BytesInFlight: int(d[19]) * 100,
			}
			if d[4]&0x80 != 0 {
				s.From = conversation.Server
			}
			c.Packets = append(c.Packets, s)
		}
		s := Build(c)
		var est time.Duration
		have := false
		for _, r := range s.Segments {
			if r.Sample != nil {
				if have {
					est = time.Duration((1-Alpha)*float64(est) + Alpha*float64(*r.Sample))
				} else {
					est, have = time.Duration(*r.Sample), true
				}
			}
			if have != (r.Estimated != nil) || have && time.Duration(*r.Estimated) != est {
				t.Fatalf("frame %d: EstimatedRTT %v, want %v", r.Frame, r.Estimated, est)
			}
		}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, s); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(buf.Bytes()) {
			t.Fatalf("invalid JSON: %s", buf.Bytes())
		}
		for _, lang := range i18n.Langs {
			if err := WriteText(&buf, s, lang, 80); err != nil {
				t.Fatal(err)
			}
			if err := WriteHTML(&buf, s, lang); err != nil {
				t.Fatal(err)
			}
		}
	})
}
