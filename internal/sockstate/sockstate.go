// Package sockstate reads the kernel's table of TCP sockets
// (/proc/net/tcp and /proc/net/tcp6 on Linux), so that tests, and tcplab
// check waiting for a student's server to listen (connecting to it would
// itself be an empty connection, which crashes the lab's original), can
// see what a server has done with a connection without asking it: whether
// its end is established, how many bytes wait in its receive queue, how
// many connections wait in a listener's accept queue.
package sockstate

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
)

// State is a TCP socket's state as the kernel numbers it.
type State uint8

// The states tests look for.
const (
	Established State = 0x01
	TimeWait    State = 0x06
	Listen      State = 0x0a
)

// Socket is one line of the table.
type Socket struct {
	Local, Remote netip.AddrPort
	State         State
	// TxQueue and RxQueue are the bytes in the send and receive queues;
	// for a listener, RxQueue is the number of connections waiting in its
	// accept queue.
	TxQueue, RxQueue int
}

// ErrUnsupported means this system has no such table.
var ErrUnsupported = errors.New("sockstate: no /proc/net/tcp on this system")

// Sockets returns the IPv4 table's sockets, or with ipv6 the IPv6 table's
// (which holds IPv4-mapped addresses of IPv6 sockets too).
func Sockets(ipv6 bool) ([]Socket, error) {
	file := "/proc/net/tcp"
	if ipv6 {
		file = "/proc/net/tcp6"
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrUnsupported
	}
	if err != nil {
		return nil, err
	}
	return parse(b, file)
}

// Lookup returns the socket whose local and remote addresses are local
// and remote, and whether there is one. An IPv4 local address is looked
// up in both tables, since an IPv6 socket may hold it as IPv4-mapped.
func Lookup(local, remote netip.AddrPort) (Socket, bool, error) {
	for _, v6 := range []bool{false, true} {
		if !v6 && !local.Addr().Unmap().Is4() {
			continue
		}
		ss, err := Sockets(v6)
		if err != nil {
			return Socket{}, false, err
		}
		for _, s := range ss {
			if same(s.Local, local) && same(s.Remote, remote) {
				return s, true, nil
			}
		}
	}
	return Socket{}, false, nil
}

// same compares addresses, an IPv4-mapped address equal to its IPv4 one.
func same(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && a.Addr().Unmap() == b.Addr().Unmap()
}

// parse reads a table; file names it in errors.
func parse(b []byte, file string) ([]Socket, error) {
	var ss []Socket
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		if n == 1 {
			continue // the heading
		}
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 {
			return nil, fmt.Errorf("sockstate: %s line %d: %d fields, want at least 5", file, n, len(f))
		}
		var s Socket
		var err error
		if s.Local, err = parseAddr(f[1]); err == nil {
			s.Remote, err = parseAddr(f[2])
		}
		if err != nil {
			return nil, fmt.Errorf("sockstate: %s line %d: %w", file, n, err)
		}
		st, err := strconv.ParseUint(string(f[3]), 16, 8)
		if err != nil {
			return nil, fmt.Errorf("sockstate: %s line %d: state %q: %w", file, n, f[3], err)
		}
		s.State = State(st)
		tx, rx, ok := bytes.Cut(f[4], []byte(":"))
		t, err1 := strconv.ParseUint(string(tx), 16, 32)
		r, err2 := strconv.ParseUint(string(rx), 16, 32)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("sockstate: %s line %d: queues %q, want tx:rx in hex", file, n, f[4])
		}
		s.TxQueue, s.RxQueue = int(t), int(r)
		ss = append(ss, s)
	}
	return ss, sc.Err()
}

// parseAddr reads an address as the kernel prints it: the address as
// 32-bit words in host byte order, each in hex, then ':' and the port.
func parseAddr(b []byte) (netip.AddrPort, error) {
	a, p, ok := bytes.Cut(b, []byte(":"))
	port, err := strconv.ParseUint(string(p), 16, 16)
	raw := make([]byte, hex.DecodedLen(len(a)))
	_, herr := hex.Decode(raw, a)
	if !ok || err != nil || herr != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("address %q, want hex words, ':' and a hex port", b)
	}
	for i := 0; i < len(raw); i += 4 { // each word's value, stored as the kernel stores it
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr, uint16(port)), nil
}
