package decode_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// tsharkFields are compared for every packet. tcp.checksum.status is 0
// bad, 1 good, 2 unverified (with tcp.check_checksum on).
var tsharkFields = []string{
	"ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.ttl", "ipv6.hlim", "ip.dsfield", "ipv6.tclass", "ip.id",
	"tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.hdr_len", "tcp.len", "tcp.flags",
	"tcp.window_size_value", "tcp.checksum", "tcp.checksum.status",
}

func readFile(t *testing.T, file string) []pcapio.Record {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, file)
	return recs
}

// fields renders p as tshark prints tsharkFields, with the checksum
// status mapped to tshark's (partial is bad to tshark 4.0).
func fields(p *decode.Packet) []string {
	f := make([]string, len(tsharkFields))
	switch p.IPVersion {
	case 4:
		f[0], f[1], f[4] = p.Src.String(), p.Dst.String(), strconv.Itoa(int(p.TTL))
		f[6], f[8] = fmt.Sprintf("0x%02x", p.TOS), fmt.Sprintf("0x%04x", p.IPID)
	case 6:
		f[2], f[3], f[5] = p.Src.String(), p.Dst.String(), strconv.Itoa(int(p.TTL))
		f[7] = fmt.Sprintf("0x%08x", p.TOS) // tshark formats ipv6.tclass as 32 bits
	}
	if len(p.TCP) >= 4 {
		f[9], f[10] = strconv.Itoa(int(p.TCP.SrcPort())), strconv.Itoa(int(p.TCP.DstPort()))
	}
	if p.TCP.Valid() {
		f[11], f[12] = strconv.FormatUint(uint64(p.TCP.Seq()), 10), strconv.FormatUint(uint64(p.TCP.Ack()), 10)
		f[13], f[14] = strconv.Itoa(p.TCP.HeaderLen()), strconv.Itoa(p.PayloadLen)
		f[15] = fmt.Sprintf("0x%04x", p.TCP.Flags())
		f[16] = strconv.Itoa(int(p.TCP.Window()))
		f[17] = fmt.Sprintf("0x%04x", p.TCP.Checksum())
		switch st, _ := p.TCPChecksum(); st {
		case decode.ChecksumGood:
			f[18] = "1"
		case decode.ChecksumBad, decode.ChecksumPartial:
			f[18] = "0"
		default:
			f[18] = "2"
		}
	}
	return f
}

// compare decodes every record of file and compares it with tshark. It
// returns the number of TCP segments per checksum status.
func compare(t *testing.T, file string, differs func(p *decode.Packet) bool) map[decode.ChecksumStatus]int {
	t.Helper()
	args := []string{"-o", "tcp.check_checksum:TRUE", "-o", "tcp.relative_sequence_numbers:FALSE", "-T", "fields"}
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	want := pcaptest.Tshark(t, file, args...)
	recs := readFile(t, file)
	if len(want) != len(recs) {
		t.Fatalf("%s: tshark prints %d packets, Reader reads %d", file, len(want), len(recs))
	}
	if len(recs) < 20 {
		t.Fatalf("%s: only %d packets; the capture failed", file, len(recs))
	}
	stats := map[decode.ChecksumStatus]int{}
	var p decode.Packet
	for i, r := range recs {
		if err := decode.Decode(r.Link, r.Data, &p); err != nil {
			t.Errorf("%s: packet %d: Decode: %v", file, i+1, err)
			continue
		}
		st, _ := p.TCPChecksum()
		stats[st]++
		got := fields(&p)
		if differs != nil && differs(&p) {
			// A documented difference: tshark does not decode this packet.
			if want[i][2] != "" || want[i][9] != "" {
				t.Errorf("%s: packet %d: tshark now decodes %q; update the documented difference", file, i+1, want[i])
			}
			continue
		}
		if diff := cmp.Diff(want[i], got); diff != "" {
			t.Errorf("%s: packet %d (-tshark +decode):\n%s", file, i+1, diff)
		}
	}
	return stats
}

// writeDerived writes frames (Ethernet frames from a loopback capture)
// re-encapsulated by conv into a pcap file of link type link; conv
// returns nil to leave a frame out.
func writeDerived(t *testing.T, file string, link decode.LinkType, recs []pcapio.Record, conv func(eth []byte) []byte) {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapio.NewPcapWriter(&buf, pcapio.PcapOptions{Link: link, Nanosecond: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		f := conv(r.Data)
		if f == nil {
			continue
		}
		if err := w.WritePacket(r.Timestamp, f, r.OrigLen-len(r.Data)+len(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func etherType(eth []byte) uint16 { return binary.BigEndian.Uint16(eth[12:]) }

// nullHeader returns a converter to a 4-byte address-family header.
func nullHeader(af4, af6 uint32, bigEndian bool) func([]byte) []byte {
	return func(eth []byte) []byte {
		af := af4
		if etherType(eth) == decode.EtherTypeIPv6 {
			af = af6
		}
		h := binary.LittleEndian.AppendUint32(nil, af)
		if bigEndian {
			h = binary.BigEndian.AppendUint32(nil, af)
		}
		return append(h, eth[14:]...)
	}
}

// TestAgainstTshark captures loopback traffic with tcpdump on every link
// type Linux offers, re-encapsulates it into the others (NULL in both
// byte orders with every address family, LOOP, raw, VLAN and QinQ tags,
// Ethernet padding) and compares each decoded field with tshark's.
func TestAgainstTshark(t *testing.T) {
	pcaptest.NeedRoot(t)
	pcaptest.NeedTools(t, "tcpdump", "tshark", "editcap")
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, c := range []pcaptest.Capture{
		{Name: "lo.pcap", Args: []string{"-i", "lo"}},
		{Name: "sll.pcap", Args: []string{"-i", "any", "-y", "LINUX_SLL"}},
		{Name: "sll2.pcap", Args: []string{"-i", "any", "-y", "LINUX_SLL2"}},
		{Name: "snap80.pcap", Args: []string{"-i", "lo", "-s", "80"}}, // IPv6 TCP options cut
		{Name: "snap60.pcap", Args: []string{"-i", "lo", "-s", "60"}}, // IPv6 TCP header cut before the data offset
	} {
		pcaptest.Run(t, dir, c)
	}
	// editcap converts too: chop the Ethernet header and call it raw IP.
	pcaptest.Command(t, "editcap", "-C", "14", "-T", "rawip", p("lo.pcap"), p("editcap-raw.pcap"))

	lo := readFile(t, p("lo.pcap"))
	only := func(et uint16, hdr int) func([]byte) []byte {
		return func(eth []byte) []byte {
			if etherType(eth) != et {
				return nil
			}
			return eth[hdr:]
		}
	}
	writeDerived(t, p("null-le.pcap"), decode.LinkNull, lo, nullHeader(2, 30, false))   // macOS lo0
	writeDerived(t, p("null-win.pcap"), decode.LinkNull, lo, nullHeader(2, 24, false))  // Npcap loopback: BSD AF_INET6
	writeDerived(t, p("null-be-24.pcap"), decode.LinkNull, lo, nullHeader(2, 24, true)) // OpenBSD/NetBSD, big-endian writer
	writeDerived(t, p("null-28.pcap"), decode.LinkNull, lo, nullHeader(2, 28, false))   // FreeBSD
	writeDerived(t, p("null-be-30.pcap"), decode.LinkNull, lo, nullHeader(2, 30, true)) // Darwin on PowerPC
	writeDerived(t, p("loop.pcap"), decode.LinkLoop, lo, nullHeader(2, 24, true))       // OpenBSD DLT_LOOP
	writeDerived(t, p("raw.pcap"), decode.LinkRaw, lo, func(e []byte) []byte { return e[14:] })
	writeDerived(t, p("ipv4.pcap"), decode.LinkIPv4, lo, only(decode.EtherTypeIPv4, 14))
	writeDerived(t, p("ipv6.pcap"), decode.LinkIPv6, lo, only(decode.EtherTypeIPv6, 14))
	writeDerived(t, p("vlan.pcap"), decode.LinkEthernet, lo, func(e []byte) []byte {
		return append(append(bytes.Clone(e[:12]), 0x81, 0x00, 0x20, 0x2a), e[12:]...)
	})
	writeDerived(t, p("qinq.pcap"), decode.LinkEthernet, lo, func(e []byte) []byte {
		return append(append(bytes.Clone(e[:12]), 0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x2a), e[12:]...)
	})
	writeDerived(t, p("padded.pcap"), decode.LinkEthernet, lo, func(e []byte) []byte {
		// Pad to the 60-byte Ethernet minimum and add 8 bytes of trailer,
		// as a switch or an FCS-keeping NIC would.
		f := bytes.Clone(e)
		for len(f) < 60 {
			f = append(f, 0)
		}
		return append(f, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4)
	})

	// Windows' own AF_INET6 (23) in a NULL header: tshark 4.0 shows the
	// packet as data, no IP and no TCP; Decode says why it stops there,
	// so that the frame is counted as not analysed.
	writeDerived(t, p("null-23.pcap"), decode.LinkNull, lo, nullHeader(2, 23, false))
	t.Run("null-23.pcap", func(t *testing.T) {
		recs, _ := pcaptest.ReadAll(t, p("null-23.pcap"))
		var pkt decode.Packet
		n := 0
		for i, rec := range recs {
			err := decode.Decode(decode.LinkNull, rec.Data, &pkt)
			if err == nil {
				continue // an IPv4 frame, family 2
			}
			if got := decode.SkipReason(err); got != "address family 23" {
				t.Fatalf("frame %d: Decode = %v, reason %q; want the reason \"address family 23\"", i+1, err, got)
			}
			n++
		}
		if n == 0 {
			t.Fatal("no frame of family 23 read")
		}
	})

	for _, name := range []string{
		"lo.pcap", "sll.pcap", "sll2.pcap", "snap80.pcap", "snap60.pcap", "editcap-raw.pcap",
		"null-le.pcap", "null-win.pcap", "null-be-24.pcap", "null-28.pcap", "null-be-30.pcap", "loop.pcap",
		"raw.pcap", "ipv4.pcap", "ipv6.pcap", "vlan.pcap", "qinq.pcap", "padded.pcap",
	} {
		t.Run(name, func(t *testing.T) {
			stats := compare(t, p(name), nil)
			t.Logf("%s: checksums %v", name, stats)
			switch name {
			case "snap80.pcap", "snap60.pcap":
				if stats[decode.ChecksumUnverified] == 0 {
					t.Errorf("%s: no segment unverified, want the cut ones", name)
				}
			default:
				// Linux never fills in a loopback segment's checksum: every
				// one holds the pseudo-header sum only.
				if n := stats[decode.ChecksumPartial]; n != len(readFile(t, p(name))) {
					t.Errorf("%s: %d partial checksums of %v, want all", name, n, stats)
				}
			}
		})
	}
}

// TestFragmentsLikeTshark checks the decision for IPv4 and IPv6 fragments
// against tshark with its default settings (reassembly on): tshark
// dissects no TCP in a fragment that does not complete its datagram, first
// included, and neither does Decode. In the fragment that completes it,
// tshark dissects the reassembled segment; tcplab does not reassemble, and
// Decode reports that fragment as a fragment with no TCP (a documented
// difference). With reassembly off, tshark would dissect the first
// fragment's TCP header as if whole, with a wrong tcp.len.
func TestFragmentsLikeTshark(t *testing.T) {
	pcaptest.NeedTools(t, "tshark")
	seg := make([]byte, 20+40)
	binary.BigEndian.PutUint16(seg[0:], 1234)
	binary.BigEndian.PutUint16(seg[2:], 80)
	seg[12] = 5 << 4
	seg[13] = 0x18
	frag4 := func(off int, mf bool, payload []byte) []byte {
		h := make([]byte, 20)
		h[0], h[8], h[9] = 0x45, 64, 6
		binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
		binary.BigEndian.PutUint16(h[4:], 77)
		v := uint16(off / 8)
		if mf {
			v |= 0x2000
		}
		binary.BigEndian.PutUint16(h[6:], v)
		copy(h[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
		return append(h, payload...)
	}
	frag6 := func(off int, mf bool, payload []byte) []byte {
		h := make([]byte, 48)
		h[0] = 0x60
		binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
		h[6], h[7] = 44, 64
		h[23], h[39] = 1, 2
		h[40] = 6
		v := uint16(off)
		if mf {
			v |= 1
		}
		binary.BigEndian.PutUint16(h[42:], v)
		binary.BigEndian.PutUint32(h[44:], 99)
		return append(h, payload...)
	}
	var buf bytes.Buffer
	w, err := pcapio.NewPcapWriter(&buf, pcapio.PcapOptions{Link: decode.LinkRaw})
	if err != nil {
		t.Fatal(err)
	}
	frames := [][]byte{frag4(0, true, seg[:32]), frag4(32, false, seg[32:]), frag6(0, true, seg[:32]), frag6(32, false, seg[32:])}
	for i, f := range frames {
		if err := w.WritePacket(int64(i+1)*1e9, f, len(f)); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	file := filepath.Join(t.TempDir(), "frag.pcap")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := pcaptest.Tshark(t, file, "-T", "fields", "-e", "tcp.srcport", "-e", "frame.protocols")
	for i, f := range frames {
		var p decode.Packet
		if err := decode.Decode(decode.LinkRaw, f, &p); err != nil {
			t.Fatal(err)
		}
		if !p.Fragment || p.TCP != nil || p.Proto != decode.ProtoTCP || len(p.IPPayload) != len(f)-len(p.IPHeader) {
			t.Errorf("fragment %d: Decode Fragment %v, Proto %d, TCP %d bytes, IPPayload %d bytes; want a TCP fragment without TCP", i+1, p.Fragment, p.Proto, len(p.TCP), len(p.IPPayload))
		}
		last := !p.MoreFragments
		if tsharkTCP := rows[i][0] != ""; tsharkTCP != last {
			t.Errorf("fragment %d: tshark %q; want TCP dissected only in the last fragment (reassembled)", i+1, strings.Join(rows[i], " "))
		}
	}
}
