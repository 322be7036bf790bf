package netlab

import (
	"net/netip"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/impair"
)

// maxFates bounds the bridge's log of frame fates (about 40 MB); frames
// past it are counted in FatesDropped, not logged.
const maxFates = 1 << 18

// Segment identifies the TCP segment a frame carried, as a capture at
// either host shows it: addresses and ports, raw sequence and
// acknowledgement numbers, flags, payload length and the IPv4
// identification (which tells a retransmission from the original).
type Segment struct {
	Src, Dst netip.AddrPort
	Seq, Ack uint32
	Flags    uint16
	Len      int
	IPID     uint16
}

// FrameFate is what the bridge did to one frame: the direction it
// crossed, the TCP segment it carried (TCP false for other frames: ARP,
// neighbour discovery, UDP) and its fate.
type FrameFate struct {
	C2S     bool
	TCP     bool
	Segment Segment
	impair.Fate
}

// fateLog collects the bridge's frame fates, under the bridge's logMu.
type fateLog struct {
	fates   []FrameFate
	dropped uint64
	p       decode.Packet
}

// record logs frame's fate, crossing c2s or not.
func (l *fateLog) record(c2s bool, frame []byte, f *impair.Fate) {
	if len(l.fates) >= maxFates {
		l.dropped++
		return
	}
	ff := FrameFate{C2S: c2s, Fate: *f}
	if decode.Decode(decode.LinkEthernet, frame, &l.p) == nil && len(l.p.TCP) >= 20 {
		t := l.p.TCP
		ff.TCP = true
		ff.Segment = Segment{
			Src:   netip.AddrPortFrom(l.p.Src, t.SrcPort()),
			Dst:   netip.AddrPortFrom(l.p.Dst, t.DstPort()),
			Seq:   uint32(t.Seq()),
			Ack:   uint32(t.Ack()),
			Flags: t.Flags(),
			Len:   max(l.p.SegmentLen-t.HeaderLen(), 0),
			IPID:  l.p.IPID,
		}
	}
	l.fates = append(l.fates, ff)
}
