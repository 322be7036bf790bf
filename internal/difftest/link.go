package difftest

import (
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"

	"github.com/tcplab/tcplab/internal/decode"
)

// The link layer of a capture: one link type per file, with the header
// options a real capture of that type would have fixed for the file
// (byte order, 802.11 frame format, radiotap FCS), and on Ethernet an
// encapsulation or tunnel per 4-tuple (tunnel.go).

// linkPlan is how a capture's frames are framed.
type linkPlan struct {
	link   decode.LinkType
	nullBE bool   // NULL: the writer's byte order is big-endian
	fam6   uint32 // NULL and LOOP: the IPv6 address family (24, 28 or 30)
	qos    bool   // 802.11: QoS data frames
	ht     bool   // 802.11: with an HT control field (QoS data, order bit)
	wds    bool   // 802.11: four-address frames (ToDS and FromDS)
	fcs    bool   // radiotap: the frame ends in an FCS
	ext    bool   // Juniper: an extension TLV in the MGC header
	wseq   uint16 // 802.11 sequence number
}

// pickLink picks a capture's link type and its fixed header options.
func pickLink(r *rand.Rand) linkPlan {
	lp := linkPlan{link: pick(r, []decode.LinkType{
		decode.LinkEthernet, decode.LinkEthernet, decode.LinkEthernet, decode.LinkEthernet, decode.LinkEthernet,
		decode.LinkLinuxSLL2, decode.LinkLinuxSLL, decode.LinkRaw, decode.LinkNull, decode.LinkLoop,
		decode.LinkPPP, decode.LinkPPPHDLC, decode.LinkIEEE80211, decode.LinkRadiotap, decode.LinkIPoIB,
		decode.LinkNFLOG, decode.LinkJuniperEth,
	})}
	lp.nullBE = r.IntN(2) == 0
	lp.fam6 = pick(r, []uint32{24, 28, 30})
	lp.qos = r.IntN(2) == 0
	lp.ht = lp.qos && r.IntN(3) == 0
	lp.wds = r.IntN(4) == 0
	lp.fcs = r.IntN(2) == 0
	lp.ext = r.IntN(2) == 0
	return lp
}

// etherType is the EtherType of an IP packet.
func etherType(ip []byte) uint16 {
	if ip[0]>>4 == 6 {
		return 0x86dd
	}
	return 0x0800
}

// ethHeader is an Ethernet header from side from (0 the client) of
// EtherType et.
func ethHeader(from int, et uint16) []byte {
	h := []byte{0, 0x11, 0x22, 0x33, 0x44, byte(1 + from), 0, 0x11, 0x22, 0x33, 0x44, byte(2 - from), 0, 0}
	binary.BigEndian.PutUint16(h[12:], et)
	return h
}

// pppProtocol is the PPP protocol number of an IP packet, compressed to
// one byte when short (RFC 1661 section 6.5).
func pppProtocol(ip []byte, short bool) []byte {
	p := byte(0x21)
	if ip[0]>>4 == 6 {
		p = 0x57
	}
	if short {
		return []byte{p}
	}
	return []byte{0, p}
}

// linkFrame returns the frame carrying the network-layer packet pkt (an
// IP packet, or for Ethernet whatever the 4-tuple's encapsulation put
// around it, with EtherType et) and the offset of pkt in it.
func (lp *linkPlan) linkFrame(r *rand.Rand, from int, et uint16, pkt []byte) ([]byte, int) {
	var h []byte
	switch lp.link {
	case decode.LinkEthernet:
		h = ethHeader(from, et)
	case decode.LinkLinuxSLL2:
		h = make([]byte, 20)
		binary.BigEndian.PutUint16(h[0:], et)
		binary.BigEndian.PutUint32(h[4:], 2) // interface index
		binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
		h[10] = byte(4 * from)               // outgoing or to us
		h[11] = 6
		copy(h[12:], []byte{0, 0x11, 0x22, 0x33, 0x44, byte(1 + from)})
	case decode.LinkLinuxSLL:
		h = make([]byte, 16)
		binary.BigEndian.PutUint16(h[0:], uint16(4*from)) // packet type
		binary.BigEndian.PutUint16(h[2:], 1)              // ARPHRD_ETHER
		binary.BigEndian.PutUint16(h[4:], 6)
		copy(h[6:], []byte{0, 0x11, 0x22, 0x33, 0x44, byte(1 + from)})
		binary.BigEndian.PutUint16(h[14:], et)
	case decode.LinkNull, decode.LinkLoop:
		fam := uint32(2)
		if et == 0x86dd {
			fam = lp.fam6
		}
		h = lp.family(fam)
	case decode.LinkPPP:
		switch r.IntN(3) {
		case 0:
			h = append([]byte{0xff, 0x03}, pppProtocol(pkt, false)...)
		case 1:
			h = pppProtocol(pkt, false)
		default:
			h = pppProtocol(pkt, true)
		}
	case decode.LinkPPPHDLC:
		h = append([]byte{0xff, 0x03}, pppProtocol(pkt, false)...)
	case decode.LinkIEEE80211:
		return lp.wlan(from, et, pkt, false)
	case decode.LinkRadiotap:
		rt := []byte{0, 0, 18, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.LittleEndian.PutUint64(rt[8:], uint64(lp.wseq)*1000+12345) // TSFT
		if lp.fcs {
			rt[16] = 0x10
		}
		w, off := lp.wlan(from, et, pkt, false)
		if lp.fcs {
			w = binary.LittleEndian.AppendUint32(w, crc32.ChecksumIEEE(w))
		}
		return append(rt, w...), len(rt) + off
	case decode.LinkIPoIB:
		h = make([]byte, 44)
		h[0], h[1] = 0, 4 // a pad and the destination hardware address
		copy(h[24:], []byte{0xfe, 0x80, 15: byte(1 + from)})
		binary.BigEndian.PutUint16(h[40:], et)
	case decode.LinkNFLOG:
		h = nflogHeader(et, pkt)
	case decode.LinkJuniperEth:
		h = []byte{'M', 'G', 'C', byte(1 - from)}
		if lp.ext {
			h[3] |= 0x80
			h = append(h, 0, 4, 1, 2, 0, 3) // extension TLV: interface index
		}
		h = append(h, ethHeader(from, et)...)
	}
	return append(h, pkt...), len(h)
}

// family is a NULL or LOOP header: the address family in the writer's
// byte order (LOOP: always big-endian).
func (lp *linkPlan) family(fam uint32) []byte {
	if lp.nullBE || lp.link == decode.LinkLoop {
		return binary.BigEndian.AppendUint32(nil, fam)
	}
	return binary.LittleEndian.AppendUint32(nil, fam)
}

// wlan is an 802.11 data frame to the access point (from the client) or
// from it, holding pkt behind an LLC/SNAP header; protected sets the
// protected-frame bit (pkt is then the encrypted body, without LLC).
func (lp *linkPlan) wlan(from int, et uint16, pkt []byte, protected bool) ([]byte, int) {
	fc0, fc1 := byte(0x08), byte(1+from)
	if lp.wds {
		fc1 = 3
	}
	if lp.qos {
		fc0 = 0x88
		if lp.ht {
			fc1 |= 0x80
		}
	}
	if protected {
		fc1 |= 0x40
	}
	h := []byte{fc0, fc1, 0x3a, 0x01}
	sta, ap, far := []byte{2, 0, 0, 0, 0, 1}, []byte{2, 0, 0, 0, 0, 0xa}, []byte{2, 0, 0, 0, 0, 0xb}
	if from == 0 {
		h = append(append(append(h, ap...), sta...), far...)
	} else {
		h = append(append(append(h, sta...), ap...), far...)
	}
	lp.wseq++
	h = binary.LittleEndian.AppendUint16(h, lp.wseq<<4)
	if lp.wds {
		h = append(h, 2, 0, 0, 0, 0, 0xc)
	}
	if lp.qos {
		h = append(h, 0, 0)
		if lp.ht {
			h = append(h, 0, 0, 0, 0)
		}
	}
	if !protected {
		h = append(h, 0xaa, 0xaa, 0x03, 0, 0, 0, byte(et>>8), byte(et))
	}
	return append(h, pkt...), len(h)
}

// nflogHeader is an NFLOG header and its TLVs (in the writer's byte
// order, little-endian here) up to the payload TLV's value.
func nflogHeader(et uint16, pkt []byte) []byte {
	fam := byte(2)
	if et == 0x86dd {
		fam = 10
	}
	tlv := func(b []byte, typ uint16, v []byte, n int) []byte {
		b = binary.LittleEndian.AppendUint16(b, uint16(4+n))
		b = binary.LittleEndian.AppendUint16(b, typ)
		b = append(b, v...)
		for len(v)%4 != 0 {
			b, v = append(b, 0), append(v, 0)
		}
		return b
	}
	h := []byte{fam, 0, 0, 1}
	h = tlv(h, 1, []byte{byte(et >> 8), byte(et), 3, 0}, 4) // packet header: hw protocol, hook
	h = tlv(h, 10, []byte("difftest\x00"), 9)               // prefix
	return tlv(h, 9, nil, len(pkt))                         // the payload: its value follows
}
