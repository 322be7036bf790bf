package difftest

import (
	"cmp"
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/tcplab/tcplab/internal/decode"
)

// FileKind is the capture file format Generate chose.
type FileKind int

// The file formats.
const (
	PcapMicro FileKind = iota // pcap, microsecond timestamps
	PcapNano                  // pcap, nanosecond timestamps
	Pcapng                    // pcapng, one interface (microseconds or nanoseconds)
)

// Frame is one captured frame.
type Frame struct {
	TS   int64  // nanoseconds since the epoch
	Data []byte // the captured bytes
	Orig int    // the frame's length on the wire
	Slot int    // the 4-tuple (conversation slot) it belongs to
}

// Capture is a generated capture file's content.
type Capture struct {
	Kind   FileKind
	Nano   bool // pcapng: nanosecond interface resolution
	Link   decode.LinkType
	Snap   int // snap length; 0 when frames are not cut
	Frames []Frame
	// Skipped is how many frames the generator made that tcplab must count
	// as not analysed (summary.skipped); not kept in the file.
	Skipped int
}

// slotPlan is one 4-tuple and the conversations that use it in turn.
type slotPlan struct {
	a, b  netip.AddrPort
	start int64 // ns from the file's start
}

// Generate returns a capture of random TCP conversations from seed, with
// roughly packets frames.
func Generate(seed uint64, packets int) *Capture {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := &Capture{Kind: FileKind(r.IntN(3)), Nano: r.IntN(2) == 0}
	if r.IntN(6) == 0 {
		c.Snap = 54 + r.IntN(80)
	}
	en := newEncoder(seed, c)
	net := randomNet(r)
	base := int64(1_600_000_000+r.IntN(100_000_000)) * 1e9
	var caps []captured
	for slot := 0; packets > 0; slot++ {
		p := newSlot(r, slot)
		n := min(packets, 20+r.IntN(300))
		got := runSlot(r, p, slot, n, net)
		packets -= max(len(got), 10)
		caps = append(caps, got...)
	}
	slices.SortStableFunc(caps, func(x, y captured) int { return cmp.Compare(x.at, y.at) })
	for _, cp := range caps {
		c.Frames = append(c.Frames, en.frames(base+cp.at, cp)...)
	}
	return c
}

// pick returns a random element of xs.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// newSlot picks a 4-tuple and a start time for slot.
func newSlot(r *rand.Rand, slot int) slotPlan {
	var a, b netip.Addr
	if r.IntN(3) == 0 {
		a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(1 + slot%7)})
		b = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 15: byte(2 + r.IntN(3))})
	} else {
		a = netip.AddrFrom4([4]byte{10, 0, byte(slot / 200), byte(1 + slot%200)})
		b = netip.AddrFrom4([4]byte{192, 168, 1, byte(1 + r.IntN(3))})
	}
	sport := uint16(32768 + r.IntN(28000))
	dport := pick(r, []uint16{80, 443, 8080, 5001, 9999, uint16(1024 + r.IntN(60000))})
	return slotPlan{a: netip.AddrPortFrom(a, sport), b: netip.AddrPortFrom(b, dport), start: int64(r.IntN(3000)) * 1e6}
}

// runSlot runs one to three conversations on p's 4-tuple, one after the
// other (a port reuse), with about n captured frames in all.
func runSlot(r *rand.Rand, p slotPlan, slot, n int, net netModel) []captured {
	var out []captured
	at := p.start
	for k := 0; k == 0 || (k < 3 && r.IntN(4) == 0); k++ {
		got := runConv(r, convParams(r, p, slot, at, n, net))
		if len(got) == 0 {
			continue
		}
		out = append(out, got...)
		at = got[len(got)-1].at + int64(r.IntN(2000))*1e6
	}
	return out
}
