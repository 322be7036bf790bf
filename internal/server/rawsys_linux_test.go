package server

import (
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// TestRawPeer checks that rawPeer reads the addresses accept4 stores as
// net.TCPAddr.AddrPort would give them.
func TestRawPeer(t *testing.T) {
	lo, err := net.InterfaceByIndex(1)
	if err != nil {
		t.Fatal(err)
	}
	htons := func(p uint16) uint16 { return ntohs(p) } // its own inverse
	for _, tc := range []struct {
		name string
		fill func(*syscall.RawSockaddrAny)
		want netip.AddrPort
	}{
		{"IPv4", func(rsa *syscall.RawSockaddrAny) {
			sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
			sa.Family, sa.Port, sa.Addr = syscall.AF_INET, htons(51234), [4]byte{127, 0, 0, 1}
		}, netip.MustParseAddrPort("127.0.0.1:51234")},
		{"IPv6", func(rsa *syscall.RawSockaddrAny) {
			sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
			sa.Family, sa.Port, sa.Addr = syscall.AF_INET6, htons(2000), netip.MustParseAddr("2001:db8::1").As16()
		}, netip.MustParseAddrPort("[2001:db8::1]:2000")},
		{"IPv4-mapped stays mapped", func(rsa *syscall.RawSockaddrAny) {
			sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
			sa.Family, sa.Port, sa.Addr = syscall.AF_INET6, htons(1), netip.MustParseAddr("::ffff:10.0.0.1").As16()
		}, netip.MustParseAddrPort("[::ffff:10.0.0.1]:1")},
		{"zone is the interface's name", func(rsa *syscall.RawSockaddrAny) {
			sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
			sa.Family, sa.Port, sa.Addr, sa.Scope_id = syscall.AF_INET6, htons(65535), netip.MustParseAddr("fe80::1").As16(), 1
		}, netip.AddrPortFrom(netip.MustParseAddr("fe80::1%"+lo.Name), 65535)},
		{"zone of no interface is its number", func(rsa *syscall.RawSockaddrAny) {
			sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
			sa.Family, sa.Port, sa.Addr, sa.Scope_id = syscall.AF_INET6, htons(80), netip.MustParseAddr("fe80::2").As16(), 99999
		}, netip.MustParseAddrPort("[fe80::2%99999]:80")},
		{"other family", func(rsa *syscall.RawSockaddrAny) { rsa.Addr.Family = syscall.AF_UNIX }, netip.AddrPort{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rsa syscall.RawSockaddrAny
			tc.fill(&rsa)
			if got := rawPeer(&rsa); got != tc.want {
				t.Errorf("rawPeer = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRawAccept4Peer checks rawAccept4 against the address the client
// sees for itself, over IPv4 and IPv6 loopback.
func TestRawAccept4Peer(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "tcp6" {
				addr = "[::1]:0"
			}
			ln, err := net.Listen(network, addr)
			if err != nil {
				t.Skipf("no %s loopback: %v", network, err)
			}
			defer ln.Close()
			c, err := net.Dial(network, ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			rc, err := ln.(*net.TCPListener).SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			var (
				fd    int
				peer  netip.AddrPort
				errno syscall.Errno
			)
			for range 100 { // non-blocking: the connection may not be queued yet
				rc.Control(func(lfd uintptr) { fd, peer, errno = rawAccept4(int(lfd)) })
				if errno != syscall.EAGAIN {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if errno != 0 {
				t.Fatalf("rawAccept4: %v", errno)
			}
			defer rawClose(fd)
			if want := c.LocalAddr().(*net.TCPAddr).AddrPort(); peer != want {
				t.Errorf("peer %v, want %v", peer, want)
			}
		})
	}
}
