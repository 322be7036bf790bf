package difftest

import (
	"encoding/binary"
	"math/rand/v2"
)

// Encapsulations between Ethernet and the IP packet that carries TCP,
// chosen per 4-tuple: VLAN tags, MPLS labels, PPPoE, and tunnels (IP in
// IP, 6in4, GRE, VXLAN, Geneve) whose innermost IP/TCP is the segment.

// Encapsulations.
const (
	encPlain = iota
	encVLAN
	encQinQ
	encMPLS
	encPPPoE
	encIPIP // IP in IP or 6in4 (or, over IPv6, 4in6 and 6in6)
	encGRE
	encVXLAN
	encGeneve
)

// tunnelPlan is one 4-tuple's encapsulation.
type tunnelPlan struct {
	kind   int
	outer6 bool      // IP in IP and GRE: over IPv6
	labels int       // MPLS: labels in the stack
	vid    [2]uint16 // VLAN IDs (QinQ: outer, inner)
	greSeq [2]uint32 // GRE sequence numbers, each way
	greVar int       // GRE header: plain, key and sequence, checksum and key, bridged Ethernet
	geneve int       // Geneve: IP straight, bridged Ethernet, with options
}

// pickTunnel picks the encapsulation of an Ethernet capture's 4-tuple.
func pickTunnel(r *rand.Rand, slot int) *tunnelPlan {
	t := &tunnelPlan{kind: pick(r, []int{encPlain, encPlain, encPlain, encVLAN, encQinQ, encMPLS, encPPPoE, encIPIP, encGRE, encVXLAN, encGeneve})}
	t.outer6 = r.IntN(4) == 0
	t.labels = 1 + r.IntN(3)
	t.vid = [2]uint16{uint16(100 + slot%3000), uint16(1 + r.IntN(4094))}
	t.greVar = r.IntN(4)
	t.geneve = r.IntN(3)
	return t
}

// wrapTunnel returns ip in t's encapsulation: the EtherType of what
// follows the Ethernet header, the bytes, and the offset of ip in them.
func (t *tunnelPlan) wrapTunnel(en *encoder, slot, from int, ip []byte) (uint16, []byte, int) {
	et := etherType(ip)
	switch t.kind {
	case encVLAN:
		h := binary.BigEndian.AppendUint16(nil, t.vid[0])
		h = binary.BigEndian.AppendUint16(h, et)
		return 0x8100, append(h, ip...), len(h)
	case encQinQ:
		h := binary.BigEndian.AppendUint16(nil, t.vid[0])
		h = binary.BigEndian.AppendUint16(h, 0x8100)
		h = binary.BigEndian.AppendUint16(h, t.vid[1])
		h = binary.BigEndian.AppendUint16(h, et)
		return 0x88a8, append(h, ip...), len(h)
	case encMPLS:
		var h []byte
		for i := range t.labels {
			l := uint32(16+slot%1000+1000*i)<<12 | 64
			if i == t.labels-1 {
				l |= 1 << 8 // bottom of stack
			}
			h = binary.BigEndian.AppendUint32(h, l)
		}
		return 0x8847, append(h, ip...), len(h)
	case encPPPoE:
		h := []byte{0x11, 0x00, byte(slot >> 8), byte(1 + slot), 0, 0}
		binary.BigEndian.PutUint16(h[4:], uint16(2+len(ip)))
		h = append(h, pppProtocol(ip, false)...)
		return 0x8864, append(h, ip...), len(h)
	case encIPIP:
		proto := byte(4)
		if et == 0x86dd {
			proto = 41
		}
		return en.outerIP(t.outer6, slot, from, proto, nil, ip)
	case encGRE:
		return en.outerIP(t.outer6, slot, from, 47, t.greHeader(from, et, ip), ip)
	case encVXLAN:
		h := []byte{0x08, 0, 0, 0, 0, byte(slot >> 8), byte(slot), 0}
		h = append(h, ethHeader(from, et)...)
		return en.outerIP(false, slot, from, 17, udpHeader(uint16(49152+slot%16000), 4789, len(h)+len(ip), from, h), ip)
	case encGeneve:
		var h []byte
		switch t.geneve {
		case 0: // IP straight
			h = binary.BigEndian.AppendUint16([]byte{0, 0}, et)
			h = append(h, 0, byte(slot>>8), byte(slot), 0)
		case 1: // bridged Ethernet
			h = append([]byte{0, 0, 0x65, 0x58, 0, byte(slot >> 8), byte(slot), 0}, ethHeader(from, et)...)
		default: // one 4-byte option, IP straight
			h = binary.BigEndian.AppendUint16([]byte{2, 0}, et)
			h = append(h, 0, byte(slot>>8), byte(slot), 0, 0x01, 0x02, 0x03, 0x01, 0, 0, 0, byte(slot))
		}
		return en.outerIP(false, slot, from, 17, udpHeader(uint16(49152+slot%16000), 6081, len(h)+len(ip), from, h), ip)
	}
	return et, ip, 0
}

// greHeader is the GRE header (RFC 2784, 2890) before ip: the checksum,
// when present, covers the GRE header and ip.
func (t *tunnelPlan) greHeader(from int, et uint16, ip []byte) []byte {
	var h []byte
	switch t.greVar {
	case 0:
		h = binary.BigEndian.AppendUint16([]byte{0, 0}, et)
	case 1: // key and sequence number
		t.greSeq[from]++
		h = binary.BigEndian.AppendUint16([]byte{0x30, 0}, et)
		h = binary.BigEndian.AppendUint32(h, 7)
		h = binary.BigEndian.AppendUint32(h, t.greSeq[from])
	case 2: // checksum and key
		h = binary.BigEndian.AppendUint16([]byte{0xa0, 0}, et)
		h = append(h, 0, 0, 0, 0, 0, 0, 0, 9)
		binary.BigEndian.PutUint16(h[4:], fold(sum16(ip, sum16(h, 0))))
	default: // key, transparent Ethernet bridging
		h = append([]byte{0x20, 0, 0x65, 0x58, 0, 0, 0, 5}, ethHeader(from, et)...)
	}
	return h
}

// udpHeader is a UDP header from sport (the tunnel's source port, from
// the client's side) to a tunnel's port, then h; n is the UDP payload
// length. The checksum is 0 (none), as tunnels send over IPv4.
func udpHeader(sport, dport uint16, n, from int, h []byte) []byte {
	if from == 1 {
		sport, dport = dport, sport
	}
	u := binary.BigEndian.AppendUint16(nil, sport)
	u = binary.BigEndian.AppendUint16(u, dport)
	u = binary.BigEndian.AppendUint16(u, uint16(8+n))
	u = append(u, 0, 0)
	return append(u, h...)
}

// outerIP is a tunnel's outer IPv4 (or IPv6) header of protocol proto,
// between the tunnel end points of slot, then h, then ip; it returns the
// EtherType, the bytes and the offset of ip.
func (en *encoder) outerIP(v6 bool, slot, from int, proto byte, h, ip []byte) (uint16, []byte, int) {
	n := len(h) + len(ip)
	var o []byte
	if v6 {
		o = make([]byte, 40)
		o[0] = 0x60
		binary.BigEndian.PutUint16(o[4:], uint16(n))
		o[6], o[7] = proto, 64
		a := []byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 14: byte(slot >> 8), 15: byte(1 + slot)}
		b := []byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 1, 15: 1}
		if from == 1 {
			a, b = b, a
		}
		copy(o[8:], a)
		copy(o[24:], b)
	} else {
		en.outerID++
		o = make([]byte, 20)
		o[0] = 0x45
		binary.BigEndian.PutUint16(o[2:], uint16(20+n))
		binary.BigEndian.PutUint16(o[4:], en.outerID)
		o[6], o[8], o[9] = 0x40, 64, proto
		a, b := []byte{203, 0, 113, byte(1 + slot%250)}, []byte{198, 51, 100, 1}
		if from == 1 {
			a, b = b, a
		}
		copy(o[12:], a)
		copy(o[16:], b)
		binary.BigEndian.PutUint16(o[10:], fold(sum16(o, 0)))
	}
	et := uint16(0x0800)
	if v6 {
		et = 0x86dd
	}
	o = append(o, h...)
	return et, append(o, ip...), len(o)
}
