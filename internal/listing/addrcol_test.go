package listing

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/decode"
)

// TestAddrColumns checks that the remembered columns come out as freshly
// formatted ones while the addresses change, repeat and swap.
func TestAddrColumns(t *testing.T) {
	a, b, c := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.20.30.40"), netip.MustParseAddr("2001:db8::1")
	long := netip.MustParseAddr("1111:2222:3333:4444:5555:6666:7777:8888")
	var cache addrColumns
	for i, pair := range [][2]netip.Addr{{a, a}, {a, b}, {b, a}, {b, a}, {c, a}, {a, c}, {c, c}, {long, long}, {a, a}} {
		want := string((*addrColumns)(nil).appendAddrColumns(nil, pair[0], pair[1])) + " TCP "
		cache.set(pair[0], pair[1])
		if cache.n < 0 {
			t.Fatalf("pair %d (%v, %v): columns do not fit", i, pair[0], pair[1])
		}
		if diff := cmp.Diff(want, string(cache.text[:cache.n])); diff != "" {
			t.Errorf("pair %d (%v, %v) (-want +got):\n%s", i, pair[0], pair[1], diff)
		}
	}
}

// TestAppendColumns compares the columns before Info written by the fast
// path with appendColumnsSlow's, for times, resolutions, frame numbers
// and lengths around the fast path's limits, with the addresses
// remembered and not.
func TestAppendColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	times := []int64{0, 1, 999, 1_000, 999_999_999, 1e9, 9_999_999_999, 10e9, 99_999_999_999, 65535_999_999_999, 65536e9, 1 << 62, -1, -1e9}
	for range 2000 {
		times = append(times, rng.Int64N(70000e9))
	}
	numbers := []uint32{0, 1, 9, 10, 9999, 10000, 99999, 100000, 1 << 20, 1<<32 - 1}
	lengths := []int{-1, 0, 54, 65535, 65536, 1 << 31, 1<<32 - 1, 1 << 32}
	addrs := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.168.100.200"), netip.MustParseAddr("::1"), netip.MustParseAddr("1111:2222:3333:4444:5555:6666:7777:8888")}
	var cache addrColumns
	for k, ns := range times {
		for digits := range 11 {
			var p decode.Packet
			p.Src, p.Dst = addrs[k%len(addrs)], addrs[(k/len(addrs))%len(addrs)]
			number := numbers[(k+digits)%len(numbers)]
			wireLen := lengths[(k*3+digits)%len(lengths)]
			want := string(appendColumnsSlow([]byte("x"), number, ns, digits, &p, wireLen))
			if got := string(appendColumns([]byte("x"), number, ns, digits, &p, wireLen, &cache)); got != want {
				t.Fatalf("appendColumns(%d, %d, %d, %v, %v, %d) = %q, want %q", number, ns, digits, p.Src, p.Dst, wireLen, got, want)
			}
			if got := string(appendColumns(nil, number, ns, digits, &p, wireLen, nil)); got != want[1:] {
				t.Fatalf("appendColumns(%d, %d, %d, %v, %v, %d), nothing remembered = %q, want %q", number, ns, digits, p.Src, p.Dst, wireLen, got, want[1:])
			}
		}
	}
	var p decode.Packet
	p.Src, p.Dst = addrs[0], addrs[1]
	if n := testing.AllocsPerRun(100, func() { appendColumns(make([]byte, 0, lineRoom), 1, 2, 9, &p, 66, &cache) }); n != 0 {
		t.Errorf("appendColumns allocates %.1f times with room and the addresses remembered, want 0", n)
	}
}
