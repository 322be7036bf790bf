package listing

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// followSeg is a crafted segment whose payload bytes follow its raw
// sequence number (a retransmission carries the same bytes), and which
// the capture may cut (snap) bytes short of its end.
type followSeg struct {
	seg
	snap int
}

// followFrame builds s's frame with the payload of s.seq: byte i is
// 'A'+(seq+i)%58, so that which bytes the follow output shows shows.
func followFrame(e endpoints, s seg) []byte {
	d := e.frame(s)
	if s.payload == 0 {
		return d
	}
	ip := d[14:]
	ihl := int(ip[0]&15) * 4
	tcp := ip[ihl:]
	data := tcp[len(tcp)-s.payload:]
	for i := range data {
		data[i] = 'A' + byte((s.seq+uint32(i))%58)
	}
	// The checksum again, over the new payload.
	binary.BigEndian.PutUint16(tcp[16:], 0)
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(ip[12:20])
	sum += 6 + uint32(len(tcp))
	add(tcp)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(tcp[16:], ^uint16(sum))
	return d
}

// writeFollow writes the conversations, one after another, to a pcap
// file and returns its path.
func writeFollow(t *testing.T, convs []endpoints, segs [][]followSeg) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "follow.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcapio.NewPcapWriter(f, pcapio.PcapOptions{Link: decode.LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	const base = 1_700_000_000_000_000_000
	at := int64(0)
	for i, e := range convs {
		for _, s := range segs[i] {
			at += 1000
			d := followFrame(e, s.seg)
			if err := w.WritePacket(base+at*1000, d[:len(d)-s.snap], len(d)); err != nil {
				t.Fatal(err)
			}
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

// followScenarios are conversations with lost, late, repeated and
// overlapping segments, each a stream of its own. Client a's ISN is
// 1000 (its data starts at relative 1), server b's 5000.
func followScenarios() ([]endpoints, [][]followSeg) {
	var convs []endpoints
	var all [][]followSeg
	port := uint16(40000)
	add := func(segs ...followSeg) {
		port++
		convs = append(convs, endpoints{ep("10.0.0.1:" + strconv.Itoa(int(port))), ep("10.0.0.2:80")})
		all = append(all, segs)
	}
	// s is a segment of a (or, with fromB, of b) at seq with n bytes.
	s := func(fromB bool, seq, ack uint32, flags uint16, n int) followSeg {
		return followSeg{seg: seg{fromB: fromB, seq: seq, ack: ack, flags: flags, win: 500, payload: n}}
	}
	hs := []followSeg{
		s(false, 1000, 0, fS, 0),
		s(true, 5000, 1001, fS|fA, 0),
		s(false, 1001, 5001, fA, 0),
	}
	with := func(segs ...followSeg) []followSeg { return append(append([]followSeg(nil), hs...), segs...) }
	const A, P = fA, fA | fP

	// 0. A gap filled later: the lost segment's retransmission comes
	// after the two beyond it, which wait for it. No mark.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1021, 5001, P, 10),
		s(false, 1031, 5001, P, 10),
		s(true, 5001, 1011, A, 0),
		s(false, 1011, 5001, P, 10),
		s(true, 5001, 1041, A, 0),
	)...)
	// 1. A gap never filled that the peer acknowledges: where the ACK
	// comes, a chunk of its own marks the 10 bytes missing (their
	// length plus a NUL), then the held bytes follow. The late
	// retransmission is old by then.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1021, 5001, P, 10),
		s(true, 5001, 1011, P, 5),
		s(true, 5006, 1031, P, 5),
		s(false, 1011, 5011, P, 10),
	)...)
	// 2. A gap never filled and never acknowledged: the bytes after it
	// never show, nor does a mark.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1021, 5001, P, 10),
		s(true, 5001, 1011, P, 5),
		s(false, 1031, 5006, P, 10),
	)...)
	// 3. An ACK inside the held segment (past its start, short of its
	// end) passes the gap all the same; one at its start does not.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1021, 5001, P, 10),
		s(true, 5001, 1021, A, 0),
		s(true, 5001, 1025, A, 0),
	)...)
	// 4. Two gaps, one ACK past both: two marks, each before the bytes
	// after it.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1021, 5001, P, 10),
		s(false, 1041, 5001, P, 10),
		s(true, 5001, 1051, A, 0),
	)...)
	// 5. Two gaps, an ACK past the first only, then the second filled.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1021, 5001, P, 10),
		s(false, 1041, 5001, P, 10),
		s(true, 5001, 1025, A, 0),
		s(false, 1031, 5001, P, 10),
	)...)
	// 6. Held segments are taken in the order they arrived, not by
	// sequence number: [16,26) came before [12,32), so once [11,21)
	// arrives, [21,26) prints, then [26,32).
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1016, 5001, P, 10),
		s(false, 1012, 5001, P, 20),
		s(false, 1011, 5001, P, 10),
	)...)
	// 7. Overlaps in order: a segment repeating part of the last
	// shows its new bytes only; a whole repeat and a keep-alive (one
	// byte before the next) show nothing.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1006, 5001, P, 10),
		s(false, 1001, 5001, P, 15),
		s(false, 1015, 5001, A, 1),
		s(true, 5001, 1016, A, 0),
		s(false, 1016, 5001, P, 10),
	)...)
	// 8. Gaps both ways at once, each acknowledged by the other side's
	// data; the marks come in the acknowledging segment's turn, before
	// its own bytes.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(true, 5001, 1011, P, 10),
		s(false, 1021, 5021, P, 10),
		s(true, 5021, 1031, P, 10),
		s(false, 1031, 5031, P, 10),
	)...)
	// 9. A FIN beyond a gap, its ACK past the gap and the FIN: the mark,
	// then the held bytes.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1021, 5001, P|fF, 10),
		s(true, 5001, 1032, A|fF, 0),
		s(false, 1032, 5002, A, 0),
	)...)
	// 10. Data on a RST, in order and beyond a gap, and a RST that
	// acknowledges past the other way's gap.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(true, 5001, 1011, P, 10),
		s(true, 5021, 1011, P, 10),
		s(false, 1011, 5001, fR|fA, 5),
		s(false, 1016, 5041, fR|fA, 0),
	)...)
	// 11. A segment without the ACK flag whose acknowledgement field
	// passes the gap: tshark compares the field as it is on the wire
	// (1015, past relative 21), not relative (14).
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1021, 5001, P, 10),
		s(true, 5001, 1015, fP, 5),
		s(true, 5006, 25, fP, 5),
	)...)
	// 12. The capture cuts a segment's payload (snap length): its
	// captured bytes show, and the next segment follows on.
	cut := s(false, 1011, 5001, P, 10)
	cut.snap = 4
	add(with(
		s(false, 1001, 5001, P, 10),
		cut,
		s(false, 1021, 5001, P, 10),
	)...)
	// 13. The capture starts mid-connection with a pure ACK, then data
	// after a gap that an ACK passes.
	add(
		s(false, 1001, 5001, A, 0),
		s(false, 1011, 5001, P, 10),
		s(true, 5001, 1021, A, 0),
		s(false, 1021, 5001, P, 10),
	)
	// 14. Mid-connection, the first segment each way carries data.
	add(
		s(true, 5001, 1001, P, 10),
		s(false, 1001, 5011, P, 10),
		s(true, 5021, 1011, P, 10),
		s(false, 1011, 5031, P, 10),
	)
	// 15. Sequence numbers wrap inside a gap that is acknowledged.
	{
		isn := uint32(0xffffffe0)
		add(
			s(false, isn, 0, fS, 0),
			s(true, 5000, isn+1, fS|fA, 0),
			s(false, isn+1, 5001, P, 16),
			s(false, isn+41, 5001, P, 10),
			s(true, 5001, isn+51, A, 0),
			s(false, isn+51, 5001, P, 10),
		)
	}
	// 16. A SYN with data, then a gap acknowledged by a SYN-ACK.
	{
		syn := s(false, 1000, 0, fS, 5)
		add(
			syn,
			s(false, 1011, 0, fP, 5),
			s(true, 5000, 1016, fS|fA, 0),
			s(false, 1016, 5001, P, 5),
		)
	}
	// 17. A gap acknowledged, then a retransmission that overlaps the
	// held bytes and goes past them.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1021, 5001, P, 10),
		s(true, 5001, 1031, A, 0),
		s(false, 1011, 5001, P, 30),
	)...)
	// 18. Held segments overlapping each other, taken when the gap
	// fills.
	add(with(
		s(false, 1001, 5001, P, 10),
		s(false, 1021, 5001, P, 10),
		s(false, 1016, 5001, P, 10),
		s(false, 1026, 5001, P, 10),
		s(false, 1011, 5001, P, 5),
	)...)
	// 19. The server's data, with a gap the client acknowledges (the
	// mark indented like the server's data).
	add(with(
		s(true, 5001, 1001, P, 10),
		s(true, 5021, 1001, P, 10),
		s(false, 1001, 5031, A, 0),
		s(true, 5031, 1001, P, 10),
	)...)
	// 20. A segment whose IP payload ends inside its TCP options (a
	// short segment) first each way, then data beyond a gap that an ACK
	// passes.
	{
		short := s(false, 1011, 5001, A, 0)
		short.opts = []byte{1, 1, 1, 1, 1, 1, 1, 1}
		short.ipCut = 6
		shortB := short
		shortB.fromB, shortB.seq, shortB.ack = true, 5001, 1011
		add(
			short,
			shortB,
			s(false, 1021, 5001, P, 10),
			s(true, 5001, 1031, A, 0),
		)
	}
	return convs, all
}

// TestParityFollowGaps compares --follow of every crafted scenario with
// tshark's follow output.
func TestParityFollowGaps(t *testing.T) {
	needTshark(t)
	convs, segs := followScenarios()
	file := writeFollow(t, convs, segs)
	if dir := os.Getenv("TCPLAB_PARITY_KEEP"); dir != "" {
		data, _ := os.ReadFile(file)
		os.WriteFile(filepath.Join(dir, "follow.pcap"), data, 0o644)
	}
	args := append([]string{"-r", file, "-q"}, tsharkDisableArgs(t)...)
	for n := range convs {
		args = append(args, "-z", "follow,tcp,ascii,"+strconv.Itoa(n))
	}
	raw, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	sep := "\n" + followRule + "Follow: "
	blocks := strings.Split(string(raw), sep)[1:]
	if len(blocks) != len(convs) {
		t.Fatalf("tshark printed %d follow blocks for %d streams", len(blocks), len(convs))
	}
	for _, b := range blocks {
		b = sep + b
		_, rest, _ := strings.Cut(b, "Filter: tcp.stream eq ")
		num, _, _ := strings.Cut(rest, "\n")
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("tshark follow output without a stream number: %q", b)
		}
		compareFollow(t, file, n, b)
	}
}

// TestFollowHeldMany holds many segments behind a gap, then fills it:
// each prints once, in order, without a scan of every held segment per
// segment taken.
func TestFollowHeldMany(t *testing.T) {
	e := endpoints{ep("10.0.0.1:40000"), ep("10.0.0.2:80")}
	const n = 40000
	segs := []followSeg{{seg: seg{seq: 1000, flags: fS, win: 500}}}
	for i := 1; i < n; i++ {
		segs = append(segs, followSeg{seg: seg{seq: 1001 + uint32(i)*10, flags: fA, win: 500, payload: 10}})
	}
	segs = append(segs, followSeg{seg: seg{seq: 1001, flags: fA, win: 500, payload: 10}})
	file := writeFollow(t, []endpoints{e}, [][]followSeg{segs})
	got := ourOutput(t, file, Options{Format: Text, Follow: 0})
	if c := strings.Count(got, "\n10\n"); c != n {
		t.Errorf("%d chunks of 10 bytes, want %d", c, n)
	}
	if strings.Contains(got, "missing") {
		t.Errorf("a gap mark in a filled stream")
	}
}

// TestFollowPendingCap lowers the cap on held bytes: the segment past it
// is not held, and a later ACK marks its bytes missing.
func TestFollowPendingCap(t *testing.T) {
	defer func(n int) { maxFollowPending = n }(maxFollowPending)
	maxFollowPending = 25
	e := endpoints{ep("10.0.0.1:40000"), ep("10.0.0.2:80")}
	s := func(fromB bool, seq, ack uint32, n int) followSeg {
		return followSeg{seg: seg{fromB: fromB, seq: seq, ack: ack, flags: fA, win: 500, payload: n}}
	}
	file := writeFollow(t, []endpoints{e}, [][]followSeg{{
		{seg: seg{seq: 1000, flags: fS, win: 500}},
		s(false, 1011, 0, 10),
		s(false, 1021, 0, 10),
		s(false, 1031, 0, 10), // past the cap: not held
		s(false, 1001, 0, 10), // fills the gap
		s(false, 1041, 0, 10), // held
		s(true, 5001, 1051, 0),
	}})
	got := ourOutput(t, file, Options{Format: Text, Follow: 0})
	want := "10\nPQRSTUVWXY\n10\nZ[\\]^_`abc\n10\ndefghijklm\n35\n[10 bytes missing in capture file].\n10\nxyzABCDEFG\n" + followRule
	if !strings.HasSuffix(got, "Node 1: 10.0.0.2:80\n"+want) {
		t.Errorf("got:\n%s\nwant the chunks:\n%s", got, want)
	}
}
