package listing

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// fmtConvRow is the conversation-table row formatted with fmt, as tshark's
// printf formats do: the reference appendConvRow must match byte for byte.
func fmtConvRow(s *tcpanalysis.Stream, first int64) string {
	txF, txB, rxF, rxB := s.PacketsC2S, s.FrameBytesC2S, s.PacketsS2C, s.FrameBytesS2C
	a, b := s.Client, s.Server
	if s.TapFirst != s.Client {
		txF, txB, rxF, rxB = rxF, rxB, txF, txB
		a, b = b, a
	}
	addr := func(ap netip.AddrPort) string { return ap.Addr().String() + ":" + strconv.Itoa(int(ap.Port())) }
	out := fmt.Sprintf("%-26s <-> %-26s  %6d %-9s  %6d %-9s  %6d %-9s  ",
		addr(a), addr(b), rxF, formatSize(rxB), txF, formatSize(txB), rxF+txF, formatSize(rxB+txB))
	start, stop := s.TapFirstTime-first, s.TapLastTime-first
	out += fmt.Sprintf("%14.9f   %12.4f", nsToSec(start), nsToSec(stop)-nsToSec(start))
	irtt := "-"
	if s.IRTT != 0 {
		irtt = strconv.FormatFloat(float64(s.IRTT)/1e9, 'f', 6, 64)
	}
	return out + fmt.Sprintf("   %-6s %12s\n", s.State(), irtt)
}

// TestAppendConvRow compares appendConvRow with fmt's padding on rows
// that stress each column: long IPv6 addresses wider than the column,
// counts wider than six digits, every size unit, times before the first
// frame and long durations.
func TestAppendConvRow(t *testing.T) {
	const first = 1_700_000_000_123_456_789
	tests := []struct {
		name string
		s    tcpanalysis.Stream
	}{
		{"lab", tcpanalysis.Stream{
			Client: ep("127.0.0.1:40000"), Server: ep("127.0.0.1:2000"), TapFirst: ep("127.0.0.1:40000"),
			PacketsC2S: 6, PacketsS2C: 4, FrameBytesC2S: 420, FrameBytesS2C: 300,
			TapFirstTime: first + 7000, TapLastTime: first + 70000, IRTT: 31000,
		}},
		{"server first, wide", tcpanalysis.Stream{
			Client: ep("[2001:db8:1234:5678:9abc:def0:1234:5678]:65535"), Server: ep("[::1]:80"), TapFirst: ep("[::1]:80"),
			PacketsC2S: 12_345_678, PacketsS2C: 9, FrameBytesC2S: 98_765_432_109_876, FrameBytesS2C: 10_000,
			TapFirstTime: first + 3_600_000_000_000, TapLastTime: first + 3_600_000_000_000 + 123_456_789_012,
		}},
		{"before first", tcpanalysis.Stream{
			Client: ep("10.0.0.1:1"), Server: ep("10.0.0.2:2"), TapFirst: ep("10.0.0.1:1"),
			PacketsC2S: 1, FrameBytesC2S: 9_999_999_999,
			TapFirstTime: first - 1_500_000_000, TapLastTime: first - 1,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := fmtConvRow(&tc.s, first)
			got := string(appendConvRow(nil, &tc.s, first))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("appendConvRow (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkAppendConvRow formats one lab conversation's row.
func BenchmarkAppendConvRow(b *testing.B) {
	s := tcpanalysis.Stream{
		Client: ep("127.0.0.1:40000"), Server: ep("127.0.0.1:2000"), TapFirst: ep("127.0.0.1:40000"),
		PacketsC2S: 6, PacketsS2C: 4, FrameBytesC2S: 420, FrameBytesS2C: 300,
		TapFirstTime: 7000, TapLastTime: 70000, IRTT: 31000,
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendConvRow(buf[:0], &s, 0)
	}
}

// TestConvTimes compares the integer formatting of the conversation
// table's times with strconv's formatting of the floats it replaces, on
// random times below and around exactSecs and on the ties that must
// fall back to the floats.
func TestConvTimes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(start, stop int64) {
		t.Helper()
		if got, want := string(appendStart(nil, start)), strconv.FormatFloat(nsToSec(start), 'f', 9, 64); got != want {
			t.Fatalf("appendStart(%d) = %s, want %s", start, got, want)
		}
		if got, want := string(appendDuration(nil, start, stop)), strconv.FormatFloat(nsToSec(stop)-nsToSec(start), 'f', 4, 64); got != want {
			t.Fatalf("appendDuration(%d, %d) = %s, want %s", start, stop, got, want)
		}
		if got, want := string(appendIRTT(nil, stop)), strconv.FormatFloat(float64(stop)/1e9, 'f', 6, 64); got != want {
			t.Fatalf("appendIRTT(%d) = %s, want %s", stop, got, want)
		}
	}
	for _, span := range []int64{1e6, 1e9, 1e12, exactSecs, 2 * exactSecs} {
		for range 200_000 {
			start := rng.Int64N(span)
			stop := start + rng.Int64N(span)
			check(start, stop)
			check(start, start+rng.Int64N(1000)*100_000+50_000) // ties of the duration
			check(start, start/1000*1000+500)                   // ties of the iRTT
		}
	}
	for _, v := range [][2]int64{{0, 0}, {-1, 5}, {5, -1}, {exactSecs - 1, exactSecs}, {1, 100_049_999}, {1, 100_050_001}} {
		check(v[0], v[1])
	}
}

// TestAppendConvRowRandom compares appendConvRow with fmt's padding on
// random rows, most of them on the fast path (IPv4, times from
// integers), some not.
func TestAppendConvRowRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const first = 1_700_000_000_000_000_000
	addrs := []string{"127.0.0.1", "0.0.0.0", "255.255.255.255", "10.1.22.3", "192.168.100.200", "::1"}
	counts := func() uint64 {
		switch rng.IntN(4) {
		case 0:
			return rng.Uint64N(10)
		case 1:
			return rng.Uint64N(1 << 20)
		case 2:
			return rng.Uint64N(1 << 40)
		}
		return rng.Uint64()
	}
	templates := handshakeStreams(t)
	for range 100_000 {
		s := tcpanalysis.Stream{
			Client:        netip.AddrPortFrom(netip.MustParseAddr(addrs[rng.IntN(len(addrs))]), uint16(rng.IntN(65536))),
			Server:        netip.AddrPortFrom(netip.MustParseAddr(addrs[rng.IntN(len(addrs))]), uint16(rng.IntN(3)*40000)),
			PacketsC2S:    counts() >> rng.IntN(64),
			PacketsS2C:    counts() >> rng.IntN(64),
			FrameBytesC2S: counts(),
			FrameBytesS2C: counts(),
			IRTT:          rng.Int64N(1 << uint(rng.IntN(50))),
		}
		setHandshake(&s, &templates[rng.IntN(len(templates))])
		s.TapFirst = s.Client
		if rng.IntN(2) == 0 {
			s.TapFirst = s.Server
		}
		if s.PacketsC2S+s.PacketsS2C < s.PacketsC2S {
			continue // the sum overflows: no real conversation
		}
		span := int64(1) << uint(rng.IntN(62))
		s.TapFirstTime = first - span/8 + rng.Int64N(span)
		s.TapLastTime = s.TapFirstTime + rng.Int64N(span)
		if rng.IntN(4) == 0 {
			s.TapLastTime = s.TapFirstTime + rng.Int64N(1000)*100_000 + 50_000 // a tie of the duration
		}
		if rng.IntN(10) == 0 {
			s.IRTT = s.IRTT/1000*1000 + 500 // a tie of the iRTT
		}
		want := fmtConvRow(&s, first)
		if got := string(appendConvRow([]byte("x"), &s, first)); got != "x"+want {
			t.Fatalf("appendConvRow(%+v) (-want +got):\n%s", s, cmp.Diff("x"+want, got))
		}
	}
}

// handshakeStreams returns the summaries of conversations that saw all,
// part or none of the handshake and of the close (their unexported
// state decides the State and iRTT columns).
func handshakeStreams(t *testing.T) []tcpanalysis.Stream {
	t.Helper()
	e := endpoints{ep("127.0.0.1:40000"), ep("127.0.0.1:2000")}
	runs := [][]seg{
		{{seq: 1, flags: fS}, {fromB: true, seq: 9, ack: 2, flags: fS | fA}, {seq: 2, ack: 10, flags: fA}},
		{{seq: 1, flags: fS}, {fromB: true, seq: 9, ack: 2, flags: fS | fA}, {seq: 2, ack: 10, flags: fA},
			{seq: 2, ack: 10, flags: fA | fF}, {fromB: true, seq: 10, ack: 3, flags: fA | fF}},
		{{seq: 1, flags: fS}},
		{{seq: 1, ack: 1, flags: fA}},
	}
	var out []tcpanalysis.Stream
	for _, segs := range runs {
		a := tcpanalysis.New()
		var d decode.Packet
		var r tcpanalysis.Result
		for i, s := range segs {
			if err := decode.Decode(decode.LinkEthernet, e.frame(s), &d); err != nil {
				t.Fatal(err)
			}
			a.Analyze(uint32(i+1), int64(i+1)*1000, 66, &d, &r)
		}
		out = append(out, *a.Streams()[0])
	}
	return out
}

// setHandshake gives s the handshake and close of from, keeping the
// rest of s.
func setHandshake(s, from *tcpanalysis.Stream) {
	x := *s
	*s = *from
	s.Client, s.Server, s.TapFirst = x.Client, x.Server, x.TapFirst
	s.PacketsC2S, s.PacketsS2C, s.FrameBytesC2S, s.FrameBytesS2C = x.PacketsC2S, x.PacketsS2C, x.FrameBytesC2S, x.FrameBytesS2C
	s.TapFirstTime, s.TapLastTime, s.IRTT = x.TapFirstTime, x.TapLastTime, x.IRTT
}
