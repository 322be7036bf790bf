package userstack

import (
	"net/netip"
	"sync"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
)

// maxFates bounds the log of frame fates, as netlab bounds its bridge's;
// frames past it are counted, not logged.
const maxFates = 1 << 18

// fateLog is the link's log of every frame's fate, both directions, in
// netlab's form so that package groundtruth reads it.
type fateLog struct {
	mu      sync.Mutex
	fates   []netlab.FrameFate
	dropped uint64
	p       decode.Packet
}

// record logs frame's fate, crossing c2s or not. It runs inside the
// link's Push, from either direction's goroutine.
func (l *fateLog) record(c2s bool, frame []byte, f *impair.Fate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fates) >= maxFates {
		l.dropped++
		return
	}
	ff := netlab.FrameFate{C2S: c2s, Fate: *f}
	if decode.Decode(decode.LinkEthernet, frame, &l.p) == nil && len(l.p.TCP) >= 20 {
		t := l.p.TCP
		ff.TCP = true
		ff.Segment = netlab.Segment{
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

// snapshot returns a copy of the log and the count of frames past its
// bound.
func (l *fateLog) snapshot() ([]netlab.FrameFate, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]netlab.FrameFate(nil), l.fates...), l.dropped
}
