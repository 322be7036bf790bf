package listing

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// AccECN (RFC 9768) and bogus header lengths as tshark 4.0.17 shows them.
//
// tshark shows the AE, CWR and ECE bits of a segment without SYN as the
// ACE counter ("[ACK, ACE=5]", "[, ACE=0]" when no other flag is set)
// once its conversation has negotiated AccECN (the last SYN set all
// three bits, the last SYN/ACK answered with AE,CWR,ECE = 010, 011, 100
// or 110) or carried a well-formed AccECN option before; tcp.flags keeps
// the 12 bits (only tcp.flags.str differs). A data offset below 5 words
// stops the dissection after the window (", bogus TCP header length (N,
// must be at least 20)"), with no flags, ack, window or checksum field;
// a header longer than the IP payload the frame holds whole is
// "[Malformed Packet]" with the raw numbers.

const fAE = decode.FlagAE

// eceCombos are the 8 combinations of AE, CWR and ECE.
var eceCombos = []uint16{0, fE, fC, fC | fE, fAE, fAE | fE, fAE | fC, fAE | fC | fE}

// accECNScenarios are conversations that reach every AccECN state: each
// SYN × SYN/ACK combination of the three bits followed by ACKs with
// each combination both ways; every other flag with them once
// negotiated, or not; SYNs and SYN/ACKs again, from either side, that
// set or clear the state; AccECN options on any segment; port reuse.
func accECNScenarios() ([]endpoints, [][]seg) {
	var convs []endpoints
	var all [][]seg
	add := func(e endpoints, s []seg) {
		for i := range s {
			s[i].at = int64(len(all))*1000 + int64(i)
		}
		convs, all = append(convs, e), append(all, s)
	}
	n := 0
	next := func() endpoints {
		n++
		return endpoints{ep(fmt.Sprintf("10.3.%d.%d:%d", n/200, n%200+1, 20000+n)), ep("10.3.255.1:5555")}
	}
	const a, b = 1001, 5001
	for _, x := range eceCombos {
		for _, y := range eceCombos {
			s := []seg{
				{seq: a - 1, flags: fS | x, win: 100},
				{fromB: true, seq: b - 1, ack: a, flags: fS | fA | y, win: 100},
			}
			for i, z := range eceCombos {
				s = append(s, seg{seq: a + uint32(i), ack: b, flags: fA | z, win: 100, payload: 1},
					seg{fromB: true, seq: b, ack: a + uint32(i) + 1, flags: fA | z, win: 100})
			}
			add(next(), s)
		}
	}
	// Every other flag, both ways, negotiated by flags, by an option,
	// and not at all.
	others := []uint16{0, fA, fR, fF | fA, fP | fA, fU | fA, fR | fA, 0xe00 | fA, 0x200, 0x400 | fF, fS | fA, fS}
	for _, hs := range [][2]seg{
		{{seq: a - 1, flags: fS | fAE | fC | fE, win: 100}, {fromB: true, seq: b - 1, ack: a, flags: fS | fA | fC, win: 100}},
		{{seq: a - 1, flags: fS, win: 100, opts: []byte{172, 2}}, {fromB: true, seq: b - 1, ack: a, flags: fS | fA, win: 100}},
		{{seq: a - 1, flags: fS | fAE | fC | fE, win: 100}, {fromB: true, seq: b - 1, ack: a, flags: fS | fA | fE, win: 100}},
	} {
		s := hs[:]
		for _, fromB := range []bool{false, true} {
			for _, o := range others {
				for _, z := range eceCombos {
					x := seg{fromB: fromB, seq: a, ack: b, flags: o | z, win: 100, urg: 7}
					if fromB {
						x.seq, x.ack = b, a
					}
					s = append(s, x)
				}
			}
		}
		add(next(), s)
	}
	// The state across SYNs and SYN/ACKs again.
	full := fAE | fC | fE
	for _, st := range [][]seg{
		{{seq: 0, flags: fS | full}, {seq: 0, flags: fS}, {fromB: true, flags: fS | fA | fC}, {flags: fA}, {fromB: true, flags: fA}},
		{{seq: 0, flags: fS}, {fromB: true, flags: fS | fA | fC}, {seq: 0, flags: fS | full}, {flags: fA}, {fromB: true, flags: fA}},
		{{seq: 0, flags: fS | full}, {fromB: true, flags: fS | fA | fAE}, {flags: fA}, {fromB: true, flags: fS | fA | fE}, {flags: fA}},
		{{seq: 0, flags: fS | full}, {flags: fS | fA | fC}, {flags: fA}, {fromB: true, flags: fA}},
		{{seq: 0, flags: fS | full}, {fromB: true, flags: fS | full}, {fromB: true, flags: fS | fA | fC}, {flags: fS | fA | fAE | fC}, {flags: fA}},
		{{seq: 0, flags: fS | full | fP}, {fromB: true, flags: fS | fA | fC | fR | 0x800}, {flags: fA}, {fromB: true, flags: fA}},
		{{seq: 0, flags: fS | full | 0x200}, {fromB: true, flags: fS | fA | full}, {flags: fA}, {fromB: true, flags: fS | fA | fC | fE}, {flags: fA}},
		// Port reuse: the new conversation starts over.
		{{seq: 0, flags: fS | full}, {fromB: true, flags: fS | fA | fC}, {flags: fA}, {seq: 90000, flags: fS}, {seq: 90001, flags: fA}},
		{{seq: 0, opts: []byte{174, 5, 0, 0, 1}}, {seq: 90000, flags: fS}, {seq: 90001, flags: fA}},
		// Options: where they count, and where they do not.
		{{flags: fA}, {flags: fA, opts: []byte{172, 3, 0}}, {flags: fA}, {flags: fA, opts: []byte{172, 8, 0, 0, 1, 0, 0, 2}}, {flags: fA}, {fromB: true, flags: fA}},
		{{flags: fA, opts: []byte{254, 4, 0xac, 0xc1}}, {flags: fA}, {fromB: true, flags: fS | fA}, {flags: fA}},
		{{flags: fA, opts: []byte{254, 6, 0xac, 0xc2, 0, 0}}, {flags: fA}},
		{{flags: fA, opts: []byte{0, 172, 2}}, {flags: fA}},
		{{flags: fA, opts: []byte{21, 6, 0, 1, 0, 2, 172, 2}}, {flags: fA}},
		{{flags: fA, opts: []byte{172, 2, 21, 6, 0, 1, 0, 2}}, {flags: fA}},
		{{flags: fA, opts: []byte{2, 4, 5, 0xb4, 172, 14}}, {flags: fA}},
	} {
		for i := range st {
			if st[i].flags&fS == 0 || st[i].seq == 0 {
				switch {
				case st[i].fromB && st[i].flags&fS != 0:
					st[i].seq, st[i].ack = b-1, a
				case st[i].fromB:
					st[i].seq, st[i].ack = b, a
				case st[i].flags&fS != 0:
					st[i].seq, st[i].ack = a-1, b
				case st[i].seq == 0:
					st[i].seq, st[i].ack = a, b
				}
			}
			st[i].win = 100
		}
		add(next(), st)
	}
	// The options alone, at every length, in a SYN, its SYN/ACK and an
	// ACK.
	body := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	var opts [][]byte
	for _, kind := range []byte{172, 174} {
		for l := 2; l <= 14; l++ {
			opts = append(opts, append([]byte{kind, byte(l)}, body[:l-2]...))
		}
	}
	for _, kind := range []byte{253, 254} {
		for _, exid := range []uint16{0xacc0, 0xacc1, 0xacc2, 0, 0xa, 0xab, 0xabc, 0xffff} {
			for l := 4; l <= 14; l++ {
				if exid&0xfff0 != 0xacc0 && l > 4 {
					break
				}
				opts = append(opts, append(binary.BigEndian.AppendUint16([]byte{kind, byte(l)}, exid), body[:l-4]...))
			}
		}
	}
	opts = append(opts,
		[]byte{172, 11, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		[]byte{172, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		[]byte{172, 8, 0, 0, 1, 0, 0, 2, 174, 8, 0, 0, 3, 0, 0, 4},
		[]byte{2, 4, 5, 0xb4, 172, 5, 1, 2, 3, 3, 3, 7},
		[]byte{174, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2},
	)
	for _, o := range opts {
		add(next(), []seg{
			{seq: a - 1, flags: fS, win: 100, opts: o},
			{fromB: true, seq: b - 1, ack: a, flags: fS | fA, win: 100, opts: o},
			{seq: a, ack: b, flags: fA | fC, win: 100, opts: o},
		})
	}
	return convs, all
}

// bogusScenarios are segments with a data offset below 5 words, and
// headers longer than their IP payload: alone, amid conversations (whose
// analysis they take part in), as SYNs and SYN/ACKs, with the window
// scaled, with every flag and in AccECN conversations.
func bogusScenarios() ([]endpoints, [][]seg) {
	var convs []endpoints
	var all [][]seg
	n := 0
	add := func(s []seg) {
		n++
		for i := range s {
			s[i].at = 5_000_000 + int64(n)*1000 + int64(i)
			if s[i].win == 0 {
				s[i].win = 100
			}
		}
		convs = append(convs, endpoints{ep(fmt.Sprintf("10.4.%d.%d:%d", n/200, n%200+1, 30000+n)), ep("10.4.255.1:5555")})
		all = append(all, s)
	}
	const a, b = 1001, 5001
	ws := []byte{3, 3, 4}
	full := fAE | fC | fE
	for d := uint8(1); d <= 5; d++ { // data offsets 0 to 4
		for _, fl := range []uint16{0, fS, fA, fA | fP, fA | fU, fF | fA, fR, 0xe00 | fF, fS | fA | full, fA | fC} {
			add([]seg{{seq: a, ack: b, flags: fl, doff: d, payload: 8, urg: 3}})
		}
		add([]seg{
			{seq: a - 1, flags: fS, opts: ws},
			{fromB: true, seq: b - 1, ack: a, flags: fS | fA, opts: ws},
			{seq: a, ack: b, flags: fA | fP, doff: d, payload: 10},
			{seq: a, ack: b, flags: fA | fP, payload: 10},
			{fromB: true, seq: b, ack: a + 10, flags: fA},
			{seq: a + 10, ack: b, flags: fA | fU, doff: d, urg: 3},
			{seq: a + 10, ack: b, flags: fA | fF},
		})
		add([]seg{
			{seq: a - 1, flags: fS, doff: d},
			{seq: a - 1, flags: fS, opts: ws},
			{fromB: true, seq: b - 1, ack: a, flags: fS | fA, opts: ws, doff: d},
			{seq: a, ack: b, flags: fA},
			{fromB: true, seq: b, ack: a, flags: fA},
			{seq: 70000, flags: fS, doff: d},
			{seq: 70001, ack: b, flags: fA},
		})
		add([]seg{
			{seq: a - 1, flags: fS | full},
			{fromB: true, seq: b - 1, ack: a, flags: fS | fA | fC},
			{seq: a, ack: b, flags: fA | fE, doff: d},
			{seq: a, ack: b, flags: fS | fA | fE, doff: d},
			{seq: a, ack: b, flags: fA | fAE},
		})
		add([]seg{
			{seq: a, ack: b, flags: fA | fP, doff: d, payload: 4},
			{seq: a, ack: b, flags: fA, opts: []byte{172, 2}, doff: d},
			{seq: a, ack: b, flags: fA},
		})
	}
	// The IP payload shorter than 20 bytes (the frame holds it whole),
	// for data offsets 0 to 15.
	for cut := 1; cut <= 20; cut++ {
		for _, d := range []uint8{1, 3, 5, 6, 9, 16} {
			add([]seg{{seq: a, ack: b, flags: fA | fU, doff: d, ipCut: cut, urg: 1}})
		}
	}
	// Headers longer than the IP payload.
	mss := []byte{2, 4, 5, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 1, 1}
	for cut := 1; cut <= 20; cut += 3 {
		add([]seg{
			{seq: a - 1, flags: fS, opts: ws},
			{fromB: true, seq: b - 1, ack: a, flags: fS | fA, opts: ws},
			{seq: a, ack: b, flags: fA, opts: mss, ipCut: cut},
			{seq: a, ack: b, flags: fA | fU, urg: 2, opts: mss, ipCut: cut},
			{seq: a, ack: b, flags: fA},
			{seq: a - 1, flags: fS, opts: mss, ipCut: cut},
			{seq: 9000, flags: fS, opts: mss, ipCut: cut},
			{seq: a, ack: b, flags: fA},
			{seq: a, ack: b, flags: fA | fP, opts: mss, payload: 5, ipCut: cut + 5},
		})
	}
	return convs, all
}

// writeSnapped writes the frames of src (a pcap file) to a new file,
// each frame whole and then cut at every length from 14+20+4 (Ethernet,
// IPv4, the ports) to its end whose frame select chooses.
func writeSnapped(t *testing.T, src string, selected func(i int, d []byte) bool) string {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, src)
	path := filepath.Join(t.TempDir(), "snapped.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := pcapio.NewPcapWriter(f, pcapio.PcapOptions{Link: decode.LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		d := rec.Data
		if err := w.WritePacket(rec.Timestamp, d, len(d)); err != nil {
			t.Fatal(err)
		}
		if !selected(i, d) {
			continue
		}
		for n := 38; n < len(d); n++ {
			if err := w.WritePacket(rec.Timestamp, d[:n], len(d)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

// compareSnapped compares tcplab with tshark over a file of frames cut
// by a snap length: every field of every TCP packet and the packet list
// as plain `tshark -r` prints it. (With -z taps tshark 4.0 dissects cut
// headers differently, adding the snap length note after options it
// otherwise reads whole, and its conversation table differs: see
// TestParityRareOptions.)
func compareSnapped(t *testing.T, file string) {
	t.Helper()
	want := tsharkRecords(t, file)
	got, _ := ourRecords(t, file)
	bad := 0
	for n, w := range want {
		g := got[n]
		if g == nil {
			t.Errorf("frame %d: tshark has a TCP packet, tcplab none (%s)", n, w.Info)
			bad++
		} else if d := fieldDiffs(w, g); len(d) > 0 {
			t.Errorf("frame %d:\n\t%s", n, strings.Join(d, "\n\t"))
			bad++
		}
		if bad > 20 {
			t.Fatal("too many differing frames; stopping")
		}
	}
	for n, g := range got {
		if want[n] == nil {
			t.Errorf("frame %d: tcplab has a TCP packet, tshark none (%s)", n, g.Info)
		}
	}
	out, err := exec.Command("tshark", append([]string{"-r", file}, tsharkDisableArgs(t)...)...).Output()
	if err != nil {
		t.Fatalf("tshark -r: %v", err)
	}
	var list []string
	for line := range strings.SplitSeq(strings.TrimRight(string(out), "\n"), "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[5] == "TCP" {
			list = append(list, line)
		}
	}
	compareText(t, file, list)
	t.Logf("%d TCP packets in a stream, %d TCP lines", len(want), len(list))
}

// TestParityAccECN compares tcplab with tshark over the AccECN
// scenarios: every contract field of every packet, the packet list and
// the conversation table; then the same with the frames that carry an
// AccECN option or the ACE counter cut at every length.
func TestParityAccECN(t *testing.T) {
	needTshark(t)
	convs, segs := accECNScenarios()
	file := writeCrafted(t, convs, segs)
	if n := compareWithTshark(t, file); n < 1000 {
		t.Errorf("tshark shows %d TCP packets", n)
	}
	list, _, _ := tsharkListing(t, file, nil)
	ace := 0
	for _, l := range list {
		if strings.Contains(l, "ACE=") {
			ace++
		}
	}
	if ace < 100 {
		t.Errorf("tshark shows the ACE counter on %d lines", ace)
	}
	// The snapped frames: those with options, and one ACK of each
	// kind.
	snapped := writeSnapped(t, file, func(i int, d []byte) bool {
		return len(d) > 54 && d[46]>>4 > 5 || i%97 == 0
	})
	compareSnapped(t, snapped)
}

// TestParityBogusHeader compares tcplab with tshark over data offsets
// below 5 words and headers longer than the IP payload, whole and cut at
// every length.
func TestParityBogusHeader(t *testing.T) {
	needTshark(t)
	convs, segs := bogusScenarios()
	file := writeCrafted(t, convs, segs)
	compareWithTshark(t, file)
	list, _, _ := tsharkListing(t, file, nil)
	var bogus, malformed int
	for _, l := range list {
		if strings.Contains(l, "bogus TCP header length") {
			bogus++
		}
		if strings.Contains(l, "[Malformed Packet]") {
			malformed++
		}
	}
	if bogus < 50 || malformed < 50 {
		t.Errorf("tshark shows %d bogus header lengths and %d malformed packets", bogus, malformed)
	}
	snapped := writeSnapped(t, file, func(i int, d []byte) bool {
		return len(d) > 46 && (d[46]>>4 < 5 || int(binary.BigEndian.Uint16(d[16:]))-20 < int(d[46]>>4)*4)
	})
	compareSnapped(t, snapped)
}

// TestAccECNInfo checks the Info text of fixed cases, as tshark 4.0.17
// prints them.
func TestAccECNInfo(t *testing.T) {
	e := endpoints{ep("10.0.0.1:40000"), ep("10.0.0.2:5555")}
	p := "40000 " + arrow + " 5555 "
	got := infoOf(t, e, []seg{
		{seq: 1000, flags: fS | fAE | fC | fE, win: 10},
		{fromB: true, seq: 5000, ack: 1001, flags: fS | fA | fC, win: 10},
		{seq: 1001, ack: 5001, flags: 0, win: 10, opts: []byte{172, 11, 0, 0, 1, 0, 1, 0, 1, 0, 0}},
		{seq: 1001, ack: 5001, flags: fA | fC | fE | 0x200, win: 10, opts: []byte{254, 7, 0xac, 0xc1, 0xff, 0xff, 0xff}},
		{seq: 1001, ack: 5001, flags: fA | fAE | fE, win: 10, opts: []byte{253, 4, 0x0a, 0xbc}},
		{seq: 1001, ack: 5001, flags: fA, win: 10, doff: 4},
	})
	want := []string{
		p + "[SYN, ECE, CWR, AE] Seq=0 Win=10 Len=0",
		"5555 " + arrow + " 40000 [SYN, ACK, CWR] Seq=0 Ack=1 Win=10 Len=0",
		p + "[, ACE=0] Seq=1 Win=10 Len=0 EE0B=1 ECEB=256 EE1B=65536",
		"[TCP Dup ACK 3#1] " + p + "[ACK, ACE=3, Reserved] Seq=1 Ack=1 Win=10 Len=0 EE1B=16777215",
		"[TCP Dup ACK 3#2] " + p + "[ACK, ACE=5] Seq=1 Ack=1 Win=10 Len=0 ExID=ABC",
		p + "[ACK, ACE=0] Seq=1 Ack=1 Win=10, bogus TCP header length (12, must be at least 20)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Info (-want +got):\n%s", diff)
	}
}

// TestAccECNAllocs checks that the ACE counter, the AccECN options and a
// bogus header length cost no allocation in AppendInfo.
func TestAccECNAllocs(t *testing.T) {
	e := endpoints{ep("10.0.0.1:40000"), ep("10.0.0.2:5555")}
	a := tcpanalysis.New()
	buf := make([]byte, 0, 1024)
	for i, s := range []seg{
		{seq: 1000, flags: fS | fAE | fC | fE, win: 10},
		{fromB: true, seq: 5000, ack: 1001, flags: fS | fA | fC, win: 10},
		{seq: 1001, ack: 5001, flags: fA | fE, win: 10, opts: []byte{172, 11, 0, 0, 1, 0, 1, 0, 1, 0, 0, 254, 4, 0xac, 0xc0}},
		{seq: 1001, ack: 5001, flags: fA | fE, win: 10, doff: 2},
	} {
		var d decode.Packet
		if err := decode.Decode(decode.LinkEthernet, e.frame(s), &d); err != nil && s.doff == 0 {
			t.Fatal(err)
		}
		var r tcpanalysis.Result
		if !a.Analyze(uint32(i+1), int64(i), 100, &d, &r) {
			t.Fatalf("segment %d not analysed", i)
		}
		if n := testing.AllocsPerRun(100, func() { buf = AppendInfo(buf[:0], &d, &r) }); n != 0 {
			t.Errorf("AppendInfo(%q) allocates %.1f times, want 0", buf, n)
		}
	}
}

// FuzzHeaderLen analyses a handshake that may negotiate AccECN, then a
// segment with an arbitrary data offset, flags and options, its IP
// payload shortened and the frame cut: the analysis and Info must not
// panic, and Info must end as the Result says tshark's dissection did.
func FuzzHeaderLen(f *testing.F) {
	f.Add(uint8(0), uint16(fA), []byte{}, 0, 0)                                  // data offset 0
	f.Add(uint8(4), uint16(fA|fU|fE), []byte{}, 0, 40)                           // data offset 4, the frame cut after 6 bytes of TCP
	f.Add(uint8(3), uint16(fS|fAE|fC|fE), []byte{}, 10, 0)                       // a bogus SYN with an IP payload below 16 bytes
	f.Add(uint8(8), uint16(fA|fC), []byte{2, 4, 5, 0xb4, 8, 10, 0, 0}, 6, 0)     // a header longer than the IP payload, a timestamp cut
	f.Add(uint8(8), uint16(fA), []byte{5, 18, 0, 0, 0, 1, 0, 0, 0, 2}, 3, 60)    // a SACK option past the IP payload and the capture
	f.Add(uint8(5), uint16(fA|fAE), []byte{172, 11, 1, 2, 3, 4, 5, 6, 7}, 0, 58) // an AccECN option cut by the snap length
	f.Add(uint8(6), uint16(0xfff), []byte{254, 7, 0xac, 0xc1, 1, 2, 3}, 2, 0)    // every flag, an AccECN ExID past the IP payload
	f.Add(uint8(5), uint16(fA), []byte{}, 3, 0)                                  // an IP payload of 17 bytes: no urgent pointer
	f.Fuzz(func(t *testing.T, doff uint8, flags uint16, opts []byte, ipCut, snap int) {
		if len(opts) > 40 {
			opts = opts[:40]
		}
		e := endpoints{ep("10.0.0.1:40000"), ep("10.0.0.2:5555")}
		a := tcpanalysis.New()
		segs := []seg{
			{seq: 1, flags: fS | fAE | fC | fE, win: 1},
			{fromB: true, seq: 9, ack: 2, flags: fS | fA | fC, win: 1},
			{seq: 2, ack: 10, flags: flags & 0xfff, win: 1, opts: opts, doff: doff&15 + 1, ipCut: max(ipCut, 0) % 64, payload: 3},
		}
		for i, s := range segs {
			fr := e.frame(s)
			if i == 2 && snap > 0 && snap < len(fr) {
				fr = fr[:snap]
			}
			var d decode.Packet
			decode.Decode(decode.LinkEthernet, fr, &d)
			var r tcpanalysis.Result
			if !a.Analyze(uint32(i+1), 0, len(fr), &d, &r) {
				if cutTCP(&d) {
					info := string(appendCutInfo(nil, &d))
					if !strings.HasSuffix(info, limited) && !strings.HasSuffix(info, malformed) {
						t.Errorf("cut header %q", info)
					}
				}
				continue
			}
			info := string(AppendInfo(nil, &d, &r))
			switch {
			case r.BogusHeaderLen:
				if !strings.HasSuffix(info, ", must be at least 20)") {
					t.Errorf("bogus header length, Info %q", info)
				}
			case r.HeaderCut || r.Stopped():
				if !strings.HasSuffix(info, limited) && !strings.HasSuffix(info, malformed) && !strings.HasSuffix(info, contained) {
					t.Errorf("cut header, Info %q", info)
				}
			}
			if r.ACE != strings.Contains(info, ", ACE=") {
				t.Errorf("ACE %v, Info %q", r.ACE, info)
			}
		}
	})
}

// cutTCP reports whether d is a TCP segment whose header the capture cut
// after its ports but before its window: the packets' source hands it
// over unanalysed for the packet list (packets.Options.Cut).
func cutTCP(d *decode.Packet) bool {
	return d.IPVersion != 0 && d.Proto == decode.ProtoTCP && !d.Fragment && len(d.TCP) >= 4 && len(d.TCP) < 16
}
