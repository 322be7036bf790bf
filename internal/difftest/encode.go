package difftest

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/tcplab/tcplab/internal/decode"
)

// encoder turns captured segments into a capture's frames: the IP packet
// (IPv4 options, fragments), the encapsulation and link header, the snap
// length, and now and then a frame tcplab must count as not analysed. It
// draws from a generator of its own, so that the frames depend only on
// the seed and the segments, in capture order.
type encoder struct {
	r       *rand.Rand
	c       *Capture
	lp      linkPlan
	frag    fragPlan
	odd     float64 // segments followed by a malformed or undecodable frame
	tunnels map[int]*tunnelPlan
	ipID    uint16
	outerID uint16
	fragID  uint32
}

// newEncoder picks c's link type and encapsulations from seed. Captures
// cut to a snap length are not fragmented.
func newEncoder(seed uint64, c *Capture) *encoder {
	r := rand.New(rand.NewPCG(seed^0x5bd1e995, seed+0x2545f491))
	en := &encoder{r: r, c: c, lp: pickLink(r), tunnels: map[int]*tunnelPlan{}}
	c.Link = en.lp.link
	if c.Snap == 0 {
		en.frag = pickFrag(r)
	}
	en.odd = pick(r, []float64{0, 0, 0.002, 0.01})
	en.ipID = uint16(r.Uint32())
	return en
}

// frames returns the frames of cp, captured at ts.
func (en *encoder) frames(ts int64, cp captured) []Frame {
	tcp := tcpBytes(cp)
	ip, hl := ipPacket(cp, tcp, &en.ipID)
	out := en.oddFrames(ts, cp, ip, hl)
	pkts, complete := en.fragments(ip, hl)
	if !complete {
		en.c.Skipped += len(pkts) // fragments of a datagram never completed
	}
	for k, pkt := range pkts {
		data, tcpOff := en.wrap(cp.slot, cp.seg.From, pkt, hl)
		out = append(out, en.frame(ts+int64(k), data, tcpOff, cp.slot))
	}
	return out
}

// frame is a frame of data, cut to the snap length but never before the
// end of the TCP header at tcpOff.
func (en *encoder) frame(ts int64, data []byte, tcpOff, slot int) Frame {
	orig := len(data)
	if en.c.Snap > 0 {
		data = data[:min(len(data), max(en.c.Snap, tcpOff+20))]
	}
	return Frame{TS: ts, Data: data, Orig: orig, Slot: slot}
}

// wrap puts the IP packet ip (header hl bytes) in the capture's
// encapsulation and link header; it returns the frame and the offset of
// the TCP header (or of the fragment's payload).
func (en *encoder) wrap(slot, from int, ip []byte, hl int) ([]byte, int) {
	et, pkt, ipOff := etherType(ip), ip, 0
	if en.lp.link == decode.LinkEthernet {
		t := en.tunnels[slot]
		if t == nil {
			t = pickTunnel(en.r, slot)
			en.tunnels[slot] = t
		}
		et, pkt, ipOff = t.wrapTunnel(en, slot, from, ip)
	}
	data, off := en.lp.linkFrame(en.r, from, et, pkt)
	if ip[0]>>4 == 4 {
		hl = int(ip[0]&0xf) * 4
	} else if ip[6] == 44 {
		hl = 48
	}
	return data, off + ipOff + hl
}

// ipPacket is the IPv4 (with cp's options) or IPv6 packet of the TCP
// bytes tcp, and its header length; IPv4 identifications come from *id.
func ipPacket(cp captured, tcp []byte, id *uint16) ([]byte, int) {
	src, dst := cp.from.Addr().AsSlice(), cp.to.Addr().AsSlice()
	if cp.from.Addr().Is4() {
		hl := 20 + len(cp.ipOpts)
		ip := make([]byte, hl, hl+len(tcp))
		ip[0] = 0x40 | byte(hl/4)
		binary.BigEndian.PutUint16(ip[2:], uint16(hl+len(tcp)))
		*id++
		binary.BigEndian.PutUint16(ip[4:], *id)
		ip[6], ip[8], ip[9] = 0x40, 64, 6
		copy(ip[12:], src)
		copy(ip[16:], dst)
		copy(ip[20:], cp.ipOpts)
		binary.BigEndian.PutUint16(ip[10:], fold(sum16(ip, 0)))
		return append(ip, tcp...), hl
	}
	ip := make([]byte, 40, 40+len(tcp))
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(tcp)))
	ip[6], ip[7] = 6, 64
	copy(ip[8:], src)
	copy(ip[24:], dst)
	return append(ip, tcp...), 40
}
