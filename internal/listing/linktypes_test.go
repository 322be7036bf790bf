package listing

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// Link types and tunnels beyond relink's: the crafted conversations'
// IP packets wrapped in each encapsulation tshark reads as TCP, frame i
// taking variant i of the encapsulation's header options.

var macs = []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x66, 0x77, 0x88, 0x99, 0xaa}

// etherFrame is an Ethernet header of EtherType et, then payload.
func etherFrame(et uint16, payload []byte) []byte {
	b := append([]byte(nil), macs...)
	b = binary.BigEndian.AppendUint16(b, et)
	return append(b, payload...)
}

// outerIPv4 wraps payload in an IPv4 header of protocol proto from
// 192.0.2.1 to 192.0.2.2, with a correct header checksum.
func outerIPv4(proto byte, payload []byte) []byte {
	h := []byte{0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2}
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	var s uint32
	for i := 0; i < 20; i += 2 {
		s += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(s))
	return append(h, payload...)
}

// outerIPv6 wraps payload in an IPv6 header with next header nh from
// 2001:db8::a to 2001:db8::b.
func outerIPv6(nh byte, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6], h[7] = nh, 64
	copy(h[8:], []byte{0x20, 0x01, 0x0d, 0xb8, 14: 0, 15: 0x0a})
	copy(h[24:], []byte{0x20, 0x01, 0x0d, 0xb8, 14: 0, 15: 0x0b})
	return append(h, payload...)
}

// udp wraps payload in a UDP header (checksum 0: none, as tunnels send).
func udp(sport, dport uint16, payload []byte) []byte {
	h := make([]byte, 8)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
	return append(h, payload...)
}

// pppProto is the PPP protocol number of an IP packet of EtherType et.
func pppProto(et uint16) []byte {
	if et == 0x86dd {
		return []byte{0x00, 0x57}
	}
	return []byte{0x00, 0x21}
}

// wrapKinds are the encapsulations wrap knows, with their link types.
var wrapKinds = map[string]decode.LinkType{
	"ppp": decode.LinkPPP, "ppphdlc": decode.LinkPPPHDLC, "chdlc": decode.LinkCHDLC, "pppoe": decode.LinkEthernet,
	"wlan": decode.LinkIEEE80211, "radiotap": decode.LinkRadiotap, "sll-addr20": decode.LinkLinuxSLL,
	"ipoib": decode.LinkIPoIB, "mpls": decode.LinkEthernet, "ipip": decode.LinkEthernet, "ip6ip": decode.LinkEthernet,
	"gre": decode.LinkEthernet, "vxlan": decode.LinkEthernet, "geneve": decode.LinkEthernet, "nflog": decode.LinkNFLOG,
	"pktap": decode.LinkPKTAP, "pktap149": decode.LinkPKTAPDarwin, "juniper": decode.LinkJuniperEth, "snap": decode.LinkEthernet,
}

// wrap returns frame i, the IP packet ip of EtherType et, in encapsulation
// kind.
func wrap(kind string, i int, et uint16, ip []byte) []byte {
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	snapHdr := cat([]byte{0xaa, 0xaa, 0x03, 0, 0, 0}, binary.BigEndian.AppendUint16(nil, et))
	switch kind {
	case "ppp": // with and without the HDLC address and control bytes; protocol compressed
		switch i % 3 {
		case 0:
			return cat([]byte{0xff, 0x03}, pppProto(et), ip)
		case 1:
			return cat(pppProto(et), ip)
		}
		return cat(pppProto(et)[1:], ip)
	case "ppphdlc": // PPP in HDLC-like framing, and Cisco HDLC
		if i%2 == 0 {
			return cat([]byte{0xff, 0x03}, pppProto(et), ip)
		}
		return cat([]byte{0x0f, 0x00}, binary.BigEndian.AppendUint16(nil, et), ip)
	case "chdlc":
		return cat([]byte{0x8f * byte(i%2), 0x00}, binary.BigEndian.AppendUint16(nil, et), ip)
	case "pppoe":
		h := []byte{0x11, 0x00, 0x12, 0x34, 0, 0}
		binary.BigEndian.PutUint16(h[4:], uint16(2+len(ip)))
		return etherFrame(0x8864, cat(h, pppProto(et), ip))
	case "snap": // 802.3 length and LLC/SNAP
		b := etherFrame(uint16(8+len(ip)), cat(snapHdr, ip))
		return b
	case "wlan":
		return wlanFrame(i, snapHdr, ip)
	case "radiotap":
		// Version 0, length 18: present = TSFT and flags; the TSFT at 8,
		// the flags at 16 saying an FCS ends the frame (odd frames).
		h := []byte{0, 0, 18, 0, 3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0}
		w := wlanFrame(i, snapHdr, ip)
		if i%2 == 1 {
			h[16] = 0x10
			w = append(w, 0xde, 0xad, 0xbe, 0xef)
		}
		return cat(h, w)
	case "sll-addr20": // an InfiniBand interface: 20-byte addresses, 8 kept
		return cat([]byte{0, 0, 0, 32, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8}, binary.BigEndian.AppendUint16(nil, et), ip)
	case "ipoib":
		return cat(make([]byte, 40), binary.BigEndian.AppendUint16(nil, et), []byte{0, 0}, ip)
	case "mpls": // one label, or two
		l1 := []byte{0, 0x64, 0x01, 64}
		if i%2 == 0 {
			return etherFrame(0x8847, cat(l1, ip))
		}
		return etherFrame(0x8847, cat([]byte{0, 0x10, 0x00, 64}, l1, ip))
	case "ipip": // IPv4 outer: IP in IP (4) or 6in4 (41)
		if et == 0x86dd {
			return etherFrame(0x0800, outerIPv4(41, ip))
		}
		return etherFrame(0x0800, outerIPv4(4, ip))
	case "ip6ip": // IPv6 outer: IPv6 in IPv6 (41) or 4in6 (4)
		if et == 0x86dd {
			return etherFrame(0x86dd, outerIPv6(41, ip))
		}
		return etherFrame(0x86dd, outerIPv6(4, ip))
	case "gre":
		var g []byte
		switch i % 4 {
		case 0: // plain
			g = binary.BigEndian.AppendUint16([]byte{0, 0}, et)
		case 1: // key and sequence number
			g = cat([]byte{0x30, 0}, binary.BigEndian.AppendUint16(nil, et), []byte{0, 0, 0, 7, 0, 0, 0, byte(i)})
		case 2: // checksum (zero: not checked by default), key
			g = cat([]byte{0xa0, 0}, binary.BigEndian.AppendUint16(nil, et), []byte{0, 0, 0, 0, 0, 0, 0, 9})
		case 3: // transparent Ethernet bridging
			g = cat([]byte{0x20, 0, 0x65, 0x58, 0, 0, 0, 5}, etherFrame(et, nil))
		}
		return etherFrame(0x0800, outerIPv4(47, cat(g, ip)))
	case "vxlan":
		v := []byte{0x08, 0, 0, 0, 0, 0, 0x2a, 0}
		return etherFrame(0x0800, outerIPv4(17, udp(uint16(50000+i), 4789, cat(v, etherFrame(et, ip)))))
	case "geneve":
		var g []byte
		if i%2 == 0 { // no options, Ethernet
			g = cat([]byte{0, 0, 0x65, 0x58, 0, 0, 0x2a, 0}, etherFrame(et, nil))
		} else { // 8 bytes of options, IP straight
			g = cat([]byte{2, 0}, binary.BigEndian.AppendUint16(nil, et), []byte{0, 0, 0x2a, 0, 0x01, 0x02, 0x03, 0x01, 0, 0, 0, 1})
		}
		return etherFrame(0x0800, outerIPv4(17, udp(uint16(50000+i), 6081, cat(g, ip))))
	case "nflog":
		fam := byte(2)
		if et == 0x86dd {
			fam = 10
		}
		tlv := func(typ uint16, v []byte) []byte {
			b := binary.LittleEndian.AppendUint16(nil, uint16(4+len(v)))
			b = binary.LittleEndian.AppendUint16(b, typ)
			b = append(b, v...)
			for len(b)%4 != 0 {
				b = append(b, 0)
			}
			return b
		}
		return cat([]byte{fam, 0, 0, 1}, tlv(1, []byte{byte(et >> 8), byte(et), 3, 0}), tlv(10, []byte("eth0\x00")), tlv(9, ip))
	case "pktap", "pktap149":
		h := make([]byte, 108)
		binary.LittleEndian.PutUint32(h[0:], 108)
		binary.LittleEndian.PutUint32(h[4:], 1)
		binary.LittleEndian.PutUint32(h[8:], 1)
		copy(h[12:], "en0")
		return cat(h, etherFrame(et, ip))
	case "juniper": // no extensions, or an extension TLV
		if i%2 == 0 {
			return cat([]byte{'M', 'G', 'C', 0x01}, etherFrame(et, ip))
		}
		return cat([]byte{'M', 'G', 'C', 0x81, 0, 4, 1, 2, 0, 0}, etherFrame(et, ip))
	}
	panic("wrap: unknown kind " + kind)
}

// wlanFrame is an 802.11 data frame holding ip behind the LLC/SNAP
// header snapHdr: frame i is a plain data frame to the AP, QoS data from
// it, a four-address frame (ToDS and FromDS), or QoS data with an HT
// control field.
func wlanFrame(i int, snapHdr, ip []byte) []byte {
	addrs := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}
	var h []byte
	switch i % 4 {
	case 0:
		h = append([]byte{0x08, 0x01, 0, 0}, addrs...)
		h = append(h, 0x10, 0)
	case 1:
		h = append([]byte{0x88, 0x02, 0, 0}, addrs...)
		h = append(h, 0x20, 0, 0, 0)
	case 2:
		h = append([]byte{0x08, 0x03, 0, 0}, addrs...)
		h = append(h, 0x30, 0, 21, 22, 23, 24, 25, 26)
	case 3:
		h = append([]byte{0x88, 0x81, 0, 0}, addrs...)
		h = append(h, 0x40, 0, 5, 0, 0, 0, 0, 0)
	}
	return append(append(h, snapHdr...), ip...)
}

// relinkMore rewrites the Ethernet frames of the pcap file src in
// encapsulation kind.
func relinkMore(t *testing.T, src, kind string) string {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, src)
	dst := filepath.Join(t.TempDir(), kind+".pcap")
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w, err := pcapio.NewPcapWriter(out, pcapio.PcapOptions{Link: wrapKinds[kind]})
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		frame := wrap(kind, i, binary.BigEndian.Uint16(rec.Data[12:]), rec.Data[14:])
		if err := w.WritePacket(rec.Timestamp, frame, len(frame)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestParityEncapsulations compares the crafted capture with tshark in
// every further link type and tunnel tcplab decodes, and checks that
// tcplab skipped no frame.
func TestParityEncapsulations(t *testing.T) {
	needTshark(t)
	convs, segs := craftedScenarios()
	src := writeCrafted(t, convs, segs)
	for _, kind := range []string{"ppp", "ppphdlc", "chdlc", "pppoe", "snap", "wlan", "radiotap", "sll-addr20", "ipoib",
		"mpls", "ipip", "ip6ip", "gre", "vxlan", "geneve", "nflog", "pktap", "pktap149", "juniper"} {
		t.Run(kind, func(t *testing.T) {
			file := relinkMore(t, src, kind)
			if n := compareWithTshark(t, file); n == 0 {
				t.Fatal("tshark found no TCP packets")
			}
			var sum Summary
			ourOutput(t, file, Options{Format: NDJSON, Follow: -1, Summary: &sum})
			if len(sum.Skipped) != 0 {
				t.Errorf("skipped frames: %v", sum.Skipped)
			}
		})
	}
}

// fragment splits the IP packet ip (IPv4 or IPv6) into fragments of at
// most size payload bytes (a multiple of 8), identification id.
func fragment(ip []byte, size int, id uint32) [][]byte {
	var hdr, payload []byte
	v6 := ip[0]>>4 == 6
	if v6 {
		hdr, payload = ip[:40], ip[40:]
	} else {
		hl := int(ip[0]&0xf) * 4
		hdr, payload = ip[:hl], ip[hl:]
	}
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		more := end < len(payload)
		var f []byte
		if v6 {
			fh := []byte{hdr[6], 0, 0, 0, 0, 0, 0, 0}
			binary.BigEndian.PutUint16(fh[2:], uint16(off/8)<<3)
			if more {
				fh[3] |= 1
			}
			binary.BigEndian.PutUint32(fh[4:], id)
			f = append(append(append([]byte(nil), hdr...), fh...), payload[off:end]...)
			f[6] = 44
			binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
		} else {
			f = append(append([]byte(nil), hdr...), payload[off:end]...)
			binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
			binary.BigEndian.PutUint16(f[4:], uint16(id))
			fo := uint16(off / 8)
			if more {
				fo |= 0x2000
			}
			binary.BigEndian.PutUint16(f[6:], fo)
			f[10], f[11] = 0, 0
			var s uint32
			for i := 0; i < len(hdr); i += 2 {
				s += uint32(binary.BigEndian.Uint16(f[i:]))
			}
			for s>>16 != 0 {
				s = s&0xffff + s>>16
			}
			binary.BigEndian.PutUint16(f[10:], ^uint16(s))
		}
		out = append(out, f)
	}
	return out
}

// TestParityFragments compares with tshark the crafted capture with its
// larger segments sent as IP fragments, in order or last first, and a
// datagram whose other fragments never come: tshark (and tcplab) show
// each segment in the frame of the fragment that completes it.
func TestParityFragments(t *testing.T) {
	needTshark(t)
	convs, segs := craftedScenarios()
	recs, _ := pcaptest.ReadAll(t, writeCrafted(t, convs, segs))
	dst := filepath.Join(t.TempDir(), "frag.pcap")
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w, err := pcapio.NewPcapWriter(out, pcapio.PcapOptions{Link: decode.LinkEthernet, Nanosecond: true})
	if err != nil {
		t.Fatal(err)
	}
	write := func(ts int64, frame []byte) {
		if err := w.WritePacket(ts, frame, len(frame)); err != nil {
			t.Fatal(err)
		}
	}
	fragmented := 0
	for i, rec := range recs {
		et := binary.BigEndian.Uint16(rec.Data[12:])
		ip := rec.Data[14:]
		if len(ip) < 120 {
			write(rec.Timestamp, rec.Data)
			continue
		}
		fragmented++
		frags := fragment(ip, 48, uint32(i+1))
		if i%2 == 1 {
			for a, b := 0, len(frags)-1; a < b; a, b = a+1, b-1 {
				frags[a], frags[b] = frags[b], frags[a]
			}
		}
		for k, f := range frags {
			write(rec.Timestamp+int64(k), etherFrame(et, f))
		}
		if fragmented == 1 {
			// A lone first fragment of another datagram.
			write(rec.Timestamp+100, etherFrame(et, fragment(ip, 48, 99999)[0]))
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if fragmented == 0 {
		t.Fatal("no segment long enough to fragment")
	}
	if n := compareWithTshark(t, dst); n == 0 {
		t.Fatal("tshark found no TCP packets")
	}
	var sum Summary
	ourOutput(t, dst, Options{Format: NDJSON, Follow: -1, Summary: &sum})
	if want := map[string]uint64{"IP fragments of a datagram never completed": 1}; !equalCounts(sum.Skipped, want) {
		t.Errorf("skipped %v, want %v", sum.Skipped, want)
	}
}

func equalCounts(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestParityLengthBeyondFrame compares with tshark frames whose IP header
// announces more bytes than the frame had on the wire (captured whole):
// tshark ends the packet with the frame (Len=0 for a bare header), where
// a snap length cut would not.
func TestParityLengthBeyondFrame(t *testing.T) {
	needTshark(t)
	e := endpoints{ep("10.0.0.1:40000"), ep("10.0.0.2:2000")}
	e6 := endpoints{ep("[2001:db8::1]:40000"), ep("[2001:db8::2]:2000")}
	s := []seg{
		{at: 0, seq: 1000, flags: fS, win: 500},
		{at: 10, fromB: true, seq: 5000, ack: 1001, flags: fS | fA, win: 500},
		{at: 20, seq: 1001, ack: 5001, flags: fA | fP, win: 500, payload: 10},
		{at: 30, fromB: true, seq: 5001, ack: 1011, flags: fA, win: 500},
	}
	src := writeCrafted(t, []endpoints{e, e6}, [][]seg{s, s})
	recs, _ := pcaptest.ReadAll(t, src)
	dst := filepath.Join(t.TempDir(), "biglen.pcap")
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w, err := pcapio.NewPcapWriter(out, pcapio.PcapOptions{Link: decode.LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		f := append([]byte(nil), rec.Data...)
		if i%2 == 0 {
			if f[14]>>4 == 4 {
				binary.BigEndian.PutUint16(f[16:], binary.BigEndian.Uint16(f[16:])+700)
			} else {
				binary.BigEndian.PutUint16(f[18:], binary.BigEndian.Uint16(f[18:])+700)
			}
		}
		if err := w.WritePacket(rec.Timestamp, f, len(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	compareWithTshark(t, dst)
}
