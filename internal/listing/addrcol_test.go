package listing

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAddrColumns checks that the remembered address columns come out
// as freshly formatted ones while the addresses change, repeat and swap.
func TestAddrColumns(t *testing.T) {
	a, b, c := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.20.30.40"), netip.MustParseAddr("2001:db8::1")
	var cache addrColumns
	for i, pair := range [][2]netip.Addr{{a, a}, {a, b}, {b, a}, {b, a}, {c, a}, {a, c}, {c, c}, {a, a}} {
		want := string((*addrColumns)(nil).appendAddrColumns([]byte("x"), pair[0], pair[1]))
		got := string(cache.appendAddrColumns([]byte("x"), pair[0], pair[1]))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pair %d (%v, %v) (-want +got):\n%s", i, pair[0], pair[1], diff)
		}
	}
	if n := testing.AllocsPerRun(100, func() { cache.appendAddrColumns(make([]byte, 0, 64), a, b) }); n != 0 {
		t.Errorf("appendAddrColumns allocates %.1f times with the addresses remembered, want 0", n)
	}
}
