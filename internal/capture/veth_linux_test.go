//go:build linux

package capture

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/tcptest"
)

// TestCaptureOnVeth captures on the client's veth of a netlab network:
// unlike lo, an Ethernet interface's outgoing packets are the host's own
// traffic and must be captured, so both directions appear, once each.
func TestCaptureOnVeth(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces (run the tests as root)")
	}
	n, err := netlab.New(t.Context(), netlab.Config{})
	if errors.Is(err, os.ErrPermission) {
		t.Skipf("needs root: %v", err)
	}
	if err != nil {
		t.Fatalf("netlab.New: %v", err)
	}
	defer n.Close()
	var ln net.Listener
	if err := n.Do(netlab.Server, func() (err error) {
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(netlab.ServerAddr, 0).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close() // before the namespaces go
	tcptest.Serve(t, ln, labExchange)
	port := ln.Addr().(*net.TCPAddr).Port

	var got collector
	var s *Session
	if err := n.Do(netlab.Client, func() (err error) {
		s, err = Start(t.Context(), Config{Interface: netlab.ClientIf, Filter: fmt.Sprintf("tcp port %d", port)}, nil, got.add)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if info := s.Info(); info.Interface != netlab.ClientIf || info.Link != decode.LinkEthernet {
		t.Errorf("Info() = %+v, want %s with Ethernet frames", info, netlab.ClientIf)
	}
	if err := n.Do(netlab.Client, func() error {
		_, err := exchange(ln.Addr().String(), 42, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	var fromClient, fromServer, syns, synAcks int
	for _, r := range got.get() {
		src, _, flags, ok := tcpPorts(r.data)
		if !ok || len(r.data) < 34 {
			t.Fatalf("not a TCP/IPv4 frame: % x", r.data)
		}
		switch netip.AddrFrom4([4]byte(r.data[26:30])) {
		case netlab.ClientAddr:
			fromClient++
		case netlab.ServerAddr:
			fromServer++
		}
		switch {
		case flags&0x12 == 0x02:
			syns++
		case flags&0x12 == 0x12 && src == port:
			synAcks++
		}
	}
	if fromClient < 4 || fromServer < 4 || syns != 1 || synAcks != 1 {
		t.Errorf("on %s: %d packets from the client, %d from the server, %d SYN, %d SYN-ACK; want both directions and one handshake (stats %+v)",
			netlab.ClientIf, fromClient, fromServer, syns, synAcks, st)
	}
}
