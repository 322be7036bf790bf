package explain

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/labproto"
	"github.com/tcplab/tcplab/internal/rtt"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// packetState is what the packet walk remembers from one packet to the
// next.
type packetState struct {
	synFrame    [2]*conversation.Segment // each side's first SYN, nil until seen
	established bool
	finSeen     [2]bool
	firstFIN    conversation.Side
	anyFIN      bool
	firstFINEnd uint32 // the sequence number after the first FIN
	finAcked    bool   // the other side acknowledged the first FIN apart from its own FIN
	rst         bool
	closing     bool
	sentData    [2]bool
	labReq      *labproto.Message
	routine     int
	skipped     int
	skipFirst   int
	skipLast    int
	agreedShown bool
}

// step is what the walk says about one packet.
type step struct {
	// sec is the section the paragraph goes in: "handshake", "data" or
	// "close".
	sec string
	// notable marks a packet described even past the cap on routine
	// ones: a SYN, FIN or RST, a lab message, an expert flag.
	notable bool
	out     []string // the sentences
	details []Para   // indented paragraphs after it (a SYN's options)
}

func (p *step) say(sentences ...string) { p.out = append(p.out, sentences...) }

// packets walks the conversation packet by packet, adding each packet's
// paragraph to its section (handshake, data or close), at most
// maxRoutine routine ones (maxRoutine <= 0: no cap), then says what the
// handshake and the close came to.
func (e *explainer) packets(maxRoutine int) {
	rows := make(map[int]*rtt.Row, len(e.w.RTT))
	for i := range e.w.RTT {
		rows[e.w.RTT[i].AckFrame] = &e.w.RTT[i]
	}
	byFrame := segmentsByFrame(e.c.Packets)
	var st packetState
	for i := range e.c.Packets {
		s := &e.c.Packets[i]
		if s.From != conversation.Client && s.From != conversation.Server {
			continue
		}
		p := e.step(s, &st, rows[s.Frame], byFrame)
		if p.sec == "data" && !p.notable && st.skipRoutine(s, maxRoutine) {
			continue
		}
		e.emit(s, &p, &st)
	}
	if st.skipped > 0 {
		e.add("data", Para{Text: e.msg("data.skipped", "n", st.skipped, "first", st.skipFirst, "last", st.skipLast)})
	}
	e.handshakeEnd(&st)
	e.closeEnd(&st)
	e.orderSections()
}

// segmentsByFrame indexes packets by frame number.
func segmentsByFrame(packets []conversation.Segment) map[int]*conversation.Segment {
	byFrame := make(map[int]*conversation.Segment, len(packets))
	for i := range packets {
		byFrame[packets[i].Frame] = &packets[i]
	}
	return byFrame
}

// step describes the packet s, in the order a student would: its part in
// the handshake, the data it carries, what its acknowledgement covers
// (row is the RTT table's row for it, nil when none), its FIN or RST, and
// its expert flags.
func (e *explainer) step(s *conversation.Segment, st *packetState, row *rtt.Row, byFrame map[int]*conversation.Segment) step {
	p := step{sec: "data"}
	e.handshake(s, st, &p)
	if st.synFrame[conversation.Client] != nil && st.synFrame[conversation.Server] != nil {
		st.established = st.established || (!s.Has(decode.FlagSYN) && s.Has(decode.FlagACK))
	}
	if (s.Has(decode.FlagFIN) || s.Has(decode.FlagRST) || st.closing) && p.sec != "handshake" {
		p.sec = "close"
		st.closing = true
	}
	data, lab := e.data(s, st)
	p.say(data...)
	p.notable = p.notable || lab
	p.say(e.acknowledgement(s, p.sec, row, byFrame)...)
	e.closing(s, st, &p)
	s.Analysis.Each(func(f tcpanalysis.Flags) {
		p.say(e.expert(s, f)...)
		p.notable = true
	})
	if s.Analysis != 0 {
		p.say(e.truth(s)...)
	}
	return p
}

// handshake describes s when it takes part in the handshake: a SYN or
// SYN/ACK, the RST that refuses a SYN, or the ACK that completes it.
func (e *explainer) handshake(s *conversation.Segment, st *packetState, p *step) {
	from, other := s.From, s.From.Other()
	switch {
	case s.Has(decode.FlagSYN):
		p.sec, p.notable = "handshake", true
		if st.synFrame[from] != nil {
			p.say(e.msg("hs.syn.again", "from", e.side(from), "isn", s.SeqRaw))
			return
		}
		st.synFrame[from] = s
		p.say(e.firstSYN(s, st))
		p.details = append(p.details, Para{Sub: true, Text: e.options(s.Options)})
	case s.Has(decode.FlagRST) && !st.established && st.synFrame[other] != nil && st.synFrame[from] == nil:
		p.sec, p.notable = "handshake", true
		st.rst = true
		p.say(e.msg("hs.refused", "from", e.side(from), "port", e.port(from)))
	case !st.established && s.Has(decode.FlagACK) && from == conversation.Client &&
		st.synFrame[conversation.Client] != nil && st.synFrame[conversation.Server] != nil:
		p.sec, p.notable = "handshake", true
		st.established = true
		irtt := s.Time - st.synFrame[conversation.Client].Time
		p.say(e.msg("hs.ack", "from", e.side(from), "ack", s.Ack, "ackraw", s.AckRaw,
			"peerisn", st.synFrame[conversation.Server].SeqRaw, "irtt", FormatMS(irtt)))
	}
}

// firstSYN explains a side's first SYN or SYN/ACK: its ISN, and for the
// SYN/ACK how its acknowledgement follows from the peer's ISN.
func (e *explainer) firstSYN(s *conversation.Segment, st *packetState) string {
	if !s.Has(decode.FlagACK) {
		return e.msg("hs.syn", "from", e.side(s.From), "isn", s.SeqRaw)
	}
	// Without the peer's SYN in the capture, its ISN is what the SYN/ACK
	// acknowledges, minus the SYN's one number.
	peerISN := s.AckRaw - 1
	if peer := st.synFrame[s.From.Other()]; peer != nil {
		peerISN = peer.SeqRaw
	}
	return e.msg("hs.synack", "from", e.side(s.From), "isn", s.SeqRaw,
		"ack", s.Ack, "ackraw", s.AckRaw, "peerisn", peerISN)
}

// data describes the payload of s, if any: the bytes it numbers, PSH, and
// the lab's message (lab is true) or the start of a side's first text.
func (e *explainer) data(s *conversation.Segment, st *packetState) (out []string, lab bool) {
	if s.Len <= 0 {
		return nil, false
	}
	out = append(out, e.msgN("data.seg", s.Len, "from", e.side(s.From), "len", s.Len, "seq", s.Seq,
		"last", uint32(s.Seq+uint32(s.Len)-1), "next", uint32(s.Seq+uint32(s.Len))))
	if s.Has(decode.FlagPSH) {
		out = append(out, e.msg("data.psh"))
	}
	if m := e.lab(s, st); m != nil {
		out = append(out, m...)
		lab = true
	} else if txt := preview(s.Payload); txt != "" && !st.sentData[s.From] {
		out = append(out, e.msg("data.text", "text", txt))
	}
	st.sentData[s.From] = true
	return out, lab
}

// acknowledgement explains what the acknowledgement number of s covers
// (row is its RTT table row, nil when none), or says that a bare ACK
// outside the handshake covers nothing new. A SYN/ACK's, and the
// handshake's final ACK when it covers only SYNs, are the handshake's
// own sentences.
func (e *explainer) acknowledgement(s *conversation.Segment, sec string, row *rtt.Row, byFrame map[int]*conversation.Segment) []string {
	if !s.Has(decode.FlagACK) || s.Has(decode.FlagSYN) {
		return nil
	}
	switch {
	case row != nil && !(sec == "handshake" && allSYN(row, byFrame)):
		return e.ackSentence(s, row, byFrame)
	case !s.Has(decode.FlagFIN) && !s.Has(decode.FlagRST) && s.Len == 0 && sec != "handshake" && s.Analysis == 0:
		return []string{e.msg("ack.nothing", "from", e.side(s.From), "ack", s.Ack)}
	}
	return nil
}

// closing explains a side's first FIN, and an RST in the close.
func (e *explainer) closing(s *conversation.Segment, st *packetState, p *step) {
	acksFirstFIN := st.anyFIN && s.From != st.firstFIN && s.Has(decode.FlagACK) && int32(s.Ack-st.firstFINEnd) >= 0
	if acksFirstFIN && !s.Has(decode.FlagFIN) {
		st.finAcked = true
	}
	if s.Has(decode.FlagFIN) && !st.finSeen[s.From] {
		p.notable = true
		st.finSeen[s.From] = true
		id := "close.fin.second"
		if !st.anyFIN {
			st.anyFIN, st.firstFIN = true, s.From
			st.firstFINEnd = s.Seq + uint32(s.Len) + 1
			id = "close.fin.first"
		}
		p.say(e.msg(id, "from", e.side(s.From), "seq", s.Seq))
		if id == "close.fin.second" && acksFirstFIN && !st.finAcked {
			// Linux acknowledges a FIN with its own when its
			// application closes at once: three segments, not four.
			p.say(e.msg("close.three", "from", e.side(s.From)))
		}
		if s.From == conversation.Server && st.labReq != nil && !st.sentData[conversation.Server] {
			p.say(e.msg("lab.noreply"))
		}
	}
	if s.Has(decode.FlagRST) && p.sec == "close" {
		p.notable = true
		st.rst = true
		p.say(e.msg("close.rst", "from", e.side(s.From)))
	}
}

// skipRoutine counts s, an ordinary data segment or ACK, and reports
// whether it is past the first maxRoutine (maxRoutine <= 0: no cap),
// which one paragraph at the end sums up instead.
func (st *packetState) skipRoutine(s *conversation.Segment, maxRoutine int) bool {
	st.routine++
	if maxRoutine <= 0 || st.routine <= maxRoutine {
		return false
	}
	if st.skipped == 0 {
		st.skipFirst = s.Frame
	}
	st.skipped++
	st.skipLast = s.Frame
	return true
}

// emit adds the paragraph of s and its details to their section, and,
// after the ACK that completes the handshake, what the two SYNs agreed.
func (e *explainer) emit(s *conversation.Segment, p *step, st *packetState) {
	if len(p.out) == 0 {
		return
	}
	e.add(p.sec, e.packetPara(s, p.out, s.Analysis))
	for _, d := range p.details {
		e.add(p.sec, d)
	}
	if p.sec == "handshake" && s.From == conversation.Client && st.established && !s.Has(decode.FlagSYN) &&
		st.synFrame[conversation.Server] != nil && !st.agreedShown {
		st.agreedShown = true // agreed options once, after the handshake
		e.agreed(st.synFrame[conversation.Client], st.synFrame[conversation.Server])
	}
}

// handshakeEnd says what is wrong with the handshake as a whole: missing
// from the capture, or a SYN without an answer.
func (e *explainer) handshakeEnd(st *packetState) {
	c, s := st.synFrame[conversation.Client], st.synFrame[conversation.Server]
	switch {
	case c == nil && s == nil:
		e.add("handshake", Para{Text: e.msg("hs.missing")})
	case c != nil && s == nil && !st.rst:
		e.add("handshake", Para{Text: e.msg("hs.noanswer")})
	}
}

// closeEnd says how the conversation ended: a reset, both FINs and who
// waits in TIME_WAIT, one FIN, or still open.
func (e *explainer) closeEnd(st *packetState) {
	switch {
	case st.rst:
		e.add("close", Para{Text: e.msg("close.reset")})
	case st.finSeen[conversation.Client] && st.finSeen[conversation.Server]:
		e.add("close", Para{Text: e.msg("close.timewait", "side", e.side(st.firstFIN), "other", e.Side(st.firstFIN.Other()))})
	case st.anyFIN:
		e.add("close", Para{Text: e.msg("close.half", "side", e.side(st.firstFIN))})
	case len(e.c.Packets) > 0:
		e.add("close", Para{Text: e.msg("close.open")})
	}
}

// expert explains the expert flag f of s.
func (e *explainer) expert(s *conversation.Segment, f tcpanalysis.Flags) []string {
	label := s.Label(f)
	id := "x." + f.Name()
	if f == tcpanalysis.DuplicateAck && s.DupAckNum > 3 {
		id = "x.duplicate_ack.again"
	}
	if !i18n.Has(id) {
		id = "x.other"
	}
	// An out-of-order segment whose bytes this capture already showed is
	// a resend, whatever the flag's name says; one whose bytes it never
	// showed may be either (see truth for what tcplab's bridge knows).
	earlier := 0
	if f == tcpanalysis.OutOfOrder {
		if earlier = e.sentBefore(s); earlier != 0 {
			id = "x.out_of_order.resent"
		}
	}
	out := []string{e.msg(id, "label", label, "from", e.side(s.From), "seq", s.Seq,
		"ack", s.Ack, "of", s.DupAckOf, "n", s.DupAckNum, "win", s.Win, "frame", earlier)}
	if f == tcpanalysis.DuplicateAck {
		if blocks := sackBlocks(s, e.msg("frames.sep")); blocks != "" {
			out = append(out, e.msg("sack.blocks", "blocks", blocks))
		}
	}
	return out
}

// allSYN reports whether every segment an RTT row covers is a SYN: the
// handshake, which its own sentences explain.
func allSYN(r *rtt.Row, byFrame map[int]*conversation.Segment) bool {
	for _, f := range r.Frames {
		if s := byFrame[f]; s == nil || !s.Has(decode.FlagSYN) {
			return false
		}
	}
	return true
}

// ackSentence explains what the acknowledgement of s covers, with the
// arithmetic, and the RTT it measured.
func (e *explainer) ackSentence(s *conversation.Segment, r *rtt.Row, byFrame map[int]*conversation.Segment) []string {
	var out []string
	from, to := e.side(s.From), e.side(s.From.Other())
	var covered []*conversation.Segment
	for _, f := range r.Frames {
		if cs := byFrame[f]; cs != nil && !cs.Has(decode.FlagSYN) {
			covered = append(covered, cs)
		}
	}
	switch {
	case len(covered) == 0:
		return nil
	case len(covered) == 1:
		cs := covered[0]
		finN := uint32(0)
		if cs.Has(decode.FlagFIN) {
			finN = 1
		}
		switch {
		case cs.Seq+uint32(cs.Len)+finN != s.Ack:
			out = append(out, e.msg("ack.beyond", "from", from, "ack", s.Ack, "frames", cs.Frame))
		case cs.Len > 0 && finN == 1:
			out = append(out, e.msg("ack.datafin", "from", from, "to", to, "len", cs.Len, "seq", cs.Seq, "ack", s.Ack))
		case finN == 1:
			out = append(out, e.msg("ack.fin", "from", from, "to", to, "seq", cs.Seq, "ack", s.Ack))
		default:
			out = append(out, e.msgN("ack.one", cs.Len, "from", from, "to", to, "len", cs.Len, "seq", cs.Seq, "ack", s.Ack))
		}
	default:
		frames := make([]int, len(covered))
		for i, cs := range covered {
			frames[i] = cs.Frame
		}
		out = append(out, e.msg("ack.many", "from", from, "to", to, "ack", s.Ack, "n", len(covered), "frames", frameList(frames, e.msg("frames.sep"))))
	}
	// The RTT: the table's SampleRTT, and the one Wireshark shows for
	// the ACK (its acks_frame and ack_rtt), said once when they agree.
	switch {
	case r.Karn:
		out = append(out, e.msg("ack.karn"))
		if s.AckedFrame != 0 {
			out = append(out, e.msg("ack.karn.rtt", "frame", s.AckedFrame, "rtt", FormatMS(s.AckRTT)))
		}
	case r.SampleFrame != 0 && agrees(s, r):
		out = append(out, e.msg("ack.rtt", "frame", s.AckedFrame, "rtt", FormatMS(s.AckRTT)))
	case r.SampleFrame != 0:
		out = append(out, e.msg("ack.sample", "sample", FormatMS(r.Sample), "sframe", r.SampleFrame))
		fallthrough
	default:
		switch {
		case s.AckedFrame != 0 && s.AckRTT != 0:
			out = append(out, e.msg("ack.rtt.differ", "frame", s.AckedFrame, "rtt", FormatMS(s.AckRTT)))
		case s.AckedFrame != 0:
			out = append(out, e.msg("ack.rtt.frame", "frame", s.AckedFrame))
		}
	}
	return out
}

// agrees reports whether the RTT table's sample for the ACK s (row r) is
// the RTT Wireshark shows for it: the same segment, the same time.
func agrees(s *conversation.Segment, r *rtt.Row) bool {
	return !r.Karn && r.SampleFrame != 0 && s.AckedFrame == r.SampleFrame && s.AckRTT == r.Sample
}

// sackBlocks lists a segment's SACK blocks as inclusive byte ranges joined
// by sep ("43441–46336, 50000–51447"), or "".
func sackBlocks(s *conversation.Segment, sep string) string {
	var parts []string
	for _, o := range s.Options {
		if o.Kind != decode.OptSACK {
			continue
		}
		for _, b := range o.SACK {
			parts = append(parts, fmt.Sprintf("%d–%d", b[0], b[1]-1))
		}
	}
	return strings.Join(parts, sep)
}

// options describes the options a SYN offered.
func (e *explainer) options(opts []conversation.Option) string {
	var items []string
	for _, o := range opts {
		switch o.Kind {
		case decode.OptMSS:
			items = append(items, e.msg("opt.mss", "mss", o.MSS))
		case decode.OptWS:
			items = append(items, e.msg("opt.ws", "shift", o.Shift, "mult", 1<<min(max(o.Shift, 0), 14)))
		case decode.OptSACKPerm:
			items = append(items, e.msg("opt.sack"))
		case decode.OptTimestamp:
			items = append(items, e.msg("opt.ts", "tsval", o.TSval))
		}
	}
	if len(items) == 0 {
		return e.msg("opt.none")
	}
	return e.msg("opt.offered", "list", strings.Join(items, e.msg("list.sep")))
}

func findOpt(s *conversation.Segment, kind uint8) (conversation.Option, bool) {
	if s == nil {
		return conversation.Option{}, false
	}
	for _, o := range s.Options {
		if o.Kind == kind {
			return o, true
		}
	}
	return conversation.Option{}, false
}

// agreed explains what the two SYNs agreed on.
func (e *explainer) agreed(c, s *conversation.Segment) {
	add := func(text string) { e.add("handshake", Para{Sub: true, Text: text}) }
	add(e.msg("agree.head"))
	cm, cok := findOpt(c, decode.OptMSS)
	sm, sok := findOpt(s, decode.OptMSS)
	mss := func(o conversation.Option, ok bool) any {
		if ok {
			return o.MSS
		}
		return 536
	}
	add(e.msg("agree.mss", "cmss", mss(cm, cok), "smss", mss(sm, sok)))
	if !cok {
		add(e.msg("agree.mss.default", "side", e.Side(conversation.Client)))
	}
	if !sok {
		add(e.msg("agree.mss.default", "side", e.Side(conversation.Server)))
	}
	cw, cwok := findOpt(c, decode.OptWS)
	sw, swok := findOpt(s, decode.OptWS)
	if cwok && swok {
		add(e.msg("agree.ws.on", "cmult", 1<<min(max(cw.Shift, 0), 14), "smult", 1<<min(max(sw.Shift, 0), 14)))
	} else {
		add(e.msg("agree.ws.off"))
	}
	// SACK and timestamps are on only when both SYNs offer them.
	for _, o := range []struct {
		kind    uint8
		on, off string
	}{{decode.OptSACKPerm, "agree.sack.on", "agree.sack.off"}, {decode.OptTimestamp, "agree.ts.on", "agree.ts.off"}} {
		_, cok := findOpt(c, o.kind)
		_, sok := findOpt(s, o.kind)
		if cok && sok {
			add(e.msg(o.on))
		} else {
			add(e.msg(o.off))
		}
	}
}

// lab recognises the lab's request (the client's first data) and reply
// (the server's first data after a request).
func (e *explainer) lab(s *conversation.Segment, st *packetState) []string {
	if len(s.Payload) != s.Len || st.sentData[s.From] {
		return nil
	}
	body := strings.TrimRight(string(s.Payload), "\r\n")
	switch s.From {
	case conversation.Client:
		m, err := labproto.ParseRequest([]byte(body))
		if err != nil {
			return nil
		}
		st.labReq = &m
		num := strings.TrimSpace(string(m.Number))
		id := "lab.request"
		if !m.InRange() {
			id = "lab.request.out"
		}
		return []string{e.msg(id, "text", body, "name", string(m.Name), "num", num)}
	case conversation.Server:
		if st.labReq == nil {
			return nil
		}
		m, err := labproto.ParseReply([]byte(body))
		if err != nil {
			return nil
		}
		num := strings.TrimSpace(string(m.Number))
		out := []string{e.msg("lab.reply", "text", body, "name", string(m.Name), "num", num)}
		if st.labReq.InRange() {
			out = append(out, e.msg("lab.sum", "cnum", st.labReq.Value, "snum", m.Value, "sum", st.labReq.Value+m.Value))
		}
		return out
	}
	return nil
}

// preview returns the start of a payload when it is printable text, else
// "".
func preview(p []byte) string {
	if len(p) == 0 || !utf8.Valid(p) {
		return ""
	}
	s := string(p)
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 40 {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteRune(' ')
		case r < 0x20 || r == 0x7f:
			return ""
		default:
			b.WriteRune(r)
		}
		n++
	}
	return strings.TrimSpace(b.String())
}
