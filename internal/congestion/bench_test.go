package congestion

import (
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/streamgraph"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// BenchmarkDetect1M reads the phases of a 1,000,000-segment stream: data
// at 1 Gbit/s, an ACK for every two segments 40 ms later, and one segment
// in 500 lost and resent after three duplicate ACKs.
func BenchmarkDetect1M(b *testing.B) {
	const n = 1_000_000
	segs := make([]streamgraph.Segment, 0, n+8)
	add := func(s streamgraph.Segment) {
		s.Frame = uint32(len(segs) + 1)
		segs = append(segs, s)
	}
	add(streamgraph.Segment{Flags: decode.FlagSYN})
	add(streamgraph.Segment{Time: 40_000_000, FromServer: true, Flags: decode.FlagSYN | decode.FlagACK, Ack: 1, Win: 1 << 22})
	add(streamgraph.Segment{Time: 40_000_000, Flags: decode.FlagACK, Seq: 1, Ack: 1})
	var acked uint32 = 1
	for i := 0; len(segs) < n; i++ {
		t := 40_000_000 + int64(i)*12_000
		seq := 1 + uint32(i)*1448
		add(streamgraph.Segment{Time: t, Flags: decode.FlagACK, Seq: seq, Ack: 1, Len: 1448, BytesInFlight: 72400})
		if i%2 == 1 && seq > 50*1448 {
			to := seq + 1448 - 50*1448
			if i%500 == 499 {
				for range 3 {
					add(streamgraph.Segment{Time: t + 40_000_000, FromServer: true, Flags: decode.FlagACK, Seq: 1, Ack: acked, Win: 1 << 22, Analysis: tcpanalysis.DuplicateAck})
				}
				add(streamgraph.Segment{Time: t + 40_100_000, Flags: decode.FlagACK, Seq: acked, Ack: 1, Len: 1448, Analysis: tcpanalysis.FastRetransmission})
			}
			acked = to
			add(streamgraph.Segment{Time: t + 40_000_000, FromServer: true, Flags: decode.FlagACK, Seq: 1, Ack: to, Win: 1 << 22})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		a := Detect(segs, streamgraph.DirAuto)
		if len(a.Phases) == 0 {
			b.Fatal("no phase")
		}
	}
}
