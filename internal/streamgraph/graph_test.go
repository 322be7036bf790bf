package streamgraph

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/seqnum"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

const (
	syn = decode.FlagSYN
	ack = decode.FlagACK
	fin = decode.FlagFIN
	rst = decode.FlagRST
	ms  = int64(time.Millisecond)
)

// c2s and s2c make hand-made segments: frame, time, flags, seq, ack, len,
// window.
func c2s(frame uint32, t int64, flags uint16, seq, ackn, n, win uint32) Segment {
	return Segment{Frame: frame, Time: t, Flags: flags, Seq: seq, Ack: ackn, Len: n, Win: win}
}

func s2c(frame uint32, t int64, flags uint16, seq, ackn, n, win uint32) Segment {
	s := c2s(frame, t, flags, seq, ackn, n, win)
	s.FromServer = true
	return s
}

func withSACK(s Segment, blocks ...Block) Segment {
	for _, b := range blocks {
		s.SACK[s.NSACK] = b
		s.NSACK++
	}
	return s
}

func flagged(s Segment, f tcpanalysis.Flags) Segment { s.Analysis |= f; return s }

func pt(frame uint32, t, v int64) Point { return Point{Frame: frame, T: t, V: v, V2: v} }

func build(t *testing.T, segs []Segment, k Kind, opts Options) Graph {
	t.Helper()
	g, err := Build(segs, k, opts)
	if err != nil {
		t.Fatalf("Build(%v) = %v", k, err)
	}
	return g
}

func points(t *testing.T, g Graph, n Name) []Point {
	t.Helper()
	s := g.Find(n)
	if s == nil {
		t.Fatalf("%v graph has no %q series", g.Kind, n)
	}
	return s.Points
}

func TestParseKind(t *testing.T) {
	for _, k := range Kinds {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v, want %v", k.String(), got, err, k)
		}
	}
	if _, err := ParseKind("stevens"); err == nil {
		t.Error(`ParseKind("stevens") succeeded`)
	}
	if _, err := Build(nil, Kind(9), Options{}); err == nil {
		t.Error("Build(Kind(9)) succeeded")
	}
}

func TestChooseDir(t *testing.T) {
	up := []Segment{c2s(1, 0, ack, 1, 1, 500, 10), s2c(2, 0, ack, 1, 501, 100, 10)}
	down := []Segment{c2s(1, 0, ack, 1, 1, 10, 10), s2c(2, 0, ack, 1, 11, 100, 10)}
	tie := []Segment{c2s(1, 0, ack, 1, 1, 10, 10), s2c(2, 0, ack, 1, 11, 10, 10)}
	for _, tt := range []struct {
		name string
		segs []Segment
		d    Dir
		want Dir
	}{
		{"client sends more", up, DirAuto, ClientToServer},
		{"server sends more", down, DirAuto, ServerToClient},
		{"a tie goes to the server", tie, DirAuto, ServerToClient},
		{"no segment", nil, DirAuto, ServerToClient},
		{"asked", up, ServerToClient, ServerToClient},
	} {
		if got := ChooseDir(tt.segs, tt.d); got != tt.want {
			t.Errorf("%s: ChooseDir(%v) = %v, want %v", tt.name, tt.d, got, tt.want)
		}
	}
}

// tcptraceSegs: a handshake, a segment, its ACK, a duplicate, a window
// update, a duplicate with SACK blocks, a zero window, a retransmission.
var tcptraceSegs = []Segment{
	c2s(1, 0, syn, 0, 0, 0, 64000),
	s2c(2, 1*ms, syn|ack, 0, 1, 0, 100),
	c2s(3, 2*ms, ack, 1, 1, 0, 0), // advertises a zero window
	c2s(4, 3*ms, ack, 1, 1, 100, 500),
	s2c(5, 4*ms, ack, 1, 101, 0, 100),
	s2c(6, 5*ms, ack, 1, 101, 0, 100),                                             // a duplicate: same ACK, same window edge
	s2c(7, 6*ms, ack, 1, 101, 0, 200),                                             // a window update, not a duplicate
	withSACK(s2c(8, 7*ms, ack, 1, 101, 0, 200), Block{201, 301}, Block{401, 501}), // a duplicate with SACK
	flagged(s2c(9, 8*ms, ack, 1, 101, 0, 0), tcpanalysis.ZeroWindow),
	flagged(c2s(10, 9*ms, ack|fin, 1, 1, 100, 0), tcpanalysis.Retransmission), // FIN: no zero-window mark
}

func TestStevens(t *testing.T) {
	g := build(t, tcptraceSegs, TSeq, Options{Dir: ClientToServer})
	want := []Point{pt(1, 0, 0), pt(3, 2*ms, 1), pt(4, 3*ms, 1), pt(10, 9*ms, 1)}
	want[3].Mark = MarkRetransmission
	if diff := cmp.Diff(want, points(t, g, Seq)); diff != "" {
		t.Errorf("Stevens points (-want +got):\n%s", diff)
	}
	if g.Dir != ClientToServer || g.Origin != 0 {
		t.Errorf("Dir, Origin = %v, %d, want client-to-server, 0", g.Dir, g.Origin)
	}
}

func TestTCPTrace(t *testing.T) {
	g := build(t, tcptraceSegs, TCPTrace, Options{Dir: ClientToServer})
	bar := func(frame uint32, tm, lo, hi int64, m Mark) Point {
		return Point{Frame: frame, T: tm, V: lo, V2: hi, Mark: m}
	}
	for _, tt := range []struct {
		n    Name
		want []Point
	}{
		{Segments, []Point{bar(4, 3*ms, 1, 101, 0), bar(10, 9*ms, 1, 101, MarkRetransmission)}},
		{Acks, []Point{pt(2, 1*ms, 1), pt(5, 4*ms, 101), pt(6, 5*ms, 101), pt(7, 6*ms, 101), pt(8, 7*ms, 101), pt(9, 8*ms, 101)}},
		{RWin, []Point{pt(2, 1*ms, 101), pt(5, 4*ms, 201), pt(6, 5*ms, 201), pt(7, 6*ms, 301), pt(8, 7*ms, 301), pt(9, 8*ms, 101)}},
		{SACK, []Point{bar(8, 7*ms, 201, 301, 0)}},
		{SACK2, []Point{bar(8, 7*ms, 401, 501, 0)}},
		{DupAcks, []Point{pt(6, 5*ms, 101), pt(8, 7*ms, 101)}},
		{ZeroWindow, []Point{pt(3, 2*ms, 1)}},
		{PeerZeroWindow, []Point{pt(9, 8*ms, 101)}},
	} {
		if diff := cmp.Diff(tt.want, points(t, g, tt.n)); diff != "" {
			t.Errorf("tcptrace %s (-want +got):\n%s", tt.n, diff)
		}
	}
}

func TestThroughput(t *testing.T) {
	s := int64(time.Second)
	segs := []Segment{
		c2s(1, 0, ack, 1, 1, 1000, 100),
		s2c(2, s/10, ack, 1, 1, 0, 100), // the first ACK: counts nothing
		c2s(3, s/2, ack, 1001, 1, 1000, 100),
		s2c(4, 6*s/10, ack, 1, 1001, 0, 100),
		withSACK(s2c(5, 7*s/10, ack, 1, 1001, 0, 100), Block{2001, 3001}), // SACKs 1000 new bytes
		s2c(6, 8*s/10, ack, 1, 3001, 0, 100),                              // 2000 acked, 1000 of them SACKed before
		c2s(7, 12*s/10, ack, 2001, 1, 500, 100),
		c2s(8, 3*s, ack, 2501, 1, 0, 100),
		c2s(9, 3*s, ack, 2501, 1, 100, 100), // same time: updates the last point
	}
	g := build(t, segs, Throughput, Options{})
	if g.Dir != ClientToServer || g.MAWindow != time.Second {
		t.Fatalf("Dir, MAWindow = %v, %v, want client-to-server, 1s", g.Dir, g.MAWindow)
	}
	wantLens := []Point{pt(1, 0, 1000), pt(3, s/2, 1000), pt(7, 12*s/10, 500), pt(8, 3*s, 0), pt(9, 3*s, 100)}
	wantTput := []Point{
		pt(1, 0, 8000), pt(3, s/2, 16000),
		pt(1, s, 8000), pt(7, 12*s/10, 12000), // frame 1 leaves at 1 s, frame 7 enters
		pt(3, 15*s/10, 4000), pt(7, 22*s/10, 0), pt(9, 3*s, 800),
	}
	wantGood := []Point{pt(2, s/10, 0), pt(4, 6*s/10, 8000), pt(5, 7*s/10, 16000), pt(6, 8*s/10, 24000)}
	for _, tt := range []struct {
		n    Name
		want []Point
	}{{SegLen, wantLens}, {Tput, wantTput}, {Goodput, wantGood}} {
		if diff := cmp.Diff(tt.want, points(t, g, tt.n)); diff != "" {
			t.Errorf("throughput %s (-want +got):\n%s", tt.n, diff)
		}
	}
	half := build(t, segs[:1], Throughput, Options{MAWindow: 500 * time.Millisecond})
	if got := points(t, half, Tput); len(got) != 1 || got[0].V != 16000 {
		t.Errorf("1000 bytes over a 0.5 s window = %v, want 16000 bit/s", got)
	}
}

func TestSACKSet(t *testing.T) {
	var ss sackSet
	for _, tt := range []struct {
		name   string
		n      uint64
		ack    uint32
		blocks []Block
		want   uint64
		set    []Block
	}{
		{"a block", 0, 100, []Block{{200, 300}}, 100, []Block{{200, 300}}},
		{"the same block again", 0, 100, []Block{{200, 300}}, 0, []Block{{200, 300}}},
		{"overlapping on both sides", 0, 100, []Block{{150, 350}}, 100, []Block{{150, 350}}},
		{"a separate block", 0, 100, []Block{{400, 450}}, 50, []Block{{150, 350}, {400, 450}}},
		{"joining two", 0, 100, []Block{{340, 410}}, 50, []Block{{150, 450}}},
		{"a block straddling the ACK", 0, 120, []Block{{110, 130}}, 10, []Block{{120, 130}, {150, 450}}},
		{"an ACK into a block", 100, 200, nil, 40, []Block{{200, 450}}},
		{"an ACK past all", 300, 500, []Block{{100, 200}}, 50, nil},
		{"an empty block", 0, 500, []Block{{600, 600}}, 0, nil},
	} {
		got := ss.account(tt.n, seqValue(tt.ack), tt.blocks)
		if got != tt.want || !cmp.Equal(ss.r, tt.set, cmp.Comparer(func(a, b []Block) bool { return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b)) })) {
			t.Errorf("%s: account = %d, set %v; want %d, %v", tt.name, got, ss.r, tt.want, tt.set)
		}
	}
}

func TestRTT(t *testing.T) {
	segs := []Segment{
		c2s(1, 0, ack, 1, 1, 100, 100),
		c2s(2, 1*ms, ack, 101, 1, 100, 100),
		c2s(3, 2*ms, ack, 201, 1, 100, 100),
		c2s(4, 3*ms, ack, 301, 1, 100, 100),
		c2s(5, 4*ms, ack, 401, 1, 100, 100),
		s2c(6, 10*ms, ack, 1, 201, 0, 100),                                       // frames 1 and 2 whole
		s2c(7, 11*ms, ack, 1, 251, 0, 100),                                       // frame 3 in part
		withSACK(s2c(8, 12*ms, ack, 1, 251, 0, 100), Block{401, 501}),            // frame 5 by SACK
		flagged(c2s(9, 13*ms, ack, 251, 1, 50, 100), tcpanalysis.Retransmission), // the rest of frame 3 again
		withSACK(s2c(10, 14*ms, ack, 1, 351, 0, 100), Block{401, 501}),           // frame 3's rest (resent: no sample), frame 4 in part
		withSACK(s2c(11, 15*ms, ack, 1, 351, 0, 100), Block{360, 380}),           // the middle of frame 4: it splits
		s2c(12, 16*ms, ack, 1, 501, 0, 100),                                      // both parts of frame 4
		s2c(13, 17*ms, ack, 1, 501, 0, 100),                                      // nothing left
	}
	g := build(t, segs, RTT, Options{})
	r := func(frame, ref uint32, sent, d int64) Point {
		return Point{Frame: frame, Ref: ref, T: sent, V: d, V2: d}
	}
	want := []Point{
		r(1, 6, 0, 10*ms), r(2, 6, 1*ms, 9*ms), r(3, 7, 2*ms, 9*ms),
		r(4, 10, 3*ms, 11*ms), r(4, 11, 3*ms, 12*ms), r(4, 12, 3*ms, 13*ms), r(4, 12, 3*ms, 13*ms),
		r(5, 8, 4*ms, 8*ms),
	}
	if diff := cmp.Diff(want, points(t, g, RTTSamples)); diff != "" {
		t.Errorf("RTT samples (-want +got):\n%s", diff)
	}
}

func TestRTTKarnOverlap(t *testing.T) {
	// A resend that covers two segments in part marks both.
	segs := []Segment{
		c2s(1, 0, ack, 1, 1, 100, 100),
		c2s(2, 1*ms, ack, 101, 1, 100, 100),
		c2s(3, 2*ms, ack, 201, 1, 100, 100),
		c2s(4, 3*ms, ack, 51, 1, 100, 100), // 51..151
		s2c(5, 10*ms, ack, 1, 301, 0, 100),
	}
	g := build(t, segs, RTT, Options{Dir: ClientToServer})
	want := []Point{{Frame: 3, Ref: 5, T: 2 * ms, V: 8 * ms, V2: 8 * ms}}
	if diff := cmp.Diff(want, points(t, g, RTTSamples)); diff != "" {
		t.Errorf("RTT samples (-want +got):\n%s", diff)
	}
}

func TestWindow(t *testing.T) {
	bif := func(s Segment, n uint32) Segment { s.BytesInFlight = n; return s }
	segs := []Segment{
		c2s(1, 0, syn, 0, 0, 0, 64000),
		s2c(2, 1*ms, syn|ack, 0, 1, 0, 65535), // no window point (SYN), but the first ACK
		c2s(3, 2*ms, ack, 1, 1, 0, 64000),
		bif(c2s(4, 3*ms, ack, 1, 1, 1000, 64000), 1000),
		bif(c2s(5, 4*ms, ack, 1001, 1, 1000, 64000), 2000),
		s2c(6, 5*ms, ack, 1, 1001, 0, 30000),
		bif(flagged(c2s(7, 6*ms, ack, 1, 1, 1000, 64000), tcpanalysis.Retransmission), 1000),
		s2c(8, 7*ms, ack, 1, 501, 0, 30000), // an older ACK: the last ACK stays 1001
		c2s(9, 8*ms, ack, 2001, 1, 10, 64000),
		s2c(10, 9*ms, rst|ack, 1, 2011, 0, 0), // no window point (RST)
	}
	g := build(t, segs, Window, Options{})
	retrans := func(p Point) Point { p.Mark = MarkRetransmission; return p }
	for _, tt := range []struct {
		n    Name
		want []Point
	}{
		{Flight, []Point{pt(4, 3*ms, 1000), pt(5, 4*ms, 2000), retrans(pt(7, 6*ms, 1000))}},
		{Unacked, []Point{pt(3, 2*ms, 0), pt(4, 3*ms, 1000), pt(5, 4*ms, 2000), retrans(pt(7, 6*ms, 0)), pt(9, 8*ms, 1010)}},
		{RWin, []Point{pt(6, 5*ms, 30000), pt(8, 7*ms, 30000)}},
	} {
		if diff := cmp.Diff(tt.want, points(t, g, tt.n)); diff != "" {
			t.Errorf("window %s (-want +got):\n%s", tt.n, diff)
		}
	}
}

func TestReduce(t *testing.T) {
	var pts []Point
	for i := range 10000 {
		v := int64(1000 * math.Sin(float64(i)/500))
		if i == 4321 {
			v = 1e6 // a spike LTTB must keep
		}
		p := pt(uint32(i+1), int64(i)*ms, v)
		if i%1000 == 7 {
			p.Mark = MarkRetransmission
		}
		pts = append(pts, p)
	}
	plain := make([]Point, len(pts))
	copy(plain, pts)
	for i := range plain {
		plain[i].Mark = 0
	}
	got := ReducePoints(plain, 200)
	if len(got) != 200 || got[0] != plain[0] || got[len(got)-1] != plain[len(plain)-1] {
		t.Fatalf("ReducePoints kept %d points, ends %v %v; want 200 with both ends", len(got), got[0], got[len(got)-1])
	}
	if !hasFrame(got, 4322) {
		t.Error("ReducePoints dropped the spike at frame 4322")
	}
	marked := ReducePoints(pts, 200)
	if len(marked) != 200 {
		t.Errorf("ReducePoints with 10 marks kept %d points, want 200", len(marked))
	}
	for i := range 10 {
		if f := uint32(i*1000 + 8); !hasFrame(marked, f) {
			t.Errorf("ReducePoints dropped retransmission frame %d", f)
		}
	}
	for i := 1; i < len(marked); i++ {
		if marked[i].T <= marked[i-1].T {
			t.Fatalf("ReducePoints out of order at %d: %v after %v", i, marked[i], marked[i-1])
		}
	}
	g := Graph{Series: []Series{{Name: Seq, Points: pts}, {Name: Acks, Points: pts[:10]}}}
	r := Reduce(g, 100)
	if len(r.Series[0].Points) != 100 || len(r.Series[1].Points) != 10 || len(g.Series[0].Points) != 10000 {
		t.Errorf("Reduce kept %d and %d points (input now %d), want 100, 10 (10000)", len(r.Series[0].Points), len(r.Series[1].Points), len(g.Series[0].Points))
	}
	if short := ReducePoints(pts[:5], 2); len(short) != 5 {
		t.Errorf("ReducePoints(5 points, 2) kept %d, want all 5", len(short))
	}
}

func hasFrame(pts []Point, f uint32) bool {
	for _, p := range pts {
		if p.Frame == f {
			return true
		}
	}
	return false
}

func seqValue(v uint32) seqnum.Value { return seqnum.Value(v) }
