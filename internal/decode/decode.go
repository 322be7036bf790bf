package decode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// EtherTypes the decoder follows (IEEE 802 numbers, also used by Linux
// cooked captures).
const (
	EtherTypeIPv4  uint16 = 0x0800
	EtherTypeIPv6  uint16 = 0x86dd
	EtherTypeARP   uint16 = 0x0806
	EtherTypeVLAN  uint16 = 0x8100 // 802.1Q customer tag
	EtherTypeQinQ  uint16 = 0x88a8 // 802.1ad service tag
	EtherTypeQinQ1 uint16 = 0x9100 // pre-standard QinQ service tag
)

// maxVLANTags bounds the walk over stacked 802.1Q/802.1ad tags, so a frame
// made of nothing but tags ends quickly.
const maxVLANTags = 8

// maxExtHeaders bounds the walk over IPv6 extension headers.
const maxExtHeaders = 16

// ErrTruncated is wrapped by the error Decode returns when the frame ends
// inside the link-layer or IP header, so that addresses cannot be read (a
// tiny snap length). A TCP header cut short is not an error: see
// Packet.Truncated.
var ErrTruncated = errors.New("truncated")

// ErrUnsupportedLink is wrapped by the error Decode returns for a link type
// it does not know.
var ErrUnsupportedLink = errors.New("unsupported link type")

// ErrUnsupported is wrapped by the error Decode returns for a header it
// recognises but does not decode, though what follows may be TCP (a
// protected 802.11 frame, a GRE protocol it does not follow).
var ErrUnsupported = errors.New("not decoded")

// Error is a malformed or truncated frame: Offset is the byte offset within
// the frame of the header that is wrong, Layer names that header.
type Error struct {
	Layer  string // "ethernet", "sll", "null", "ipv4", "ipv6", "tcp", ...
	Offset int
	Msg    string
	Err    error // ErrTruncated, ErrUnsupportedLink, ErrUnsupported or nil
	// Reason, when set, is the short text a summary of frames not
	// analysed counts this one under; see SkipReason.
	Reason string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("decode: %s header at offset %d: %s", e.Layer, e.Offset, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the sentinel the error wraps, if any.
func (e *Error) Unwrap() error { return e.Err }

// Decode decodes frame, captured with link type link, into p. It resets
// every field of p first and never allocates; p's slices alias frame.
//
// A frame that carries no IP packet (ARP, an unknown EtherType) or an IP
// packet that is not TCP is not an error: p.IPVersion is 0, or p.Proto is
// not ProtoTCP. An error (an *Error) reports a malformed header, or a frame
// that ends inside its link or IP header (wrapping ErrTruncated); the
// fields decoded before the faulty header stay set. A TCP header whose
// data offset is invalid is an error too, but p.TCP still holds the
// captured bytes so that its ports can be read.
func Decode(link LinkType, frame []byte, p *Packet) error {
	if decodeCommon(link, frame, p) {
		return nil
	}
	return decodeAny(link, frame, -1, p)
}

// DecodeWire is Decode for a frame that was wireLen bytes long on the
// wire. An IP header that announces more bytes than the wire carried is
// then read as Wireshark reads it: the packet ends where the frame does
// (Wireshark's "total length exceeds packet length"), rather than being
// taken for a frame the snap length cut. wireLen 0 is unknown, as in
// Decode.
func DecodeWire(link LinkType, frame []byte, wireLen int, p *Packet) error {
	if decodeCommon(link, frame, p) {
		return nil
	}
	extra := -1
	if wireLen > 0 {
		extra = max(wireLen-len(frame), 0)
	}
	return decodeAny(link, frame, extra, p)
}

// decodeCommon decodes the most common frame, untagged Ethernet carrying
// an unfragmented IPv4 packet captured whole with a valid TCP header, in
// one write of p, as decodeAny would. It reports false, leaving p as it
// was, for any other frame.
func decodeCommon(link LinkType, frame []byte, p *Packet) bool {
	if link != LinkEthernet || len(frame) < 14+20+20 || binary.BigEndian.Uint16(frame[12:]) != EtherTypeIPv4 {
		return false
	}
	b := frame[14:]
	hl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:]))
	frag := binary.BigEndian.Uint16(b[6:])
	if b[0]>>4 != 4 || hl < 20 || b[9] != ProtoTCP || frag&0x3fff != 0 || total < hl+20 || len(b) < total {
		return false
	}
	b = b[:total] // Ethernet padding (and any FCS) is not IP payload
	t := TCP(b[hl:])
	segLen := total - hl
	thl := t.HeaderLen()
	if thl < 20 || thl > segLen {
		return false
	}
	var payload []byte
	if len(t) > thl {
		payload = t[thl:]
	}
	// Field by field: a composite literal is built aside and copied.
	p.Link = link
	p.EtherType = EtherTypeIPv4
	p.NetworkOffset = 14
	p.IPVersion = 4
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	p.TTL = b[8]
	p.TOS = b[1]
	p.IPID = binary.BigEndian.Uint16(b[4:])
	p.IPHeader = b[:hl]
	p.FlowLabel = 0
	p.IPTotalLen = total
	p.Fragment = false
	p.FragmentOffset = 0
	p.MoreFragments = false
	p.DontFragment = frag&0x4000 != 0
	p.FragmentID = 0
	p.IPPayload = t
	p.Proto = ProtoTCP
	p.TCP = t
	p.TCPOffset = 14 + hl
	p.SegmentLen = segLen
	p.PayloadLen = segLen - thl
	p.Payload = payload
	p.Truncated = false
	return true
}

// decodeAny is Decode for any frame.
func decodeAny(link LinkType, frame []byte, extra int, p *Packet) error {
	*p = Packet{Link: link}
	off, etherType, err := linkHeader(link, frame)
	p.EtherType = etherType
	p.NetworkOffset = off
	if err != nil {
		return err
	}
	return network(frame, off, etherType, extra, p, 0)
}

// linkHeader returns the offset of the network-layer header and the
// EtherType of what it holds (0 when the link header names no protocol the
// decoder knows).
func linkHeader(link LinkType, frame []byte) (int, uint16, error) {
	return linkHeaderDepth(link, frame, 0)
}

// linkHeaderDepth is linkHeader inside depth link headers (PKTAP's).
func linkHeaderDepth(link LinkType, frame []byte, depth int) (int, uint16, error) {
	switch link {
	case LinkEthernet:
		return ethernetAt(frame, 0)
	case LinkLinuxSLL:
		// packet(7) cooked header v1: packet type, ARPHRD type, address
		// length, 8 address bytes (whatever the address length says: a
		// longer address is cut to 8), protocol. libpcap re-inserts a VLAN
		// tag it took from the auxiliary data after this header.
		if len(frame) < 16 {
			return 0, 0, truncated("sll", 0, 16, len(frame))
		}
		return cooked(frame, 16, binary.BigEndian.Uint16(frame[2:]), binary.BigEndian.Uint16(frame[14:]))
	case LinkLinuxSLL2:
		// Cooked header v2: protocol first, then reserved, interface
		// index, ARPHRD type, packet type, address length, 8 address bytes.
		if len(frame) < 20 {
			return 0, 0, truncated("sll2", 0, 20, len(frame))
		}
		return cooked(frame, 20, binary.BigEndian.Uint16(frame[8:]), binary.BigEndian.Uint16(frame[0:]))
	case LinkNull, LinkLoop:
		layer := "null"
		if link == LinkLoop {
			layer = "loop"
		}
		if len(frame) < 4 {
			return 0, 0, truncated(layer, 0, 4, len(frame))
		}
		af := binary.BigEndian.Uint32(frame)
		if link == LinkNull {
			af = nullFamily(frame)
		}
		switch af {
		case 2: // AF_INET everywhere
			return 4, EtherTypeIPv4, nil
		case 24, 28, 30:
			// AF_INET6: 24 NetBSD/OpenBSD/BSD/OS and Npcap loopback, 28
			// FreeBSD/DragonFly, 30 Darwin (Wireshark's BSD_AF_INET6_*
			// values).
			return 4, EtherTypeIPv6, nil
		case 23:
			// Windows' own AF_INET6, which tshark 4.0 leaves undecoded:
			// counted as not analysed, as tshark shows no TCP there.
			return 0, 0, unsupported(layer, 0, "address family 23")
		}
		return 4, 0, nil
	case LinkRaw, linkRawBSD12, linkRawBSD14:
		if len(frame) < 1 {
			return 0, 0, truncated("raw", 0, 1, 0)
		}
		switch frame[0] >> 4 {
		case 4:
			return 0, EtherTypeIPv4, nil
		case 6:
			return 0, EtherTypeIPv6, nil
		}
		return 0, 0, nil
	case LinkIPv4:
		return 0, EtherTypeIPv4, nil
	case LinkIPv6:
		return 0, EtherTypeIPv6, nil
	}
	return moreLinks(link, frame, depth)
}

// cooked reads what follows a Linux cooked header of length hl, of
// ARPHRD type hatype and protocol proto (packet(7)): an EtherType, after
// which libpcap may have re-inserted VLAN tags; an 802.2 LLC header
// (protocol 4); or, on a monitor-mode interface (ARPHRD 803), a radiotap
// header.
func cooked(frame []byte, hl int, hatype, proto uint16) (int, uint16, error) {
	switch {
	case hatype == 803:
		off, et, err := radiotap(frame[hl:])
		if e, ok := err.(*Error); ok {
			e.Offset += hl
		}
		return off + hl, et, err
	case proto == 4:
		return snap(frame, hl)
	}
	return vlanTags(frame, hl-2, proto)
}

// Link types 12 and 14 are DLT_RAW on some BSDs; capture files written
// there carry them instead of LINKTYPE_RAW, and Wireshark reads both as
// raw IP.
const (
	linkRawBSD12 LinkType = 12
	linkRawBSD14 LinkType = 14
)

// nullFamily reads the address family of a NULL (DLT_NULL) header, which
// is in the byte order of the machine that wrote the file. Like Wireshark,
// it takes a value whose low 16 bits are zero and high 16 bits are not to
// be in the other byte order: real families are small numbers.
func nullFamily(frame []byte) uint32 {
	af := binary.LittleEndian.Uint32(frame)
	if af&0xffff0000 != 0 && af&0x0000ffff == 0 {
		af = binary.BigEndian.Uint32(frame)
	}
	return af
}

// vlanTags skips 802.1Q/802.1ad tags starting at the EtherType field at
// typeOff and returns the offset of the payload and its EtherType.
func vlanTags(frame []byte, typeOff int, et uint16) (int, uint16, error) {
	off := typeOff + 2
	for range maxVLANTags {
		if et != EtherTypeVLAN && et != EtherTypeQinQ && et != EtherTypeQinQ1 {
			return off, et, nil
		}
		if len(frame) < off+4 {
			return off, 0, truncated("vlan", off, 4, len(frame)-off)
		}
		et = binary.BigEndian.Uint16(frame[off+2:])
		off += 4
	}
	if et == EtherTypeVLAN || et == EtherTypeQinQ || et == EtherTypeQinQ1 {
		return off, 0, &Error{Layer: "vlan", Offset: off, Msg: fmt.Sprintf("more than %d stacked tags", maxVLANTags), Reason: "VLAN tags stacked too deep"}
	}
	return off, et, nil
}

// layerNames spell the layers in skip reasons.
var layerNames = map[string]string{
	"ethernet": "Ethernet", "sll": "Linux cooked", "sll2": "Linux cooked v2", "null": "NULL", "loop": "LOOP",
	"raw": "raw IP", "vlan": "802.1Q", "ipv4": "IPv4", "ipv6": "IPv6", "ipv6 extension": "IPv6 extension",
	"tcp": "TCP", "ppp": "PPP", "chdlc": "Cisco HDLC", "pppoe": "PPPoE", "802.11": "IEEE 802.11",
	"radiotap": "radiotap", "juniper": "Juniper", "nflog": "NFLOG", "ipoib": "IPoIB", "pktap": "PKTAP",
	"mpls": "MPLS", "gre": "GRE", "vxlan": "VXLAN", "geneve": "Geneve",
}

// SkipReason returns the short reason under which a summary of frames not
// analysed counts a frame that Decode (or DecodeWire) returned err for:
// "IPv4 header length 0", "GRE protocol 0x88be", "link type 105 (IEEE
// 802.11) protected frame", "IPv6 header truncated". Reasons are few, so
// they can be map keys.
func SkipReason(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	if e.Reason != "" {
		return e.Reason
	}
	name := layerNames[e.Layer]
	if name == "" {
		name = e.Layer
	}
	if errors.Is(e.Err, ErrTruncated) {
		return name + " header truncated"
	}
	return name + " header malformed"
}

func truncated(layer string, off, need, have int) error {
	if have < 0 {
		// The header would start past the frame's end: report the end.
		off, have = off+have, 0
	}
	return &Error{Layer: layer, Offset: off, Msg: fmt.Sprintf("%d bytes captured, need %d", have, need), Err: ErrTruncated}
}

// decodeIPv4 decodes the IPv4 header at frame[off:] (RFC 791).
func decodeIPv4(frame []byte, off, extra int, p *Packet, depth int) error {
	b := frame[off:]
	if len(b) < 20 {
		return truncated("ipv4", off, 20, len(b))
	}
	if v := b[0] >> 4; v != 4 {
		return &Error{Layer: "ipv4", Offset: off, Msg: fmt.Sprintf("version %d, want 4", v), Reason: fmt.Sprintf("IPv4 version %d", v)}
	}
	hl := int(b[0]&0x0f) * 4
	if hl < 20 {
		return &Error{Layer: "ipv4", Offset: off, Msg: fmt.Sprintf("header length %d is below 20", hl), Reason: fmt.Sprintf("IPv4 header length %d", hl)}
	}
	if len(b) < hl {
		return truncated("ipv4", off, hl, len(b))
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total == 0 {
		// A segmentation-offload super-packet captured before the NIC
		// split it may carry 0 here; Wireshark then uses the captured
		// length.
		total = len(b)
	}
	if total < hl {
		return &Error{Layer: "ipv4", Offset: off, Msg: fmt.Sprintf("total length %d is below the header length %d", total, hl), Reason: "IPv4 total length below its header length"}
	}
	if extra >= 0 && total > len(b)+extra {
		total = len(b) + extra // longer than the frame on the wire: the frame's end is the packet's
	}
	p.IPVersion = 4
	p.TOS = b[1]
	p.IPID = binary.BigEndian.Uint16(b[4:])
	p.TTL = b[8]
	p.Proto = b[9]
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	p.IPHeader = b[:hl]
	p.IPTotalLen = total
	frag := binary.BigEndian.Uint16(b[6:])
	p.FragmentOffset = int(frag&0x1fff) * 8
	p.MoreFragments = frag&0x2000 != 0
	p.DontFragment = frag&0x4000 != 0
	p.Fragment = p.MoreFragments || p.FragmentOffset != 0
	if len(b) < total {
		p.Truncated = true
	} else {
		b = b[:total] // Ethernet padding (and any FCS) is not IP payload
	}
	return transport(frame[:off+len(b)], off+hl, total-hl, innerExtra(extra, total, len(b)), p, depth)
}

// innerExtra is how many bytes of an IP packet of length total, of which
// have were captured, the capture left out: what a packet inside it may
// miss (-1 unknown when the outer length was not checked against the
// wire).
func innerExtra(extra, total, have int) int {
	if extra < 0 {
		return -1
	}
	return max(total-have, 0)
}

// decodeIPv6 decodes the IPv6 header at frame[off:] (RFC 8200) and walks
// its extension headers up to the first one it does not know.
func decodeIPv6(frame []byte, off, extra int, p *Packet, depth int) error {
	b := frame[off:]
	if len(b) < 40 {
		return truncated("ipv6", off, 40, len(b))
	}
	if v := b[0] >> 4; v != 6 {
		return &Error{Layer: "ipv6", Offset: off, Msg: fmt.Sprintf("version %d, want 6", v), Reason: fmt.Sprintf("IPv6 version %d", v)}
	}
	p.IPVersion = 6
	p.TOS = byte(binary.BigEndian.Uint16(b) >> 4)
	p.FlowLabel = binary.BigEndian.Uint32(b) & 0x000fffff
	p.TTL = b[7]
	p.Src = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	payload := int(binary.BigEndian.Uint16(b[4:]))
	next := b[6]
	if payload == 0 && next == 0 {
		// A jumbogram (RFC 2675) or an offloaded super-packet: the length
		// is elsewhere or nowhere; use what was captured.
		payload = len(b) - 40
	}
	total := 40 + payload
	if extra >= 0 && total > len(b)+extra {
		total = len(b) + extra
	}
	p.IPTotalLen = total
	if len(b) < total {
		p.Truncated = true
	} else {
		b = b[:total]
	}
	hl := 40
	for range maxExtHeaders {
		var n int
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(b) < hl+2 {
				p.IPHeader = b[:min(hl, len(b))]
				p.Proto = next
				return extTruncated(off+hl, 2, len(b)-hl, hl+2 > total, p)
			}
			n = (int(b[hl+1]) + 1) * 8
		case 51: // authentication header (RFC 4302): length in 4-byte units minus 2
			if len(b) < hl+2 {
				p.IPHeader = b[:min(hl, len(b))]
				p.Proto = next
				return extTruncated(off+hl, 2, len(b)-hl, hl+2 > total, p)
			}
			n = (int(b[hl+1]) + 2) * 4
		case 44: // fragment
			n = 8
			if len(b) < hl+8 {
				p.IPHeader = b[:min(hl, len(b))]
				p.Proto = next
				return extTruncated(off+hl, 8, len(b)-hl, hl+8 > total, p)
			}
			frag := binary.BigEndian.Uint16(b[hl+2:])
			p.FragmentOffset = int(frag>>3) * 8
			p.MoreFragments = frag&1 != 0
			p.FragmentID = binary.BigEndian.Uint32(b[hl+4:])
			// An atomic fragment (offset 0, no more fragments) is a whole
			// packet (RFC 6946).
			p.Fragment = p.MoreFragments || p.FragmentOffset != 0
		default:
			p.IPHeader = b[:hl]
			p.Proto = next
			return transport(frame[:off+len(b)], off+hl, total-hl, innerExtra(extra, total, len(b)), p, depth)
		}
		if hl+n > total {
			p.IPHeader = b[:min(hl, len(b))]
			p.Proto = next
			return &Error{Layer: "ipv6", Offset: off + hl, Msg: fmt.Sprintf("extension header %d of length %d runs past the payload length %d", next, n, total-40), Reason: "IPv6 extension header past the payload length"}
		}
		if hl+n > len(b) {
			p.IPHeader = b[:hl]
			p.Proto = next
			p.Truncated = true
			return truncated("ipv6 extension", off+hl, n, len(b)-hl)
		}
		next = b[hl]
		hl += n
		if p.FragmentOffset != 0 {
			// A later fragment's bytes are the middle of the original
			// payload: whatever header its next header names is in the
			// first fragment, not here.
			p.IPHeader = b[:hl]
			p.Proto = next
			return transport(frame[:off+len(b)], off+hl, total-hl, innerExtra(extra, total, len(b)), p, depth)
		}
	}
	p.IPHeader = b[:hl]
	p.Proto = next
	return &Error{Layer: "ipv6", Offset: off + hl, Msg: fmt.Sprintf("more than %d extension headers", maxExtHeaders), Reason: "IPv6 extension headers too many"}
}

// extTruncated reports an extension header at off, of which need bytes
// are needed to go on and have were captured, that the frame or the
// payload length cuts short.
func extTruncated(off, need, have int, pastPayload bool, p *Packet) error {
	if pastPayload {
		return &Error{Layer: "ipv6", Offset: off, Msg: "extension header runs past the payload length", Reason: "IPv6 extension header past the payload length"}
	}
	p.Truncated = true
	return truncated("ipv6 extension", off, need, have)
}

// transport fills the TCP fields from the IP payload frame[off:] (frame
// ends where the IP packet or the capture does); segLen is the payload
// length the IP header announces. A tunnel's inner packet replaces the
// outer one.
func transport(frame []byte, off, segLen, extra int, p *Packet, depth int) error {
	b := frame[off:]
	p.IPPayload = b
	if p.Fragment {
		return nil
	}
	if p.Proto != ProtoTCP {
		_, err := tunnel(frame, off, extra, p, depth)
		return err
	}
	p.SegmentLen = segLen
	p.TCPOffset = off
	p.TCP = TCP(b)
	if segLen < 20 {
		return &Error{Layer: "tcp", Offset: off, Msg: fmt.Sprintf("segment length %d is below the minimum header length 20", segLen), Reason: "TCP segment shorter than 20 bytes"}
	}
	if len(b) < 13 {
		// The snap length cut the header before its data offset: what
		// there is stays in p.TCP (p.Truncated is already set).
		return nil
	}
	hl := TCP(b).HeaderLen()
	if hl < 20 {
		return &Error{Layer: "tcp", Offset: off, Msg: fmt.Sprintf("header length %d is below 20", hl), Reason: fmt.Sprintf("TCP header length %d", hl)}
	}
	if hl > segLen {
		return &Error{Layer: "tcp", Offset: off, Msg: fmt.Sprintf("header length %d exceeds the segment length %d", hl, segLen), Reason: "TCP header longer than the segment"}
	}
	p.PayloadLen = segLen - hl
	if len(b) > hl {
		p.Payload = b[hl:]
	}
	return nil
}
