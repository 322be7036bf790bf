package capfilter

import (
	"fmt"
	"net/netip"
	"strings"
)

// Limits that keep a hostile or mistyped filter from costing much: the
// kernel refuses programs over 4096 instructions anyway.
const (
	maxFilterLen = 8 << 10 // bytes of filter text
	maxDepth     = 64      // nesting of parentheses and "not"
)

// proto is a protocol qualifier or a protocol primitive.
type proto int

const (
	protoDefault proto = iota
	protoIP
	protoIP6
	protoARP
	protoTCP
	protoUDP
	protoSCTP
	protoICMP
	protoICMP6
)

var protoNames = map[string]proto{
	"ip": protoIP, "ip6": protoIP6, "arp": protoARP,
	"tcp": protoTCP, "udp": protoUDP, "sctp": protoSCTP,
	"icmp": protoICMP, "icmp6": protoICMP6,
}

func (p proto) String() string {
	for name, q := range protoNames {
		if q == p {
			return name
		}
	}
	return ""
}

// dir is a direction qualifier.
type dir int

const (
	dirDefault   dir = iota // src or dst
	dirSrc                  // src
	dirDst                  // dst
	dirSrcOrDst             // "src or dst", written out
	dirSrcAndDst            // "src and dst"
)

func (d dir) String() string {
	return [...]string{"", "src", "dst", "src or dst", "src and dst"}[d]
}

// kind is a type qualifier: what the value names.
type kind int

const (
	kindDefault kind = iota // host for an address, net for a prefix
	kindHost
	kindNet
	kindPort
	kindPortRange
)

var kindNames = map[string]kind{"host": kindHost, "net": kindNet, "port": kindPort, "portrange": kindPortRange}

// unsupported lists tcpdump keywords outside tcplab's subset, so the error
// can say "not supported" rather than "unexpected".
var unsupported = map[string]bool{
	"ether": true, "proto": true, "protochain": true, "vlan": true, "mpls": true,
	"pppoed": true, "pppoes": true, "geneve": true, "less": true, "greater": true,
	"len": true, "gateway": true, "broadcast": true, "multicast": true,
	"inbound": true, "outbound": true, "rarp": true, "igmp": true, "igrp": true,
	"pim": true, "vrrp": true, "carp": true, "atalk": true, "aarp": true,
	"decnet": true, "iso": true, "stp": true, "ipx": true, "netbeui": true,
	"lat": true, "moprc": true, "mopdl": true, "llc": true, "ifname": true,
	"on": true, "rnr": true, "rulenum": true, "reason": true, "rset": true,
	"srnr": true, "subrule": true, "action": true, "wlan": true, "type": true,
	"subtype": true, "addr1": true, "addr2": true, "addr3": true, "addr4": true,
	"ra": true, "ta": true, "fddi": true, "tr": true, "mask": true, "ah": true,
	"esp": true, "radio": true, "link": true, "ppp": true, "slip": true,
	"esis": true, "isis": true, "clnp": true, "l1": true, "l2": true, "iih": true,
	"lsp": true, "snp": true, "csnp": true, "psnp": true, "icmp6type": true,
	"icmptype": true, "tcpflags": true, "hsrp": true, "ip6proto": true,
}

const supportedHint = "the supported subset is ip, ip6, tcp, udp, sctp, icmp, icmp6, arp, [src|dst] host ADDR, [src|dst] net CIDR, [tcp|udp|sctp] [src|dst] port N, portrange A-B, and, or, not, parentheses"

func isKeyword(w string) bool {
	if _, ok := protoNames[w]; ok {
		return true
	}
	if _, ok := kindNames[w]; ok {
		return true
	}
	return w == "src" || w == "dst" || unsupported[w]
}

// node is one parsed filter expression.
type node interface {
	// String returns the expression in canonical tcpdump syntax, fully
	// parenthesized, so that parsing it again gives the same tree.
	String() string
}

type andNode struct{ l, r node }
type orNode struct{ l, r node }
type notNode struct{ x node }

// protoNode is a protocol primitive such as "tcp" or "ip6".
type protoNode struct{ p proto }

// hostNode is "host ADDR" (net == false) or "net CIDR".
type hostNode struct {
	p      proto // protoDefault, protoIP, protoIP6 or protoARP
	d      dir
	net    bool
	prefix netip.Prefix // a host is a full-length prefix
}

// portNode is "port N" (lo == hi, rng == false) or "portrange A-B".
type portNode struct {
	p      proto // protoDefault, protoTCP, protoUDP or protoSCTP
	d      dir
	rng    bool
	lo, hi uint16
}

func (n andNode) String() string   { return "(" + n.l.String() + " and " + n.r.String() + ")" }
func (n orNode) String() string    { return "(" + n.l.String() + " or " + n.r.String() + ")" }
func (n notNode) String() string   { return "not " + n.x.String() }
func (n protoNode) String() string { return n.p.String() }

func qualPrefix(p proto, d dir) string {
	var b strings.Builder
	if p != protoDefault {
		b.WriteString(p.String() + " ")
	}
	if d != dirDefault {
		b.WriteString(d.String() + " ")
	}
	return b.String()
}

func (n hostNode) String() string {
	if n.net {
		return qualPrefix(n.p, n.d) + "net " + n.prefix.String()
	}
	return qualPrefix(n.p, n.d) + "host " + n.prefix.Addr().String()
}

func (n portNode) String() string {
	if n.rng {
		return fmt.Sprintf("%sportrange %d-%d", qualPrefix(n.p, n.d), n.lo, n.hi)
	}
	return fmt.Sprintf("%sport %d", qualPrefix(n.p, n.d), n.lo)
}

// quals are the qualifiers in front of a value, remembered so that a bare
// value after "and"/"or" can repeat them ("port 80 or 443").
type quals struct {
	p          proto
	d          dir
	k          kind
	pTok, kTok token // the tokens that set p and k, for error messages
}

type parser struct {
	toks  []token
	pos   int
	depth int
}

func (ps *parser) peek() token { return ps.toks[ps.pos] }
func (ps *parser) peekAt(i int) token {
	if ps.pos+i < len(ps.toks) {
		return ps.toks[ps.pos+i]
	}
	return ps.toks[len(ps.toks)-1]
}
func (ps *parser) next() token {
	t := ps.toks[ps.pos]
	if t.kind != tokEOF {
		ps.pos++
	}
	return t
}

func errAt(t token, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: t.off, Token: t.text, Msg: fmt.Sprintf(format, args...)}
}

// parse parses a whole filter. An empty filter (only white space) returns
// a nil node: capture everything, as tcpdump does without a filter.
func parse(s string) (node, error) {
	if len(s) > maxFilterLen {
		return nil, &SyntaxError{Offset: maxFilterLen, Msg: fmt.Sprintf("filter longer than %d bytes", maxFilterLen)}
	}
	ps := &parser{toks: lex(s)}
	if ps.peek().kind == tokEOF {
		return nil, nil
	}
	n, _, err := ps.expr()
	if err != nil {
		return nil, err
	}
	if t := ps.peek(); t.kind != tokEOF {
		if t.kind == tokRParen {
			return nil, errAt(t, "unbalanced parenthesis")
		}
		return nil, ps.unexpected(t, "expected and, or, or the end of the filter")
	}
	return n, nil
}

func (ps *parser) enter(t token) error {
	ps.depth++
	if ps.depth > maxDepth {
		return errAt(t, "nested more than %d deep", maxDepth)
	}
	return nil
}

// expr parses term { (and|or) (term|id) }, left-associative with equal
// precedence, as pcap-filter(7) specifies. It returns the qualifiers of
// the last primitive, or nil when a bare value may not follow.
func (ps *parser) expr() (node, *quals, error) {
	left, q, err := ps.term()
	if err != nil {
		return nil, nil, err
	}
	for {
		op := ps.peek()
		if op.kind != tokAnd && op.kind != tokOr {
			return left, q, nil
		}
		ps.next()
		var right node
		if ps.startsID() {
			if q == nil {
				t := ps.firstValue()
				return nil, nil, errAt(t, "a bare value here has no qualifier (host, net, port) before it to repeat")
			}
			right, err = ps.id(q)
		} else {
			right, q, err = ps.term()
		}
		if err != nil {
			return nil, nil, err
		}
		if op.kind == tokAnd {
			left = andNode{left, right}
		} else {
			left = orNode{left, right}
		}
	}
}

// firstValue returns the first token after any "not", "!" and "(" tokens.
func (ps *parser) firstValue() token {
	i := 0
	for {
		t := ps.peekAt(i)
		if t.kind != tokNot && t.kind != tokLParen {
			return t
		}
		i++
	}
}

// startsID reports whether the tokens ahead are a bare value (possibly
// negated or parenthesized) rather than a new primitive.
func (ps *parser) startsID() bool {
	t := ps.firstValue()
	return t.kind == tokWord && !isKeyword(t.text)
}

// term parses not term | ( expr ) | primitive.
func (ps *parser) term() (node, *quals, error) {
	t := ps.peek()
	switch t.kind {
	case tokNot:
		ps.next()
		if err := ps.enter(t); err != nil {
			return nil, nil, err
		}
		x, q, err := ps.term()
		ps.depth--
		if err != nil {
			return nil, nil, err
		}
		return notNode{x}, q, nil
	case tokLParen:
		ps.next()
		if err := ps.enter(t); err != nil {
			return nil, nil, err
		}
		x, _, err := ps.expr()
		ps.depth--
		if err != nil {
			return nil, nil, err
		}
		if c := ps.next(); c.kind != tokRParen {
			return nil, nil, ps.unexpected(c, fmt.Sprintf("expected \")\" to close the \"(\" at offset %d", t.off))
		}
		return x, nil, nil
	case tokWord:
		return ps.primitive()
	}
	return nil, nil, ps.unexpected(t, "expected a primitive such as tcp, host ADDR or port N, \"not\" or \"(\"")
}

// unexpected builds the error for token t where something else was
// expected, with a more helpful message for the usual mistakes.
func (ps *parser) unexpected(t token, expected string) *SyntaxError {
	switch {
	case t.kind == tokEOF:
		return errAt(t, "%s", expected)
	case t.kind == tokBad && t.text == "[":
		return errAt(t, "packet data accessors (proto[offset]) are not supported; %s", supportedHint)
	case t.kind == tokBad:
		return errAt(t, "character not allowed here; %s", supportedHint)
	case t.kind == tokWord && unsupported[t.text]:
		return errAt(t, "tcpdump keyword not supported by tcplab; %s", supportedHint)
	case t.kind == tokWord && !isKeyword(t.text):
		return errAt(t, "unknown word or misplaced value; %s", expected)
	}
	return errAt(t, "%s", expected)
}

// primitive parses [proto] [dir] [kind] value, or a protocol alone.
func (ps *parser) primitive() (node, *quals, error) {
	q := &quals{}
	start := ps.peek()
	t := start
	if p, ok := protoNames[t.text]; ok && t.kind == tokWord {
		q.p, q.pTok = p, t
		ps.next()
		t = ps.peek()
	}
	if t.kind == tokWord && (t.text == "src" || t.text == "dst") {
		ps.next()
		q.d = dirSrc
		if t.text == "dst" {
			q.d = dirDst
		}
		// "src or dst", "dst and src", ...: only when the other direction
		// follows the operator; otherwise the operator joins primitives.
		op, other := ps.peek(), ps.peekAt(1)
		if (op.kind == tokAnd || op.kind == tokOr) && other.kind == tokWord &&
			(other.text == "src" || other.text == "dst") && other.text != t.text {
			ps.next()
			ps.next()
			q.d = dirSrcOrDst
			if op.kind == tokAnd {
				q.d = dirSrcAndDst
			}
		}
		t = ps.peek()
	}
	if k, ok := kindNames[t.text]; ok && t.kind == tokWord {
		q.k, q.kTok = k, t
		ps.next()
		t = ps.peek()
	}
	if ps.peek() == start {
		// Nothing was consumed: the word is not a qualifier.
		if isKeyword(start.text) {
			return nil, nil, ps.unexpected(start, "expected a primitive")
		}
		return nil, nil, errAt(start, "a value needs a qualifier before it, such as host, net or port")
	}
	if q.d == dirDefault && q.k == kindDefault && !(t.kind == tokWord && !isKeyword(t.text)) {
		// A protocol on its own: "tcp", "ip6".
		return protoNode{q.p}, nil, nil
	}
	if t.kind != tokWord || isKeyword(t.text) {
		what := "a value"
		switch q.k {
		case kindHost:
			what = "an IP address"
		case kindNet:
			what = "a network (CIDR such as 10.0.0.0/8) or an IP address"
		case kindPort:
			what = "a port number"
		case kindPortRange:
			what = "a port range such as 8000-8080"
		}
		return nil, nil, ps.unexpected(t, "expected "+what)
	}
	n, err := ps.id(q)
	if err != nil {
		return nil, nil, err
	}
	return n, q, nil
}

// id parses a value with the qualifiers q: value | not id | ( id {and|or id} ).
func (ps *parser) id(q *quals) (node, error) {
	t := ps.next()
	switch t.kind {
	case tokNot:
		if err := ps.enter(t); err != nil {
			return nil, err
		}
		x, err := ps.id(q)
		ps.depth--
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	case tokLParen:
		if err := ps.enter(t); err != nil {
			return nil, err
		}
		defer func() { ps.depth-- }()
		left, err := ps.id(q)
		if err != nil {
			return nil, err
		}
		for {
			op := ps.next()
			switch op.kind {
			case tokRParen:
				return left, nil
			case tokAnd, tokOr:
			default:
				return nil, ps.unexpected(op, fmt.Sprintf("expected and, or, or \")\" to close the \"(\" at offset %d", t.off))
			}
			if !ps.startsID() {
				return nil, ps.unexpected(ps.firstValue(), "expected a value: inside a parenthesized list of values only values may follow and/or")
			}
			right, err := ps.id(q)
			if err != nil {
				return nil, err
			}
			if op.kind == tokAnd {
				left = andNode{left, right}
			} else {
				left = orNode{left, right}
			}
		}
	case tokWord:
		if isKeyword(t.text) {
			return nil, ps.unexpected(t, "expected a value")
		}
		return value(q, t)
	}
	return nil, ps.unexpected(t, "expected a value")
}

// value builds the primitive for value token t under qualifiers q,
// checking the combinations tcpdump checks.
func value(q *quals, t token) (node, error) {
	k := q.k
	if k == kindDefault {
		switch {
		case strings.Contains(t.text, "/"):
			k = kindNet
		case isAddr(t.text):
			k = kindHost
		case isNumber(t.text) || strings.Contains(t.text, "-") && !strings.Contains(t.text, ":"):
			return nil, errAt(t, "a number needs a qualifier: write \"port %s\" or \"portrange %s\"", t.text, t.text)
		default:
			return nil, errAt(t, "host names are not resolved: give an IPv4 or IPv6 address")
		}
	}
	switch k {
	case kindHost, kindNet:
		switch q.p {
		case protoDefault, protoIP, protoIP6, protoARP:
		default:
			return nil, errAt(q.pTok, "%q modifier applied to %s", q.p.String(), map[kind]string{kindHost: "host", kindNet: "net"}[k])
		}
		var pfx netip.Prefix
		if strings.Contains(t.text, "/") {
			if k == kindHost {
				return nil, errAt(t, "a host is one address: use \"net %s\" for a network", t.text)
			}
			p, err := netip.ParsePrefix(t.text)
			if err != nil {
				return nil, errAt(t, "not a network in CIDR notation (such as 10.0.0.0/8 or fd00::/8)")
			}
			if p.Masked() != p {
				return nil, errAt(t, "non-network bits set (the network is %s)", p.Masked())
			}
			pfx = p
		} else {
			a, err := netip.ParseAddr(t.text)
			if err != nil || a.Zone() != "" {
				switch {
				case k == kindNet && strings.Trim(t.text, "0123456789.") == "":
					return nil, errAt(t, "not a network: write it in CIDR notation such as 10.1.0.0/16 (tcpdump's short forms are not supported)")
				case isNumber(t.text):
					return nil, errAt(t, "expected an IP address, not a number (for a port write \"port %s\")", t.text)
				}
				return nil, errAt(t, "not an IP address (host names are not resolved)")
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		is6 := pfx.Addr().Is6()
		switch {
		case q.p == protoIP && is6:
			return nil, errAt(q.pTok, "\"ip\" modifier applied to an IPv6 address")
		case q.p == protoARP && is6:
			return nil, errAt(q.pTok, "\"arp\" modifier applied to an IPv6 address")
		case q.p == protoIP6 && !is6:
			return nil, errAt(q.pTok, "\"ip6\" modifier applied to an IPv4 address")
		}
		return hostNode{p: q.p, d: q.d, net: k == kindNet, prefix: pfx}, nil
	case kindPort, kindPortRange:
		switch q.p {
		case protoDefault, protoTCP, protoUDP, protoSCTP:
		default:
			return nil, errAt(q.pTok, "illegal qualifier of %q: only tcp, udp and sctp qualify a port", q.kTok.text)
		}
		lo, hi, err := parsePorts(t, k == kindPortRange)
		if err != nil {
			return nil, err
		}
		return portNode{p: q.p, d: q.d, rng: k == kindPortRange, lo: lo, hi: hi}, nil
	}
	return nil, errAt(t, "expected a value")
}

// isNumber reports whether s is a number as tcpdump writes them: decimal,
// 0x hexadecimal or 0-prefixed octal.
func isNumber(s string) bool {
	_, ok := parseNumber(s)
	return ok
}

// parseNumber parses a decimal, 0x hexadecimal or 0-prefixed octal number
// of at most 32 bits.
func parseNumber(s string) (uint32, bool) {
	base := uint64(10)
	digits := s
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	if digits == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		v = v*base + d
		if v > 1<<32-1 {
			return 0, false
		}
	}
	return uint32(v), true
}

// isAddr reports whether s parses as an IPv4 or IPv6 address.
func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// parsePorts parses "N" or, for a port range, "A-B" (or "N", the range
// N-N). A reversed range is swapped, as tcpdump does.
func parsePorts(t token, rng bool) (lo, hi uint16, err error) {
	port := func(s string) (uint16, error) {
		v, ok := parseNumber(s)
		if !ok {
			if rng {
				return 0, errAt(t, "not a port range: want two port numbers such as 8000-8080 (service names are not resolved)")
			}
			return 0, errAt(t, "not a port number (service names are not resolved)")
		}
		if v > 65535 {
			return 0, errAt(t, "illegal port number %d > 65535", v)
		}
		return uint16(v), nil
	}
	a, b, isRange := strings.Cut(t.text, "-")
	if isRange && !rng {
		return 0, 0, errAt(t, "a range of ports needs \"portrange\", not \"port\"")
	}
	if lo, err = port(a); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = port(b); err != nil {
			return 0, 0, err
		}
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	return lo, hi, nil
}
