package congestion

import (
	"encoding/binary"
	"testing"

	"github.com/tcplab/tcplab/internal/streamgraph"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// FuzzDetect reads made-up streams (24 bytes a segment): no input
// panics, and the phases follow each other in frame order.
func FuzzDetect(f *testing.F) {
	f.Add([]byte{})                           // nothing
	f.Add(make([]byte, 24*10))                // ten empty segments
	f.Add([]byte("abcdefghijklmnopqrstuvwx" + // unrelated segments, one a retransmission
		"ABCDEFGHIJKLMNOPQRSTUVWX"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var segs []streamgraph.Segment
		var tm int64
		for i := 0; i+24 <= len(data) && len(segs) < 400; i += 24 {
			d := data[i : i+24]
			tm += int64(binary.LittleEndian.Uint32(d) % 400_000_000)
			segs = append(segs, streamgraph.Segment{
				Frame: uint32(len(segs) + 1), Time: tm,
				Flags: binary.LittleEndian.Uint16(d[4:]) & 0x0fff, FromServer: d[6]&1 != 0,
				Seq: binary.LittleEndian.Uint32(d[8:]) % 100_000, Ack: binary.LittleEndian.Uint32(d[12:]) % 100_000,
				Len: uint32(d[16]) * 8, Win: uint32(binary.LittleEndian.Uint16(d[18:])) * 16,
				Analysis: tcpanalysis.Flags(binary.LittleEndian.Uint16(d[20:])), BytesInFlight: uint32(d[22]) * 100,
			})
		}
		a := Detect(segs, streamgraph.DirAuto)
		for i, p := range a.Phases {
			if p.End < p.Start || i > 0 && p.Start <= a.Phases[i-1].End {
				t.Fatalf("phase %d %v %d-%d after %d-%d", i, p.Kind, p.Start, p.End, a.Phases[i-1].Start, a.Phases[i-1].End)
			}
		}
	})
}
