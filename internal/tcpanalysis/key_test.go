package tcpanalysis

import (
	"cmp"
	"net/netip"
	"slices"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
)

// TestConnKey checks that conversations keep apart what Wireshark keeps
// apart: ports either way, and an IPv4 address from the same address
// mapped into IPv6.
func TestConnKey(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		name     string
		x1, y1   netip.AddrPort
		x2, y2   netip.AddrPort
		wantSame bool
	}{
		{"same", ap("10.0.0.1:1"), ap("10.0.0.2:2"), ap("10.0.0.1:1"), ap("10.0.0.2:2"), true},
		{"ports swapped", ap("10.0.0.1:1"), ap("10.0.0.2:2"), ap("10.0.0.1:2"), ap("10.0.0.2:1"), false},
		{"v4 and v4-mapped v6", ap("10.0.0.1:1"), ap("10.0.0.2:2"), ap("[::ffff:10.0.0.1]:1"), ap("[::ffff:10.0.0.2]:2"), false},
		{"v6", ap("[2001:db8::1]:1"), ap("[2001:db8::2]:2"), ap("[2001:db8::1]:1"), ap("[2001:db8::2]:2"), true},
		{"v4 with v6, v4-mapped v6 with v6", ap("10.0.0.1:1"), ap("[::1]:2"), ap("[::ffff:10.0.0.1]:1"), ap("[::1]:2"), false},
		{"v6 with v4, v4-mapped v6 with v6", ap("[::1]:2"), ap("10.0.0.1:1"), ap("[::1]:2"), ap("[::ffff:10.0.0.1]:1"), false},
		{"v6 differs in the last byte", ap("[2001:db8::1]:1"), ap("[2001:db8::2]:2"), ap("[2001:db8::1]:1"), ap("[2001:db8::3]:2"), false},
	}
	for _, tc := range tests {
		if got := makeConnKey(tc.x1, tc.y1) == makeConnKey(tc.x2, tc.y2); got != tc.wantSame {
			t.Errorf("%s: keys equal = %v, want %v", tc.name, got, tc.wantSame)
		}
	}
}

// TestConversation checks the IPv4 shortcut against direction and
// makeConnKey, for either order of the endpoints.
func TestConversation(t *testing.T) {
	ap := netip.MustParseAddrPort
	eps := []netip.AddrPort{ap("10.0.0.1:1"), ap("10.0.0.1:2"), ap("10.0.0.2:1"), ap("9.255.255.255:65535"), ap("200.0.0.1:80"), ap("[::1]:1"), ap("[::ffff:10.0.0.1]:1")}
	for _, x := range eps {
		for _, y := range eps {
			wantDir := direction(x.Addr(), y.Addr(), x.Port(), y.Port())
			want := makeConnKey(x, y)
			if wantDir < 0 {
				want = makeConnKey(y, x)
			}
			if got, dir := conversation(x, y); got != want || dir != wantDir {
				t.Errorf("conversation(%v, %v) = %v, %d; want %v, %d", x, y, got, dir, want, wantDir)
			}
		}
	}
}

// TestStreamingReuse runs exchanges that reuse their ports, so that the
// streaming Analyzer reuses the finished conversations' memory, and
// compares the summaries it passes to done with those New keeps.
func TestStreamingReuse(t *testing.T) {
	var frames [][]byte
	for i := range 6 {
		frames = append(frames, exchangeFrom(uint16(30000+i%2), uint32(1000*i+1), uint32(1000*i+500))...)
	}
	run := func(a *Analyzer) {
		var d decode.Packet
		var r Result
		for i, f := range frames {
			if err := decode.Decode(decode.LinkRaw, f, &d); err != nil {
				t.Fatal(err)
			}
			a.Analyze(uint32(i+1), int64(i)*1000, len(f), &d, &r)
		}
		a.Finish()
	}
	all := New()
	run(all)
	var got []Stream
	run(NewStreaming(func(s *Stream) { got = append(got, *s) }))
	slices.SortFunc(got, func(x, y Stream) int { return cmp.Compare(x.Index, y.Index) })
	var want []Stream
	for _, s := range all.Streams() {
		want = append(want, *s)
	}
	if len(want) != 6 {
		t.Fatalf("New found %d streams, want 6", len(want))
	}
	if len(got) != len(want) {
		t.Fatalf("streamed %d summaries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stream %d: streamed\n%+v\nwant\n%+v", i, got[i], want[i])
		}
	}
}

// exchangeFrom returns the frames of one lab exchange on client port
// port whose initial sequence numbers are a and b.
func exchangeFrom(port uint16, a, b uint32) [][]byte {
	ps := []pkt{
		{seq: a, flags: syn, win: 65535, opts: wsOpt},
		{s2c: true, seq: b, ack: a + 1, flags: syn | ack, win: 65535, opts: wsOpt},
		{seq: a + 1, ack: b + 1, flags: ack, win: 512},
		{seq: a + 1, ack: b + 1, flags: ack | psh, win: 512, payload: 18},
		{s2c: true, seq: b + 1, ack: a + 19, flags: ack | psh, win: 512, payload: 15},
		{seq: a + 19, ack: b + 16, flags: ack | fin, win: 512},
		{s2c: true, seq: b + 16, ack: a + 20, flags: ack | fin, win: 512},
		{seq: a + 20, ack: b + 17, flags: ack, win: 512},
	}
	var out [][]byte
	for _, p := range ps {
		p.sport = port
		out = append(out, p.raw())
	}
	return out
}
