package tcpanalysis

import (
	"net/netip"
	"testing"
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
