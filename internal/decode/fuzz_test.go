package decode

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzLinks are the link types FuzzDecode tries on every input, and one
// it does not know.
var fuzzLinks = []LinkType{LinkNull, LinkEthernet, LinkRaw, LinkLoop, LinkLinuxSLL, LinkIPv4, LinkIPv6, LinkLinuxSLL2, linkRawBSD12, 147,
	LinkPPP, LinkPPPHDLC, LinkCHDLC, LinkIEEE80211, LinkRadiotap, LinkPKTAPDarwin, LinkJuniperEth, LinkNFLOG, LinkIPoIB, LinkPKTAP}

// FuzzDecode decodes arbitrary bytes as every link type. No input may
// panic; an error is a *Error whose offset lies within the frame; the
// lengths Decode reports are consistent with what was captured; and the
// checksum and option walks run without panicking.
func FuzzDecode(f *testing.F) {
	seg := withChecksum(src4, dst4, tcpSeg(FlagSYN, []byte{OptMSS, 4, 5, 0xb4, OptSACKPerm, 2, OptTimestamp, 10, 1, 2, 3, 4, 0, 0, 0, 0, OptNOP, OptWS, 3, 7}, nil))
	ip4 := ipv4Pkt(ProtoTCP, nil, 0, seg)
	seg6 := withChecksum(src6, dst6, tcpSeg(FlagACK|FlagPSH, nil, []byte("data")))
	ip6 := ipv6Pkt(ProtoTCP, nil, seg6)
	f.Add(ether(0x0800, ip4))                                                               // Ethernet, IPv4 SYN with options
	f.Add(ether(0x86dd, ip6, 0x88a8, 1, 0x8100, 2))                                         // QinQ, IPv6 with payload
	f.Add(sll(0x0800, ip4))                                                                 // SLL
	f.Add(sll2(0x86dd, ip6))                                                                // SLL2
	f.Add(null(30, false, ip6))                                                             // NULL, Darwin AF_INET6
	f.Add(null(2, true, ip4))                                                               // NULL/LOOP big-endian AF_INET
	f.Add(ip4)                                                                              // raw IPv4 (as Ethernet: garbage)
	f.Add(ip4[:30])                                                                         // raw IPv4 cut inside the TCP header
	f.Add(ipv4Pkt(ProtoTCP, []byte{1, 1, 1, 0}, 0x2000, seg))                               // first fragment with options
	f.Add(ipv6Pkt(0, []byte{44, 0, 1, 4, 0, 0, 0, 0, ProtoTCP, 0, 0, 1, 0, 0, 0, 1}, seg6)) // hop-by-hop then fragment header
	f.Add(ipv6Pkt(60, []byte{ProtoTCP, 200}, nil))                                          // destination options longer than the packet
	f.Add([]byte{0x45, 0, 0, 0})                                                            // IPv4 total length 0, cut
	f.Add([]byte{})                                                                         // empty frame
	f.Fuzz(func(t *testing.T, frame []byte) {
		var p Packet
		for _, link := range fuzzLinks {
			err := Decode(link, frame, &p)
			if err != nil {
				var de *Error
				if !errors.As(err, &de) {
					t.Fatalf("link %d: error %v (%T) is not a *decode.Error", link, err, err)
				}
				if de.Offset < 0 || de.Offset > len(frame) {
					t.Fatalf("link %d: error %v: offset %d outside the %d-byte frame", link, err, de.Offset, len(frame))
				}
			}
			if p.PayloadLen < 0 || len(p.Payload) > p.PayloadLen {
				t.Fatalf("link %d: PayloadLen %d with %d payload bytes", link, p.PayloadLen, len(p.Payload))
			}
			if p.TCP != nil && (p.Fragment || p.Proto != ProtoTCP) {
				t.Fatalf("link %d: TCP set for a fragment or protocol %d", link, p.Proto)
			}
			if p.IPVersion != 0 && !p.Truncated && p.IPTotalLen > len(frame)-p.NetworkOffset {
				t.Fatalf("link %d: IP length %d exceeds the %d bytes captured, not flagged truncated", link, p.IPTotalLen, len(frame)-p.NetworkOffset)
			}
			st, _ := p.TCPChecksum()
			if st != ChecksumUnverified && (len(p.TCP) < p.SegmentLen || p.Truncated) {
				t.Fatalf("link %d: checksum %v on a segment not captured whole", link, st)
			}
			it := OptionIter{Buf: p.TCP.Options()}
			for n := 0; it.Next(); n++ {
				if n > 40 {
					t.Fatalf("link %d: more than 40 options in a header of at most 40 option bytes", link)
				}
			}
		}
	})
}

// FuzzDecodeCommon checks that the shortcut for untagged Ethernet, IPv4
// and TCP decodes exactly as the general path does whenever it takes a
// frame.
func FuzzDecodeCommon(f *testing.F) {
	seg := withChecksum(src4, dst4, tcpSeg(FlagSYN, []byte{OptMSS, 4, 5, 0xb4, OptSACKPerm, 2, OptTimestamp, 10, 1, 2, 3, 4, 0, 0, 0, 0, OptNOP, OptWS, 3, 7}, nil))
	data := withChecksum(src4, dst4, tcpSeg(FlagACK|FlagPSH, nil, []byte("data")))
	f.Add(ether(0x0800, ipv4Pkt(ProtoTCP, nil, 0, seg)))                           // SYN with options
	f.Add(ether(0x0800, ipv4Pkt(ProtoTCP, nil, 0x4000, data)))                     // payload, DF set
	f.Add(append(ether(0x0800, ipv4Pkt(ProtoTCP, nil, 0, data[:20])), 0, 0, 0, 0)) // header only, Ethernet padding
	f.Add(ether(0x0800, ipv4Pkt(ProtoTCP, []byte{1, 1, 1, 0}, 0, data)))           // IPv4 options
	f.Add(ether(0x0800, ipv4Pkt(ProtoTCP, nil, 0x2000, data)))                     // a first fragment: not taken
	f.Add(ether(0x0800, ipv4Pkt(ProtoTCP, nil, 0, data))[:40])                     // cut by the snap length: not taken
	f.Fuzz(func(t *testing.T, frame []byte) {
		var fast, slow Packet
		fillPacket(t, &fast) // decodeCommon must write every field
		if !decodeCommon(LinkEthernet, frame, &fast) {
			return
		}
		if err := decodeAny(LinkEthernet, frame, -1, &slow); err != nil {
			t.Fatalf("decodeCommon took a frame decodeAny rejects: %v", err)
		}
		if diff := cmp.Diff(slow, fast, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Fatalf("decodeCommon (-decodeAny +decodeCommon):\n%s", diff)
		}
	})
}

// fillPacket sets every field of p to a value other than its zero value.
func fillPacket(t *testing.T, p *Packet) {
	v := reflect.ValueOf(p).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int:
			f.SetInt(-7)
		case reflect.Uint8, reflect.Uint16, reflect.Uint32:
			f.SetUint(7)
		case reflect.Slice:
			f.SetBytes([]byte{7})
		case reflect.Struct:
			f.Set(reflect.ValueOf(netip.MustParseAddr("2001:db8::7")))
		default:
			t.Fatalf("fillPacket: field %s of kind %v", v.Type().Field(i).Name, f.Kind())
		}
	}
}
