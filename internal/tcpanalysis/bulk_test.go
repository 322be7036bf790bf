package tcpanalysis

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/seqnum"
)

// BenchmarkAnalyzeBulk analyses a bulk transfer that keeps inFlight
// segments of 1448 bytes unacknowledged, the receiver acknowledging every
// second one: the sequence analysis's list of unacknowledged segments
// then holds about inFlight segments, and its cost per segment must not
// grow with them. The frames are built in place (payload not captured:
// the IP length gives it), so the benchmark measures Analyze alone.
// With resend=N, every Nth segment is followed by a copy of one sent
// earlier and not yet acknowledged: while such a copy is held, the list
// is no chain, and acknowledge and inFlight walk it.
func BenchmarkAnalyzeBulk(b *testing.B) {
	for _, resend := range []int{0, 1000} {
		for _, inFlight := range []int{8, 64, 512, 4096} {
			b.Run(fmt.Sprintf("inflight=%d/resend=%d", inFlight, resend), func(b *testing.B) { benchBulk(b, inFlight, resend) })
		}
	}
}

func benchBulk(b *testing.B, inFlight, resend int) {
	{
		{
			const mss = 1448
			const A, B = 1000, 5000
			a := New()
			var d decode.Packet
			var r Result
			frame := uint32(0)
			ts := int64(0)
			step := func(p []byte) {
				frame++
				ts += 1000
				decode.Decode(decode.LinkRaw, p, &d)
				a.Analyze(frame, ts, len(p), &d, &r)
			}
			step(pkt{seq: A, flags: syn, win: 65535, opts: wsOpt}.raw())
			step(pkt{s2c: true, seq: B, ack: A + 1, flags: syn | ack, win: 65535, opts: wsOpt}.raw())
			step(pkt{seq: A + 1, ack: B + 1, flags: ack, win: 65535}.raw())
			data := pkt{ack: B + 1, flags: ack, win: 65535}.raw()
			binary.BigEndian.PutUint16(data[2:], 40+mss) // the IP length: 1448 bytes of payload, not captured
			acks := pkt{s2c: true, seq: B + 1, flags: ack, win: 65535}.raw()
			next, acked := uint32(A+1), uint32(A+1)
			sent := 0
			b.ReportAllocs()
			for b.Loop() {
				binary.BigEndian.PutUint32(data[24:], next)
				step(data)
				next += mss
				sent++
				if resend > 0 && sent%resend == 0 && inFlight > 2 {
					binary.BigEndian.PutUint32(data[24:], next-mss*uint32(inFlight/2))
					step(data)
				}
				if sent >= inFlight && sent%2 == 0 {
					acked += 2 * mss
					binary.BigEndian.PutUint32(acks[28:], acked)
					step(acks)
				}
			}
		}
	}
}

// TestUnackedChain checks the shortcuts for an ordered list of unacknowledged
// segments (acknowledge's prefix removal, inFlight's ends) against the
// full walks, which a copy of the flow is forced to take, over random
// segments (in order, resent, after a gap, across 2^32) and ACKs.
func TestUnackedChain(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	chained := 0
	for run := range 2000 {
		var fast, slow [2]flow // [0] sends, [1] acknowledges
		base := rng.Uint32()
		if run%3 == 0 {
			base = uint32(1<<32 - 1 - rng.IntN(20000))
		}
		for i := range fast {
			fast[i].validBIF, slow[i].validBIF = true, true
		}
		fast[0].baseSeq, slow[0].baseSeq = base, base
		next := seqnum.Value(base + 1 + uint32(rng.IntN(3)))
		ts := int64(0)
		for step := range 200 {
			ts += 1000
			var s segment
			s.frame, s.ts = uint32(step+1), ts
			if rng.IntN(3) > 0 {
				// Data from the sender.
				s.seq, s.len, s.flags = next, uint32(1+rng.IntN(3000)), decode.FlagACK
				switch rng.IntN(10) {
				case 0:
					s.seq -= seqnum.Value(rng.IntN(5000)) // resent
				case 1:
					s.seq += seqnum.Value(rng.IntN(5000)) // after a gap
				case 2:
					s.flags |= decode.FlagFIN
				}
				if e := s.end(); e.Greater(next) {
					next = e
				}
				var rf, rs Result
				af := seqAnalysis{fwd: &fast[0], rev: &fast[1], s: s, r: &rf}
				as := seqAnalysis{fwd: &slow[0], rev: &slow[1], s: s, r: &rs}
				af.remember()
				as.remember()
				slow[0].unacked.gapped = true
				af.inFlight()
				as.inFlight()
				if rf != rs {
					t.Fatalf("run %d, step %d: segment %+v: inFlight %+v, want %+v (list %+v)", run, step, s, rf, rs, slow[0].unacked.segs())
				}
			} else {
				// An ACK from the peer, near the sender's data.
				s.ack, s.flags = next-seqnum.Value(rng.IntN(20000))+seqnum.Value(rng.IntN(3000)), decode.FlagACK
				if rng.IntN(4) == 0 {
					s.ack = next
				}
				var rf, rs Result
				af := seqAnalysis{fwd: &fast[1], rev: &fast[0], s: s, r: &rf}
				as := seqAnalysis{fwd: &slow[1], rev: &slow[0], s: s, r: &rs}
				af.acknowledge()
				as.acknowledge()
				slow[0].unacked.gapped = true
				if rf != rs {
					t.Fatalf("run %d, step %d: ACK %d: %+v, want %+v", run, step, s.ack, rf, rs)
				}
			}
			if got, want := fast[0].unacked.segs(), slow[0].unacked.segs(); !slices.Equal(got, want) {
				t.Fatalf("run %d, step %d: list %+v, want %+v", run, step, got, want)
			}
			if !fast[0].unacked.gapped && fast[0].unacked.n > 1 {
				chained++
			}
		}
	}
	if chained < 10000 {
		t.Errorf("an ordered list of more than one segment after %d steps of 400,000, want more", chained)
	}
}
