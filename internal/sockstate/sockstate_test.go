package sockstate

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParse reads lines as Linux prints them (little-endian), IPv4 and
// IPv6, and rejects malformed ones naming the line.
func TestParse(t *testing.T) {
	const v4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:07D0 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:07D0 0100007F:C350 01 00000000:0000000F 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
`
	got, err := parse([]byte(v4), "tcp")
	if err != nil {
		t.Fatal(err)
	}
	want := []Socket{
		{Local: netip.MustParseAddrPort("127.0.0.1:2000"), Remote: netip.MustParseAddrPort("0.0.0.0:0"), State: Listen, RxQueue: 2},
		{Local: netip.MustParseAddrPort("127.0.0.1:2000"), Remote: netip.MustParseAddrPort("127.0.0.1:50000"), State: Established, RxQueue: 15},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("IPv4 (-want +got):\n%s", diff)
	}
	const v6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:07D0 0000000000000000FFFF00000100007F:A410 06 00000003:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
`
	got, err = parse([]byte(v6), "tcp6")
	if err != nil {
		t.Fatal(err)
	}
	want = []Socket{{Local: netip.MustParseAddrPort("[::1]:2000"), Remote: netip.MustParseAddrPort("[::ffff:127.0.0.1]:42000"), State: TimeWait, TxQueue: 3}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("IPv6 (-want +got):\n%s", diff)
	}
	for _, bad := range []struct{ line, want string }{
		{"0: 0100007F:07D0", "line 2: 2 fields"},
		{"0: 0100007:07D0 00000000:0000 0A 00000000:00000000", `line 2: address "0100007:07D0"`},
		{"0: 0100007F:07D0 00000000 0A 00000000:00000000", `line 2: address "00000000"`},
		{"0: 0100007F:07D0 00000000:0000 XY 00000000:00000000", `line 2: state "XY"`},
		{"0: 0100007F:07D0 00000000:0000 0A 00000000", `line 2: queues "00000000"`},
	} {
		_, err := parse([]byte("heading\n"+bad.line+"\n"), "tcp")
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("parse(%q) = %v, want an error with %q", bad.line, err, bad.want)
		}
	}
}

// TestLookup finds both ends of a real loopback connection and the
// listener's accept queue, over IPv4 and IPv6.
func TestLookup(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Logf("%s: %v", addr, err)
			continue
		}
		defer ln.Close()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		client := c.LocalAddr().(*net.TCPAddr).AddrPort()
		server := c.RemoteAddr().(*net.TCPAddr).AddrPort()
		// Not accepted yet: the server's end waits in the accept queue
		// with the 5 bytes (on a busy machine, after a moment).
		var s Socket
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			var ok bool
			if s, ok, err = Lookup(server, client); err != nil {
				t.Fatal(err)
			}
			if ok && s.RxQueue == 5 {
				break
			}
		}
		if s.State != Established || s.RxQueue != 5 {
			t.Errorf("%s: server's end %+v, want established with 5 bytes to read", addr, s)
		}
		l, ok, err := Lookup(server, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
		if addr[0] == '[' {
			l, ok, err = Lookup(server, netip.AddrPortFrom(netip.IPv6Unspecified(), 0))
		}
		if err != nil || !ok || l.State != Listen || l.RxQueue != 1 {
			t.Errorf("%s: listener %+v, %v, %v; want listening with 1 connection queued", addr, l, ok, err)
		}
		if s, ok, err := Lookup(client, server); err != nil || !ok || s.State != Established {
			t.Errorf("%s: client's end %+v, %v, %v; want established", addr, s, ok, err)
		}
	}
}
