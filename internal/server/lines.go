package server

import (
	"net"
	"net/netip"
	"strconv"

	"github.com/tcplab/tcplab/internal/labproto"
)

// AppendListening appends the original's first line, "listening on ADDR",
// and a newline to dst. An IPv6 address is bracketed ("[::1]:2000"), which
// the original, being IPv4 only, never prints.
func AppendListening(dst []byte, addr net.Addr) []byte {
	dst = append(dst, "listening on "...)
	if ta, ok := addr.(*net.TCPAddr); ok {
		dst = ta.AddrPort().AppendTo(dst)
	} else {
		dst = append(dst, addr.String()...)
	}
	return append(dst, '\n')
}

// AppendConnectionFrom appends "Connection from (...)" and a newline to
// dst, with the peer written as Python prints the address tuple accept
// returns: ('127.0.0.1', 59765) for IPv4 and ('::1', 59765, 0, 0) for IPv6
// (host, port, flow info, scope id).
func AppendConnectionFrom(dst []byte, peer netip.AddrPort) []byte {
	dst = append(dst, "Connection from ('"...)
	a := peer.Addr()
	dst = a.WithZone("").AppendTo(dst)
	dst = append(dst, "', "...)
	dst = strconv.AppendUint(dst, uint64(peer.Port()), 10)
	if a.Is6() {
		dst = append(dst, ", 0, "...)
		dst = strconv.AppendInt(dst, int64(scopeID(a.Zone())), 10)
	}
	return append(dst, ")\n"...)
}

// scopeID returns the interface index Python prints for an IPv6 zone.
func scopeID(zone string) int {
	if zone == "" {
		return 0
	}
	if n, err := strconv.Atoi(zone); err == nil {
		return n
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return ifi.Index
	}
	return 0
}

// AppendExchange appends the original server's lines for an answered
// request: Client_name, Server_name, Client_number (as the client sent it,
// white space included), Server_number and Sum, each with a newline.
func AppendExchange(dst []byte, clientName, clientNumber []byte, serverName string, serverNumber int, sum int64) []byte {
	dst = append(dst, "Client_name: "...)
	dst = append(dst, clientName...)
	dst = append(dst, "\nServer_name: "...)
	dst = append(dst, serverName...)
	dst = append(dst, "\nClient_number: "...)
	dst = append(dst, clientNumber...)
	dst = append(dst, "\nServer_number: "...)
	dst = strconv.AppendInt(dst, int64(serverNumber), 10)
	dst = append(dst, "\nSum: "...)
	dst = strconv.AppendInt(dst, sum, 10)
	return append(dst, '\n')
}

// AppendOutOfRange appends the original server's line for a number outside
// 1..100 and a newline.
func AppendOutOfRange(dst []byte) []byte {
	dst = append(dst, labproto.OutOfRangeLine...)
	return append(dst, '\n')
}
