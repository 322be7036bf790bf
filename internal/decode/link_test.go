package decode

import (
	"encoding/binary"
	"errors"
	"testing"
)

// Builders for the encapsulations of link.go.

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// wlanData is an 802.11 data frame (frame control fc0 fc1) holding ip
// behind LLC/SNAP; QoS subtypes get a QoS control field of qos.
func wlanData(fc0, fc1, qos byte, ip []byte) []byte {
	h := cat([]byte{fc0, fc1, 0, 0}, make([]byte, 18), []byte{0x10, 0})
	if fc1&3 == 3 {
		h = append(h, make([]byte, 6)...)
	}
	if fc0&0x80 != 0 {
		h = append(h, qos, 0)
		if fc1&0x80 != 0 {
			h = append(h, 0, 0, 0, 0)
		}
	}
	return cat(h, []byte{0xaa, 0xaa, 3, 0, 0, 0, 8, 0}, ip)
}

func outer4(proto byte, payload []byte) []byte {
	p := ipv4Pkt(proto, nil, 0, payload)
	copy(p[12:], []byte{203, 0, 113, 1, 203, 0, 113, 2})
	return p
}

func udpHdr(sport, dport uint16, payload []byte) []byte {
	return cat(be16(sport), be16(dport), be16(uint16(8+len(payload))), []byte{0, 0}, payload)
}

// encapsulated are frames, each holding the IPv4 TCP segment ip4 (from
// src4 to dst4) in one encapsulation: the seeds of FuzzDecodeEncapsulated
// and the cases of TestDecodeEncapsulations.
func encapsulated() (ip4 []byte, cases []struct {
	name  string
	link  LinkType
	frame []byte
}) {
	seg := withChecksum(src4, dst4, tcpSeg(FlagACK|FlagPSH, nil, []byte("data")))
	ip4 = ipv4Pkt(ProtoTCP, nil, 0, seg)
	add := func(name string, link LinkType, frame []byte) {
		cases = append(cases, struct {
			name  string
			link  LinkType
			frame []byte
		}{name, link, frame})
	}
	add("PPP with address and control", LinkPPP, cat([]byte{0xff, 3, 0, 0x21}, ip4))
	add("PPP protocol compressed", LinkPPP, cat([]byte{0x21}, ip4))
	add("PPP in HDLC framing", LinkPPPHDLC, cat([]byte{0xff, 3, 0, 0x21}, ip4))
	add("Cisco HDLC in PPP_HDLC", LinkPPPHDLC, cat([]byte{0x0f, 0, 8, 0}, ip4))
	add("Cisco HDLC", LinkCHDLC, cat([]byte{0x8f, 0, 8, 0}, ip4))
	add("PPPoE session", LinkEthernet, ether(EtherTypePPPoE, cat([]byte{0x11, 0, 0, 1, 0, 0, 0, 0x21}, ip4)))
	add("802.3 with LLC/SNAP", LinkEthernet, ether(uint16(8+len(ip4)), cat([]byte{0xaa, 0xaa, 3, 0, 0, 0, 8, 0}, ip4)))
	add("802.11 data to the AP", LinkIEEE80211, wlanData(0x08, 0x01, 0, ip4))
	add("802.11 QoS data, four addresses", LinkIEEE80211, wlanData(0x88, 0x03, 0, ip4))
	add("802.11 QoS data with HT control", LinkIEEE80211, wlanData(0x88, 0x82, 0, ip4))
	add("radiotap with TSFT, flags (FCS)", LinkRadiotap, cat([]byte{0, 0, 17, 0, 3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x10}, wlanData(0x08, 0x02, 0, ip4), []byte{1, 2, 3, 4}))
	add("radiotap, padded MAC header", LinkRadiotap, cat([]byte{0, 0, 17, 0, 3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x20}, wlanData(0x88, 0x02, 0, nil)[:26], []byte{0, 0}, []byte{0xaa, 0xaa, 3, 0, 0, 0, 8, 0}, ip4))
	add("SLL with a 20-byte address", LinkLinuxSLL, cat([]byte{0, 0, 0, 32, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 8, 0}, ip4))
	add("SLL over a monitor interface", LinkLinuxSLL, cat([]byte{0, 0, 3, 0x23, 0, 6, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0x19}, []byte{0, 0, 8, 0, 0, 0, 0, 0}, wlanData(0x08, 0x01, 0, ip4)))
	add("IPoIB", LinkIPoIB, cat(make([]byte, 40), []byte{8, 0, 0, 0}, ip4))
	add("MPLS, two labels", LinkEthernet, ether(EtherTypeMPLS, cat([]byte{0, 1, 0, 64, 0, 2, 1, 64}, ip4)))
	add("MPLS, pseudowire with control word", LinkEthernet, ether(EtherTypeMPLS, cat([]byte{0, 1, 1, 64, 0, 0, 0, 0}, ether(0x0800, ip4))))
	add("IP in IP", LinkEthernet, ether(0x0800, outer4(protoIPIP, ip4)))
	add("IPv4 in IPv6", LinkEthernet, ether(0x86dd, ipv6Pkt(protoIPIP, nil, ip4)))
	add("GRE with checksum, key, sequence", LinkEthernet, ether(0x0800, outer4(protoGRE, cat([]byte{0xb0, 0, 8, 0}, make([]byte, 12), ip4))))
	add("GRE bridging Ethernet", LinkEthernet, ether(0x0800, outer4(protoGRE, cat([]byte{0, 0, 0x65, 0x58}, ether(0x0800, ip4)))))
	add("GRE version 1, PPP", LinkEthernet, ether(0x0800, outer4(protoGRE, cat([]byte{0x30, 0x81, 0x88, 0x0b}, make([]byte, 12), []byte{0xff, 3, 0, 0x21}, ip4))))
	add("VXLAN", LinkEthernet, ether(0x0800, outer4(protoUDP, udpHdr(5555, portVXLAN, cat([]byte{8, 0, 0, 0, 0, 0, 1, 0}, ether(0x0800, ip4))))))
	add("Geneve with an option", LinkEthernet, ether(0x0800, outer4(protoUDP, udpHdr(5555, portGeneve, cat([]byte{1, 0, 8, 0, 0, 0, 1, 0, 1, 2, 3, 0}, ip4)))))
	add("NFLOG", LinkNFLOG, cat([]byte{2, 0, 0, 1, 8, 0, 1, 0, 8, 0, 3, 0}, binary.LittleEndian.AppendUint16(nil, uint16(4+len(ip4))), []byte{9, 0}, ip4))
	pk := make([]byte, 108)
	pk[0], pk[8] = 108, 1
	add("PKTAP, Ethernet", LinkPKTAP, cat(pk, ether(0x0800, ip4)))
	add("PKTAP as link type 149", LinkPKTAPDarwin, cat(pk, ether(0x0800, ip4)))
	add("Juniper Ethernet with an extension", LinkJuniperEth, cat([]byte{'M', 'G', 'C', 0x81, 0, 2, 1, 0}, ether(0x0800, ip4)))
	add("Juniper without layer 2", LinkJuniperEth, cat([]byte{'M', 'G', 'C', 0x03, 2, 0, 0, 0}, ip4))
	return ip4, cases
}

func TestDecodeEncapsulations(t *testing.T) {
	ip4, cases := encapsulated()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			if err := DecodeWire(c.link, c.frame, len(c.frame), &p); err != nil {
				t.Fatalf("DecodeWire: %v", err)
			}
			if p.Src != src4 || p.Dst != dst4 || p.Proto != ProtoTCP || p.PayloadLen != 4 || string(p.Payload) != "data" {
				t.Fatalf("got %v → %v proto %d payload %q (%d), want the inner segment", p.Src, p.Dst, p.Proto, p.Payload, p.PayloadLen)
			}
			if st, _ := p.TCPChecksum(); st != ChecksumGood {
				t.Errorf("checksum %v, want good", st)
			}
			if p.NetworkOffset+len(ip4) > len(c.frame) || string(c.frame[p.NetworkOffset:p.NetworkOffset+20]) != string(ip4[:20]) {
				t.Errorf("NetworkOffset %d does not point at the inner IPv4 header", p.NetworkOffset)
			}
		})
	}
}

func TestSkipReason(t *testing.T) {
	ip4, _ := encapsulated()
	badHL := append([]byte(nil), ip4...)
	badHL[0] = 0x40
	for _, c := range []struct {
		link  LinkType
		frame []byte
		want  string
	}{
		{LinkIEEE80211, wlanData(0x08, 0x41, 0, ip4), "link type 105 (IEEE 802.11) protected frame"},
		{LinkRadiotap, cat([]byte{0, 0, 8, 0, 0, 0, 0, 0}, wlanData(0x88, 0x42, 0x80, ip4)), "link type 127 (IEEE 802.11 radiotap) protected frame"},
		{LinkIEEE80211, wlanData(0x88, 0x02, 0x80, ip4), "link type 105 (IEEE 802.11) A-MSDU"},
		{147, ip4, "link type 147 (user 0)"},
		{4000, ip4, "link type 4000"},
		{LinkEthernet, ether(0x0800, badHL), "IPv4 header length 0"},
		{LinkEthernet, ether(0x0800, ip4[:10]), "IPv4 header truncated"},
		{LinkEthernet, ether(0x0800, outer4(protoGRE, cat([]byte{0, 0, 0x88, 0xbe}, ip4))), "GRE protocol 0x88be"},
		{LinkPPP, cat([]byte{0, 0x2d}, ip4[20:]), "PPP Van Jacobson compressed TCP"},
		{LinkEthernet, ether(EtherTypeMPLS, cat([]byte{0, 1, 1, 64}, []byte{0x20}, ip4)), "MPLS payload"},
		{LinkEthernet, ether(0x0800, outer4(protoUDP, udpHdr(1, portGeneve, cat([]byte{0, 0, 0x12, 0x34, 0, 0, 1, 0}, ip4)))), "Geneve protocol 0x1234"},
		{LinkPKTAP, cat([]byte{12, 0, 0, 0, 0, 0, 0, 0, 0x93, 0, 0, 0}, ip4), "PKTAP link type 147 (user 0)"},
	} {
		var p Packet
		err := DecodeWire(c.link, c.frame, len(c.frame), &p)
		if err == nil {
			t.Errorf("link %d %x: no error, want %q", c.link, c.frame[:8], c.want)
			continue
		}
		var de *Error
		if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(c.frame) {
			t.Errorf("link %d: error %v is not a *Error within the frame", c.link, err)
		}
		if got := SkipReason(err); got != c.want {
			t.Errorf("SkipReason(%v) = %q, want %q", err, got, c.want)
		}
	}
	// Frames that plainly carry no TCP are no error.
	for _, f := range [][]byte{
		ether(EtherTypeARP, make([]byte, 28)),
		ether(0x0800, outer4(protoUDP, udpHdr(53, 5353, []byte("dns")))),
		wlanData(0x80, 0, 0, nil),    // a beacon
		wlanData(0x48, 0x01, 0, nil), // null data
	} {
		link := LinkEthernet
		if f[0] != 0 {
			link = LinkIEEE80211
		}
		var p Packet
		if err := DecodeWire(link, f, len(f), &p); err != nil {
			t.Errorf("frame %x: %v, want no error", f[:4], err)
		}
	}
}

// TestDecodeWireLength checks that an IP length beyond a frame captured
// whole ends with the frame, while one the snap length cut stays
// truncated.
func TestDecodeWireLength(t *testing.T) {
	ip4, _ := encapsulated()
	f := ether(0x0800, ip4)
	binary.BigEndian.PutUint16(f[16:], uint16(len(ip4)+700))
	var p Packet
	if err := DecodeWire(LinkEthernet, f, len(f), &p); err != nil {
		t.Fatal(err)
	}
	if p.Truncated || p.PayloadLen != 4 || p.IPTotalLen != len(ip4) {
		t.Errorf("captured whole: Truncated %v PayloadLen %d IPTotalLen %d, want false 4 %d", p.Truncated, p.PayloadLen, p.IPTotalLen, len(ip4))
	}
	if err := DecodeWire(LinkEthernet, f, len(f)+700, &p); err != nil {
		t.Fatal(err)
	}
	if !p.Truncated || p.PayloadLen != 704 {
		t.Errorf("cut by the snap length: Truncated %v PayloadLen %d, want true 704", p.Truncated, p.PayloadLen)
	}
}

// fragments4 splits ip (IPv4) into fragments of size payload bytes.
func fragments4(ip []byte, size int, id uint16) [][]byte {
	var out [][]byte
	pl := ip[20:]
	for off := 0; off < len(pl); off += size {
		end := min(off+size, len(pl))
		fo := uint16(off / 8)
		if end < len(pl) {
			fo |= 0x2000
		}
		f := ipv4Pkt(ProtoTCP, nil, fo, pl[off:end])
		binary.BigEndian.PutUint16(f[4:], id)
		out = append(out, f)
	}
	return out
}

func TestReassembler(t *testing.T) {
	seg := withChecksum(src4, dst4, tcpSeg(FlagACK, nil, make([]byte, 100)))
	ip := ipv4Pkt(ProtoTCP, nil, 0, seg)
	frags := fragments4(ip, 40, 7)
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 0, 2}} {
		var r Reassembler
		var whole []byte
		for k, i := range order {
			var p Packet
			if err := Decode(LinkIPv4, frags[i], &p); err != nil || !p.Fragment || !Reassembles(&p) {
				t.Fatalf("fragment %d: %v", i, err)
			}
			whole, _, _ = r.Add(&p)
			if (whole != nil) != (k == len(order)-1) {
				t.Fatalf("order %v: datagram complete after %d fragments", order, k+1)
			}
		}
		var p Packet
		if err := Decode(LinkIPv4, whole, &p); err != nil || p.Fragment || p.PayloadLen != 100 {
			t.Fatalf("order %v: reassembled %v, fragment %v, PayloadLen %d", order, err, p.Fragment, p.PayloadLen)
		}
		if st, _ := p.TCPChecksum(); st != ChecksumGood {
			t.Errorf("order %v: checksum %v", order, st)
		}
		if n, _ := r.Frames(); n != 0 {
			t.Errorf("order %v: %d frames still held", order, n)
		}
	}
	// The limits evict the oldest datagram.
	r := Reassembler{MaxDatagrams: 2}
	var evicted int
	for id := uint16(1); id <= 3; id++ {
		var p Packet
		Decode(LinkIPv4, fragments4(ip, 40, id)[0], &p)
		_, e, tcp := r.Add(&p)
		evicted += e
		if e != tcp {
			t.Errorf("evicted %d frames, %d of TCP", e, tcp)
		}
	}
	if n, tcp := r.Frames(); evicted != 1 || n != 2 || tcp != 2 {
		t.Errorf("MaxDatagrams 2: evicted %d, held %d (%d TCP), want 1, 2", evicted, n, tcp)
	}
	r = Reassembler{MaxBytes: 50}
	var p Packet
	Decode(LinkIPv4, frags[0], &p)
	r.Add(&p)
	Decode(LinkIPv4, frags[1], &p)
	if _, e, _ := r.Add(&p); e != 2 {
		// The datagram would need 80 bytes: its first fragment is
		// dropped, and so is this one.
		t.Errorf("MaxBytes 50: evicted %d frames, want 2", e)
	}
}

// FuzzDecodeEncapsulated decodes arbitrary bytes as each further link
// type, with the wire length the frame's own and longer. No input may
// panic; errors are *Error within the frame with a reason.
func FuzzDecodeEncapsulated(f *testing.F) {
	_, cases := encapsulated()
	for _, c := range cases {
		f.Add(uint16(c.link), c.frame) // each encapsulation well formed (see encapsulated)
	}
	f.Add(uint16(LinkEthernet), ether(EtherTypeMPLS, make([]byte, 80)))                                      // a label stack with no bottom
	f.Add(uint16(LinkEthernet), ether(0x0800, outer4(protoIPIP, outer4(protoIPIP, outer4(protoIPIP, nil))))) // tunnels in tunnels, empty inside
	f.Add(uint16(LinkRadiotap), []byte{0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})                            // radiotap length past the frame, extended bitmaps
	f.Add(uint16(LinkNFLOG), []byte{2, 0, 0, 1, 0, 0, 9, 0})                                                 // NFLOG TLV of length 0
	f.Add(uint16(LinkPKTAP), []byte{12, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0})                                    // PKTAP in PKTAP
	f.Fuzz(func(t *testing.T, sel uint16, frame []byte) {
		link := LinkType(sel)
		var p Packet
		for _, wire := range []int{len(frame), len(frame) + 1000} {
			err := DecodeWire(link, frame, wire, &p)
			if err != nil {
				var de *Error
				if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(frame) {
					t.Fatalf("link %d: error %v outside the %d-byte frame", link, err, len(frame))
				}
				if SkipReason(err) == "" {
					t.Fatalf("link %d: error %v without a reason", link, err)
				}
			}
			if p.IPVersion != 0 && !p.Truncated && p.IPTotalLen > len(frame)-p.NetworkOffset {
				t.Fatalf("link %d: IP length %d exceeds the %d bytes captured", link, p.IPTotalLen, len(frame)-p.NetworkOffset)
			}
			if p.TCP != nil && (p.Fragment || p.Proto != ProtoTCP) {
				t.Fatalf("link %d: TCP set for a fragment or protocol %d", link, p.Proto)
			}
			p.TCPChecksum()
		}
	})
}

// FuzzReassembler feeds fragments cut from arbitrary bytes to a small
// Reassembler: no panic, and what it completes decodes as one IP packet
// that is not a fragment.
func FuzzReassembler(f *testing.F) {
	seg := withChecksum(src4, dst4, tcpSeg(FlagACK, nil, make([]byte, 64)))
	ip := ipv4Pkt(ProtoTCP, nil, 0, seg)
	f.Add(cat(fragments4(ip, 32, 1)...))     // three fragments in order
	f.Add(cat(fragments4(ip, 8, 2)...))      // many small fragments
	f.Add(cat(fragments4(ip, 40, 3)[1], ip)) // a later fragment, then a whole packet
	f.Fuzz(func(t *testing.T, data []byte) {
		r := Reassembler{MaxDatagrams: 4, MaxBytes: 4096}
		for len(data) > 0 {
			var p Packet
			n := min(len(data), 20+int(data[0]%64))
			frame := data[:n]
			data = data[n:]
			if Decode(LinkRaw, frame, &p) != nil || !Reassembles(&p) || p.Truncated {
				continue
			}
			whole, _, _ := r.Add(&p)
			if whole != nil {
				var q Packet
				Decode(LinkRaw, whole, &q)
				if q.Fragment {
					t.Fatalf("reassembled datagram %x is a fragment", whole)
				}
			}
		}
	})
}
