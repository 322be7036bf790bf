package tcpanalysis

import (
	"cmp"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/seqnum"
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

// TestConversation checks conversation against direction and
// makeConnKey, and that both orders of the endpoints give one key and
// opposite directions (unless the endpoints are equal).
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
			got, dir := conversation(x, y)
			back, backDir := conversation(y, x)
			if back != got || x != y && backDir != -dir { // equal endpoints are -1 both ways
				t.Errorf("conversation(%v, %v) = %v, %d; conversation(%v, %v) = %v, %d", x, y, got, dir, y, x, back, backDir)
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
		if !reflect.DeepEqual(got[i], want[i]) {
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

// TestConversation4 checks the IPv4 key against conversation's: the same
// direction, and keys equal exactly when conversation's are.
func TestConversation4(t *testing.T) {
	ap := netip.MustParseAddrPort
	eps := []netip.AddrPort{ap("10.0.0.1:1"), ap("10.0.0.1:2"), ap("10.0.0.2:1"), ap("9.255.255.255:65535"), ap("200.0.0.1:80"), ap("0.0.0.0:0"), ap("255.255.255.255:65535")}
	type pair struct{ x, y netip.AddrPort }
	var pairs []pair
	for _, x := range eps {
		for _, y := range eps {
			pairs = append(pairs, pair{x, y})
		}
	}
	for _, p := range pairs {
		want, wantDir := conversation(p.x, p.y)
		got, dir := conversation4(p.x.Addr(), p.y.Addr(), p.x.Port(), p.y.Port())
		if dir != wantDir {
			t.Errorf("conversation4(%v, %v): direction %d, want %d", p.x, p.y, dir, wantDir)
		}
		for _, q := range pairs {
			want2, _ := conversation(q.x, q.y)
			got2, _ := conversation4(q.x.Addr(), q.y.Addr(), q.x.Port(), q.y.Port())
			if (got == got2) != (want == want2) {
				t.Errorf("conversation4(%v, %v) == conversation4(%v, %v) is %v, want %v", p.x, p.y, q.x, q.y, got == got2, want == want2)
			}
		}
	}
}

// TestV4Table compares the table with a map while it grows, keys
// colliding in their low bits (ports only) and high bits (addresses
// only).
func TestV4Table(t *testing.T) {
	var tab v4Table
	want := map[v4Key]*conn{}
	var keys []v4Key
	for i := range uint64(5000) {
		keys = append(keys, v4Key{addrs: 0x7f0000017f000001, ports: uint32(i)<<16 | 2000}, v4Key{addrs: i << 32, ports: 80}, v4Key{addrs: i, ports: uint32(i)})
	}
	for i, k := range keys {
		if got := tab.get(k); got != want[k] {
			t.Fatalf("key %d %+v before put: get = %p, want %p", i, k, got, want[k])
		}
		if want[k] != nil {
			continue
		}
		c := &conn{stream: uint32(i)}
		tab.put(k, c)
		want[k] = c
		if got := tab.get(k); got != c {
			t.Fatalf("key %d %+v after put: get = %p, want %p", i, k, got, c)
		}
	}
	if tab.n != len(want) {
		t.Errorf("table holds %d conversations, want %d", tab.n, len(want))
	}
	for k, c := range want {
		if got := tab.get(k); got != c {
			t.Fatalf("key %+v at the end: get = %p, want %p", k, got, c)
		}
	}
	n := 0
	tab.each(func(*conn) { n++ })
	if n != len(want) {
		t.Errorf("each visits %d conversations, want %d", n, len(want))
	}
}

// TestUnackedList checks the list against a slice while it grows past
// its inline room and is pruned and reset.
func TestUnackedList(t *testing.T) {
	var l unackedList
	var want []unackedSeg
	for round := range 3 {
		for i := range 3 + round*20 {
			s := unackedSeg{nextSeq: seqnum.Value(i), frame: uint32(round*100 + i)}
			l.add(s)
			want = append(want, s)
			if diff := gocmp.Diff(want, l.segs(), gocmp.AllowUnexported(unackedSeg{})); diff != "" {
				t.Fatalf("round %d, after %d adds (-want +got):\n%s", round, i+1, diff)
			}
		}
		l.reset()
		want = want[:0]
		if len(l.segs()) != 0 {
			t.Fatalf("round %d: %d segments after reset", round, len(l.segs()))
		}
	}
}
