package listing

import (
	"compress/gzip"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// A crafted capture: hand-made segments of made-up conversations, to
// reach the analysis cases that real traffic on loopback seldom shows
// (fast retransmissions, zero window probes, ACKs of unseen segments...)
// and to compare them with tshark all the same.

// seg is one crafted segment. Times are microseconds from the start.
type seg struct {
	at      int64 // µs
	fromB   bool  // sent by endpoint b (the server) instead of a
	seq     uint32
	ack     uint32
	flags   uint16
	win     uint16
	opts    []byte
	payload int // payload length (bytes of 'x')
	urg     uint16
	badSum  bool
	// doff, when set, replaces the data offset (in 4-byte words, the
	// low 4 bits) with doff-1: 1 writes 0.
	doff uint8
	// ipCut shortens the IP payload (and the frame, which keeps all of
	// it) by ipCut bytes from its end, after the checksum.
	ipCut int
}

type endpoints struct {
	a, b netip.AddrPort
}

const (
	fS = decode.FlagSYN
	fA = decode.FlagACK
	fF = decode.FlagFIN
	fR = decode.FlagRST
	fP = decode.FlagPSH
	fU = decode.FlagURG
	fE = decode.FlagECE
	fC = decode.FlagCWR
)

// synOpts are typical SYN options: MSS 1460, SACK permitted, timestamps,
// window scale shift 7.
var synOpts = []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}

// frame builds an Ethernet/IPv4 (or IPv6) frame for s between e, with a
// correct TCP checksum unless s.badSum.
func (e endpoints) frame(s seg) []byte {
	src, dst := e.a, e.b
	if s.fromB {
		src, dst = e.b, e.a
	}
	opts := append([]byte(nil), s.opts...)
	for len(opts)%4 != 0 {
		opts = append(opts, 1)
	}
	hl := 20 + len(opts)
	tcp := make([]byte, hl+s.payload)
	binary.BigEndian.PutUint16(tcp[0:], src.Port())
	binary.BigEndian.PutUint16(tcp[2:], dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], s.seq)
	binary.BigEndian.PutUint32(tcp[8:], s.ack)
	binary.BigEndian.PutUint16(tcp[12:], uint16(hl/4)<<12|s.flags)
	binary.BigEndian.PutUint16(tcp[14:], s.win)
	binary.BigEndian.PutUint16(tcp[18:], s.urg)
	copy(tcp[20:], opts)
	for i := hl; i < len(tcp); i++ {
		tcp[i] = 'x'
	}
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	sa, da := src.Addr().AsSlice(), dst.Addr().AsSlice()
	add(sa)
	add(da)
	sum += 6 + uint32(len(tcp))
	add(tcp)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	ck := ^uint16(sum)
	if s.badSum {
		ck ^= 0x5555
	}
	binary.BigEndian.PutUint16(tcp[16:], ck)
	if s.doff != 0 {
		tcp[12] = tcp[12]&0x0f | (s.doff-1)<<4
	}
	tcp = tcp[:len(tcp)-min(s.ipCut, len(tcp))]

	eth := make([]byte, 14)
	var ip []byte
	if src.Addr().Is4() {
		binary.BigEndian.PutUint16(eth[12:], 0x0800)
		ip = make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
		ip[8], ip[9] = 64, 6
		copy(ip[12:], sa)
		copy(ip[16:], da)
		var s4 uint32
		for i := 0; i < 20; i += 2 {
			s4 += uint32(binary.BigEndian.Uint16(ip[i:]))
		}
		for s4>>16 != 0 {
			s4 = s4&0xffff + s4>>16
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(s4))
	} else {
		binary.BigEndian.PutUint16(eth[12:], 0x86dd)
		ip = make([]byte, 40)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(len(tcp)))
		ip[6], ip[7] = 6, 64
		copy(ip[8:], sa)
		copy(ip[24:], da)
	}
	return append(append(eth, ip...), tcp...)
}

// writeCrafted writes the conversations to a pcap file in a temporary
// directory, frames in the order given, and returns its path.
func writeCrafted(t *testing.T, convs []endpoints, segs [][]seg) string {
	t.Helper()
	type item struct {
		at   int64
		data []byte
	}
	var items []item
	for i, e := range convs {
		for _, s := range segs[i] {
			items = append(items, item{s.at, e.frame(s)})
		}
	}
	// Stable by time, so equal times keep their listed order.
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].at < items[j-1].at; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
	path := filepath.Join(t.TempDir(), "crafted.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcapio.NewPcapWriter(f, pcapio.PcapOptions{Link: decode.LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	const base = 1_700_000_000_000_000_000
	for _, it := range items {
		if err := w.WritePacket(base+it.at*1000, it.data, len(it.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func ep(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// craftedScenarios are conversations written to reach each expert flag.
func craftedScenarios() ([]endpoints, [][]seg) {
	const isnA, isnB = 1000, 5000
	var convs []endpoints
	var all [][]seg

	// 1. Handshake, data, three duplicate ACKs, a fast retransmission,
	// a spurious retransmission, an RTO retransmission, out-of-order,
	// a lost segment, an ACK of an unseen segment, FIN both ways.
	e1 := endpoints{ep("10.0.0.1:40000"), ep("10.0.0.2:2000")}
	a, b := uint32(isnA+1), uint32(isnB+1)
	s1 := []seg{
		{at: 0, seq: isnA, flags: fS, win: 64240, opts: synOpts},
		{at: 100, fromB: true, seq: isnB, ack: a, flags: fS | fA, win: 65160, opts: synOpts},
		{at: 200, seq: a, ack: b, flags: fA, win: 502},
		{at: 1000, seq: a, ack: b, flags: fA | fP, win: 502, payload: 100},
		{at: 1010, seq: a + 100, ack: b, flags: fA, win: 502, payload: 100},
		{at: 1020, seq: a + 200, ack: b, flags: fA, win: 502, payload: 100},
		{at: 1030, seq: a + 300, ack: b, flags: fA, win: 502, payload: 100},
		{at: 1100, fromB: true, seq: b, ack: a + 100, flags: fA, win: 509},
		{at: 1110, fromB: true, seq: b, ack: a + 100, flags: fA, win: 509},
		{at: 1120, fromB: true, seq: b, ack: a + 100, flags: fA, win: 509},
		{at: 1130, fromB: true, seq: b, ack: a + 100, flags: fA, win: 509},
		{at: 1140, seq: a + 100, ack: b, flags: fA, win: 502, payload: 100}, // fast retransmission
		{at: 1200, fromB: true, seq: b, ack: a + 400, flags: fA, win: 509},
		{at: 1300, seq: a, ack: b, flags: fA, win: 502, payload: 100},         // spurious
		{at: 2000, seq: a + 400, ack: b, flags: fA, win: 502, payload: 100},   // new
		{at: 300000, seq: a + 400, ack: b, flags: fA, win: 502, payload: 100}, // RTO retransmission
		{at: 301000, seq: a + 600, ack: b, flags: fA, win: 502, payload: 100}, // lost segment
		{at: 301010, seq: a + 500, ack: b, flags: fA, win: 502, payload: 100}, // out of order
		{at: 302000, fromB: true, seq: b, ack: a + 900, flags: fA, win: 509},  // acks unseen
		{at: 303000, seq: a + 900, ack: b, flags: fA | fF, win: 502},
		{at: 303100, fromB: true, seq: b, ack: a + 901, flags: fA | fF, win: 509},
		{at: 303200, seq: a + 901, ack: b + 1, flags: fA, win: 502},
	}
	convs, all = append(convs, e1), append(all, s1)

	// 2. A slow reader: window full, zero window, zero window probes and
	// their ACKs, a window update; keep-alives and their ACKs; urgent
	// data; ECN flags.
	e2 := endpoints{ep("10.0.0.3:40001"), ep("10.0.0.2:2000")}
	a, b = isnA+1, isnB+1
	s2 := []seg{
		{at: 0, seq: isnA, flags: fS | fE | fC, win: 64240, opts: []byte{2, 4, 0x05, 0xb4, 1, 3, 3, 0}},
		{at: 100, fromB: true, seq: isnB, ack: a, flags: fS | fA | fE, win: 1000, opts: []byte{2, 4, 0x05, 0xb4, 1, 3, 3, 0}},
		{at: 200, seq: a, ack: b, flags: fA, win: 64240},
		{at: 1000, seq: a, ack: b, flags: fA | fP, win: 64240, payload: 1000},  // window full
		{at: 1100, fromB: true, seq: b, ack: a + 1000, flags: fA | fE, win: 0}, // zero window
		{at: 2000, seq: a + 1000, ack: b, flags: fA | fC, win: 64240, payload: 1},
		{at: 2100, fromB: true, seq: b, ack: a + 1000, flags: fA, win: 0},
		{at: 5000, seq: a + 1000, ack: b, flags: fA, win: 64240, payload: 1},
		{at: 5100, fromB: true, seq: b, ack: a + 1000, flags: fA, win: 0},
		{at: 9000, fromB: true, seq: b, ack: a + 1000, flags: fA, win: 2000}, // window update
		{at: 9100, seq: a + 1000, ack: b, flags: fA | fP | fU, urg: 1, win: 64240, payload: 10},
		{at: 9200, fromB: true, seq: b, ack: a + 1010, flags: fA, win: 1990},
		{at: 2009200, seq: a + 1009, ack: b, flags: fA, win: 64240},             // keep-alive
		{at: 2009300, fromB: true, seq: b, ack: a + 1010, flags: fA, win: 1990}, // keep-alive ACK
		{at: 4009200, seq: a + 1009, ack: b, flags: fA, win: 64240, payload: 1},
		{at: 4009300, fromB: true, seq: b, ack: a + 1010, flags: fA, win: 1990},
		{at: 4009400, seq: a + 1010, ack: b, flags: fA | fR, win: 0, badSum: true},
	}
	convs, all = append(convs, e2), append(all, s2)

	// 3. Port reuse: a second connection on the same ports with a new
	// ISN, and a retransmitted SYN (same ISN).
	e3 := endpoints{ep("10.0.0.4:40002"), ep("10.0.0.2:2000")}
	s3 := []seg{
		{at: 0, seq: 7000, flags: fS, win: 64240, opts: synOpts},
		{at: 100, fromB: true, seq: 9000, ack: 7001, flags: fS | fA, win: 65160, opts: synOpts},
		{at: 200, seq: 7001, ack: 9001, flags: fA, win: 502},
		{at: 300, seq: 7001, ack: 9001, flags: fA | fR, win: 0},
		{at: 500000, seq: 8000, flags: fS, win: 64240, opts: synOpts},
		{at: 1500000, seq: 8000, flags: fS, win: 64240, opts: synOpts},
		{at: 1500100, fromB: true, seq: 12000, ack: 8001, flags: fS | fA, win: 65160, opts: synOpts},
		{at: 1500200, seq: 8001, ack: 12001, flags: fA, win: 502},
		{at: 1500300, fromB: true, seq: 12001, ack: 8001, flags: fA | fP, win: 509, payload: 15},
		{at: 1500400, seq: 8001, ack: 12016, flags: fA | fF, win: 502},
		{at: 1500500, fromB: true, seq: 12016, ack: 8002, flags: fA | fF, win: 509},
	}
	convs, all = append(convs, e3), append(all, s3)

	// 4. Mid-connection start, IPv6, and a rejected connection.
	e4 := endpoints{ep("[2001:db8::1]:40003"), ep("[2001:db8::2]:2000")}
	s4 := []seg{
		{at: 10, seq: 123456, ack: 654321, flags: fA | fP, win: 300, payload: 20},
		{at: 20, fromB: true, seq: 654321, ack: 123476, flags: fA, win: 400},
		{at: 30, fromB: true, seq: 654321, ack: 123476, flags: fA | fP, win: 400, payload: 5},
	}
	convs, all = append(convs, e4), append(all, s4)
	e5 := endpoints{ep("[2001:db8::1]:40004"), ep("[2001:db8::2]:2001")}
	s5 := []seg{
		{at: 40, seq: 1, flags: fS, win: 64800, opts: synOpts},
		{at: 50, fromB: true, seq: 0, ack: 2, flags: fR | fA, win: 0},
	}
	convs, all = append(convs, e5), append(all, s5)

	// 5. A SYN retransmitted after a segment beyond a gap, then the data
	// the gap held.
	e6 := endpoints{ep("10.0.0.5:40005"), ep("10.0.0.2:2000")}
	s6 := []seg{
		{at: 60, seq: 100, flags: fS, win: 64240},
		{at: 70, seq: 201, ack: 1, flags: fA, win: 500, payload: 100},
		{at: 80, seq: 100, flags: fS, win: 64240},
		{at: 5000, seq: 101, ack: 1, flags: fA, win: 500, payload: 100},
		{at: 5100, seq: 301, ack: 1, flags: fA, win: 500, payload: 100},
	}
	convs, all = append(convs, e6), append(all, s6)

	// 6. A capture that starts during keep-alives.
	e7 := endpoints{ep("10.0.0.6:40006"), ep("10.0.0.2:2000")}
	s7 := []seg{
		{at: 6000000, seq: 3000, ack: 4000, flags: fA, win: 64},
		{at: 6000010, fromB: true, seq: 4000, ack: 3001, flags: fA, win: 64},
		{at: 7000000, seq: 3000, ack: 4000, flags: fA, win: 64},
		{at: 7000010, fromB: true, seq: 4000, ack: 3001, flags: fA, win: 64},
		{at: 8000000, seq: 3000, ack: 4000, flags: fA, win: 64},
		{at: 8000010, fromB: true, seq: 4000, ack: 3001, flags: fA, win: 64},
	}
	convs, all = append(convs, e7), append(all, s7)

	// 7. Sequence numbers that wrap, with a next sequence number of
	// exactly 0 (which Wireshark takes for "none yet").
	e8 := endpoints{ep("10.0.0.7:40007"), ep("10.0.0.2:2000")}
	w0 := uint32(0xffffffef)
	s8 := []seg{
		{at: 9000000, seq: w0, flags: fS, win: 500},
		{at: 9000010, fromB: true, seq: 0xfffffff0, ack: w0 + 1, flags: fS | fA, win: 500},
		{at: 9000020, seq: w0 + 1, ack: 0xfffffff1, flags: fA, win: 500},
		{at: 9000030, seq: w0 + 1, ack: 0xfffffff1, flags: fA | fP, win: 500, payload: 16},
		{at: 9000040, seq: 0, ack: 0xfffffff1, flags: fA | fP, win: 500, payload: 16},
		{at: 9000050, fromB: true, seq: 0xfffffff1, ack: 16, flags: fA, win: 500},
		{at: 9000060, fromB: true, seq: 0xfffffff1, ack: 16, flags: fA | fP, win: 500, payload: 15},
		{at: 9000070, seq: 16, ack: 0, flags: fA, win: 500},
		{at: 9000080, seq: 16, ack: 0, flags: fA, win: 500},
		{at: 9000090, fromB: true, seq: 0, ack: 16, flags: fA | fP, win: 500, payload: 4},
		{at: 9000100, seq: 0, ack: 4, flags: fA | fP, win: 500, payload: 16},
	}
	convs, all = append(convs, e8), append(all, s8)
	return convs, all
}

func TestParityCrafted(t *testing.T) {
	needTshark(t)
	convs, segs := craftedScenarios()
	file := writeCrafted(t, convs, segs)
	if dir := os.Getenv("TCPLAB_PARITY_KEEP"); dir != "" {
		data, _ := os.ReadFile(file)
		os.WriteFile(filepath.Join(dir, "crafted.pcap"), data, 0o644)
	}
	n := compareWithTshark(t, file)
	if n == 0 {
		t.Fatal("tshark found no TCP packets in the crafted capture")
	}
}

// TestParityFiles compares the capture files listed in
// $TCPLAB_PARITY_FILES (space-separated) with tshark.
func TestParityFiles(t *testing.T) {
	needTshark(t)
	files := strings.Fields(os.Getenv("TCPLAB_PARITY_FILES"))
	if len(files) == 0 {
		t.Skip("set TCPLAB_PARITY_FILES to compare captures of your own")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { compareWithTshark(t, f) })
	}
}

// writeFormat rewrites the records of the pcap file src in another
// format: "ns" (nanosecond pcap, big-endian), "pcapng" (two interfaces,
// nanosecond and microsecond, frames alternating between them) or "gz"
// (the pcap gzip-compressed).
func writeFormat(t *testing.T, src, format string) string {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, src)
	dst := filepath.Join(t.TempDir(), "capture."+format)
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var write func(i int, ts int64, data []byte, orig int) error
	var flush func() error
	switch format {
	case "ns":
		w, err := pcapio.NewPcapWriter(out, pcapio.PcapOptions{Link: decode.LinkEthernet, Nanosecond: true, BigEndian: true})
		if err != nil {
			t.Fatal(err)
		}
		write = func(_ int, ts int64, d []byte, o int) error { return w.WritePacket(ts+123, d, o) }
		flush = w.Flush
	case "pcapng":
		w, err := pcapio.NewPcapngWriter(out, pcapio.PcapngOptions{Interfaces: []pcapio.Interface{
			{Name: "eth0", Link: decode.LinkEthernet, Resolution: 9},
			{Name: "eth1", Link: decode.LinkEthernet, Resolution: 6},
		}})
		if err != nil {
			t.Fatal(err)
		}
		write = func(i int, ts int64, d []byte, o int) error { return w.WritePacket(i%2, ts, d, o) }
		flush = w.Flush
	case "gz":
		zw := gzip.NewWriter(out)
		w, err := pcapio.NewPcapWriter(zw, pcapio.PcapOptions{Link: decode.LinkEthernet})
		if err != nil {
			t.Fatal(err)
		}
		write = func(_ int, ts int64, d []byte, o int) error { return w.WritePacket(ts, d, o) }
		flush = func() error {
			if err := w.Flush(); err != nil {
				return err
			}
			return zw.Close()
		}
	}
	for i, rec := range recs {
		if err := write(i, rec.Timestamp, rec.Data, rec.OrigLen); err != nil {
			t.Fatal(err)
		}
	}
	if err := flush(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestParityFormats compares the crafted capture with tshark when stored
// as a nanosecond big-endian pcap, as pcapng with interfaces of different
// timestamp resolutions (tshark prints each frame's own resolution), and
// gzip-compressed.
func TestParityFormats(t *testing.T) {
	needTshark(t)
	convs, segs := craftedScenarios()
	src := writeCrafted(t, convs, segs)
	for _, format := range []string{"ns", "pcapng", "gz"} {
		t.Run(format, func(t *testing.T) { compareWithTshark(t, writeFormat(t, src, format)) })
	}
}

// relink rewrites the Ethernet frames of the pcap file src with another
// link-layer header: "vlan" (802.1Q and QinQ tags), "raw" (LINKTYPE_RAW),
// "null" (BSD loopback, host byte order), "loop" (OpenBSD loopback), "sll"
// (Linux cooked v1) or "sll2" (Linux cooked v2).
func relink(t *testing.T, src, kind string) string {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, src)
	link := map[string]decode.LinkType{"vlan": decode.LinkEthernet, "raw": decode.LinkRaw, "null": decode.LinkNull,
		"loop": decode.LinkLoop, "sll": decode.LinkLinuxSLL, "sll2": decode.LinkLinuxSLL2, "ipopts": decode.LinkEthernet}[kind]
	dst := filepath.Join(t.TempDir(), kind+".pcap")
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w, err := pcapio.NewPcapWriter(out, pcapio.PcapOptions{Link: link})
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		et := binary.BigEndian.Uint16(rec.Data[12:])
		ip := rec.Data[14:]
		var hdr []byte
		switch kind {
		case "ipopts":
			hdr = append([]byte(nil), rec.Data[:14]...)
			ip = withIPOptions(ip)
		case "vlan":
			hdr = append([]byte(nil), rec.Data[:12]...)
			if i%2 == 0 {
				hdr = append(hdr, 0x88, 0xa8, 0, 5)
			}
			hdr = append(hdr, 0x81, 0x00, 0, 7, byte(et>>8), byte(et))
		case "null":
			fam := uint32(2)
			if et == 0x86dd {
				fam = 30 // macOS AF_INET6
			}
			hdr = binary.LittleEndian.AppendUint32(nil, fam)
		case "loop":
			fam := uint32(2)
			if et == 0x86dd {
				fam = 24 // OpenBSD AF_INET6
			}
			hdr = binary.BigEndian.AppendUint32(nil, fam)
		case "sll":
			hdr = []byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 0, 0, byte(et >> 8), byte(et)}
		case "sll2":
			hdr = []byte{byte(et >> 8), byte(et), 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 0, 0}
		}
		frame := append(hdr, ip...)
		if err := w.WritePacket(rec.Timestamp, frame, len(frame)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestParityLinkTypes compares the crafted capture with tshark under every
// link-layer header tcplab decodes.
func TestParityLinkTypes(t *testing.T) {
	needTshark(t)
	convs, segs := craftedScenarios()
	src := writeCrafted(t, convs, segs)
	for _, kind := range []string{"vlan", "raw", "null", "loop", "sll", "sll2", "ipopts"} {
		t.Run(kind, func(t *testing.T) { compareWithTshark(t, relink(t, src, kind)) })
	}
}

// withIPOptions returns the IP packet with header options added: a router
// alert and padding for IPv4 (RFC 2113); a hop-by-hop and a destination
// options extension header for IPv6 (RFC 8200).
func withIPOptions(ip []byte) []byte {
	if ip[0]>>4 == 4 {
		hl := int(ip[0]&0xf) * 4
		out := append([]byte(nil), ip[:hl]...)
		out = append(out, 148, 4, 0, 0, 1, 1, 1, 0) // router alert, NOP, NOP, NOP, EOL
		out = append(out, ip[hl:]...)
		out[0] = 0x40 | byte(len(out)-len(ip)+hl)/4
		binary.BigEndian.PutUint16(out[2:], uint16(len(out)))
		out[10], out[11] = 0, 0
		var sum uint32
		for i := 0; i < int(out[0]&0xf)*4; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(out[i:]))
		}
		for sum>>16 != 0 {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(out[10:], ^uint16(sum))
		return out
	}
	out := append([]byte(nil), ip[:40]...)
	next := out[6]
	out[6] = 0                                   // hop-by-hop options
	out = append(out, 60, 0, 1, 4, 0, 0, 0, 0)   // next: destination options; PadN
	out = append(out, next, 0, 1, 4, 0, 0, 0, 0) // next: TCP; PadN
	out = append(out, ip[40:]...)
	binary.BigEndian.PutUint16(out[4:], uint16(len(out)-40))
	return out
}

// TestParityFollowGap follows a stream with a gap the capture never
// fills, in one direction, while the other goes on.
func TestParityFollowGap(t *testing.T) {
	needTshark(t)
	e := endpoints{ep("10.0.0.1:40000"), ep("10.0.0.2:2000")}
	s := []seg{
		{at: 0, seq: 1000, flags: fS, win: 500},
		{at: 10, fromB: true, seq: 5000, ack: 1001, flags: fS | fA, win: 500},
		{at: 20, seq: 1001, ack: 5001, flags: fA | fP, win: 500, payload: 5},
		{at: 30, seq: 1016, ack: 5001, flags: fA | fP, win: 500, payload: 5},
		{at: 40, fromB: true, seq: 5001, ack: 1006, flags: fA | fP, win: 500, payload: 8},
		{at: 50, seq: 1021, ack: 5001, flags: fA | fP, win: 500, payload: 5},
		{at: 60, seq: 1006, ack: 5001, flags: fA | fP, win: 500, payload: 10},
		{at: 70, seq: 1040, ack: 5001, flags: fA | fP, win: 500, payload: 9},
		{at: 80, fromB: true, seq: 5009, ack: 1026, flags: fA | fP, win: 500, payload: 3},
	}
	file := writeCrafted(t, []endpoints{e}, [][]seg{s})
	compareWithTshark(t, file)
	// No ACK passes the gap: like tshark, tcplab leaves out the 9 bytes
	// after it and does not mark it.
	got := ourOutput(t, file, Options{Format: Text, Follow: 0})
	if strings.Contains(got, "missing") || strings.Contains(got, "\n9\n") {
		t.Errorf("follow output shows the bytes after a gap no ACK passes:\n%s", got)
	}
}
