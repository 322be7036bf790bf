package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Frame builders. They compute correct checksums with refChecksum, an
// independent byte-at-a-time implementation of RFC 1071.

var (
	src4 = netip.MustParseAddr("192.0.2.1")
	dst4 = netip.MustParseAddr("198.51.100.7")
	src6 = netip.MustParseAddr("2001:db8::1")
	dst6 = netip.MustParseAddr("2001:db8::beef")
)

// tcpSeg builds a TCP segment with the given options (padded to 4 bytes)
// and payload, checksum zero.
func tcpSeg(flags uint16, opts, payload []byte) []byte {
	for len(opts)%4 != 0 {
		opts = append(opts, OptEOL)
	}
	h := make([]byte, 20+len(opts), 20+len(opts)+len(payload))
	binary.BigEndian.PutUint16(h[0:], 40000)
	binary.BigEndian.PutUint16(h[2:], 80)
	binary.BigEndian.PutUint32(h[4:], 1000)
	binary.BigEndian.PutUint32(h[8:], 2000)
	binary.BigEndian.PutUint16(h[12:], uint16(len(h)/4)<<12|flags)
	binary.BigEndian.PutUint16(h[14:], 65535)
	copy(h[20:], opts)
	return append(h, payload...)
}

// refChecksum computes the TCP checksum the slow way.
func refChecksum(src, dst netip.Addr, seg []byte) uint16 {
	var b []byte
	b = append(b, src.AsSlice()...)
	b = append(b, dst.AsSlice()...)
	if src.Is4() {
		b = append(b, 0, ProtoTCP, byte(len(seg)>>8), byte(len(seg)))
	} else {
		b = append(b, byte(len(seg)>>24), byte(len(seg)>>16), byte(len(seg)>>8), byte(len(seg)), 0, 0, 0, ProtoTCP)
	}
	c := append([]byte(nil), seg...)
	c[16], c[17] = 0, 0
	b = append(b, c...)
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	var s uint32
	for i := 0; i < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func withChecksum(src, dst netip.Addr, seg []byte) []byte {
	binary.BigEndian.PutUint16(seg[16:], refChecksum(src, dst, seg))
	return seg
}

// ipv4Pkt wraps payload in an IPv4 header with options opts (a multiple
// of 4 bytes) and fragment field frag.
func ipv4Pkt(proto byte, opts []byte, frag uint16, payload []byte) []byte {
	hl := 20 + len(opts)
	h := make([]byte, hl, hl+len(payload))
	h[0] = 0x40 | byte(hl/4)
	h[1] = 0x02 // ECT(0)
	binary.BigEndian.PutUint16(h[2:], uint16(hl+len(payload)))
	binary.BigEndian.PutUint16(h[4:], 0x1234)
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8] = 64
	h[9] = proto
	copy(h[12:], src4.AsSlice())
	copy(h[16:], dst4.AsSlice())
	copy(h[20:], opts)
	return append(h, payload...)
}

// ipv6Pkt wraps payload in an IPv6 header followed by the extension
// headers ext (already chained; first is the next header of the fixed
// header).
func ipv6Pkt(first byte, ext, payload []byte) []byte {
	h := make([]byte, 40, 40+len(ext)+len(payload))
	binary.BigEndian.PutUint32(h, 6<<28|0xb8<<20|0x12345)
	binary.BigEndian.PutUint16(h[4:], uint16(len(ext)+len(payload)))
	h[6] = first
	h[7] = 63
	copy(h[8:], src6.AsSlice())
	copy(h[24:], dst6.AsSlice())
	h = append(h, ext...)
	return append(h, payload...)
}

func ether(et uint16, payload []byte, tags ...uint16) []byte {
	b := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}
	for i := 0; i+1 < len(tags); i += 2 {
		b = binary.BigEndian.AppendUint16(b, tags[i])
		b = binary.BigEndian.AppendUint16(b, tags[i+1])
	}
	b = binary.BigEndian.AppendUint16(b, et)
	return append(b, payload...)
}

func sll(et uint16, payload []byte) []byte {
	b := []byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0}
	b = binary.BigEndian.AppendUint16(b, et)
	return append(b, payload...)
}

func sll2(et uint16, payload []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, et)
	b = append(b, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0)
	return append(b, payload...)
}

func null(af uint32, bigEndian bool, payload []byte) []byte {
	var b []byte
	if bigEndian {
		b = binary.BigEndian.AppendUint32(nil, af)
	} else {
		b = binary.LittleEndian.AppendUint32(nil, af)
	}
	return append(b, payload...)
}

func TestDecode(t *testing.T) {
	seg := withChecksum(src4, dst4, tcpSeg(FlagSYN|FlagACK, []byte{OptMSS, 4, 0x05, 0xb4, OptNOP, OptWS, 3, 7}, []byte("hello")))
	ip4 := ipv4Pkt(ProtoTCP, nil, 0x4000, seg)
	seg6 := withChecksum(src6, dst6, tcpSeg(FlagACK, nil, []byte("hi6")))
	ip6 := ipv6Pkt(ProtoTCP, nil, seg6)

	want4 := Packet{
		EtherType: EtherTypeIPv4, IPVersion: 4, Src: src4, Dst: dst4, TTL: 64, TOS: 2, IPID: 0x1234,
		IPTotalLen: len(ip4), DontFragment: true, Proto: ProtoTCP,
		SegmentLen: len(seg), PayloadLen: 5, Payload: []byte("hello"),
	}
	want6 := Packet{
		EtherType: EtherTypeIPv6, IPVersion: 6, Src: src6, Dst: dst6, TTL: 63, TOS: 0xb8, FlowLabel: 0x12345,
		IPTotalLen: len(ip6), Proto: ProtoTCP, SegmentLen: len(seg6), PayloadLen: 3, Payload: []byte("hi6"),
	}
	// at returns want with the link-dependent offsets filled in.
	at := func(w Packet, link LinkType, netOff int) Packet {
		w.Link = link
		w.NetworkOffset = netOff
		if w.IPVersion == 4 {
			w.TCPOffset = netOff + 20
		} else {
			w.TCPOffset = netOff + 40
		}
		return w
	}

	tests := []struct {
		name  string
		link  LinkType
		frame []byte
		want  Packet
	}{
		{"ethernet ipv4", LinkEthernet, ether(0x0800, ip4), at(want4, LinkEthernet, 14)},
		{"ethernet ipv6", LinkEthernet, ether(0x86dd, ip6), at(want6, LinkEthernet, 14)},
		{"ethernet padding ignored", LinkEthernet, ether(0x0800, append(append([]byte{}, ip4...), make([]byte, 20)...)), at(want4, LinkEthernet, 14)},
		{"802.1Q", LinkEthernet, ether(0x0800, ip4, 0x8100, 42), at(want4, LinkEthernet, 18)},
		{"802.1ad QinQ", LinkEthernet, ether(0x86dd, ip6, 0x88a8, 100, 0x8100, 42), at(want6, LinkEthernet, 22)},
		{"old QinQ 0x9100", LinkEthernet, ether(0x0800, ip4, 0x9100, 100, 0x8100, 42), at(want4, LinkEthernet, 22)},
		{"sll ipv4", LinkLinuxSLL, sll(0x0800, ip4), at(want4, LinkLinuxSLL, 16)},
		{"sll vlan re-inserted", LinkLinuxSLL, sll(0x8100, append([]byte{0, 42, 0x86, 0xdd}, ip6...)), at(want6, LinkLinuxSLL, 20)},
		{"sll2 ipv6", LinkLinuxSLL2, sll2(0x86dd, ip6), at(want6, LinkLinuxSLL2, 20)},
		{"null AF_INET little-endian", LinkNull, null(2, false, ip4), at(want4, LinkNull, 4)},
		{"null AF_INET big-endian", LinkNull, null(2, true, ip4), at(want4, LinkNull, 4)},
		{"null OpenBSD AF_INET6 24 big-endian", LinkNull, null(24, true, ip6), at(want6, LinkNull, 4)},
		{"null FreeBSD AF_INET6 28", LinkNull, null(28, false, ip6), at(want6, LinkNull, 4)},
		{"null Darwin AF_INET6 30", LinkNull, null(30, false, ip6), at(want6, LinkNull, 4)},
		{"null Darwin AF_INET6 30 big-endian", LinkNull, null(30, true, ip6), at(want6, LinkNull, 4)},
		{"loop AF_INET6 24", LinkLoop, null(24, true, ip6), at(want6, LinkLoop, 4)},
		{"raw ipv4", LinkRaw, ip4, at(want4, LinkRaw, 0)},
		{"raw ipv6", LinkRaw, ip6, at(want6, LinkRaw, 0)},
		{"BSD raw 12", 12, ip4, at(want4, 12, 0)},
		{"ipv4 link", LinkIPv4, ip4, at(want4, LinkIPv4, 0)},
		{"ipv6 link", LinkIPv6, ip6, at(want6, LinkIPv6, 0)},
		{"arp is not ip", LinkEthernet, ether(0x0806, make([]byte, 28)), Packet{Link: LinkEthernet, EtherType: 0x0806, NetworkOffset: 14}},
		{"802.3 length field is not ip", LinkEthernet, ether(46, make([]byte, 46)), Packet{Link: LinkEthernet, EtherType: 46, NetworkOffset: 14}},
		{"null unknown family", LinkNull, null(7, false, ip4), Packet{Link: LinkNull, NetworkOffset: 4}},
		{"raw version 5", LinkRaw, []byte{0x50, 1, 2}, Packet{Link: LinkRaw}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Packet
			if err := Decode(tt.link, tt.frame, &got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.IPVersion != 0 {
				tt.want.IPHeader = tt.frame[tt.want.NetworkOffset:tt.want.TCPOffset]
				tt.want.TCP = TCP(tt.frame[tt.want.TCPOffset : tt.want.TCPOffset+tt.want.SegmentLen])
				tt.want.IPPayload = tt.want.TCP
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("Decode mismatch (-want +got):\n%s", diff)
			}
			if got.IPVersion != 0 {
				if st, _ := got.TCPChecksum(); st != ChecksumGood {
					t.Errorf("TCPChecksum = %v, want good", st)
				}
			}
		})
	}
}

func TestDecodeIPv4Details(t *testing.T) {
	seg := withChecksum(src4, dst4, tcpSeg(FlagACK, nil, []byte("0123456789")))
	var p Packet

	t.Run("options", func(t *testing.T) {
		// A record-route option: 7 bytes, then an end-of-options byte.
		opts := []byte{7, 7, 4, 0, 0, 0, 0, 0}
		f := ipv4Pkt(ProtoTCP, opts, 0, seg)
		if err := Decode(LinkRaw, f, &p); err != nil {
			t.Fatal(err)
		}
		if len(p.IPHeader) != 28 || p.TCPOffset != 28 || p.PayloadLen != 10 {
			t.Errorf("IPHeader %d bytes, TCPOffset %d, PayloadLen %d; want 28, 28, 10", len(p.IPHeader), p.TCPOffset, p.PayloadLen)
		}
	})
	t.Run("first fragment", func(t *testing.T) {
		f := ipv4Pkt(ProtoTCP, nil, 0x2000, seg)
		if err := Decode(LinkRaw, f, &p); err != nil {
			t.Fatal(err)
		}
		if !p.Fragment || !p.MoreFragments || p.FragmentOffset != 0 || p.Proto != ProtoTCP || p.TCP != nil || p.SegmentLen != 0 {
			t.Errorf("got Fragment %v MF %v offset %d proto %d TCP %d bytes SegmentLen %d; want a fragment with no TCP", p.Fragment, p.MoreFragments, p.FragmentOffset, p.Proto, len(p.TCP), p.SegmentLen)
		}
		if st, _ := p.TCPChecksum(); st != ChecksumUnverified {
			t.Errorf("TCPChecksum = %v, want unverified", st)
		}
	})
	t.Run("later fragment", func(t *testing.T) {
		f := ipv4Pkt(ProtoTCP, nil, 185, seg[:16])
		if err := Decode(LinkRaw, f, &p); err != nil {
			t.Fatal(err)
		}
		if !p.Fragment || p.MoreFragments || p.FragmentOffset != 1480 || p.TCP != nil {
			t.Errorf("got Fragment %v MF %v offset %d TCP %d bytes; want last fragment at 1480", p.Fragment, p.MoreFragments, p.FragmentOffset, len(p.TCP))
		}
	})
	t.Run("snap length cuts payload", func(t *testing.T) {
		f := ipv4Pkt(ProtoTCP, nil, 0, seg)
		if err := Decode(LinkRaw, f[:20+20+4], &p); err != nil {
			t.Fatal(err)
		}
		if !p.Truncated || p.SegmentLen != 30 || p.PayloadLen != 10 || string(p.Payload) != "0123" {
			t.Errorf("got Truncated %v SegmentLen %d PayloadLen %d Payload %q; want true 30 10 \"0123\"", p.Truncated, p.SegmentLen, p.PayloadLen, p.Payload)
		}
		if st, _ := p.TCPChecksum(); st != ChecksumUnverified {
			t.Errorf("TCPChecksum = %v, want unverified", st)
		}
	})
	t.Run("snap length cuts tcp header", func(t *testing.T) {
		f := ipv4Pkt(ProtoTCP, nil, 0, seg)
		if err := Decode(LinkRaw, f[:20+8], &p); err != nil {
			t.Fatal(err)
		}
		if !p.Truncated || len(p.TCP) != 8 || p.TCP.Valid() || p.SegmentLen != 30 || p.TCP.SrcPort() != 40000 {
			t.Errorf("got Truncated %v TCP %d bytes Valid %v SegmentLen %d; want true 8 false 30", p.Truncated, len(p.TCP), p.TCP.Valid(), p.SegmentLen)
		}
	})
	t.Run("total length zero (offload)", func(t *testing.T) {
		f := ipv4Pkt(ProtoTCP, nil, 0, seg)
		f[2], f[3] = 0, 0
		if err := Decode(LinkRaw, f, &p); err != nil {
			t.Fatal(err)
		}
		if p.SegmentLen != 30 || p.PayloadLen != 10 || p.Truncated {
			t.Errorf("got SegmentLen %d PayloadLen %d Truncated %v; want 30 10 false", p.SegmentLen, p.PayloadLen, p.Truncated)
		}
	})
	t.Run("udp is not tcp", func(t *testing.T) {
		f := ipv4Pkt(17, nil, 0, make([]byte, 8))
		if err := Decode(LinkRaw, f, &p); err != nil {
			t.Fatal(err)
		}
		if p.Proto != 17 || p.TCP != nil {
			t.Errorf("got Proto %d TCP %d bytes; want 17 and none", p.Proto, len(p.TCP))
		}
	})
}

func TestDecodeIPv6ExtensionHeaders(t *testing.T) {
	seg := withChecksum(src6, dst6, tcpSeg(FlagACK, nil, []byte("abc")))
	hbh := []byte{43, 0, 1, 4, 0, 0, 0, 0}                                                      // hop-by-hop, next routing, PadN
	rt := []byte{60, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}       // routing type 0, 24 bytes, next dest opts
	dst := []byte{51, 0, 1, 4, 0, 0, 0, 0}                                                      // destination options, next AH
	ah := []byte{ProtoTCP, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // AH: (4+2)*4 = 24 bytes
	chain := append(append(append(append([]byte{}, hbh...), rt...), dst...), ah...)
	var p Packet

	t.Run("chain", func(t *testing.T) {
		f := ipv6Pkt(0, chain, seg)
		if err := Decode(LinkRaw, f, &p); err != nil {
			t.Fatal(err)
		}
		if p.Proto != ProtoTCP || len(p.IPHeader) != 40+len(chain) || p.SegmentLen != len(seg) || p.PayloadLen != 3 || p.TCP.SrcPort() != 40000 {
			t.Errorf("got Proto %d IPHeader %d SegmentLen %d PayloadLen %d; want 6 %d %d 3", p.Proto, len(p.IPHeader), p.SegmentLen, p.PayloadLen, 40+len(chain), len(seg))
		}
		if st, _ := p.TCPChecksum(); st != ChecksumGood {
			t.Errorf("TCPChecksum = %v, want good", st)
		}
	})
	t.Run("first fragment", func(t *testing.T) {
		fr := []byte{ProtoTCP, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef} // offset 0, M set
		if err := Decode(LinkRaw, ipv6Pkt(44, fr, seg), &p); err != nil {
			t.Fatal(err)
		}
		if !p.Fragment || p.FragmentID != 0xdeadbeef || p.Proto != ProtoTCP || p.TCP != nil {
			t.Errorf("got Fragment %v ID %#x Proto %d TCP %d bytes; want fragment 0xdeadbeef 6 none", p.Fragment, p.FragmentID, p.Proto, len(p.TCP))
		}
	})
	t.Run("atomic fragment", func(t *testing.T) {
		fr := []byte{ProtoTCP, 0, 0, 0, 0, 0, 0, 9} // offset 0, M clear: a whole packet (RFC 6946)
		if err := Decode(LinkRaw, ipv6Pkt(44, fr, seg), &p); err != nil {
			t.Fatal(err)
		}
		if p.Fragment || p.TCP == nil || p.PayloadLen != 3 {
			t.Errorf("got Fragment %v TCP %d bytes PayloadLen %d; want a whole segment", p.Fragment, len(p.TCP), p.PayloadLen)
		}
	})
	t.Run("later fragment", func(t *testing.T) {
		// A fragment at offset 1448 whose original packet carried a
		// destination options header: the fragment's bytes are the
		// middle of the data, not that header, so the walk stops at
		// the fragment header (here 0xff would claim a 2048-byte
		// header running past the payload).
		fr := []byte{60, 0, 0x05, 0xa8, 0, 0, 0, 7} // next dest opts, offset 181*8, M clear
		data := bytes.Repeat([]byte{0xff}, 16)
		if err := Decode(LinkRaw, ipv6Pkt(44, fr, data), &p); err != nil {
			t.Fatalf("Decode = %v, want no error", err)
		}
		if !p.Fragment || p.FragmentOffset != 1448 || p.Proto != 60 || len(p.IPHeader) != 48 || len(p.IPPayload) != 16 {
			t.Errorf("got Fragment %v offset %d Proto %d IPHeader %d IPPayload %d; want fragment 1448 60 48 16",
				p.Fragment, p.FragmentOffset, p.Proto, len(p.IPHeader), len(p.IPPayload))
		}
	})
	t.Run("unknown header stops the walk", func(t *testing.T) {
		if err := Decode(LinkRaw, ipv6Pkt(0, []byte{253, 0, 1, 4, 0, 0, 0, 0}, seg), &p); err != nil {
			t.Fatal(err)
		}
		if p.Proto != 253 || len(p.IPHeader) != 48 || p.TCP != nil {
			t.Errorf("got Proto %d IPHeader %d; want 253 48", p.Proto, len(p.IPHeader))
		}
	})
	t.Run("no next header", func(t *testing.T) {
		if err := Decode(LinkRaw, ipv6Pkt(59, nil, nil), &p); err != nil {
			t.Fatal(err)
		}
		if p.Proto != 59 || p.TCP != nil {
			t.Errorf("got Proto %d; want 59", p.Proto)
		}
	})
}

func TestDecodeErrors(t *testing.T) {
	seg := tcpSeg(FlagACK, nil, []byte("x"))
	ip4 := ipv4Pkt(ProtoTCP, nil, 0, seg)
	badHL := append([]byte{}, ip4...)
	badHL[0] = 0x46 // 24-byte header, 20 captured
	badTotal := append([]byte{}, ip4...)
	badTotal[2], badTotal[3] = 0, 10
	badVersion := append([]byte{}, ip4...)
	badVersion[0] = 0x65
	badDataOff := ipv4Pkt(ProtoTCP, nil, 0, append([]byte{}, seg...))
	badDataOff[20+12] = 0x40
	longDataOff := ipv4Pkt(ProtoTCP, nil, 0, append([]byte{}, seg...))
	longDataOff[20+12] = 0xf0
	shortSeg := ipv4Pkt(ProtoTCP, nil, 0, seg[:12])
	extPast := ipv6Pkt(0, []byte{ProtoTCP, 5, 0, 0, 0, 0, 0, 0}, nil)
	tooManyTags := ether(0x8100, make([]byte, 40), 0x8100, 1, 0x8100, 2, 0x8100, 3, 0x8100, 4, 0x8100, 5, 0x8100, 6, 0x8100, 7, 0x8100, 8)

	tests := []struct {
		name      string
		link      LinkType
		frame     []byte
		layer     string
		offset    int
		truncated bool
	}{
		{"empty ethernet", LinkEthernet, nil, "ethernet", 0, true},
		{"short sll", LinkLinuxSLL, make([]byte, 15), "sll", 0, true},
		{"short sll2", LinkLinuxSLL2, make([]byte, 19), "sll2", 0, true},
		{"short null", LinkNull, []byte{2, 0}, "null", 0, true},
		{"short loop", LinkLoop, []byte{0}, "loop", 0, true},
		{"empty raw", LinkRaw, nil, "raw", 0, true},
		{"cut vlan tag", LinkEthernet, ether(0x8100, []byte{0}), "vlan", 14, true},
		{"too many vlan tags", LinkEthernet, tooManyTags, "vlan", 14 + 4*8, false},
		{"cut ipv4 header", LinkEthernet, ether(0x0800, ip4[:19]), "ipv4", 14, true},
		{"cut ipv4 options", LinkRaw, badHL[:20], "ipv4", 0, true},
		{"ipv4 version in ethertype 0x0800", LinkEthernet, ether(0x0800, badVersion), "ipv4", 14, false},
		{"ipv4 header length 16", LinkIPv4, append([]byte{0x44}, ip4[1:]...), "ipv4", 0, false},
		{"ipv4 total below header", LinkRaw, badTotal, "ipv4", 0, false},
		{"cut ipv6 header", LinkIPv6, make([]byte, 39), "ipv6", 0, true},
		{"ipv6 version 4 on link 229", LinkIPv6, append(ip4, make([]byte, 40)...), "ipv6", 0, false},
		{"ipv6 ext past payload length", LinkRaw, extPast, "ipv6", 40, false},
		{"tcp data offset 4", LinkRaw, badDataOff, "tcp", 20, false},
		{"tcp data offset past segment", LinkRaw, longDataOff, "tcp", 20, false},
		{"tcp segment shorter than 20", LinkRaw, shortSeg, "tcp", 20, false},
		{"unknown link", 147, ip4, "link", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Packet
			err := Decode(tt.link, tt.frame, &p)
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("Decode = %v, want a *decode.Error", err)
			}
			if de.Layer != tt.layer || de.Offset != tt.offset || errors.Is(err, ErrTruncated) != tt.truncated {
				t.Errorf("Decode = %q (layer %q offset %d), want layer %q offset %d truncated %v", err, de.Layer, de.Offset, tt.layer, tt.offset, tt.truncated)
			}
		})
	}
	t.Run("bad data offset keeps ports", func(t *testing.T) {
		var p Packet
		if err := Decode(LinkRaw, badDataOff, &p); err == nil || p.TCP.SrcPort() != 40000 || p.PayloadLen != 0 {
			t.Errorf("Decode = %v, ports %d, PayloadLen %d; want an error, port 40000, 0", err, p.TCP.SrcPort(), p.PayloadLen)
		}
	})
}

func TestTCPChecksum(t *testing.T) {
	// pseudoSum is the folded pseudo-header sum a Linux sender leaves in
	// the field with CHECKSUM_PARTIAL: ~csum_tcpudp_magic(...).
	pseudoSum := func(src, dst netip.Addr, n int) uint16 {
		zero := make([]byte, n)
		// refChecksum of an all-zero segment is ~pseudo.
		return ^refChecksum(src, dst, zero)
	}
	for _, odd := range []bool{false, true} {
		payload := []byte("0123456789abcdef0123456789abcdef!")
		if !odd {
			payload = payload[:32]
		}
		for _, v := range []struct {
			name     string
			src, dst netip.Addr
		}{{"ipv4", src4, dst4}, {"ipv6", src6, dst6}} {
			seg := tcpSeg(FlagACK|FlagPSH, []byte{OptNOP, OptNOP, OptTimestamp, 10, 1, 2, 3, 4, 5, 6, 7, 8}, payload)
			good := refChecksum(v.src, v.dst, seg)
			ps := pseudoSum(v.src, v.dst, len(seg))
			for _, c := range []struct {
				field uint16
				want  ChecksumStatus
			}{
				{good, ChecksumGood},
				{good ^ 0x0100, ChecksumBad},
				{ps, ChecksumPartial},
				{^ps, ChecksumPartial},
			} {
				binary.BigEndian.PutUint16(seg[16:], c.field)
				var f []byte
				if v.src.Is4() {
					f = ipv4Pkt(ProtoTCP, nil, 0, seg)
				} else {
					f = ipv6Pkt(ProtoTCP, nil, seg)
				}
				var p Packet
				if err := Decode(LinkRaw, f, &p); err != nil {
					t.Fatal(err)
				}
				st, want := p.TCPChecksum()
				if st != c.want || want != good {
					t.Errorf("%s odd=%v field %#04x: TCPChecksum = %v, %#04x; want %v, %#04x", v.name, odd, c.field, st, want, c.want, good)
				}
			}
		}
	}
}

func TestDecodeAllocs(t *testing.T) {
	f := ether(0x0800, ipv4Pkt(ProtoTCP, nil, 0, withChecksum(src4, dst4, tcpSeg(FlagACK, nil, make([]byte, 100)))))
	var p Packet
	n := testing.AllocsPerRun(100, func() {
		if err := Decode(LinkEthernet, f, &p); err != nil {
			t.Fatal(err)
		}
		if st, _ := p.TCPChecksum(); st != ChecksumGood {
			t.Fatal(st)
		}
	})
	if n != 0 {
		t.Errorf("Decode+TCPChecksum allocated %v times per run, want 0", n)
	}
}

func BenchmarkDecode(b *testing.B) {
	f := ether(0x0800, ipv4Pkt(ProtoTCP, nil, 0, withChecksum(src4, dst4, tcpSeg(FlagACK, []byte{OptNOP, OptNOP, OptTimestamp, 10, 1, 2, 3, 4, 5, 6, 7, 8}, make([]byte, 100)))))
	var p Packet
	b.ReportAllocs()
	b.SetBytes(int64(len(f)))
	for b.Loop() {
		if err := Decode(LinkEthernet, f, &p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTCPChecksum(b *testing.B) {
	f := ether(0x0800, ipv4Pkt(ProtoTCP, nil, 0, withChecksum(src4, dst4, tcpSeg(FlagACK, nil, make([]byte, 1448)))))
	var p Packet
	if err := Decode(LinkEthernet, f, &p); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(p.SegmentLen))
	for b.Loop() {
		if st, _ := p.TCPChecksum(); st != ChecksumGood {
			b.Fatal(st)
		}
	}
}

func TestDecodeIPv6Truncated(t *testing.T) {
	seg := tcpSeg(FlagACK, nil, []byte("abc"))
	hbh := []byte{ProtoTCP, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // 16-byte hop-by-hop
	full := ipv6Pkt(0, hbh, seg)
	for _, tt := range []struct {
		name   string
		n      int // bytes captured
		offset int
		trunc  bool
		need   string // how the message states the bytes needed
	}{
		{"cut before the extension length", 41, 40, true, "need 2"},
		{"cut inside the extension", 50, 40, true, "need 16"},
		{"cut inside the fragment header", 44, 40, true, "need 8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := full
			if tt.name == "cut inside the fragment header" {
				f = ipv6Pkt(44, []byte{ProtoTCP, 0, 0, 1, 0, 0, 0, 1}, seg)
			}
			var p Packet
			err := Decode(LinkRaw, f[:tt.n], &p)
			var de *Error
			if !errors.As(err, &de) || de.Offset != tt.offset || errors.Is(err, ErrTruncated) != tt.trunc || !p.Truncated {
				t.Errorf("Decode = %v (Truncated %v), want a truncated error at %d", err, p.Truncated, tt.offset)
			}
			if err != nil && !strings.Contains(err.Error(), tt.need) {
				t.Errorf("Decode = %v, want %q", err, tt.need)
			}
			if p.IPVersion != 6 || p.Src != src6 {
				t.Errorf("IPv6 fields not kept: version %d src %v", p.IPVersion, p.Src)
			}
		})
	}
	t.Run("payload length shorter than the extension", func(t *testing.T) {
		f := bytes.Clone(full)
		binary.BigEndian.PutUint16(f[4:], 1)
		var p Packet
		err := Decode(LinkRaw, f, &p)
		var de *Error
		if !errors.As(err, &de) || de.Offset != 40 || errors.Is(err, ErrTruncated) {
			t.Errorf("Decode = %v, want a malformed (not truncated) error at 40", err)
		}
	})
	t.Run("too many extension headers", func(t *testing.T) {
		var ext []byte
		for range maxExtHeaders + 1 {
			ext = append(ext, 60, 0, 1, 4, 0, 0, 0, 0)
		}
		var p Packet
		err := Decode(LinkRaw, ipv6Pkt(60, ext, nil), &p)
		if err == nil || !strings.Contains(err.Error(), "more than 16 extension headers") {
			t.Errorf("Decode = %v, want too many extension headers", err)
		}
	})
}

func TestErrorText(t *testing.T) {
	var p Packet
	err := Decode(LinkEthernet, ether(0x0800, make([]byte, 10)), &p)
	if got, want := err.Error(), "decode: ipv4 header at offset 14: 10 bytes captured, need 20: truncated"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	err = Decode(LinkRaw, append([]byte{0x43}, make([]byte, 30)...), &p)
	if got, want := err.Error(), "decode: ipv4 header at offset 0: header length 12 is below 20"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestChecksumStatusString(t *testing.T) {
	for st, want := range map[ChecksumStatus]string{ChecksumUnverified: "unverified", ChecksumGood: "good", ChecksumBad: "bad", ChecksumPartial: "partial", 9: "invalid"} {
		if got := st.String(); got != want {
			t.Errorf("ChecksumStatus(%d).String() = %q, want %q", st, got, want)
		}
	}
}

func TestOptionIter(t *testing.T) {
	type opt struct {
		Kind uint8
		Len  int
		Data string
	}
	for _, tt := range []struct {
		name string
		buf  []byte
		want []opt
		err  string
		off  int
	}{
		{"lab SYN", []byte{2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 10}, []opt{{2, 4, "\xff\xd7"}, {4, 2, ""}, {8, 10, "\x00\x00\x00\x01\x00\x00\x00\x00"}, {1, 1, ""}, {3, 3, "\n"}}, "", 17},
		{"EOL ends the walk", []byte{1, 0, 2, 4, 0, 0}, []opt{{1, 1, ""}, {0, 1, ""}}, "", 1},
		{"length missing", []byte{1, 2}, []opt{{1, 1, ""}}, "option length missing", 1},
		{"length below 2", []byte{5, 1, 0, 0}, nil, "option length below 2", 0},
		{"length past the header", []byte{1, 1, 8, 10, 0, 0}, []opt{{1, 1, ""}, {1, 1, ""}}, "option length runs past the header", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			it := OptionIter{Buf: tt.buf}
			var got []opt
			for it.Next() {
				got = append(got, opt{it.Opt.Kind, it.Opt.Len, string(it.Opt.Data)})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
			if it.Err != tt.err || it.Off != tt.off {
				t.Errorf("Err, Off = %q, %d; want %q, %d", it.Err, it.Off, tt.err, tt.off)
			}
		})
	}
}

func TestTCPAccessors(t *testing.T) {
	seg := tcpSeg(FlagSYN|FlagECE|FlagCWR, []byte{OptMSS, 4, 5, 0xb4}, nil)
	binary.BigEndian.PutUint16(seg[18:], 7)
	h := TCP(seg)
	if !h.Valid() || !h.OptionsComplete() || !h.Has(FlagSYN|FlagECE) || h.Has(FlagACK) || h.UrgentPointer() != 7 || h.HeaderLen() != 24 {
		t.Errorf("accessors: Valid %v OptionsComplete %v Has(SYN|ECE) %v Has(ACK) %v Urg %d HeaderLen %d", h.Valid(), h.OptionsComplete(), h.Has(FlagSYN|FlagECE), h.Has(FlagACK), h.UrgentPointer(), h.HeaderLen())
	}
	if TCP(seg[:22]).OptionsComplete() {
		t.Errorf("OptionsComplete on a header cut inside its options = true")
	}
}
