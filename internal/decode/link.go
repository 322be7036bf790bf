package decode

import (
	"encoding/binary"
	"fmt"
)

// More link types tcplab decodes (tcpdump.org LINKTYPE_ values).
const (
	LinkPPP         LinkType = 9   // PPP, with or without the HDLC address and control bytes
	LinkPPPHDLC     LinkType = 50  // PPP in HDLC-like framing (RFC 1662), or Cisco HDLC
	LinkCHDLC       LinkType = 104 // Cisco HDLC
	LinkIEEE80211   LinkType = 105 // IEEE 802.11 without a radio header
	LinkRadiotap    LinkType = 127 // IEEE 802.11 behind a radiotap header
	LinkPKTAPDarwin LinkType = 149 // macOS PKTAP as Darwin numbers it (DLT_USER2 elsewhere; Wireshark reads it as PKTAP)
	LinkJuniperEth  LinkType = 178 // Juniper Ethernet: a "MGC" header, then Ethernet (or IP)
	LinkNFLOG       LinkType = 239 // Linux netfilter NFLOG: a header, then TLVs, one holding the packet
	LinkIPoIB       LinkType = 242 // IP over InfiniBand: a 44-byte header ending in an EtherType
	LinkPKTAP       LinkType = 258 // macOS PKTAP: a header naming the link type of the packet that follows
)

// EtherTypes of encapsulations the decoder walks through.
const (
	EtherTypeMPLS      uint16 = 0x8847 // MPLS unicast label stack
	EtherTypeMPLSMulti uint16 = 0x8848 // MPLS multicast
	EtherTypePPPoE     uint16 = 0x8864 // PPPoE session stage (RFC 2516)
	EtherTypeTEB       uint16 = 0x6558 // transparent Ethernet bridging (GRE, Geneve)
	etherTypePPP       uint16 = 0x880b // PPP, as GRE version 1 carries it (RFC 2637)
)

// IP protocols the decoder tunnels through.
const (
	protoIPIP uint8 = 4
	protoIPv6 uint8 = 41
	protoUDP  uint8 = 17
	protoGRE  uint8 = 47
)

// UDP ports of the UDP tunnels (IANA).
const (
	portVXLAN  = 4789
	portGeneve = 6081
)

// maxNest bounds how many encapsulations one frame may stack (tunnels in
// tunnels, label stacks, PPPoE in Ethernet in VXLAN...), so a crafted
// frame cannot make the walk long.
const maxNest = 8

// linkNames are the names the reason for an undecoded link type gives.
var linkNames = map[LinkType]string{
	3: "AX.25", 6: "Token Ring", 8: "SLIP", 10: "FDDI", 11: "ATM RFC 1483", 51: "PPPoE",
	LinkIEEE80211: "IEEE 802.11", LinkRadiotap: "IEEE 802.11 radiotap", 107: "Frame Relay", 119: "Prism",
	122: "IP over Fibre Channel", 123: "SunATM", 138: "IP over IEEE 1394", 143: "DOCSIS", 147: "user 0", 148: "user 1",
	163: "AVS", 192: "PPI", 195: "IEEE 802.15.4", 204: "PPP with direction", 215: "IEEE 802.15.4 non-ASK PHY",
	220: "Linux USB", 235: "DVB-CI", 247: "Netanalyzer", 249: "IP over Fibre Channel", 266: "NetAnalyzer transparent",
	LinkNFLOG: "NFLOG", LinkPKTAP: "PKTAP", LinkJuniperEth: "Juniper Ethernet", LinkIPoIB: "IP over InfiniBand",
	LinkPPP: "PPP", LinkPPPHDLC: "PPP in HDLC-like framing",
}

// linkLabel names a link type in a skip reason: "link type 105 (IEEE
// 802.11)".
func linkLabel(link LinkType) string {
	if n, ok := linkNames[link]; ok {
		return fmt.Sprintf("link type %d (%s)", uint32(link), n)
	}
	return fmt.Sprintf("link type %d", uint32(link))
}

// unsupported returns the error for a header tcplab recognises but does
// not decode further, though it may carry TCP: reason is the short text a
// summary counts it under.
func unsupported(layer string, off int, reason string) error {
	return &Error{Layer: layer, Offset: off, Msg: reason, Reason: reason, Err: ErrUnsupported}
}

// moreLinks is linkHeader for the link types of this file.
func moreLinks(link LinkType, frame []byte, depth int) (int, uint16, error) {
	switch link {
	case LinkPPP, LinkPPPHDLC, LinkCHDLC:
		return pppHeader(frame, 0, link == LinkCHDLC)
	case LinkIEEE80211:
		off, et, err := wlan(frame, 0, false)
		return off, et, prefixReason(err, link)
	case LinkRadiotap:
		off, et, err := radiotap(frame)
		return off, et, prefixReason(err, link)
	case LinkJuniperEth:
		return juniper(frame)
	case LinkNFLOG:
		return nflog(frame)
	case LinkIPoIB:
		// A 40-byte pseudo-header (a global route header, or a pad and
		// the destination address), then RFC 4391's 4-byte header: the
		// EtherType and 2 reserved bytes.
		if len(frame) < 44 {
			return 0, 0, truncated("ipoib", 0, 44, len(frame))
		}
		return 44, binary.BigEndian.Uint16(frame[40:]), nil
	case LinkPKTAP, LinkPKTAPDarwin:
		return pktap(frame, depth)
	}
	return 0, 0, &Error{Layer: "link", Msg: fmt.Sprintf("link type %d", uint32(link)), Reason: linkLabel(link), Err: ErrUnsupportedLink}
}

// prefixReason puts the link type in front of the reason of an undecoded
// 802.11 frame: "link type 105 (IEEE 802.11) protected frame".
func prefixReason(err error, link LinkType) error {
	if e, ok := err.(*Error); ok && e.Reason != "" {
		e.Reason = linkLabel(link) + " " + e.Reason
	}
	return err
}

// pppProtocols maps PPP protocol numbers to the EtherTypes the decoder
// follows (IANA "PPP DLL Protocol Numbers").
func pppEtherType(proto uint16, off int) (uint16, error) {
	switch proto {
	case 0x0021:
		return EtherTypeIPv4, nil
	case 0x0057:
		return EtherTypeIPv6, nil
	case 0x0281:
		return EtherTypeMPLS, nil
	case 0x0283:
		return EtherTypeMPLSMulti, nil
	case 0x002d, 0x002f:
		return 0, unsupported("ppp", off, "PPP Van Jacobson compressed TCP")
	case 0x00fd, 0x00fb:
		return 0, unsupported("ppp", off, "PPP compressed datagram")
	}
	return 0, nil // LCP, IPCP, PAP...: no TCP
}

// pppHeader reads a PPP header at frame[off:]: the HDLC address and
// control bytes 0xff 0x03 when present, then the protocol, one byte when
// compressed (odd first byte, RFC 1661 section 6.5). A first byte of 0x0f
// or 0x8f starts a Cisco HDLC header instead (RFC 1547 section 4.3.1),
// which is all chdlc allows.
func pppHeader(frame []byte, off int, chdlc bool) (int, uint16, error) {
	if len(frame) < off+2 {
		return off, 0, truncated("ppp", off, 2, len(frame)-off)
	}
	if chdlc || frame[off] == 0x0f || frame[off] == 0x8f {
		if len(frame) < off+4 {
			return off, 0, truncated("chdlc", off, 4, len(frame)-off)
		}
		return off + 4, binary.BigEndian.Uint16(frame[off+2:]), nil
	}
	if frame[off] == 0xff && frame[off+1] == 0x03 {
		off += 2
		if len(frame) < off+1 {
			return off, 0, truncated("ppp", off, 1, 0)
		}
	}
	if frame[off]&1 == 1 {
		et, err := pppEtherType(uint16(frame[off]), off)
		return off + 1, et, err
	}
	if len(frame) < off+2 {
		return off, 0, truncated("ppp", off, 2, len(frame)-off)
	}
	et, err := pppEtherType(binary.BigEndian.Uint16(frame[off:]), off)
	return off + 2, et, err
}

// pppoeSession skips a PPPoE session header (RFC 2516: version and type,
// code, session ID, length) and reads the PPP protocol after it.
func pppoeSession(frame []byte, off int) (int, uint16, error) {
	if len(frame) < off+8 {
		return off, 0, truncated("pppoe", off, 8, len(frame)-off)
	}
	et, err := pppEtherType(binary.BigEndian.Uint16(frame[off+6:]), off+6)
	return off + 8, et, err
}

// ethernetAt reads an Ethernet header (with VLAN tags, and an 802.2
// LLC/SNAP header when the type field is a length) at frame[off:], as
// carried by VXLAN, GRE, Geneve, MPLS pseudowires and Juniper headers.
func ethernetAt(frame []byte, off int) (int, uint16, error) {
	if len(frame) < off+14 {
		return off, 0, truncated("ethernet", off, 14, len(frame)-off)
	}
	off, et, err := vlanTags(frame, off+12, binary.BigEndian.Uint16(frame[off+12:]))
	if err == nil && et < 0x0600 {
		// An 802.3 length: IP only behind LLC/SNAP.
		if o, inner, _ := snap(frame, off); inner != 0 {
			return o, inner, nil
		}
	}
	return off, et, err
}

// snap reads an 802.2 LLC header at frame[off:]: with SNAP (0xaa 0xaa
// 0x03, an OUI of 0 or 00-00-f8) it holds an EtherType; anything else
// carries no IP.
func snap(frame []byte, off int) (int, uint16, error) {
	if len(frame) < off+8 || frame[off] != 0xaa || frame[off+1] != 0xaa || frame[off+2] != 0x03 ||
		frame[off+3] != 0 || frame[off+4] != 0 || (frame[off+5] != 0 && frame[off+5] != 0xf8) {
		return off, 0, nil
	}
	return off + 8, binary.BigEndian.Uint16(frame[off+6:]), nil
}

// wlan reads an IEEE 802.11 MAC header at frame[off:]. Only data frames
// carry IP: their header is 24 bytes, 30 with the fourth address (ToDS
// and FromDS both set), 2 more with QoS control and 4 more with HT
// control (QoS data with the order bit); an LLC/SNAP header follows. pad
// says the radiotap header asked for the MAC header to be padded to 4
// bytes.
func wlan(frame []byte, off int, pad bool) (int, uint16, error) {
	if len(frame) < off+2 {
		return off, 0, truncated("802.11", off, 2, len(frame)-off)
	}
	fc0, fc1 := frame[off], frame[off+1]
	if (fc0>>2)&3 != 2 || fc0>>6&1 != 0 {
		// Management and control frames, and data subtypes with no
		// body (null data, CF-Ack, CF-Poll...).
		return off, 0, nil
	}
	hl := 24
	if fc1&3 == 3 {
		hl += 6
	}
	qos := fc0&0x80 != 0
	if qos {
		hl += 2
		if fc1&0x80 != 0 {
			hl += 4
		}
	}
	if len(frame) < off+hl {
		return off, 0, truncated("802.11", off, hl, len(frame)-off)
	}
	if fc1&0x40 != 0 {
		return off, 0, unsupported("802.11", off, "protected frame")
	}
	if qos && frame[off+hl-2-boolInt(fc1&0x80 != 0)*4]&0x80 != 0 {
		return off, 0, unsupported("802.11", off, "A-MSDU")
	}
	if pad {
		hl = (hl + 3) &^ 3
	}
	return snap(frame, off+hl)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// radiotap skips a radiotap header (version 0, its length little-endian
// at byte 2) and reads the 802.11 frame after it. Its flags field, when
// present, says whether the MAC header is padded.
func radiotap(frame []byte) (int, uint16, error) {
	if len(frame) < 8 {
		return 0, 0, truncated("radiotap", 0, 8, len(frame))
	}
	n := int(binary.LittleEndian.Uint16(frame[2:]))
	if frame[0] != 0 || n < 8 || n > len(frame) {
		return 0, 0, &Error{Layer: "radiotap", Msg: fmt.Sprintf("version %d, length %d", frame[0], n), Reason: "radiotap header malformed"}
	}
	present := binary.LittleEndian.Uint32(frame[4:])
	pos := 8
	for w := present; w&(1<<31) != 0 && pos+4 <= n; pos += 4 {
		w = binary.LittleEndian.Uint32(frame[pos:])
	}
	pad := false
	if present&2 != 0 {
		if present&1 != 0 { // TSFT: 8 bytes, aligned to 8
			pos = (pos+7)&^7 + 8
		}
		if pos < n {
			pad = frame[pos]&0x20 != 0
		}
	}
	return wlan(frame, n, pad)
}

// juniper reads a Juniper "MGC" header: the magic, a flags byte, and
// extensions when flag 0x80 is set (2 bytes of length, then TLVs). With
// flag 0x02 (no layer 2) a 4-byte little-endian protocol family follows (2
// IPv4); otherwise an Ethernet frame.
func juniper(frame []byte) (int, uint16, error) {
	if len(frame) < 4 {
		return 0, 0, truncated("juniper", 0, 4, len(frame))
	}
	if frame[0] != 'M' || frame[1] != 'G' || frame[2] != 'C' {
		return 0, 0, &Error{Layer: "juniper", Msg: "no MGC magic", Reason: "Juniper header without magic"}
	}
	flags := frame[3]
	off := 4
	if flags&0x80 != 0 {
		if len(frame) < 6 {
			return 0, 0, truncated("juniper", 0, 6, len(frame))
		}
		off = 6 + int(binary.BigEndian.Uint16(frame[4:]))
	}
	if flags&0x02 != 0 {
		if len(frame) < off+4 {
			return off, 0, truncated("juniper", off, 4, len(frame)-off)
		}
		if binary.LittleEndian.Uint32(frame[off:]) == 2 {
			return off + 4, EtherTypeIPv4, nil
		}
		return off, 0, unsupported("juniper", off, fmt.Sprintf("Juniper protocol %d", binary.LittleEndian.Uint32(frame[off:])))
	}
	return ethernetAt(frame, off)
}

// nflog reads a Linux NFLOG record: family, version and resource ID,
// then TLVs (length and type in the writer's byte order, padded to 4
// bytes) of which type 9 holds the packet. The family says IPv4 (2) or
// IPv6 (10); otherwise the IP version does.
func nflog(frame []byte) (int, uint16, error) {
	if len(frame) < 4 {
		return 0, 0, truncated("nflog", 0, 4, len(frame))
	}
	family := frame[0]
	off := 4
	for off+4 <= len(frame) {
		n := int(binary.LittleEndian.Uint16(frame[off:]))
		typ := binary.LittleEndian.Uint16(frame[off+2:])
		if n < 4 || off+n > len(frame) {
			n = int(binary.BigEndian.Uint16(frame[off:]))
			typ = binary.BigEndian.Uint16(frame[off+2:])
		}
		if n < 4 {
			return off, 0, &Error{Layer: "nflog", Offset: off, Msg: fmt.Sprintf("TLV length %d", n), Reason: "NFLOG TLV malformed"}
		}
		if typ&0x7fff == 9 {
			start := off + 4
			switch family {
			case 2:
				return start, EtherTypeIPv4, nil
			case 10:
				return start, EtherTypeIPv6, nil
			}
			if start < len(frame) {
				switch frame[start] >> 4 {
				case 4:
					return start, EtherTypeIPv4, nil
				case 6:
					return start, EtherTypeIPv6, nil
				}
			}
			return start, 0, nil
		}
		off += (n + 3) &^ 3
	}
	return off, 0, nil // no payload TLV
}

// pktap reads a macOS PKTAP header: its length and the link type of the
// packet after it, both 32-bit little-endian, at bytes 0 and 8.
func pktap(frame []byte, depth int) (int, uint16, error) {
	if len(frame) < 12 {
		return 0, 0, truncated("pktap", 0, 12, len(frame))
	}
	n := int(binary.LittleEndian.Uint32(frame))
	if n < 12 || n > len(frame) {
		return 0, 0, &Error{Layer: "pktap", Msg: fmt.Sprintf("header length %d", n), Reason: "PKTAP header length"}
	}
	inner := LinkType(binary.LittleEndian.Uint32(frame[8:]))
	if inner == LinkPKTAP || inner == LinkPKTAPDarwin || depth > 0 {
		return n, 0, unsupported("pktap", 0, "PKTAP in PKTAP")
	}
	off, et, err := linkHeaderDepth(inner, frame[n:], depth+1)
	if e, ok := err.(*Error); ok {
		e.Offset += n
		if e.Reason != "" && e.Err == ErrUnsupportedLink {
			e.Reason = "PKTAP " + e.Reason
		}
	}
	return n + off, et, err
}

// mplsStack skips an MPLS label stack (RFC 3032) to its bottom and
// guesses what follows by its first nibble, as Wireshark does: IPv4,
// IPv6, or 0 for a pseudowire control word and an Ethernet frame.
func mplsStack(frame []byte, off int) (int, uint16, error) {
	for i := 0; ; i++ {
		if len(frame) < off+4 {
			return off, 0, truncated("mpls", off, 4, len(frame)-off)
		}
		bottom := frame[off+2]&1 != 0
		off += 4
		if bottom {
			break
		}
		if i == 15 {
			return off, 0, &Error{Layer: "mpls", Offset: off, Msg: "more than 16 labels", Reason: "MPLS label stack too deep"}
		}
	}
	if len(frame) <= off {
		return off, 0, nil
	}
	switch frame[off] >> 4 {
	case 4:
		return off, EtherTypeIPv4, nil
	case 6:
		return off, EtherTypeIPv6, nil
	case 0:
		return ethernetAt(frame, off+4)
	}
	return off, 0, unsupported("mpls", off, "MPLS payload")
}

// gre reads a GRE header at frame[off:] (RFC 2784, 2890: checksum, key
// and sequence number when their flags are set; RFC 2637's version 1 for
// PPTP, with its mandatory key and optional acknowledgement) and returns
// the offset and EtherType of its payload.
func gre(frame []byte, off int) (int, uint16, error) {
	if len(frame) < off+4 {
		return off, 0, truncated("gre", off, 4, len(frame)-off)
	}
	flags := binary.BigEndian.Uint16(frame[off:])
	proto := binary.BigEndian.Uint16(frame[off+2:])
	n := 4
	switch flags & 7 {
	case 0:
		if flags&0x4000 != 0 {
			return off, 0, unsupported("gre", off, "GRE source routing")
		}
		if flags&0x8000 != 0 {
			n += 4
		}
		if flags&0x2000 != 0 {
			n += 4
		}
		if flags&0x1000 != 0 {
			n += 4
		}
	case 1:
		n = 8
		if flags&0x1000 != 0 {
			n += 4
		}
		if flags&0x0080 != 0 {
			n += 4
		}
	default:
		return off, 0, unsupported("gre", off, fmt.Sprintf("GRE version %d", flags&7))
	}
	if len(frame) < off+n {
		return off, 0, truncated("gre", off, n, len(frame)-off)
	}
	off += n
	switch proto {
	case EtherTypeIPv4, EtherTypeIPv6, EtherTypeMPLS, EtherTypeMPLSMulti, EtherTypeTEB, etherTypePPP, EtherTypePPPoE:
		if off == len(frame) {
			return off, 0, nil // a PPTP acknowledgement without payload, a keepalive
		}
		return off, proto, nil
	}
	return off, 0, unsupported("gre", off, fmt.Sprintf("GRE protocol 0x%04x", proto))
}

// udpTunnel reads the UDP header at frame[off:] and, for VXLAN (RFC 7348)
// and Geneve (RFC 8926) ports, the tunnel header after it. Other UDP
// carries no TCP: it returns EtherType 0.
func udpTunnel(frame []byte, off int) (int, uint16, error) {
	if len(frame) < off+8 {
		return off, 0, nil
	}
	sp, dp := binary.BigEndian.Uint16(frame[off:]), binary.BigEndian.Uint16(frame[off+2:])
	off += 8
	switch {
	case sp == portVXLAN || dp == portVXLAN:
		if len(frame) < off+8 {
			return off, 0, truncated("vxlan", off, 8, len(frame)-off)
		}
		return ethernetAt(frame, off+8)
	case sp == portGeneve || dp == portGeneve:
		if len(frame) < off+8 {
			return off, 0, truncated("geneve", off, 8, len(frame)-off)
		}
		if v := frame[off] >> 6; v != 0 {
			return off, 0, unsupported("geneve", off, fmt.Sprintf("Geneve version %d", v))
		}
		proto := binary.BigEndian.Uint16(frame[off+2:])
		n := 8 + int(frame[off]&0x3f)*4
		if len(frame) < off+n {
			return off, 0, truncated("geneve", off, n, len(frame)-off)
		}
		switch proto {
		case EtherTypeIPv4, EtherTypeIPv6, EtherTypeTEB, EtherTypeMPLS, EtherTypeMPLSMulti:
			return off + n, proto, nil
		}
		return off + n, 0, unsupported("geneve", off, fmt.Sprintf("Geneve protocol 0x%04x", proto))
	}
	return off, 0, nil
}

// network decodes the network layer named by EtherType et at frame[off:],
// walking through MPLS, PPPoE, PPP and bridged Ethernet to the IP header.
// extra is how many bytes of the frame the capture left out (-1 unknown);
// depth counts the encapsulations already walked.
func network(frame []byte, off int, et uint16, extra int, p *Packet, depth int) error {
	for ; depth <= maxNest; depth++ {
		p.EtherType = et
		p.NetworkOffset = off
		var err error
		switch et {
		case EtherTypeIPv4:
			return decodeIPv4(frame, off, extra, p, depth)
		case EtherTypeIPv6:
			return decodeIPv6(frame, off, extra, p, depth)
		case EtherTypeMPLS, EtherTypeMPLSMulti:
			off, et, err = mplsStack(frame, off)
		case EtherTypePPPoE:
			off, et, err = pppoeSession(frame, off)
		case EtherTypeTEB:
			off, et, err = ethernetAt(frame, off)
		case etherTypePPP:
			off, et, err = pppHeader(frame, off, false)
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
	return &Error{Layer: "encapsulation", Offset: off, Msg: fmt.Sprintf("more than %d nested encapsulations", maxNest), Reason: "too many nested encapsulations"}
}

// tunnel decodes what the IP payload frame[off:] of protocol p.Proto
// carries when it is a tunnel (IP in IP, GRE, VXLAN, Geneve); the inner
// packet's fields replace the outer ones. It reports false when the
// protocol is not a tunnel.
func tunnel(frame []byte, off, extra int, p *Packet, depth int) (bool, error) {
	var et uint16
	var err error
	switch p.Proto {
	case protoIPIP:
		et = EtherTypeIPv4
	case protoIPv6:
		et = EtherTypeIPv6
	case protoGRE:
		off, et, err = gre(frame, off)
	case protoUDP:
		off, et, err = udpTunnel(frame, off)
		if err == nil && et == 0 {
			return false, nil
		}
	default:
		return false, nil
	}
	if err != nil || et == 0 {
		return true, err
	}
	// The inner packet's fields replace the outer ones; those only IPv4
	// or only IPv6 sets are cleared first.
	p.IPID, p.FlowLabel, p.FragmentID = 0, 0, 0
	p.Fragment, p.FragmentOffset, p.MoreFragments, p.DontFragment = false, 0, false, false
	p.IPPayload = nil
	p.IPVersion, p.IPTotalLen = 0, 0 // until the inner header is read
	return true, network(frame, off, et, extra, p, depth+1)
}
