package streamgraph

import (
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
)

// millionSegments is a 1,000,000-segment stream: data segments of 1448
// bytes, one in 500 resent after three SACKed duplicate ACKs, and an ACK
// for every two segments, 40 ms later.
func millionSegments() []Segment {
	const n = 1_000_000
	segs := make([]Segment, 0, n)
	frame := uint32(0)
	add := func(s Segment) {
		frame++
		s.Frame = frame
		segs = append(segs, s)
	}
	var acked uint32 = 1
	for i := 0; len(segs) < n; i++ {
		t := int64(i) * 12_000
		seq := 1 + uint32(i)*1448
		add(Segment{Time: t, Flags: decode.FlagACK, Seq: seq, Ack: 1, Len: 1448, Win: 64000, BytesInFlight: 72400})
		if i%2 == 1 && seq > 50*1448 {
			to := seq + 1448 - 50*1448
			if i%500 == 499 {
				// A hole at acked: three duplicates with SACK, then the resend.
				for range 3 {
					s := Segment{Time: t + 40_000_000, FromServer: true, Flags: decode.FlagACK, Seq: 1, Ack: acked, Win: 1 << 20}
					s.SACK[0], s.NSACK = Block{acked + 1448, to}, 1
					add(s)
				}
				add(Segment{Time: t + 40_100_000, Flags: decode.FlagACK, Seq: acked, Ack: 1, Len: 1448, Win: 64000, Analysis: 2})
			}
			acked = to
			add(Segment{Time: t + 40_000_000, FromServer: true, Flags: decode.FlagACK, Seq: 1, Ack: to, Win: 1 << 20})
		}
	}
	return segs[:n]
}

// BenchmarkBuild1M builds each graph of a 1,000,000-segment stream.
func BenchmarkBuild1M(b *testing.B) {
	segs := millionSegments()
	for _, k := range Kinds {
		b.Run(k.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Build(segs, k, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
