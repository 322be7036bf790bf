package tcpanalysis

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/decode"
)

const (
	syn = decode.FlagSYN
	ack = decode.FlagACK
	fin = decode.FlagFIN
	rst = decode.FlagRST
	psh = decode.FlagPSH
)

// pkt is a hand-made segment: c2s from 10.0.0.1:40000 to 10.0.0.2:2000,
// or back.
type pkt struct {
	us      int64 // time in microseconds
	s2c     bool
	seq     uint32
	ack     uint32
	flags   uint16
	win     uint16
	payload int
	opts    []byte
	sport   uint16 // 0: 40000
}

// raw builds the IPv4 packet (LINKTYPE_RAW) for p.
func (p pkt) raw() []byte {
	opts := append([]byte(nil), p.opts...)
	for len(opts)%4 != 0 {
		opts = append(opts, decode.OptNOP)
	}
	hl := 20 + len(opts)
	b := make([]byte, 20+hl+p.payload)
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	b[8], b[9] = 64, 6
	cport := p.sport
	if cport == 0 {
		cport = 40000
	}
	src, dst, sport, dport := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, cport, uint16(2000)
	if p.s2c {
		src, dst, sport, dport = dst, src, dport, sport
	}
	copy(b[12:], src[:])
	copy(b[16:], dst[:])
	t := b[20:]
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], p.seq)
	binary.BigEndian.PutUint32(t[8:], p.ack)
	binary.BigEndian.PutUint16(t[12:], uint16(hl/4)<<12|p.flags)
	binary.BigEndian.PutUint16(t[14:], p.win)
	copy(t[20:], opts)
	return b
}

// run analyses pkts in order and returns their results. It also checks
// that Analyze sets every field of its Result: a second Analyzer fills
// one whose fields all hold other values, which must come out the same.
func run(t *testing.T, pkts []pkt) ([]Result, *Analyzer) {
	t.Helper()
	a, reused := New(), New()
	var out []Result
	var r2 Result
	for i, p := range pkts {
		var d decode.Packet
		frame := p.raw()
		if err := decode.Decode(decode.LinkRaw, frame, &d); err != nil {
			t.Fatalf("packet %d: decode: %v", i+1, err)
		}
		var r Result
		ts := 1_700_000_000_000_000_000 + p.us*1000
		if !a.Analyze(uint32(i+1), ts, len(frame), &d, &r) {
			t.Fatalf("packet %d: not analysed", i+1)
		}
		out = append(out, r)
		fillResult(t, &r2)
		reused.Analyze(uint32(i+1), ts, len(frame), &d, &r2)
		if diff := cmp.Diff(r, r2); diff != "" {
			t.Fatalf("packet %d: Analyze into a used Result (-fresh +used):\n%s", i+1, diff)
		}
	}
	return out, a
}

// fillResult sets every field of r to a value other than its zero value.
func fillResult(t *testing.T, r *Result) {
	t.Helper()
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int32, reflect.Int64:
			f.SetInt(-7)
		case reflect.Uint8, reflect.Uint16, reflect.Uint32:
			f.SetUint(7)
		default:
			t.Fatalf("fillResult: field %s of kind %v", v.Type().Field(i).Name, f.Kind())
		}
	}
}

var wsOpt = []byte{decode.OptWS, 3, 7}

func TestAnalysisFlags(t *testing.T) {
	const A, B = 1000, 5000
	tests := []struct {
		name string
		pkts []pkt
		want []Flags
	}{
		{
			name: "three duplicate ACKs then a fast retransmission",
			pkts: []pkt{
				{us: 0, seq: A, flags: syn, win: 100},
				{us: 1, s2c: true, seq: B, ack: A + 1, flags: syn | ack, win: 100},
				{us: 2, seq: A + 1, ack: B + 1, flags: ack, win: 100},
				{us: 10, seq: A + 1, ack: B + 1, flags: ack, win: 100, payload: 10},
				{us: 11, seq: A + 11, ack: B + 1, flags: ack, win: 100, payload: 10},
				{us: 12, s2c: true, seq: B + 1, ack: A + 1, flags: ack, win: 100},
				{us: 13, s2c: true, seq: B + 1, ack: A + 1, flags: ack, win: 100},
				{us: 14, s2c: true, seq: B + 1, ack: A + 1, flags: ack, win: 100},
				{us: 15, seq: A + 1, ack: B + 1, flags: ack, win: 100, payload: 10},
			},
			want: []Flags{0, 0, 0, 0, 0, DuplicateAck, DuplicateAck, DuplicateAck, FastRetransmission},
		},
		{
			name: "lost segment, ACK of unseen data, retransmission after the RTO",
			pkts: []pkt{
				{us: 0, seq: A, flags: syn, win: 100},
				{us: 1, s2c: true, seq: B, ack: A + 1, flags: syn | ack, win: 100},
				{us: 2, seq: A + 1, ack: B + 1, flags: ack, win: 100},
				{us: 10, seq: A + 11, ack: B + 1, flags: ack, win: 100, payload: 10},
				{us: 20, s2c: true, seq: B + 1, ack: A + 31, flags: ack, win: 100},
				{us: 300000, seq: A + 11, ack: B + 1, flags: ack, win: 100, payload: 10},
			},
			want: []Flags{0, 0, 0, LostSegment, AckLostSegment, SpuriousRetransmission},
		},
		{
			name: "zero window, probe, probe ACK, window update",
			pkts: []pkt{
				{us: 0, seq: A, flags: syn, win: 100},
				{us: 1, s2c: true, seq: B, ack: A + 1, flags: syn | ack, win: 10},
				{us: 2, seq: A + 1, ack: B + 1, flags: ack, win: 100},
				{us: 10, seq: A + 1, ack: B + 1, flags: ack | psh, win: 100, payload: 10},
				{us: 20, s2c: true, seq: B + 1, ack: A + 11, flags: ack, win: 0},
				{us: 30, seq: A + 11, ack: B + 1, flags: ack, win: 100, payload: 1},
				{us: 40, s2c: true, seq: B + 1, ack: A + 11, flags: ack, win: 0},
				{us: 50, s2c: true, seq: B + 1, ack: A + 11, flags: ack, win: 50},
			},
			want: []Flags{0, 0, 0, WindowFull, ZeroWindow, ZeroWindowProbe, ZeroWindow | ZeroWindowProbeAck, WindowUpdate},
		},
		{
			name: "keep-alive and its ACK",
			pkts: []pkt{
				{us: 0, seq: A, flags: syn, win: 100},
				{us: 1, s2c: true, seq: B, ack: A + 1, flags: syn | ack, win: 100},
				{us: 2, seq: A + 1, ack: B + 1, flags: ack, win: 100},
				{us: 1000000, seq: A, ack: B + 1, flags: ack, win: 100},
				{us: 1000001, s2c: true, seq: B + 1, ack: A + 1, flags: ack, win: 100},
			},
			want: []Flags{0, 0, 0, KeepAlive, KeepAliveAck},
		},
		{
			name: "out of order within the initial RTT",
			pkts: []pkt{
				{us: 0, seq: A, flags: syn, win: 100},
				{us: 1000, s2c: true, seq: B, ack: A + 1, flags: syn | ack, win: 100},
				{us: 2000, seq: A + 1, ack: B + 1, flags: ack, win: 100},
				{us: 3000, seq: A + 11, ack: B + 1, flags: ack, win: 100, payload: 10},
				{us: 3500, seq: A + 1, ack: B + 1, flags: ack, win: 100, payload: 10},
			},
			want: []Flags{0, 0, 0, LostSegment, OutOfOrder},
		},
		{
			// tshark's GT_SEQ(x, y) is (int32)(y - x) < 0: true at a
			// distance of exactly 2^31, where x - y > 0 is not.
			name: "an ACK exactly 2^31 past what was sent acks unseen data",
			pkts: []pkt{
				{us: 0, seq: A, flags: syn, win: 100},
				{us: 1, s2c: true, seq: B, ack: A + 1, flags: syn | ack, win: 100},
				{us: 2, seq: A + 1, ack: B + 1, flags: ack, win: 100},
				{us: 3, seq: A + 1, ack: B + 1 + 1<<31, flags: ack, win: 100},
			},
			want: []Flags{0, 0, 0, AckLostSegment},
		},
		{
			name: "ports reused by a SYN with a new ISN; a retransmitted SYN is not reuse",
			pkts: []pkt{
				{us: 0, seq: A, flags: syn, win: 100},
				{us: 1, s2c: true, seq: B, ack: A + 1, flags: syn | ack, win: 100},
				{us: 2, seq: A + 1, ack: B + 1, flags: rst | ack, win: 0},
				{us: 10, seq: A + 500, flags: syn, win: 100},
				{us: 1000010, seq: A + 500, flags: syn, win: 100},
			},
			want: []Flags{0, 0, 0, ReusedPorts, Retransmission},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := run(t, tc.pkts)
			var got []Flags
			for _, r := range res {
				got = append(got, r.Analysis)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRelativeNumbersAndWindow(t *testing.T) {
	res, a := run(t, []pkt{
		{us: 0, seq: 4294967290, flags: syn, win: 65535, opts: wsOpt},
		{us: 1, s2c: true, seq: 77, ack: 4294967291, flags: syn | ack, win: 65535, opts: wsOpt},
		{us: 2, seq: 4294967291, ack: 78, flags: ack, win: 512},
		{us: 3, seq: 4294967291, ack: 78, flags: ack | psh, win: 512, payload: 20},
		{us: 4, s2c: true, seq: 78, ack: 15, flags: ack, win: 300},
		{us: 5, sport: 40001, seq: 9, flags: syn, win: 1000},
		{us: 6, sport: 40001, s2c: true, seq: 1, ack: 10, flags: syn | ack, win: 1000, opts: wsOpt},
		{us: 7, sport: 40001, seq: 10, ack: 2, flags: ack, win: 1000},
		{us: 8, sport: 40002, seq: 50, ack: 60, flags: ack, win: 1000, payload: 5},
	})
	type row struct {
		Stream, Seq, Ack, NextSeq, Win uint32
		WinScale                       int32
		HasWinScale, FromServer        bool
	}
	var got []row
	for _, r := range res {
		got = append(got, row{r.Stream, r.Seq, r.Ack, r.NextSeq, r.Win, r.WinScale, r.HasWinScale, r.FromServer})
	}
	want := []row{
		{0, 0, 0, 1, 65535, 0, false, false},
		{0, 0, 1, 1, 65535, 0, false, true},
		{0, 1, 1, 1, 512 << 7, 128, true, false},
		{0, 1, 1, 21, 512 << 7, 128, true, false},
		{0, 1, 21, 1, 300 << 7, 128, true, true},
		{1, 0, 0, 1, 1000, 0, false, false},
		{1, 0, 1, 1, 1000, 0, false, true},
		{1, 1, 1, 1, 1000, ScaleNone, true, false},
		{2, 1, 1, 6, 1000, ScaleUnknown, true, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("per-packet numbers (-want +got):\n%s", diff)
	}
	if n := len(a.Streams()); n != 3 {
		t.Errorf("%d streams, want 3", n)
	}
}

func TestStreamSummary(t *testing.T) {
	const A, B = 100, 900
	type sum struct {
		Client, Server       string
		Packets              uint64
		C2S, S2C             uint64
		Handshake, Close, St string
		IRTT                 int64
	}
	tests := []struct {
		name string
		pkts []pkt
		want sum
	}{
		{
			name: "normal exchange",
			pkts: []pkt{
				{us: 0, seq: A, flags: syn, win: 100},
				{us: 100, s2c: true, seq: B, ack: A + 1, flags: syn | ack, win: 100},
				{us: 250, seq: A + 1, ack: B + 1, flags: ack, win: 100},
				{us: 300, seq: A + 1, ack: B + 1, flags: ack | psh, win: 100, payload: 18},
				{us: 900000, seq: A + 1, ack: B + 1, flags: ack | psh, win: 100, payload: 18},
				{us: 900100, s2c: true, seq: B + 1, ack: A + 19, flags: ack | psh, win: 100, payload: 15},
				{us: 900200, seq: A + 19, ack: B + 16, flags: ack | fin, win: 100},
				{us: 900300, s2c: true, seq: B + 16, ack: A + 20, flags: ack | fin, win: 100},
				{us: 900400, seq: A + 20, ack: B + 17, flags: ack, win: 100},
			},
			want: sum{"10.0.0.1:40000", "10.0.0.2:2000", 9, 18, 15, "complete", "fin", "SF", 250000},
		},
		{
			name: "refused",
			pkts: []pkt{
				{us: 0, seq: A, flags: syn, win: 100},
				{us: 10, s2c: true, seq: 0, ack: A + 1, flags: rst | ack},
			},
			// Wireshark's initial RTT runs to the first segment with ACK
			// and without SYN: here the reset.
			want: sum{"10.0.0.1:40000", "10.0.0.2:2000", 2, 0, 0, "partial", "rst", "REJ", 10000},
		},
		{
			name: "unanswered",
			pkts: []pkt{{us: 0, seq: A, flags: syn, win: 100}},
			want: sum{"10.0.0.1:40000", "10.0.0.2:2000", 1, 0, 0, "partial", "open", "S0", 0},
		},
		{
			name: "midstream, first packet from the server",
			pkts: []pkt{
				{us: 0, s2c: true, seq: B, ack: A, flags: ack, win: 100, payload: 5},
				{us: 10, seq: A, ack: B + 5, flags: ack, win: 100},
			},
			want: sum{"10.0.0.2:2000", "10.0.0.1:40000", 2, 5, 0, "none", "open", "OTH", 0},
		},
		{
			name: "established then reset by the client",
			pkts: []pkt{
				{us: 0, seq: A, flags: syn, win: 100},
				{us: 100, s2c: true, seq: B, ack: A + 1, flags: syn | ack, win: 100},
				{us: 200, seq: A + 1, ack: B + 1, flags: ack, win: 100},
				{us: 300, seq: A + 1, ack: B + 1, flags: rst | ack},
			},
			want: sum{"10.0.0.1:40000", "10.0.0.2:2000", 4, 0, 0, "complete", "rst", "RSTO", 200000},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, a := run(t, tc.pkts)
			s := a.Streams()[0]
			got := sum{s.Client.String(), s.Server.String(), s.Packets, s.BytesC2S, s.BytesS2C, s.Handshake(), s.Close(), s.State(), s.IRTT}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlagNames(t *testing.T) {
	var names []string
	for f := Flags(1); f.Name() != ""; f <<= 1 {
		names = append(names, f.Name())
		if f.Label() == "" {
			t.Errorf("flag %s has no label", f.Name())
		}
	}
	if len(names) != numFlags || len(InfoOrder) != numFlags {
		t.Errorf("%d names, %d in InfoOrder, want %d", len(names), len(InfoOrder), numFlags)
	}
	if got := (Retransmission | ZeroWindow).Name(); got != "" {
		t.Errorf("Name of two flags = %q, want empty", got)
	}
}

// exchange returns the frames of one lab exchange on client port port.
func exchange(port uint16) [][]byte {
	const A, B = 100, 900
	ps := []pkt{
		{seq: A, flags: syn, win: 65535, opts: wsOpt},
		{s2c: true, seq: B, ack: A + 1, flags: syn | ack, win: 65535, opts: wsOpt},
		{seq: A + 1, ack: B + 1, flags: ack, win: 512},
		{seq: A + 1, ack: B + 1, flags: ack | psh, win: 512, payload: 18},
		{s2c: true, seq: B + 1, ack: A + 19, flags: ack, win: 512},
		{s2c: true, seq: B + 1, ack: A + 19, flags: ack | psh, win: 512, payload: 15},
		{seq: A + 19, ack: B + 16, flags: ack, win: 512},
		{seq: A + 19, ack: B + 16, flags: ack | fin, win: 512},
		{s2c: true, seq: B + 16, ack: A + 20, flags: ack | fin, win: 512},
		{seq: A + 20, ack: B + 17, flags: ack, win: 512},
	}
	var out [][]byte
	for _, p := range ps {
		p.sport = port
		out = append(out, p.raw())
	}
	return out
}

// TestAnalyzeAllocs: a segment of a known conversation costs no
// allocation, health kept or not.
func TestAnalyzeAllocs(t *testing.T) {
	for _, health := range []bool{false, true} {
		frames := exchange(40000)
		a := New()
		a.SetHealth(health)
		var d decode.Packet
		var r Result
		i := 0
		step := func() {
			f := frames[i%len(frames)]
			decode.Decode(decode.LinkRaw, f, &d)
			a.Analyze(uint32(i+1), int64(i)*1000, len(f), &d, &r)
			i++
		}
		for range 3 * len(frames) {
			step()
		}
		if n := testing.AllocsPerRun(1000, step); n != 0 {
			t.Errorf("Analyze (health %v) allocates %.1f times per segment of a known conversation, want 0", health, n)
		}
	}
}

// BenchmarkAnalyze analyses lab exchanges on 1000 client ports in turn,
// reusing each port (a new stream each time), as a long lab capture does.
func BenchmarkAnalyze(b *testing.B) {
	var frames [][]byte
	for p := range 1000 {
		frames = append(frames, exchange(uint16(30000+p))...)
	}
	a := New()
	var d decode.Packet
	var r Result
	i := 0
	b.ReportAllocs()
	b.SetBytes(int64(len(frames[0])))
	for b.Loop() {
		f := frames[i%len(frames)]
		decode.Decode(decode.LinkRaw, f, &d)
		a.Analyze(uint32(i+1), int64(i)*1000, len(f), &d, &r)
		i++
	}
}

func TestDirection(t *testing.T) {
	v4a, v4b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	v6 := netip.MustParseAddr("::1")
	tests := []struct {
		src, dst     netip.Addr
		sport, dport uint16
		want         int
	}{
		{v4a, v4b, 1, 2, -1},
		{v4b, v4a, 1, 2, 1},
		{v4a, v6, 1, 2, -1},
		{v6, v4a, 1, 2, 1},
		{v4a, v4a, 5, 2, 1},
		{v4a, v4a, 2, 5, -1},
		{v4a, v4a, 2, 2, -1},
	}
	for _, tc := range tests {
		if got := direction(tc.src, tc.dst, tc.sport, tc.dport); got != tc.want {
			t.Errorf("direction(%v, %v, %d, %d) = %d, want %d", tc.src, tc.dst, tc.sport, tc.dport, got, tc.want)
		}
	}
}

func TestFlagsString(t *testing.T) {
	if got, want := (DuplicateAck | Retransmission | ReusedPorts).String(), "retransmission,duplicate_ack,reused_ports"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := Flags(0).String(); got != "" {
		t.Errorf("Flags(0).String() = %q, want empty", got)
	}
}
