package capture

import (
	"net/netip"
	"testing"
)

func TestCaptureInterface(t *testing.T) {
	ifs := []hostInterface{
		{name: "lo", loopback: true, prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8"), netip.MustParsePrefix("::1/128")}},
		{name: "eth0", prefixes: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/24"), netip.MustParsePrefix("2001:db8::10/64"), netip.MustParsePrefix("fe80::1/64")}},
		{name: "veth1", prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.1/30")}},
	}
	tests := []struct {
		addr  string
		iface string
		err   string
	}{
		{"127.0.0.1", "lo", ""},
		{"127.0.0.2", "lo", ""}, // in lo's 127.0.0.0/8, not an address of its own
		{"::1", "lo", ""},
		{"192.0.2.10", "eth0", ""},
		{"2001:db8::10", "eth0", ""},
		{"198.51.100.1", "veth1", ""},
		{"fe80::1%veth1", "veth1", ""}, // a link-local address's zone names the interface
		{"192.0.2.11", "", "no interface of this host holds 192.0.2.11"}, // in eth0's prefix, but not eth0's address
		{"0.0.0.0", "", ErrUnspecified.Error()},
		{"::", "", ErrUnspecified.Error()},
	}
	for _, tt := range tests {
		got, err := listenInterface(netip.MustParseAddr(tt.addr), ifs)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.iface || gotErr != tt.err {
			t.Errorf("listenInterface(%s) = %q, %q; want %q, %q", tt.addr, got, gotErr, tt.iface, tt.err)
		}
	}
	// A loopback address when the host lists lo without addresses (in a
	// fresh network namespace lo may be down): still lo.
	if got, err := listenInterface(netip.MustParseAddr("127.0.0.1"), []hostInterface{{name: "lo", loopback: true}}); got != "lo" || err != nil {
		t.Errorf("listenInterface(127.0.0.1) with an address-less lo = %q, %v; want lo", got, err)
	}
	// This host's own interfaces: 127.0.0.1 is on its loopback one.
	if got, err := listenInterface(netip.MustParseAddr("127.0.0.1"), hostInterfaces()); err != nil || got == "" {
		t.Errorf("listenInterface(127.0.0.1) on this host = %q, %v", got, err)
	}
}
