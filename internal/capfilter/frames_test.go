package capfilter

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
)

// frame is one test packet: its name (for failure messages) and its
// Ethernet bytes. wire is the original length when the frame was cut short
// as by a snap length (0: len(data)).
type frame struct {
	name string
	data []byte
	wire int
}

var (
	macA = []byte{0x02, 0, 0, 0, 0, 0xa}
	macB = []byte{0x02, 0, 0, 0, 0, 0xb}
)

func ether(etype uint16, payload []byte) []byte {
	b := append(append(append([]byte{}, macB...), macA...), byte(etype>>8), byte(etype))
	return append(b, payload...)
}

// ipv4 builds an IPv4 header with optLen bytes of options (a multiple of
// 4, NOPs), the fragment field frag (flags and offset) and payload.
func ipv4(src, dst string, proto byte, optLen int, frag uint16, payload []byte) []byte {
	h := make([]byte, 20+optLen)
	h[0] = 0x40 | byte((20+optLen)/4)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+len(payload)))
	binary.BigEndian.PutUint16(h[4:], 0x1234)
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8] = 64
	h[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	for i := 20; i < len(h); i++ {
		h[i] = 1 // NOP option
	}
	return append(h, payload...)
}

// ipv6 builds an IPv6 fixed header with next header next, then payload
// (which holds any extension headers).
func ipv6(src, dst string, next byte, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = next
	h[7] = 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

// l4 builds a transport header whose first four bytes are the ports, as
// for TCP, UDP and SCTP (the rest does not matter to the filters).
func l4(proto byte, sport, dport uint16) []byte {
	n := map[byte]int{6: 20, 17: 8, 132: 12}[proto]
	if n == 0 {
		n = 8
	}
	h := make([]byte, n)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	if proto == 6 {
		h[12] = 5 << 4
		h[13] = 0x18
	}
	if proto == 17 {
		binary.BigEndian.PutUint16(h[4:], uint16(n))
	}
	return append(h, "payload"...)
}

// ext6 is an IPv6 extension header (hop-by-hop, destination options or
// fragment) of 8 bytes, followed by payload.
func ext6(next byte, payload []byte) []byte {
	return append([]byte{next, 0, 0, 0, 0, 0, 0, 0}, payload...)
}

func arp(op uint16, spa, tpa string) []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[0:], 1)      // Ethernet
	binary.BigEndian.PutUint16(b[2:], 0x0800) // IPv4
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:], op)
	copy(b[8:], macA)
	s, t := netip.MustParseAddr(spa).As4(), netip.MustParseAddr(tpa).As4()
	copy(b[14:], s[:])
	copy(b[18:], macB)
	copy(b[24:], t[:])
	return b
}

// testFrames returns the frames the filter tests run on: hand-picked edge
// cases, then pseudo-random combinations from a fixed seed.
func testFrames() []frame {
	var fs []frame
	add := func(name string, data []byte) { fs = append(fs, frame{name: name, data: data}) }
	const tcp, udp, sctp, icmp, icmp6, hop, frag6, dstopt = 6, 17, 132, 1, 58, 0, 44, 60

	add("v4 tcp lo 2000", ether(0x0800, ipv4("127.0.0.1", "127.0.0.1", tcp, 0, 0x4000, l4(tcp, 45000, 2000))))
	add("v4 tcp lo 2000 reply", ether(0x0800, ipv4("127.0.0.1", "127.0.0.1", tcp, 0, 0x4000, l4(tcp, 2000, 45000))))
	add("v4 tcp 80", ether(0x0800, ipv4("10.0.0.1", "1.2.3.4", tcp, 0, 0, l4(tcp, 33000, 80))))
	add("v4 tcp 443", ether(0x0800, ipv4("1.2.3.4", "10.0.0.1", tcp, 0, 0, l4(tcp, 443, 33001))))
	add("v4 udp 53", ether(0x0800, ipv4("192.168.1.10", "192.168.1.1", udp, 0, 0, l4(udp, 5353, 53))))
	add("v4 sctp 80", ether(0x0800, ipv4("10.0.0.2", "10.0.0.3", sctp, 0, 0, l4(sctp, 80, 9))))
	add("v4 icmp", ether(0x0800, ipv4("10.0.0.1", "10.0.0.2", icmp, 0, 0, []byte{8, 0, 0, 0, 0, 80, 0, 80})))
	add("v4 tcp options ihl 6", ether(0x0800, ipv4("10.0.0.1", "1.2.3.4", tcp, 4, 0, l4(tcp, 1234, 80))))
	add("v4 tcp options ihl 15", ether(0x0800, ipv4("10.0.0.1", "1.2.3.4", tcp, 40, 0, l4(tcp, 1234, 8080))))
	// With options, the bytes where a 20-byte header's ports would be
	// look like port 80; only the IHL-aware test gets this right.
	opt := ipv4("10.0.0.1", "1.2.3.4", tcp, 4, 0, l4(tcp, 7, 9))
	binary.BigEndian.PutUint16(opt[20:], 80)
	add("v4 options, decoy port at 20", ether(0x0800, opt))
	add("v4 first fragment MF", ether(0x0800, ipv4("10.0.0.1", "1.2.3.4", tcp, 0, 0x2000, l4(tcp, 1234, 80))))
	add("v4 later fragment looks like port 80", ether(0x0800, ipv4("10.0.0.1", "1.2.3.4", tcp, 0, 0x0010, l4(tcp, 80, 80))))
	add("v4 last fragment", ether(0x0800, ipv4("10.0.0.1", "1.2.3.4", udp, 0, 0x00b9, l4(udp, 53, 53))))
	add("v6 tcp ::1 2000", ether(0x86dd, ipv6("::1", "::1", tcp, l4(tcp, 45000, 2000))))
	add("v6 tcp 80", ether(0x86dd, ipv6("2001:db8::1", "2001:db8::2", tcp, l4(tcp, 33000, 80))))
	add("v6 udp 53 link-local", ether(0x86dd, ipv6("fe80::1", "fe80::2", udp, l4(udp, 53, 5353))))
	add("v6 sctp 443", ether(0x86dd, ipv6("2001:db8:1::1", "fd00::1", sctp, l4(sctp, 443, 1))))
	add("v6 icmp6", ether(0x86dd, ipv6("fe80::1", "ff02::1", icmp6, []byte{128, 0, 0, 0, 0, 80, 0, 80})))
	add("v6 hop-by-hop then tcp 80", ether(0x86dd, ipv6("2001:db8::1", "2001:db8::2", hop, ext6(tcp, l4(tcp, 80, 80)))))
	add("v6 fragment then tcp 80", ether(0x86dd, ipv6("2001:db8::1", "2001:db8::2", frag6, ext6(tcp, l4(tcp, 80, 80)))))
	add("v6 fragment then udp", ether(0x86dd, ipv6("2001:db8::1", "2001:db8::2", frag6, ext6(udp, l4(udp, 53, 53)))))
	add("v6 fragment then icmp6", ether(0x86dd, ipv6("fe80::1", "fe80::2", frag6, ext6(icmp6, []byte{128, 0, 0, 0}))))
	add("v6 dstopt then tcp", ether(0x86dd, ipv6("2001:db8::1", "2001:db8::2", dstopt, ext6(tcp, l4(tcp, 80, 80)))))
	add("v6 mapped v4", ether(0x86dd, ipv6("::ffff:1.2.3.4", "::1", tcp, l4(tcp, 1, 2))))
	add("arp request", ether(0x0806, arp(1, "10.0.0.1", "1.2.3.4")))
	add("arp reply", ether(0x0806, arp(2, "1.2.3.4", "10.0.0.1")))
	add("rarp", ether(0x8035, arp(3, "192.168.1.10", "127.0.0.1")))
	add("lldp", ether(0x88cc, make([]byte, 40)))
	add("vlan tagged v4 tcp 80", ether(0x8100, append([]byte{0, 5, 0x08, 0x00}, ipv4("10.0.0.1", "1.2.3.4", tcp, 0, 0, l4(tcp, 1, 80))...)))
	add("runt 10 bytes", ether(0x0800, nil)[:10])
	add("v4 header only", ether(0x0800, ipv4("10.0.0.1", "1.2.3.4", tcp, 0, 0, nil)))
	add("v4 tcp cut after sport 80", ether(0x0800, ipv4("10.0.0.1", "1.2.3.4", tcp, 0, 0, []byte{0, 80})))
	add("v6 cut in dst addr", ether(0x86dd, ipv6("::1", "::2", tcp, l4(tcp, 1, 80)))[:14+30])
	add("arp cut", ether(0x0806, arp(1, "10.0.0.1", "1.2.3.4"))[:14+20])

	r := rand.New(rand.NewPCG(1, 2))
	addrs4 := []string{"127.0.0.1", "10.0.0.1", "10.1.2.3", "1.2.3.4", "192.168.1.1", "192.168.1.10", "172.16.5.4"}
	addrs6 := []string{"::1", "fe80::1", "fe80::2", "2001:db8::1", "2001:db8:1::1", "fd00::1", "::ffff:1.2.3.4"}
	ports := []uint16{0, 1, 9, 53, 80, 443, 2000, 8000, 8080, 8081, 45000, 65535}
	protos := []byte{tcp, udp, sctp, icmp}
	for i := range 260 {
		sp, dp := ports[r.IntN(len(ports))], ports[r.IntN(len(ports))]
		p := protos[r.IntN(len(protos))]
		var name string
		var data []byte
		switch r.IntN(5) {
		case 0, 1:
			s, d := addrs4[r.IntN(len(addrs4))], addrs4[r.IntN(len(addrs4))]
			optLen := []int{0, 0, 0, 4, 12}[r.IntN(5)]
			frag := []uint16{0, 0, 0x4000, 0x2000, 0x0003}[r.IntN(5)]
			data = ether(0x0800, ipv4(s, d, p, optLen, frag, l4(p, sp, dp)))
			name = fmt.Sprintf("rand %d v4 %s>%s proto %d %d>%d opt %d frag %#x", i, s, d, p, sp, dp, optLen, frag)
		case 2, 3:
			s, d := addrs6[r.IntN(len(addrs6))], addrs6[r.IntN(len(addrs6))]
			if p == icmp {
				p = icmp6
			}
			data = ether(0x86dd, ipv6(s, d, p, l4(p, sp, dp)))
			name = fmt.Sprintf("rand %d v6 %s>%s proto %d %d>%d", i, s, d, p, sp, dp)
		default:
			s, d := addrs4[r.IntN(len(addrs4))], addrs4[r.IntN(len(addrs4))]
			data = ether(0x0806, arp(1, s, d))
			name = fmt.Sprintf("rand %d arp %s>%s", i, s, d)
		}
		if r.IntN(12) == 0 { // cut as by a small snap length
			n := 14 + r.IntN(len(data)-14)
			fs = append(fs, frame{name: name + fmt.Sprintf(" cut %d", n), data: data[:n], wire: len(data)})
			continue
		}
		fs = append(fs, frame{name: name, data: data})
	}
	return fs
}

// relink rewrites an Ethernet frame for another link type: a Linux cooked
// header (SLL or SLL2) carrying the same EtherType and network packet.
func relink(eth []byte, sll2 bool) []byte {
	if len(eth) < 14 {
		return append([]byte{}, eth...) // too short to convert: keep as a runt
	}
	etype := eth[12:14]
	if sll2 {
		h := make([]byte, 20)
		copy(h[0:], etype)
		binary.BigEndian.PutUint32(h[4:], 1) // ifindex
		binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
		h[10] = 0                            // PACKET_HOST
		h[11] = 6
		copy(h[12:], macA)
		return append(h, eth[14:]...)
	}
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[0:], 0) // PACKET_HOST
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6)
	copy(h[6:], macA)
	copy(h[14:], etype)
	return append(h, eth[14:]...)
}
