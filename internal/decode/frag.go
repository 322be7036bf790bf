package decode

import (
	"encoding/binary"
	"net/netip"
)

// Reassembler puts IP fragments back together as Wireshark does by
// default (ip.defragment, ipv6.defragment): the datagram appears in the
// frame of the fragment that completes it, in whatever order the
// fragments came, and the frames before carry no transport header of
// their own.
//
// Memory is bounded without timers: at most MaxDatagrams datagrams and
// MaxBytes bytes are held; a fragment that would exceed either evicts the
// oldest datagrams first, and Add reports how many frames those held.
// The zero Reassembler is ready to use with the default limits.
type Reassembler struct {
	MaxDatagrams int // default 1024
	MaxBytes     int // default 16 MiB

	pending []*datagram // oldest first
	bytes   int
	out     []byte
}

// Default limits of a Reassembler.
const (
	DefaultMaxDatagrams = 1024
	DefaultMaxBytes     = 16 << 20
)

type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8 // IPv4 only: IPv6 fragments are told apart by their 32-bit ID
	v6       bool
}

type span struct{ start, end int }

type datagram struct {
	key    fragKey
	header []byte // the first fragment's IP header (IPv6: the fixed 40 bytes), nil until it comes
	data   []byte // payload bytes received, at their offsets
	have   []span // received ranges, sorted, disjoint, not touching
	total  int    // payload length, known from the last fragment; -1 before
	frames int
	proto  uint8
}

// Reassembles reports whether a Reassembler takes the fragment p: an IP
// fragment of a protocol that may carry TCP (TCP itself, IP in IP, GRE,
// UDP for VXLAN and Geneve), captured whole.
func Reassembles(p *Packet) bool {
	if !p.Fragment || p.IPVersion == 0 {
		return false
	}
	switch p.Proto {
	case ProtoTCP, protoIPIP, protoIPv6, protoGRE, protoUDP:
		return true
	}
	return false
}

// MayCarryTCP reports whether a datagram of IP protocol proto may hold a
// TCP segment (TCP, or a tunnel other than UDP).
func MayCarryTCP(proto uint8) bool {
	return proto == ProtoTCP || proto == protoIPIP || proto == protoIPv6 || proto == protoGRE
}

// Add adds the fragment p (p.Fragment set, not truncated). When it
// completes its datagram, Add returns the whole IP packet, header and
// payload, valid until the next call of Add, to be decoded with Decode
// (LinkIPv4 or LinkIPv6). evicted counts the frames of older datagrams
// dropped to make room, and evictedTCP those that may have carried TCP.
func (r *Reassembler) Add(p *Packet) (packet []byte, evicted, evictedTCP int) {
	maxD, maxB := r.MaxDatagrams, r.MaxBytes
	if maxD <= 0 {
		maxD = DefaultMaxDatagrams
	}
	if maxB <= 0 {
		maxB = DefaultMaxBytes
	}
	k := fragKey{src: p.Src, dst: p.Dst, v6: p.IPVersion == 6}
	if k.v6 {
		k.id = p.FragmentID
	} else {
		k.id, k.proto = uint32(p.IPID), p.Proto
	}
	payload := p.IPPayload
	start, end := p.FragmentOffset, p.FragmentOffset+len(payload)
	var d *datagram
	at := -1
	for i, c := range r.pending {
		if c.key == k {
			d, at = c, i
			break
		}
	}
	if d == nil {
		d = &datagram{key: k, total: -1, proto: p.Proto}
	}
	grow := max(end-len(d.data), 0)
	for len(r.pending) > 0 && (r.bytes+grow > maxB || (at < 0 && len(r.pending) >= maxD)) {
		old := r.pending[0]
		if old == d {
			// The datagram itself is the oldest and too big: drop it.
			at = -1
			d = &datagram{key: k, total: -1, proto: p.Proto}
			grow = end
		}
		r.drop(0)
		if at > 0 {
			at--
		}
		evicted += old.frames
		if MayCarryTCP(old.proto) {
			evictedTCP += old.frames
		}
	}
	if end > maxB {
		evicted++
		if MayCarryTCP(p.Proto) {
			evictedTCP++
		}
		return nil, evicted, evictedTCP
	}
	if at < 0 {
		r.pending = append(r.pending, d)
	}
	if grow > 0 {
		d.data = append(d.data, make([]byte, grow)...)
		r.bytes += grow
	}
	copy(d.data[start:end], payload)
	d.frames++
	d.have = addSpan(d.have, span{start, end})
	if !p.MoreFragments {
		d.total = end
	}
	if start == 0 && d.header == nil {
		if k.v6 {
			d.header = append([]byte(nil), p.IPHeader[:40]...)
		} else {
			d.header = append([]byte(nil), p.IPHeader...)
		}
		d.proto = p.Proto
	}
	if d.header == nil || d.total < 0 || len(d.have) != 1 || d.have[0].start != 0 || d.have[0].end < d.total {
		return nil, evicted, evictedTCP
	}
	// Complete: one IP packet, the first fragment's header with the
	// lengths and fragment fields of a whole one.
	for i, c := range r.pending {
		if c == d {
			r.drop(i)
			break
		}
	}
	r.out = append(append(r.out[:0], d.header...), d.data[:d.total]...)
	if k.v6 {
		n := min(d.total, 0xffff)
		binary.BigEndian.PutUint16(r.out[4:], uint16(n))
		r.out[6] = d.proto
		r.out = r.out[:40+n]
	} else {
		n := min(len(d.header)+d.total, 0xffff)
		binary.BigEndian.PutUint16(r.out[2:], uint16(n))
		binary.BigEndian.PutUint16(r.out[6:], binary.BigEndian.Uint16(r.out[6:])&0x4000) // DF kept, MF and offset cleared
		r.out = r.out[:n]
	}
	return r.out, evicted, evictedTCP
}

// drop forgets pending datagram i.
func (r *Reassembler) drop(i int) {
	r.bytes -= len(r.pending[i].data)
	r.pending = append(r.pending[:i], r.pending[i+1:]...)
}

// Frames reports how many frames the datagrams not completed hold, and
// how many of those may have carried TCP.
func (r *Reassembler) Frames() (frames, tcp int) {
	for _, d := range r.pending {
		frames += d.frames
		if MayCarryTCP(d.proto) {
			tcp += d.frames
		}
	}
	return frames, tcp
}

// addSpan adds s to the sorted disjoint spans, merging what it overlaps
// or touches.
func addSpan(spans []span, s span) []span {
	out := spans[:0:0]
	placed := false
	for _, c := range spans {
		switch {
		case c.end < s.start:
			out = append(out, c)
		case s.end < c.start:
			if !placed {
				out = append(out, s)
				placed = true
			}
			out = append(out, c)
		default:
			s.start, s.end = min(s.start, c.start), max(s.end, c.end)
		}
	}
	if !placed {
		out = append(out, s)
	}
	return out
}
