package listing

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// ErrSelector is wrapped by the errors ParseSelector returns.
var ErrSelector = errors.New("bad selector")

// Selector picks conversations. Terms of the same kind are alternatives;
// terms of different kinds must all hold. The zero Selector (or nil)
// selects everything.
type Selector struct {
	Streams   []uint32
	Ports     []uint16
	Hosts     []netip.Addr
	Endpoints []netip.AddrPort
}

// maxSelectorTerms bounds the number of terms a selector may hold.
const maxSelectorTerms = 256

// ParseSelector parses a selector expression: space- or comma-separated
// terms, each "stream N", "port N", "host ADDR" or an endpoint
// "ADDR:PORT" ("[ADDR]:PORT" for IPv6). For example
// "port 2000 host 127.0.0.1" selects conversations on port 2000 with
// 127.0.0.1 at one end.
func ParseSelector(expr string) (*Selector, error) {
	fields := strings.FieldsFunc(expr, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	s := &Selector{}
	if len(fields) > 2*maxSelectorTerms {
		return nil, fmt.Errorf("%w: more than %d terms", ErrSelector, maxSelectorTerms)
	}
	for i := 0; i < len(fields); i++ {
		kw := fields[i]
		switch kw {
		case "stream", "port", "host":
			if i+1 >= len(fields) {
				return nil, fmt.Errorf("%w: %q needs a value", ErrSelector, kw)
			}
			i++
			if err := s.add(kw, fields[i]); err != nil {
				return nil, err
			}
		default:
			ap, err := netip.ParseAddrPort(kw)
			if err != nil {
				return nil, fmt.Errorf("%w: term %d %q: want stream N, port N, host ADDR or ADDR:PORT", ErrSelector, i+1, kw)
			}
			s.Endpoints = append(s.Endpoints, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
		}
	}
	return s, nil
}

func (s *Selector) add(kind, v string) error {
	switch kind {
	case "stream":
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fmt.Errorf("%w: stream %q: not a stream number", ErrSelector, v)
		}
		s.Streams = append(s.Streams, uint32(n))
	case "port":
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return fmt.Errorf("%w: port %q: not a port number", ErrSelector, v)
		}
		s.Ports = append(s.Ports, uint16(n))
	case "host":
		a, err := netip.ParseAddr(v)
		if err != nil {
			return fmt.Errorf("%w: host %q: not an IP address", ErrSelector, v)
		}
		s.Hosts = append(s.Hosts, a.Unmap())
	}
	return nil
}

// String returns the selector in the syntax ParseSelector reads.
func (s *Selector) String() string {
	if s == nil {
		return ""
	}
	var parts []string
	for _, n := range s.Streams {
		parts = append(parts, "stream "+strconv.FormatUint(uint64(n), 10))
	}
	for _, p := range s.Ports {
		parts = append(parts, "port "+strconv.FormatUint(uint64(p), 10))
	}
	for _, a := range s.Hosts {
		parts = append(parts, "host "+a.String())
	}
	for _, e := range s.Endpoints {
		parts = append(parts, e.String())
	}
	return strings.Join(parts, " ")
}

// Empty reports whether s selects everything.
func (s *Selector) Empty() bool {
	return s == nil || len(s.Streams)+len(s.Ports)+len(s.Hosts)+len(s.Endpoints) == 0
}

// match reports whether a conversation with index stream between a and b
// is selected.
func (s *Selector) match(stream uint32, a, b netip.AddrPort) bool {
	if s.Empty() {
		return true
	}
	if len(s.Streams) > 0 && !contains(s.Streams, stream) {
		return false
	}
	if len(s.Ports) > 0 && !contains(s.Ports, a.Port()) && !contains(s.Ports, b.Port()) {
		return false
	}
	if len(s.Hosts) > 0 && !contains(s.Hosts, a.Addr()) && !contains(s.Hosts, b.Addr()) {
		return false
	}
	if len(s.Endpoints) > 0 && !contains(s.Endpoints, a) && !contains(s.Endpoints, b) {
		return false
	}
	return true
}

// MatchPacket reports whether the segment p, analysed as r, belongs to a
// selected conversation.
func (s *Selector) MatchPacket(p *decode.Packet, r *tcpanalysis.Result) bool {
	if s.Empty() {
		return true
	}
	return s.match(r.Stream, netip.AddrPortFrom(p.Src.Unmap(), p.TCP.SrcPort()), netip.AddrPortFrom(p.Dst.Unmap(), p.TCP.DstPort()))
}

// MatchStream reports whether the conversation st is selected.
func (s *Selector) MatchStream(st *tcpanalysis.Stream) bool {
	if s.Empty() {
		return true
	}
	return s.match(st.Index, netip.AddrPortFrom(st.Client.Addr().Unmap(), st.Client.Port()), netip.AddrPortFrom(st.Server.Addr().Unmap(), st.Server.Port()))
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
