package tcpanalysis

import (
	"net/netip"

	"github.com/tcplab/tcplab/internal/decode"
)

// Stream summarises one TCP conversation (one tcp.stream index).
type Stream struct {
	Index uint32
	// Client is the side that sent the first SYN; without one, the side
	// that received the first SYN/ACK; without either, the side that sent
	// the first packet. Server is the other side.
	Client, Server netip.AddrPort
	// First is the source of the conversation's first segment (tshark's
	// conversation table lists it first).
	First netip.AddrPort

	FirstFrame, LastFrame uint32
	FirstTime, LastTime   int64 // nanoseconds since the Unix epoch
	Packets               uint64
	// BytesC2S and BytesS2C count the distinct payload bytes each way:
	// each byte of sequence space once, however often it was sent (a
	// retransmission whose first copy the capture missed counts).
	BytesC2S, BytesS2C uint64
	covC2S, covS2C     coverage

	// The conversation table counts what tshark's TCP tap sees: every
	// segment but those whose options the snap length cut (tshark's
	// dissection stops before its tap). Tap is the number of such
	// segments, TapFirst the source of the first, TapFirstTime and
	// TapLastTime the earliest and the latest of their times (tshark's
	// table spans those, whatever the frames' order); PacketsC2S and PacketsS2C count them each
	// way, FrameBytesC2S and FrameBytesS2C sum their frames' lengths on
	// the wire.
	Tap                          uint64
	TapFirst                     netip.AddrPort
	TapFirstFrame                uint32 // the frame of the first segment the tap sees
	TapFirstTime, TapLastTime    int64
	PacketsC2S, PacketsS2C       uint64
	FrameBytesC2S, FrameBytesS2C uint64

	// IRTT is Wireshark's tcp.analysis.initial_rtt in nanoseconds: from
	// the last SYN to the first ACK without SYN, once a segment shows it
	// (in its [SEQ/ACK analysis]). It is 0 when unknown.
	IRTT int64

	clientBySYN bool
	synSeen     bool // SYN from the client
	synAckSeen  bool // SYN/ACK from the server
	ackSeen     bool // the client's ACK after the SYN/ACK
	finC, finS  bool
	rstC, rstS  bool
	dataC       bool
	dataS       bool
	// side says, for each flow of the conversation, whether its
	// segments come from the client or the server (0 while unknown).
	side [2]uint8

	// Health is kept by an Analyzer whose health is on (SetHealth);
	// otherwise it is nil.
	Health *Health
}

// The values of Stream.side.
const (
	sideClient = 1
	sideServer = 2
)

// initStream sets s to a new conversation's summary and returns it,
// keeping the span memory of the conversation s summarised before.
func initStream(s *Stream, index, frame uint32, ts int64, src, dst netip.AddrPort, flags uint16) *Stream {
	c2s, s2c := s.covC2S.reuse(), s.covS2C.reuse()
	h := s.Health
	// Cleared, then set field by field: a composite literal is built
	// aside and copied with 16-byte loads of its narrower stores.
	*s = Stream{}
	s.Index, s.FirstFrame, s.FirstTime = index, frame, ts
	s.Client, s.Server, s.First = src, dst, src
	s.covC2S.spans, s.covS2C.spans = c2s, s2c
	if h != nil {
		more := h.hist.more[:0]
		*h = Health{}
		h.hist.more = more
		s.Health = h
	}
	switch flags & (decode.FlagSYN | decode.FlagACK) {
	case decode.FlagSYN:
		s.clientBySYN = true
	case decode.FlagSYN | decode.FlagACK:
		s.Client, s.Server = dst, src
	}
	return s
}

// add accounts for one segment of the stream, p, which is the
// conversation's flow fi (0 or 1), and sets r.FromServer; with health,
// for the stream's Health too.
func (s *Stream) add(r *Result, fi int, p *decode.Packet, frameLen int, ts int64, irtt int64, health bool) {
	flags := r.TCPFlags
	if health && s.Packets == 0 {
		s.startHealth()
	}
	if flags&(decode.FlagSYN|decode.FlagACK) == decode.FlagSYN && !s.clientBySYN {
		s.clientBySYN = true
		if srcOf(p) != s.Client {
			s.swapRoles(health)
		}
	}
	// A flow's segments all come from one endpoint: whether it is the
	// server is known after the flow's first segment, until the client
	// and server swap.
	side := s.side[fi&1]
	if side == 0 {
		// From the server unless both ends share address and port (a
		// self-connect): then everything counts as the client's.
		side = sideClient
		if src := srcOf(p); src == s.Server && src != s.Client {
			side = sideServer
		}
		s.side[fi&1] = side
	}
	fromServer := side == sideServer
	r.FromServer = fromServer
	s.LastFrame = r.Frame
	s.LastTime = ts
	s.Packets++
	if s.IRTT == 0 && r.SeqAnalysis && !r.Stopped() {
		s.IRTT = irtt // tshark shows it in a segment's [SEQ/ACK analysis]
	}
	if r.Len != 0 {
		s.countPayload(r, fromServer)
	}
	if health {
		// Before this segment's FIN and RST count: Zeek's window
		// rule looks at the state before the segment.
		s.addHealth(r, p, fromServer, ts)
	}
	if !r.Stopped() {
		if s.Tap == 0 {
			s.TapFirst, s.TapFirstTime, s.TapFirstFrame, s.TapLastTime = srcOf(p), ts, r.Frame, ts
		}
		s.Tap++
		// tshark's table spans the earliest and the latest time seen,
		// whatever the order of the frames.
		s.TapFirstTime = min(s.TapFirstTime, ts)
		s.TapLastTime = max(s.TapLastTime, ts)
		if fromServer {
			s.PacketsS2C++
			s.FrameBytesS2C += uint64(frameLen)
		} else {
			s.PacketsC2S++
			s.FrameBytesC2S += uint64(frameLen)
		}
	}
	switch flags & (decode.FlagSYN | decode.FlagACK) {
	case decode.FlagSYN:
		if !fromServer {
			s.synSeen = true
		}
	case decode.FlagSYN | decode.FlagACK:
		if fromServer {
			s.synAckSeen = true
		}
	case decode.FlagACK:
		if !fromServer && s.synSeen && s.synAckSeen {
			s.ackSeen = true
		}
	}
	if flags&decode.FlagFIN != 0 {
		if fromServer {
			s.finS = true
		} else {
			s.finC = true
		}
	}
	if flags&decode.FlagRST != 0 {
		if fromServer {
			s.rstS = true
		} else {
			s.rstC = true
		}
	}
	if r.Len > 0 {
		if fromServer {
			s.dataS = true
		} else {
			s.dataC = true
		}
	}
}

// swapRoles makes the server the client and the other way round (a SYN
// showed who the client is), and the history says so when kept.
func (s *Stream) swapRoles(health bool) {
	s.Client, s.Server = s.Server, s.Client
	s.side = [2]uint8{}
	if health {
		s.Health.hist.flip()
	}
}

// countPayload adds the payload bytes of r not seen before to the
// stream's distinct bytes in its direction. A SYN's payload starts one
// after its sequence number.
func (s *Stream) countPayload(r *Result, fromServer bool) {
	if !r.HaveLen || r.Len == 0 || r.BogusHeaderLen {
		return
	}
	start := r.Seq
	if r.TCPFlags&decode.FlagSYN != 0 {
		start++
	}
	if fromServer {
		s.covS2C.add(start, r.Len)
		if s.Health != nil {
			s.Health.RetransBytes[1] += uint64(r.Len) - (s.covS2C.total - s.BytesS2C)
		}
		s.BytesS2C = s.covS2C.total
	} else {
		s.covC2S.add(start, r.Len)
		if s.Health != nil {
			s.Health.RetransBytes[0] += uint64(r.Len) - (s.covC2S.total - s.BytesC2S)
		}
		s.BytesC2S = s.covC2S.total
	}
}

// Handshake says how much of the three-way handshake was captured:
// "complete" (SYN, SYN/ACK and the client's ACK), "partial" (some of it)
// or "none".
func (s *Stream) Handshake() string {
	switch {
	case s.synSeen && s.synAckSeen && s.ackSeen:
		return "complete"
	case s.synSeen || s.synAckSeen:
		return "partial"
	}
	return "none"
}

// Close says how the conversation ended: "rst" (a reset from either
// side), "fin" (a FIN from both sides), "half" (a FIN from one side) or
// "open".
func (s *Stream) Close() string {
	switch {
	case s.rstC || s.rstS:
		return "rst"
	case s.finC && s.finS:
		return "fin"
	case s.finC || s.finS:
		return "half"
	}
	return "open"
}

// State returns the conversation's state in Zeek's conn_state terms
// (Zeek's base/protocols/conn/main.zeek documents each code).
func (s *Stream) State() string {
	established := s.synSeen && s.synAckSeen
	switch {
	case !s.synSeen && !s.synAckSeen:
		return "OTH"
	case s.synSeen && !s.synAckSeen:
		switch {
		case s.rstS:
			return "REJ"
		case s.rstC:
			return "RSTOS0"
		case s.finC:
			return "SH"
		}
		return "S0"
	case !s.synSeen && s.synAckSeen:
		switch {
		case s.rstS:
			return "RSTRH"
		case s.finS:
			return "SHR"
		}
		return "OTH"
	case established:
		switch {
		case s.rstC:
			return "RSTO"
		case s.rstS:
			return "RSTR"
		case s.finC && s.finS:
			return "SF"
		case s.finC:
			return "S2"
		case s.finS:
			return "S3"
		}
	}
	return "S1"
}
