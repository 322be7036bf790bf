package capture

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// ErrUnspecified is returned by ListenInterface for an address that means
// every interface (0.0.0.0, ::), since a capture is on one.
var ErrUnspecified = errors.New("address means every interface")

// ListenInterface returns the interface of this host on which the
// connections to a server listening on ip arrive: a loopback address's
// loopback interface (Linux gives lo 127.0.0.0/8 and ::1), the zone of a
// link-local address with one, or the interface that holds ip. It returns
// ErrUnspecified for 0.0.0.0 and ::.
func ListenInterface(ip netip.Addr) (string, error) {
	return listenInterface(ip, hostInterfaces())
}

// hostInterface is a network interface and the prefixes of its addresses.
type hostInterface struct {
	name     string
	loopback bool
	prefixes []netip.Prefix
}

// hostInterfaces returns this host's interfaces with their addresses. An
// interface whose addresses cannot be read is listed without them.
func hostInterfaces() []hostInterface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var hs []hostInterface
	for _, ifc := range ifs {
		h := hostInterface{name: ifc.Name, loopback: ifc.Flags&net.FlagLoopback != 0}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				h.prefixes = append(h.prefixes, p)
			}
		}
		hs = append(hs, h)
	}
	return hs
}

// listenInterface is ListenInterface among the interfaces ifs.
func listenInterface(ip netip.Addr, ifs []hostInterface) (string, error) {
	switch {
	case !ip.IsValid():
		return "", errors.New("no listening address")
	case ip.IsUnspecified():
		return "", ErrUnspecified
	case ip.Zone() != "":
		return ip.Zone(), nil
	}
	for _, h := range ifs {
		for _, p := range h.prefixes {
			if p.Addr() == ip || ip.IsLoopback() && h.loopback && p.Contains(ip) {
				return h.name, nil
			}
		}
	}
	if ip.IsLoopback() {
		for _, h := range ifs {
			if h.loopback {
				return h.name, nil
			}
		}
	}
	return "", fmt.Errorf("no interface of this host holds %s", ip)
}
