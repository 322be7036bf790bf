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
		{"v6 differs in the last byte", ap("[2001:db8::1]:1"), ap("[2001:db8::2]:2"), ap("[2001:db8::1]:1"), ap("[2001:db8::3]:2"), false},
	}
	for _, tc := range tests {
		if got := makeConnKey(tc.x1, tc.y1) == makeConnKey(tc.x2, tc.y2); got != tc.wantSame {
			t.Errorf("%s: keys equal = %v, want %v", tc.name, got, tc.wantSame)
		}
	}
}
