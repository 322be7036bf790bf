package capfilter

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"

	"github.com/tcplab/tcplab/internal/decode"
)

// ErrLinkType is returned when no program can be generated for a link
// type.
var ErrLinkType = errors.New("capfilter: unsupported link type")

// ErrTooLong is returned when a filter compiles to more instructions than
// the kernel accepts (BPF_MAXINSNS).
var ErrTooLong = errors.New("capfilter: filter too long")

// MaxInstructions is the kernel's limit on a classic BPF program
// (BPF_MAXINSNS in include/uapi/linux/bpf_common.h).
const MaxInstructions = 4096

// Filter is a parsed capture filter, ready to be compiled for a link type.
type Filter struct {
	text string
	root node // nil: accept every packet
}

// Parse parses expr in tcpdump's filter syntax (the subset the package
// documentation lists). An empty or all-blank expr is the filter that
// accepts every packet. Errors are *SyntaxError.
func Parse(expr string) (*Filter, error) {
	root, err := parse(expr)
	if err != nil {
		return nil, err
	}
	return &Filter{text: expr, root: root}, nil
}

// String returns the filter in canonical form, fully parenthesized, with
// every repeated qualifier written out ("port 80 or 443" becomes
// "(port 80 or port 443)"). It is empty for the accept-all filter.
func (f *Filter) String() string {
	if f.root == nil {
		return ""
	}
	return f.root.String()
}

// MatchesAll reports whether f is the empty filter, which accepts every
// packet.
func (f *Filter) MatchesAll() bool { return f.root == nil }

// Compile parses expr and compiles it for link type lt; see Filter.Compile.
func Compile(expr string, lt decode.LinkType, snaplen uint32) ([]bpf.Instruction, error) {
	f, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	return f.Compile(lt, snaplen)
}

// layout is where a link type puts its EtherType-like protocol field and
// its network-layer header.
type layout struct {
	typeOff uint32 // offset of the 16-bit protocol (EtherType) field
	netOff  uint32 // offset of the IP (or ARP) header
}

func layoutOf(lt decode.LinkType) (layout, error) {
	switch lt {
	case decode.LinkEthernet:
		return layout{typeOff: 12, netOff: 14}, nil
	case decode.LinkLinuxSLL: // 16-byte header, protocol in its last 2 bytes
		return layout{typeOff: 14, netOff: 16}, nil
	case decode.LinkLinuxSLL2: // 20-byte header, protocol first
		return layout{typeOff: 0, netOff: 20}, nil
	}
	return layout{}, fmt.Errorf("%w %d (tcplab compiles filters for Ethernet (1), Linux SLL (113) and SLL2 (276))", ErrLinkType, lt)
}

// Compile returns a classic BPF program that returns snaplen for the
// packets f accepts and 0 for the others, for frames of link type lt. The
// program is ready for bpf.Assemble and SO_ATTACH_FILTER. A snaplen of 0
// means 262144, tcpdump's default.
func (f *Filter) Compile(lt decode.LinkType, snaplen uint32) ([]bpf.Instruction, error) {
	lay, err := layoutOf(lt)
	if err != nil {
		return nil, err
	}
	if snaplen == 0 {
		snaplen = 262144
	}
	if f.root == nil {
		return []bpf.Instruction{bpf.RetConstant{Val: snaplen}}, nil
	}
	g := &gen{lay: lay}
	// Emitted first, so the program ends with "ret #0" after "ret #snaplen".
	reject := g.emitRaw(bpf.RetConstant{Val: 0})
	accept := g.emitRaw(bpf.RetConstant{Val: snaplen})
	entry := g.emit(g.lower(f.root), accept, reject)
	if g.err != nil {
		return nil, g.err
	}
	// Nothing jumps backwards, so instructions emitted before the entry
	// (none, unless a branch folded to a constant) are unreachable.
	prog := make([]bpf.Instruction, 0, entry+1)
	for i := entry; i >= 0; i-- {
		prog = append(prog, g.rev[i])
	}
	if len(prog) > MaxInstructions {
		return nil, fmt.Errorf("%w: %d instructions, more than the kernel's %d", ErrTooLong, len(prog), MaxInstructions)
	}
	return prog, nil
}

// A cond is a boolean expression over the packet, lowered from the parse
// tree: tests of loaded values combined with and, or and not.
type cond interface{ isCond() }

type (
	cAnd   struct{ l, r cond }
	cOr    struct{ l, r cond }
	cNot   struct{ x cond }
	cConst bool
	// cTest runs load (which leaves a value in A, possibly setting X
	// first) and jumps on test(A, val).
	cTest struct {
		load []bpf.Instruction
		test bpf.JumpTest // JumpEqual, JumpGreaterOrEqual, JumpGreaterThan or JumpBitsSet
		val  uint32
	}
)

func (cAnd) isCond()   {}
func (cOr) isCond()    {}
func (cNot) isCond()   {}
func (cConst) isCond() {}
func (cTest) isCond()  {}

// and2 and or2 fold constants so that, for example, "net ::/0" becomes
// just the IPv6 test.
func and2(l, r cond) cond {
	if c, ok := l.(cConst); ok {
		if c {
			return r
		}
		return l
	}
	if c, ok := r.(cConst); ok && bool(c) {
		return l
	}
	return cAnd{l, r}
}

func or2(l, r cond) cond {
	if c, ok := l.(cConst); ok {
		if c {
			return l
		}
		return r
	}
	if c, ok := r.(cConst); ok && !bool(c) {
		return l
	}
	return cOr{l, r}
}

func andAll(cs ...cond) cond {
	out := cond(cConst(true))
	for _, c := range cs {
		out = and2(out, c)
	}
	return out
}

func orAll(cs ...cond) cond {
	out := cond(cConst(false))
	for _, c := range cs {
		out = or2(out, c)
	}
	return out
}

// IP protocol numbers, EtherTypes and header offsets used by the tests.
const (
	etherIPv4 = 0x0800
	etherIPv6 = 0x86dd
	etherARP  = 0x0806
	etherRARP = 0x8035

	ipProtoICMP   = 1
	ipProtoTCP    = 6
	ipProtoUDP    = 17
	ipProtoFrag6  = 44 // IPv6 fragment header
	ipProtoICMPv6 = 58
	ipProtoSCTP   = 132

	ip4Proto   = 9  // IPv4 protocol field
	ip4Frag    = 6  // IPv4 flags and fragment offset
	ip4Src     = 12 // IPv4 source address
	ip4Dst     = 16
	ip6Next    = 6  // IPv6 next header field
	ip6Src     = 8  // IPv6 source address
	ip6Dst     = 24 // IPv6 destination address
	ip6Len     = 40 // the fixed IPv6 header
	arpSPA     = 14 // ARP sender protocol address (Ethernet/IPv4 ARP)
	arpTPA     = 24 // ARP target protocol address
	fragOffset = 0x1fff
)

type gen struct {
	lay layout
	rev []bpf.Instruction // the program, last instruction first
	err error
}

func (g *gen) linkType(etype uint32) cond {
	return cTest{load: []bpf.Instruction{bpf.LoadAbsolute{Off: g.lay.typeOff, Size: 2}}, test: bpf.JumpEqual, val: etype}
}

func (g *gen) byteAt(off uint32, v uint32) cond {
	return cTest{load: []bpf.Instruction{bpf.LoadAbsolute{Off: g.lay.netOff + off, Size: 1}}, test: bpf.JumpEqual, val: v}
}

// ip4Proto is "ip proto p": an IPv4 packet whose protocol field is p.
func (g *gen) ip4Proto(p uint32) cond {
	return and2(g.linkType(etherIPv4), g.byteAt(ip4Proto, p))
}

// ip6Proto is tcpdump's IPv6 protocol abbreviation test: next header p,
// or a fragment header whose next header is p. Other extension headers are
// not followed.
func (g *gen) ip6Proto(p uint32) cond {
	return and2(g.linkType(etherIPv6), or2(g.byteAt(ip6Next, p),
		// The fragment header's first byte is its next header field.
		and2(g.byteAt(ip6Next, ipProtoFrag6), g.byteAt(ip6Len, p))))
}

func (g *gen) lower(n node) cond {
	switch n := n.(type) {
	case andNode:
		return cAnd{g.lower(n.l), g.lower(n.r)}
	case orNode:
		return cOr{g.lower(n.l), g.lower(n.r)}
	case notNode:
		return cNot{g.lower(n.x)}
	case protoNode:
		return g.lowerProto(n.p)
	case hostNode:
		return g.lowerHost(n)
	case portNode:
		return g.lowerPort(n)
	}
	g.err = fmt.Errorf("capfilter: internal error: unknown node %T", n)
	return cConst(false)
}

func (g *gen) lowerProto(p proto) cond {
	switch p {
	case protoIP:
		return g.linkType(etherIPv4)
	case protoIP6:
		return g.linkType(etherIPv6)
	case protoARP:
		return g.linkType(etherARP)
	case protoTCP:
		return or2(g.ip4Proto(ipProtoTCP), g.ip6Proto(ipProtoTCP))
	case protoUDP:
		return or2(g.ip4Proto(ipProtoUDP), g.ip6Proto(ipProtoUDP))
	case protoSCTP:
		return or2(g.ip4Proto(ipProtoSCTP), g.ip6Proto(ipProtoSCTP))
	case protoICMP:
		return g.ip4Proto(ipProtoICMP)
	case protoICMP6:
		return g.ip6Proto(ipProtoICMPv6)
	}
	g.err = fmt.Errorf("capfilter: internal error: unknown protocol %d", p)
	return cConst(false)
}

// byDir combines the source and destination tests as the direction
// qualifier says.
func byDir(d dir, src, dst cond) cond {
	switch d {
	case dirSrc:
		return src
	case dirDst:
		return dst
	case dirSrcAndDst:
		return and2(src, dst)
	}
	return or2(src, dst)
}

// addrTest compares the address at off (4 or 16 bytes, after the network
// offset) with the prefix, 32 bits at a time, masking the word the prefix
// ends in and skipping the words after it.
func (g *gen) addrTest(off uint32, words []uint32, bits int) cond {
	c := cond(cConst(true))
	for i, w := range words {
		n := bits - 32*i
		if n <= 0 {
			break
		}
		load := []bpf.Instruction{bpf.LoadAbsolute{Off: g.lay.netOff + off + uint32(4*i), Size: 4}}
		if n < 32 {
			mask := ^uint32(0) << (32 - n)
			load = append(load, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask})
			w &= mask
		}
		c = and2(c, cTest{load: load, test: bpf.JumpEqual, val: w})
	}
	return c
}

func (g *gen) lowerHost(n hostNode) cond {
	a := n.prefix.Addr()
	bits := n.prefix.Bits()
	raw := a.AsSlice()
	words := make([]uint32, len(raw)/4)
	for i := range words {
		words[i] = uint32(raw[4*i])<<24 | uint32(raw[4*i+1])<<16 | uint32(raw[4*i+2])<<8 | uint32(raw[4*i+3])
	}
	if a.Is6() {
		return and2(g.linkType(etherIPv6), byDir(n.d, g.addrTest(ip6Src, words, bits), g.addrTest(ip6Dst, words, bits)))
	}
	ip := and2(g.linkType(etherIPv4), byDir(n.d, g.addrTest(ip4Src, words, bits), g.addrTest(ip4Dst, words, bits)))
	arp := and2(or2(g.linkType(etherARP), g.linkType(etherRARP)), byDir(n.d, g.addrTest(arpSPA, words, bits), g.addrTest(arpTPA, words, bits)))
	switch n.p {
	case protoIP:
		return ip
	case protoARP:
		// "arp host" tests ARP only, not RARP.
		return and2(g.linkType(etherARP), byDir(n.d, g.addrTest(arpSPA, words, bits), g.addrTest(arpTPA, words, bits)))
	}
	return or2(ip, arp)
}

// portTest tests the 16-bit port loaded by load against the port or range.
func portTest(n portNode, load []bpf.Instruction) cond {
	if !n.rng {
		return cTest{load: load, test: bpf.JumpEqual, val: uint32(n.lo)}
	}
	return and2(cTest{load: load, test: bpf.JumpGreaterOrEqual, val: uint32(n.lo)},
		cNot{cTest{load: load, test: bpf.JumpGreaterThan, val: uint32(n.hi)}})
}

func (g *gen) lowerPort(n portNode) cond {
	var protos []uint32
	switch n.p {
	case protoTCP:
		protos = []uint32{ipProtoTCP}
	case protoUDP:
		protos = []uint32{ipProtoUDP}
	case protoSCTP:
		protos = []uint32{ipProtoSCTP}
	default:
		protos = []uint32{ipProtoSCTP, ipProtoTCP, ipProtoUDP}
	}
	var p4, p6 []cond
	for _, p := range protos {
		p4 = append(p4, g.byteAt(ip4Proto, p))
		p6 = append(p6, g.byteAt(ip6Next, p))
	}
	// IPv4: skip the options with X = 4*IHL (the "ldxb 4*([k]&0xf)"
	// instruction exists for exactly this), and refuse non-first fragments.
	net := g.lay.netOff
	ipx := func(off uint32) []bpf.Instruction {
		return []bpf.Instruction{bpf.LoadMemShift{Off: net}, bpf.LoadIndirect{Off: net + off, Size: 2}}
	}
	notFrag := cNot{cTest{load: []bpf.Instruction{bpf.LoadAbsolute{Off: net + ip4Frag, Size: 2}}, test: bpf.JumpBitsSet, val: fragOffset}}
	v4 := andAll(g.linkType(etherIPv4), orAll(p4...), notFrag,
		byDir(n.d, portTest(n, ipx(0)), portTest(n, ipx(2))))
	// IPv6: the transport header right after the fixed header.
	abs := func(off uint32) []bpf.Instruction {
		return []bpf.Instruction{bpf.LoadAbsolute{Off: net + off, Size: 2}}
	}
	v6 := andAll(g.linkType(etherIPv6), orAll(p6...),
		byDir(n.d, portTest(n, abs(ip6Len)), portTest(n, abs(ip6Len+2))))
	return or2(v4, v6)
}

// Code generation works backwards from the two return instructions, so
// every jump target is already placed when a jump to it is emitted. A
// label is an instruction's distance from the end of the program; a jump
// from label l to label t skips l-t-1 instructions.

func (g *gen) emitRaw(ins bpf.Instruction) int {
	g.rev = append(g.rev, ins)
	return len(g.rev) - 1
}

// emit places c so that it continues at label t when true and at f when
// false, and returns the label of its first instruction.
func (g *gen) emit(c cond, t, f int) int {
	if len(g.rev) > MaxInstructions+8 {
		if g.err == nil {
			g.err = fmt.Errorf("%w: more than the kernel's %d instructions", ErrTooLong, MaxInstructions)
		}
		return t
	}
	switch c := c.(type) {
	case cConst:
		if c {
			return t
		}
		return f
	case cNot:
		return g.emit(c.x, f, t)
	case cAnd:
		r := g.emit(c.r, t, f)
		return g.emit(c.l, r, f)
	case cOr:
		r := g.emit(c.r, t, f)
		return g.emit(c.l, t, r)
	case cTest:
		g.jump(c.test, c.val, t, f)
		entry := 0
		for i := len(c.load) - 1; i >= 0; i-- {
			entry = g.emitRaw(c.load[i])
		}
		return entry
	}
	g.err = fmt.Errorf("capfilter: internal error: unknown condition %T", c)
	return f
}

// jump emits a conditional jump to labels t and f. A conditional jump
// skips at most 255 instructions; a farther target is reached through an
// unconditional jump placed right after it.
func (g *gen) jump(test bpf.JumpTest, val uint32, t, f int) {
	far := func(target int) int {
		return g.emitRaw(bpf.Jump{Skip: uint32(len(g.rev) - target - 1)})
	}
	// f is checked with one instruction of margin for t's jump.
	if len(g.rev)-f-1 > 254 {
		f = far(f)
	}
	if len(g.rev)-t-1 > 255 {
		t = far(t)
	}
	l := len(g.rev)
	g.emitRaw(bpf.JumpIf{Cond: test, Val: val, SkipTrue: uint8(l - t - 1), SkipFalse: uint8(l - f - 1)})
}
