package tcpanalysis

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/seqnum"
)

// maxUnacked bounds the unacknowledged segments remembered per direction,
// as Wireshark's TCP_MAX_UNACKED_SEGMENTS does. Past it, new segments are
// not remembered, and (a Wireshark quirk kept for parity) a SYN or FIN
// then does not advance the next expected sequence number.
const maxUnacked = 10000

// Window scale values with special meaning (Wireshark's
// tcp.window_size_scalefactor).
const (
	ScaleUnknown = -1 // the SYN was not seen: the shift is unknown
	ScaleNone    = -2 // a SYN without the option was seen: no scaling
)

// Result is the analysis of one TCP segment: every per-packet field of the
// JSON contract apart from those read straight from the headers.
type Result struct {
	Frame  uint32 // 1-based frame number
	Stream uint32 // tcp.stream
	// FromServer is true when the segment travels from the stream's
	// server to its client (see Stream.Client).
	FromServer bool

	TCPFlags uint16 // the 12 flag bits

	// Seq and Ack are relative (tcp.seq, tcp.ack); SeqRaw and AckRaw the
	// numbers on the wire. When HaveLen is false (the IP length is
	// shorter than the TCP header, so Wireshark skips its analysis) the
	// relative numbers equal the raw ones.
	Seq, Ack       uint32
	SeqRaw, AckRaw uint32
	HaveLen        bool
	Len            uint32 // tcp.len
	// NextSeq is the relative sequence number after this segment
	// (tcp.nxtseq): Seq+Len, plus one for SYN or FIN.
	NextSeq uint32

	WinRaw uint16 // tcp.window_size_value
	Win    uint32 // tcp.window_size: WinRaw shifted by the scale when known
	// WinScale is tcp.window_size_scalefactor: the multiplier, or
	// ScaleUnknown or ScaleNone. It is not defined on SYN segments
	// (HasWinScale false).
	WinScale    int32
	HasWinScale bool

	Analysis  Flags
	DupAckOf  uint32 // tcp.analysis.duplicate_ack_frame (with DuplicateAck)
	DupAckNum uint32 // tcp.analysis.duplicate_ack_num
	// AckedFrame is the frame whose segment this ACK acknowledges exactly
	// (tcp.analysis.acks_frame), or 0.
	AckedFrame uint32
	// SeqAnalysis is true when tshark has a [SEQ/ACK analysis] tree for
	// the segment (an expert flag, an acknowledged frame or the bytes in
	// flight computed): only there does it show the initial RTT.
	SeqAnalysis bool
	// AckRTT is the time from that segment to this ACK in nanoseconds
	// (tcp.analysis.ack_rtt); tshark shows it when it is not 0.
	AckRTT int64
	// BytesInFlight is tcp.analysis.bytes_in_flight, or 0 when tshark
	// shows none; PushBytesSent is tcp.analysis.push_bytes_sent, set
	// with it.
	BytesInFlight uint32
	PushBytesSent uint32

	// OptionsEnd is how Wireshark's dissection of the options ended;
	// when it threw, OptionsStop is the offset in the options of the
	// option (or byte) it threw on: Info shows the options before it
	// (and what that option's dissector added before it threw), then the
	// exception's note; OptionsOverrun when it threw reading past that
	// option's own length. Wireshark then shows none of the segment's
	// analysis, checks no window scaling and reads no option after it
	// (the analysis still updates the conversation's state).
	OptionsEnd     OptionsEnd
	OptionsStop    uint16
	OptionsOverrun bool
	// HeaderCut is true when fewer than the 20 bytes of the fixed header
	// were captured (at least 16 are: ports, numbers, flags, window).
	// Wireshark then also leaves out the urgent pointer, the length in
	// Info and, below 18 bytes, the checksum.
	HeaderCut bool

	// SCPSCapable is true when the segment's flow had sent an SCPS
	// capabilities option before this segment (Wireshark's scps_capable),
	// which makes Wireshark read a longer SCPS option as extended
	// capabilities.
	SCPSCapable bool

	// ACE is true when Wireshark shows the AE, CWR and ECE bits as the
	// AccECN ACE counter (see conn.showACE).
	ACE bool
	// BogusHeaderLen is true when the data offset is below 5 words:
	// Wireshark then stops after the window, with ", bogus TCP header
	// length (N, must be at least 20)" in Info and none of the
	// segment's flags, ack, window, checksum or analysis fields (the
	// analysis still counts the segment, its length being the IP
	// payload's beyond the bytes the data offset claims).
	BogusHeaderLen bool

	// SACKBase is the raw sequence number that SACK edges in this
	// segment's options are relative to (the peer's base sequence).
	SACKBase uint32
}

// flow is the state of one direction of a conversation, mirroring the
// fields Wireshark's tcp_flow_t and tcp_analyze_seq_flow_info_t use. A
// zero sequence number means "not seen yet", as in Wireshark (which
// therefore also forgets a real value of 0).
type flow struct {
	// The fields are ordered by size, so that the flow packs into 168
	// bytes (a conversation into 376, allocated as 384): 4-byte fields,
	// the times, the flags, then the rare SACK sizes and the list.
	baseSeq         uint32
	window          uint32
	nextSeq         seqnum.Value
	maxSeqToBeAcked seqnum.Value
	lastAck         seqnum.Value
	lastSegFlags    Flags
	nextSeqTime     int64
	lastAckTime     int64
	// dupAckNum counts the duplicate ACKs in a row. heldBack (see
	// seqAnalysis.ackedUnseen) is a value of its own: Wireshark keeps
	// its -1 in an unsigned counter, so it also counts as "at least
	// two duplicate ACKs" for a fast retransmission.
	dupAckNum     uint32
	lastNonDupAck uint32
	// pushBytes counts the payload sent since the last segment with
	// PSH (tcp.analysis.push_bytes_sent); pushSetLast says whether the
	// flow's last segment with data had PSH.
	pushBytes uint32
	// prunedAt is the ack the unacked list was last pruned with; the
	// list needs no new scan until the ack moves or a segment is added.
	prunedAt seqnum.Value

	winScale    int16 // ScaleUnknown, ScaleNone or the shift 0..14
	baseSet     bool
	sawSYN      bool
	sawSYNACK   bool
	isFirstAck  bool
	pushSetLast bool
	prunedValid bool
	// validBIF is Wireshark's valid_bif: bytes in flight are known
	// (cleared when a segment was not captured, set again by the
	// peer's next ACK).
	validBIF bool
	// scpsCapable is Wireshark's scps_capable: the flow sent an SCPS
	// capabilities option (and, after the SYN/ACK, so did its peer).
	scpsCapable bool

	// sack holds the sizes of the SACK blocks of the flow's last SACK
	// option, as Wireshark keeps them for bytes in flight: the first
	// three blocks; sackN is how many the last option had (at most 3).
	// A shorter option leaves the sizes after its own in place.
	sackN uint8
	sack  [3]uint32

	unacked unackedList
}

// unackedSeg is a segment sent and not yet acknowledged (in part: seq
// moves up as ACKs cover it).
type unackedSeg struct {
	seq, nextSeq seqnum.Value
	frame        uint32
	ts           int64
}

// conn is one TCP conversation (Wireshark's tcp_analysis).
type conn struct {
	// flows[0] carries segments from the address that compares higher
	// (Wireshark's direction >= 0), flows[1] the others.
	flows      [2]flow
	tsFirstRTT int64 // 0 while unknown, as in Wireshark
	tsMruSYN   int64
	sum        *Stream
	stream     uint32
	accECN     uint8 // accECNSYN, accECNSYNACK, accECNOption
}

// srcOf returns the source address and port of p, a TCP segment.
func srcOf(p *decode.Packet) netip.AddrPort { return netip.AddrPortFrom(p.Src, p.TCP.SrcPort()) }

// dstOf returns the destination address and port of p, a TCP segment.
func dstOf(p *decode.Packet) netip.AddrPort { return netip.AddrPortFrom(p.Dst, p.TCP.DstPort()) }

// flowsFor returns the flow of segments in direction fi (0 or 1) and
// the other, without the bounds checks of indexing with fi.
func (c *conn) flowsFor(fi int) (fwd, rev *flow) {
	if fi == 0 {
		return &c.flows[0], &c.flows[1]
	}
	return &c.flows[1], &c.flows[0]
}

// connKey identifies a conversation: its endpoints' addresses (IPv4 in
// the first 4 bytes) and ports, the endpoint that sorts first as a. It is
// plain memory with no padding, so the map hashes it in one call.
type connKey struct {
	a, b   [16]byte
	pa, pb uint16
	// v6 has bit 0 set when a is an IPv6 address, bit 1 when b is;
	// IPv4 addresses fill the first 4 bytes of a and b when both are.
	v6 uint16
}

// conversation returns the key of the conversation between src and dst
// and the segment's direction (see direction). Analyze keys conversations
// between IPv4 endpoints with conversation4 instead.
func conversation(src, dst netip.AddrPort) (connKey, int) {
	dir := direction(src.Addr(), dst.Addr(), src.Port(), dst.Port())
	if dir < 0 {
		return makeConnKey(dst, src), dir
	}
	return makeConnKey(src, dst), dir
}

// conversation4 returns the key of the conversation between IPv4
// endpoints src:sport and dst:dport and the segment's direction (see
// direction), as conversation does for any endpoints.
func conversation4(src, dst netip.Addr, sport, dport uint16) (v4Key, int) {
	s4, d4 := src.As4(), dst.As4()
	s, d := binary.BigEndian.Uint32(s4[:]), binary.BigEndian.Uint32(d4[:])
	if s > d || s == d && sport > dport {
		return v4Key{addrs: uint64(s)<<32 | uint64(d), ports: uint32(sport)<<16 | uint32(dport)}, 1
	}
	return v4Key{addrs: uint64(d)<<32 | uint64(s), ports: uint32(dport)<<16 | uint32(sport)}, -1
}

// makeConnKey returns the key of the conversation between x and y, x
// sorting first.
func makeConnKey(x, y netip.AddrPort) connKey {
	k := connKey{pa: x.Port(), pb: y.Port()}
	xa, ya := x.Addr(), y.Addr()
	if xa.Is4() && ya.Is4() {
		a4, b4 := xa.As4(), ya.As4()
		copy(k.a[:], a4[:])
		copy(k.b[:], b4[:])
		return k
	}
	// Mixed families never come from one IP header; they stay apart
	// by their bits in v6 all the same.
	k.a, k.b = xa.As16(), ya.As16()
	if !xa.Is4() {
		k.v6 |= 1
	}
	if !ya.Is4() {
		k.v6 |= 2
	}
	return k
}

// Analyzer runs Wireshark's TCP analysis over the segments of a capture,
// in file order, in one pass. Its memory grows with the number of
// distinct address/port pairs, not with the number of packets: a
// conversation replaced by a new one on the same ports drops its
// per-segment state, keeping only its Stream summary.
type Analyzer struct {
	v4      v4Table           // conversations between IPv4 endpoints
	conns   map[connKey]*conn // the others
	streams []*Stream
	next    uint32 // the next stream index
	onDone  func(*Stream)
	health  bool // keep each Stream's Health
}

// SetHealth makes the Analyzer keep each conversation's Health (off by
// default: a listing that does not print it should not pay for it).
// Call it before the first segment.
func (a *Analyzer) SetHealth(on bool) { a.health = on }

// New returns an empty Analyzer that keeps every conversation's summary
// (see Streams).
func New() *Analyzer {
	return &Analyzer{conns: make(map[connKey]*conn)}
}

// NewStreaming returns an empty Analyzer that keeps no finished summary:
// it calls done with each conversation's final summary instead, when a
// SYN reusing its ports starts a new conversation, and from Finish for
// the conversations still open at the end. Its memory is then bounded by
// the number of distinct address/port pairs, whatever the capture's
// length. done must not keep the Stream after it returns: the Analyzer
// reuses its memory for the conversation that replaces it.
func NewStreaming(done func(*Stream)) *Analyzer {
	return &Analyzer{conns: make(map[connKey]*conn), onDone: done}
}

// Streams returns the summary of every conversation seen so far, indexed
// by stream number (none for an Analyzer made by NewStreaming). The
// summaries are final once the capture has been read to its end.
func (a *Analyzer) Streams() []*Stream { return a.streams }

// Finish ends the analysis: an Analyzer made by NewStreaming passes the
// conversations still open to its done function, in stream order. The
// Analyzer must not be used afterwards.
func (a *Analyzer) Finish() {
	if a.onDone == nil {
		return
	}
	open := make([]*Stream, 0, a.v4.n+len(a.conns))
	a.v4.each(func(c *conn) { open = append(open, c.sum) })
	for _, c := range a.conns {
		open = append(open, c.sum)
	}
	// In stream order: sorting integers (the index, then the position
	// in open) costs less than sorting the pointers with a function.
	order := make([]uint64, len(open))
	for i, s := range open {
		order[i] = uint64(s.Index)<<32 | uint64(i)
	}
	slices.Sort(order)
	for _, o := range order {
		a.onDone(open[uint32(o)])
	}
	clear(a.conns)
	a.v4.clear()
}

// Analyze analyses one decoded segment of frame number frame (1-based),
// captured at ts (nanoseconds since the Unix epoch), wireLen bytes long on
// the wire, and fills r. It
// reports false, leaving r unspecified, when p holds no TCP header that
// Wireshark would analyse: not TCP, a fragment, fewer than 16 header
// bytes captured (Wireshark stops before finding the conversation). A
// data offset below 5 words gives a Result with BogusHeaderLen.
func (a *Analyzer) Analyze(frame uint32, ts int64, wireLen int, p *decode.Packet, r *Result) bool {
	t := p.TCP
	if p.IPVersion == 0 || p.Proto != decode.ProtoTCP || p.Fragment || len(t) < 16 {
		return false
	}
	seq, ack := uint32(t.Seq()), uint32(t.Ack())
	flags := t.Flags()
	rawWin := t.Window()
	hlen := t.HeaderLen()
	haveLen := p.SegmentLen >= hlen
	seglen := uint32(0)
	if haveLen {
		seglen = uint32(p.SegmentLen - hlen)
	}

	// Every field of r is set below; these are the ones not set on
	// every path. (Field by field: a composite literal is built aside
	// and copied.)
	r.Frame, r.TCPFlags, r.SeqRaw, r.AckRaw, r.HaveLen, r.Len, r.WinRaw = frame, flags, seq, ack, haveLen, seglen, rawWin
	r.WinScale, r.HasWinScale = 0, false
	r.DupAckOf, r.DupAckNum, r.AckedFrame, r.AckRTT = 0, 0, 0, 0
	r.BytesInFlight, r.PushBytesSent, r.SeqAnalysis = 0, 0, false

	c, fi := a.find(frame, ts, p, flags)
	var fl Flags
	if flags&decode.FlagSYN != 0 {
		c, fl = a.reusePorts(c, fi, frame, ts, p, flags, seq)
	}
	fwd, rev := c.flowsFor(fi)
	r.Stream = c.stream

	if haveLen {
		// Field by field: a composite literal is built aside and copied
		// with 16-byte loads, which wait for the narrower stores that
		// built it (no store-to-load forwarding).
		var sa seqAnalysis
		sa.c, sa.fwd, sa.rev, sa.fl, sa.r = c, fwd, rev, fl, r
		sa.s.frame, sa.s.ts, sa.s.seq, sa.s.ack = frame, ts, seqnum.Value(seq), seqnum.Value(ack)
		sa.s.len, sa.s.flags, sa.s.window = seglen, flags, uint32(rawWin)
		sa.run()
		fl = sa.fl
		r.SeqAnalysis = sa.ta || fl != 0
		r.Seq = seq - fwd.baseSeq
		r.Ack = ack
		if flags&decode.FlagACK != 0 {
			r.Ack = ack - rev.baseSeq
		}
	} else {
		r.Seq, r.Ack = seq, ack
	}
	r.NextSeq = r.Seq + seglen
	if flags&(decode.FlagSYN|decode.FlagFIN) != 0 {
		r.NextSeq++
	}
	r.setWindow(fwd.winScale, flags, haveLen)
	c.handshakeTimes(fwd, flags, ts, hlen)

	stop, dissected := readOptions(fwd, rev, p, r, flags, hlen)
	// Without SYN, AccECN state or dissected options, showACE would
	// return false and change nothing.
	r.ACE = (flags&decode.FlagSYN != 0 || c.accECN != 0 || len(dissected) != 0) && c.showACE(flags, dissected)
	r.BogusHeaderLen = stop.End == OptionsBogus
	r.OptionsEnd, r.OptionsStop, r.OptionsOverrun = stop.End, uint16(stop.At), stop.Overrun
	r.HeaderCut = len(t) < 20
	r.Analysis = fl
	c.sum.add(r, fi, p, wireLen, ts, c.tsFirstRTT, a.health)
	return true
}

// find returns the conversation of p, a TCP segment with flags, starting
// one when none is open between its endpoints, and the index in it of
// the segment's direction (see conn.flows).
func (a *Analyzer) find(frame uint32, ts int64, p *decode.Packet, flags uint16) (*conn, int) {
	sport, dport := p.TCP.SrcPort(), p.TCP.DstPort()
	var (
		c   *conn
		dir int
	)
	if p.Src.Is4() && p.Dst.Is4() {
		var k4 v4Key
		k4, dir = conversation4(p.Src, p.Dst, sport, dport)
		if c = a.v4.get(k4); c == nil {
			c = a.newConn(nil, frame, ts, p, flags)
			a.v4.put(k4, c)
		}
	} else {
		var key connKey
		key, dir = conversation(netip.AddrPortFrom(p.Src, sport), netip.AddrPortFrom(p.Dst, dport))
		if c = a.conns[key]; c == nil {
			c = a.newConn(nil, frame, ts, p, flags)
			a.conns[key] = c
		}
	}
	if dir >= 0 {
		return c, 0
	}
	return c, 1
}

// reusePorts handles a segment with SYN on the ports of conversation c,
// in direction fi, as Wireshark's dissect_tcp does: a SYN whose sequence
// number differs from the flow's base starts a new conversation; the same
// number is a retransmitted SYN: the flow's next sequence number goes
// back to the highest in-order one (a RST may have moved it, Wireshark
// issue 17616), and the sequence analysis flags the retransmission. A
// SYN/ACK with another number takes it as the flow's base. It returns
// the segment's conversation (c, or c started afresh in its memory) and
// ReusedPorts when the ports were reused.
func (a *Analyzer) reusePorts(c *conn, fi int, frame uint32, ts int64, p *decode.Packet, flags uint16, seq uint32) (*conn, Flags) {
	fwd, _ := c.flowsFor(fi)
	switch flags & (decode.FlagSYN | decode.FlagACK) {
	case decode.FlagSYN:
		if fwd.baseSet {
			if seq != fwd.baseSeq {
				return a.newConn(c, frame, ts, p, flags), ReusedPorts
			}
			fwd.nextSeq = fwd.maxSeqToBeAcked
		}
	case decode.FlagSYN | decode.FlagACK:
		if fwd.baseSet && seq != fwd.baseSeq {
			fwd.baseSeq = seq
			return c, ReusedPorts
		}
	}
	return c, 0
}

// setWindow sets r's window fields from its raw window: the window
// scale is not defined on a SYN; on other segments the window is scaled
// by the flow's shift when it is known (scale, see flow.winScale) and
// the segment's length is (haveLen).
func (r *Result) setWindow(scale int16, flags uint16, haveLen bool) {
	r.Win = uint32(r.WinRaw)
	if flags&decode.FlagSYN != 0 {
		return
	}
	r.HasWinScale = true
	switch {
	case scale >= 0:
		if haveLen {
			r.Win <<= uint(scale)
		}
		r.WinScale = 1 << uint(scale)
	default:
		r.WinScale = int32(scale)
	}
}

// handshakeTimes keeps the time of the conversation's last SYN and
// takes the initial RTT from it to the first segment with ACK but not
// SYN (shown only in a [SEQ/ACK analysis] of a segment whose dissection
// does not stop before it: see Stream.IRTT); not from a segment with a
// bogus header length (hlen below 20), whose dissection stops before.
func (c *conn) handshakeTimes(fwd *flow, flags uint16, ts int64, hlen int) {
	if flags&decode.FlagSYN != 0 {
		if flags&decode.FlagACK == 0 {
			c.tsMruSYN = ts
		}
		fwd.isFirstAck = true
	}
	if flags&(decode.FlagSYN|decode.FlagACK) == decode.FlagACK {
		if c.tsMruSYN != 0 && c.tsFirstRTT == 0 && hlen >= 20 {
			c.tsFirstRTT = ts - c.tsMruSYN
		}
		fwd.isFirstAck = false
	}
}

// readOptions reads the segment's options as Wireshark's dissection of
// them does and returns how it ended and the options it dissected (none
// for Linux's common layouts, which hold no AccECN option). A window
// scale option sets the flow's shift for later segments (capped at 14,
// RFC 7323 section 2.3); the handshake's options are checked after, when
// their dissection did not throw. It sets r's SACK base and SCPS
// capability, which the listing's Info reads the options with.
func readOptions(fwd, rev *flow, p *decode.Packet, r *Result, flags uint16, hlen int) (optionStop, []byte) {
	t := p.TCP
	r.SACKBase = rev.baseSeq
	fwd.sackN = 0 // a segment without SACK blocks leaves none for bytes in flight
	r.SCPSCapable = fwd.scpsCapable
	var stop optionStop
	linux := false // the options are in one of Linux's layouts, which hold no AccECN option
	switch opts := t.Options(); {
	case len(t) >= hlen && decode.TimestampOnly(opts):
		linux = true
	case len(t) >= hlen && decode.LinuxSYNOptions(opts):
		fwd.winScale = int16(min(opts[19], 14))
		linux = true
	case hlen < 20:
		// Wireshark stops at the bogus header length.
		stop.End = OptionsBogus
	case hlen > 20:
		stop = walkOptions(&optWalk{opts: opts, n: hlen - 20, reported: p.SegmentLen - 20, ack: r.Ack, sackBase: r.SACKBase}, fwd)
	case len(t) < hlen:
		// The fixed header cut (HeaderCut): Wireshark stops in it.
		stop.End = OptionsCut
	}
	// Wireshark checks the handshake's options after dissecting them, so
	// not when their dissection threw.
	if flags&decode.FlagSYN != 0 && stop.End == OptionsOK {
		verifyWindowScaling(flags&decode.FlagACK != 0, fwd, rev)
		if flags&decode.FlagACK != 0 && (fwd.scpsCapable || rev.scpsCapable) && !(fwd.scpsCapable && rev.scpsCapable) {
			// SCPS capabilities count only when both sides offered
			// them (Wireshark's verify_scps).
			fwd.scpsCapable, rev.scpsCapable = false, false
		}
	}
	switch {
	case stop.End == OptionsOK && hlen > 20 && !linux:
		return stop, t.Options()
	case stop.End != OptionsOK && stop.End != OptionsBogus:
		return stop, t.Options()[:min(stop.At, len(t.Options()))]
	}
	return stop, nil
}

// newConn starts a conversation with a new stream index, which the
// caller adds to the tables. old, when not nil, is the conversation it
// replaces on the same ports (and in the same table entry): its memory
// is reused (its Stream too once done has seen it, when streaming).
func (a *Analyzer) newConn(old *conn, frame uint32, ts int64, p *decode.Packet, flags uint16) *conn {
	var c *conn
	var sum *Stream
	if old == nil {
		c = new(conn)
		sum = new(Stream)
	} else {
		u0, u1 := old.flows[0].unacked.big, old.flows[1].unacked.big
		if a.onDone != nil {
			a.onDone(old.sum)
			sum = old.sum
		} else {
			sum = new(Stream) // old.sum stays in a.streams
		}
		c = old
		*c = conn{}
		c.flows[0].unacked.big, c.flows[1].unacked.big = u0, u1
	}
	c.stream = a.next
	a.next++
	for i := range c.flows {
		c.flows[i].winScale = ScaleUnknown
		c.flows[i].window = ^uint32(0)
		c.flows[i].validBIF = true
	}
	c.sum = initStream(sum, c.stream, frame, ts, srcOf(p), dstOf(p), flags)
	if a.onDone == nil {
		a.streams = append(a.streams, c.sum)
	}
	return c
}

// direction orders the endpoints as Wireshark's get_tcp_conversation_data
// does: by address (IPv4 before IPv6, then bytes), then by port when the
// addresses are equal. It returns 1 or -1 (0 never: equal ports and
// addresses count as -1).
func direction(src, dst netip.Addr, sport, dport uint16) int {
	if c := cmpAddr(src, dst); c != 0 {
		return c
	}
	if sport > dport {
		return 1
	}
	return -1
}

func cmpAddr(a, b netip.Addr) int {
	if a.Is4() != b.Is4() {
		if a.Is4() {
			return -1
		}
		return 1
	}
	if a.Is4() {
		x, y := a.As4(), b.As4()
		for i := range x {
			if x[i] != y[i] {
				if x[i] < y[i] {
					return -1
				}
				return 1
			}
		}
		return 0
	}
	x, y := a.As16(), b.As16()
	for i := range x {
		if x[i] != y[i] {
			if x[i] < y[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// verifyWindowScaling runs after a SYN's options: a SYN without the window
// scale option means neither side scales; a SYN/ACK with the option
// answering a SYN without it does not scale either (RFC 7323 section 1.3).
func verifyWindowScaling(synack bool, fwd, rev *flow) {
	if fwd.winScale == ScaleUnknown {
		fwd.winScale = ScaleNone
		rev.winScale = ScaleNone
	} else if synack && rev.winScale == ScaleNone {
		fwd.winScale = ScaleNone
	}
}
