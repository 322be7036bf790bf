package explain

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/labproto"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/rtt"
	"github.com/tcplab/tcplab/internal/seqnum"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Options tunes a walk-through.
type Options struct {
	// Lang is the language; the zero value is English.
	Lang i18n.Lang
	// MaxRoutine caps how many ordinary data segments and ACKs (no expert
	// flag, no SYN, FIN or RST, no lab message) are described one by one;
	// the rest are summarised in one paragraph. 0 means 40; negative
	// means no cap.
	MaxRoutine int
	// Skipped, when not nil, is the capture's count of the frames not
	// analysed (Capture.Summary): the overview then says how many were
	// not analysed and why, since packets of the conversation may be
	// among them.
	Skipped *listing.Summary
}

// NotAnalysed returns the line that says, in lang, how many frames of a
// capture were not analysed and why ("33 frames not analysed: VXLAN 33"),
// or "" when every frame was. The reasons are the decoder's names, the
// same in every language.
func NotAnalysed(lang i18n.Lang, s *listing.Summary) string {
	if s == nil || s.SkippedFrames() == 0 {
		return ""
	}
	return i18n.MsgN(lang, "notanalysed", int(s.SkippedFrames()), "n", s.SkippedFrames(), "reasons", s.SkippedList())
}

// Walkthrough is the explanation of one conversation.
type Walkthrough struct {
	Lang     i18n.Lang
	Title    string
	Sections []Section
	// RTT is the conversation's RTT table, also presented as the Table of
	// the "rtt" section.
	RTT []rtt.Row
}

// Section is one part of a walk-through.
type Section struct {
	// ID names the section: "overview", "handshake", "data", "close",
	// "window", "checksum" or "rtt".
	ID      string
	Heading string
	Paras   []Para
	Table   *Table // the RTT table; nil elsewhere
}

// Para is one paragraph: the explanation of one packet, or a sentence
// about the whole conversation.
type Para struct {
	// Frame is the packet the paragraph explains, 0 for none; Prefix is
	// then its localized "Frame N (t s): " lead-in.
	Frame  int
	Prefix string
	Text   string
	// Flags are the expert flags the paragraph explains, for
	// highlighting.
	Flags tcpanalysis.Flags
	// Sub marks a detail of the paragraph before it (indented).
	Sub bool
	// TableBefore marks the paragraph the section's Table is shown just
	// before (the table's caption), so that paragraphs added after it,
	// such as a note that the table was cut, leave the table in place.
	TableBefore bool
}

// Table is a small table of preformatted cells.
type Table struct {
	Header []string
	Rows   [][]string
	// Karn marks the rows without a sample (highlighted in the report).
	Karn []bool
}

// RTTSegments converts a conversation's packets to the input of rtt.Table,
// with relative sequence numbers.
func RTTSegments(c *conversation.Conversation) []rtt.Segment {
	out := make([]rtt.Segment, 0, len(c.Packets))
	for i := range c.Packets {
		s := &c.Packets[i]
		out = append(out, rtt.Segment{
			Frame: s.Frame, Time: s.Time, Dir: int(s.From),
			Seq: seqnum.Value(s.Seq), Len: s.Len,
			SYN: s.Has(decode.FlagSYN), FIN: s.Has(decode.FlagFIN), ACK: s.Has(decode.FlagACK),
			Ack: seqnum.Value(s.Ack), Retransmission: s.Analysis.Retransmitted(),
		})
	}
	return out
}

// FormatMS formats a duration in milliseconds with three decimals.
func FormatMS(d time.Duration) string {
	return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond))
}

// explainer holds the state of one walk-through being built.
type explainer struct {
	c    *conversation.Conversation
	lang i18n.Lang
	w    *Walkthrough
	byID map[string]int // section index by ID
}

func (e *explainer) msg(id string, args ...any) string { return i18n.Msg(e.lang, id, args...) }

// msgN is msg with the singular form id+".one" when n is 1.
func (e *explainer) msgN(id string, n int, args ...any) string {
	return i18n.MsgN(e.lang, id, n, args...)
}

func (e *explainer) side(s conversation.Side) string {
	if s == conversation.Client {
		return e.msg("side.client")
	}
	return e.msg("side.server")
}

// Side returns the capitalized name, for the start of a sentence.
func (e *explainer) Side(s conversation.Side) string {
	if s == conversation.Client {
		return e.msg("Side.client")
	}
	return e.msg("Side.server")
}

var headings = map[string]string{
	"overview": "sec.overview", "handshake": "sec.handshake", "data": "sec.data",
	"close": "sec.close", "window": "sec.window", "checksum": "sec.checksum", "rtt": "sec.rtt",
}

// section returns the section id, appending it when new.
func (e *explainer) section(id string) *Section {
	if i, ok := e.byID[id]; ok {
		return &e.w.Sections[i]
	}
	e.byID[id] = len(e.w.Sections)
	e.w.Sections = append(e.w.Sections, Section{ID: id, Heading: e.msg(headings[id])})
	return &e.w.Sections[len(e.w.Sections)-1]
}

func (e *explainer) add(id string, p Para) {
	sec := e.section(id)
	sec.Paras = append(sec.Paras, p)
}

func (e *explainer) packetPara(s *conversation.Segment, sentences []string, flags tcpanalysis.Flags) Para {
	return Para{
		Frame:  s.Frame,
		Prefix: e.msg("step.frame", "frame", s.Frame, "time", conversation.FormatTime(s.Time)),
		Text:   joinSentences(sentences, e.lang.SentenceSep()),
		Flags:  flags,
	}
}

// joinSentences joins sentences, capitalizing each after the first (the
// first follows the "Frame N:" lead-in).
func joinSentences(sentences []string, sep string) string {
	for i := 1; i < len(sentences); i++ {
		r, n := utf8.DecodeRuneInString(sentences[i])
		sentences[i] = string(unicode.ToUpper(r)) + sentences[i][n:]
	}
	return strings.Join(sentences, sep)
}

// Explain builds the walk-through of c. It never fails: whatever the
// packets hold, it explains what it can.
func Explain(c *conversation.Conversation, opt Options) *Walkthrough {
	lang := opt.Lang
	if !lang.Known() {
		lang = i18n.English
	}
	maxRoutine := opt.MaxRoutine
	if maxRoutine == 0 {
		maxRoutine = 40
	}
	e := &explainer{c: c, lang: lang, byID: map[string]int{}}
	e.w = &Walkthrough{Lang: lang, Title: e.msg("title", "stream", c.Stream, "client", c.Client, "server", c.Server)}
	e.w.RTT = rtt.Table(RTTSegments(c))
	e.overview(opt.Skipped)
	e.packets(maxRoutine)
	e.window()
	e.checksums()
	e.rttSection()
	return e.w
}

func (e *explainer) overview(skipped *listing.Summary) {
	c := e.c
	hasSYN := false
	for i := range c.Packets {
		if c.Packets[i].Has(decode.FlagSYN) && !c.Packets[i].Has(decode.FlagACK) {
			hasSYN = true
			break
		}
	}
	if hasSYN {
		e.add("overview", Para{Text: e.msg("overview.roles", "client", c.Client, "server", c.Server)})
	} else {
		e.add("overview", Para{Text: e.msg("overview.nosyn", "client", c.Client, "server", c.Server)})
	}
	if len(c.Packets) > 0 {
		// The analysis' distinct bytes when its summary covers exactly
		// these packets; the same count over the packets kept otherwise.
		bytes := [2]int64{c.Summary.BytesC2S, c.Summary.BytesS2C}
		if c.Summary.Packets != len(c.Packets) {
			bytes = conversation.DistinctBytes(c.Packets)
		}
		e.add("overview", Para{Text: e.msg("overview.counts", "packets", len(c.Packets),
			"first", c.Packets[0].Frame, "last", c.Packets[len(c.Packets)-1].Frame,
			"c2s", bytes[conversation.Client], "s2c", bytes[conversation.Server])})
	}
	if c.Client.Addr() == c.Server.Addr() && c.Client.IsValid() {
		e.add("overview", Para{Text: e.msg("overview.lanes", "ip", c.Client.Addr())})
	}
	if c.SinglePoint {
		e.add("overview", Para{Text: e.msg("overview.single")})
	}
	if c.State != "" {
		e.add("overview", Para{Text: e.msg("overview.state", "state", c.State)})
	}
	if skipped != nil && skipped.SkippedFrames() > 0 {
		n := skipped.SkippedFrames()
		e.add("overview", Para{Text: e.msgN("overview.notanalysed", int(n), "n", n, "reasons", skipped.SkippedList())})
	}
}

// packetState is what the packet walk remembers.
type packetState struct {
	synFrame    [2]*conversation.Segment // each side's first SYN, nil until seen
	established bool
	finSeen     [2]bool
	firstFIN    conversation.Side
	anyFIN      bool
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

func (e *explainer) packets(maxRoutine int) {
	c := e.c
	rows := make(map[int]*rtt.Row, len(e.w.RTT))
	for i := range e.w.RTT {
		rows[e.w.RTT[i].AckFrame] = &e.w.RTT[i]
	}
	byFrame := make(map[int]*conversation.Segment, len(c.Packets))
	for i := range c.Packets {
		byFrame[c.Packets[i].Frame] = &c.Packets[i]
	}
	var st packetState
	for i := range c.Packets {
		s := &c.Packets[i]
		if s.From != conversation.Client && s.From != conversation.Server {
			continue
		}
		var out []string
		sec := "data"
		notable := false
		syn, ack, fin, rst := s.Has(decode.FlagSYN), s.Has(decode.FlagACK), s.Has(decode.FlagFIN), s.Has(decode.FlagRST)
		var optParas []Para
		switch {
		case syn:
			sec, notable = "handshake", true
			if st.synFrame[s.From] != nil {
				out = append(out, e.msg("hs.syn.again", "from", e.side(s.From), "isn", s.SeqRaw))
				break
			}
			st.synFrame[s.From] = s
			if !ack {
				out = append(out, e.msg("hs.syn", "from", e.side(s.From), "isn", s.SeqRaw))
			} else {
				// Without the peer's SYN in the capture, its ISN is what the
				// SYN/ACK acknowledges, minus the SYN's one number.
				peerISN := s.AckRaw - 1
				if st.synFrame[s.From.Other()] != nil {
					peerISN = st.synFrame[s.From.Other()].SeqRaw
				}
				out = append(out, e.msg("hs.synack", "from", e.side(s.From), "isn", s.SeqRaw,
					"ack", s.Ack, "ackraw", s.AckRaw, "peerisn", peerISN))
			}
			optParas = append(optParas, Para{Sub: true, Text: e.options(s.Options)})
		case rst && !st.established && st.synFrame[s.From.Other()] != nil && st.synFrame[s.From] == nil:
			sec, notable = "handshake", true
			st.rst = true
			out = append(out, e.msg("hs.refused", "from", e.side(s.From), "port", e.port(s.From)))
		case !st.established && ack && s.From == conversation.Client && st.synFrame[conversation.Client] != nil && st.synFrame[conversation.Server] != nil:
			sec, notable = "handshake", true
			st.established = true
			irtt := s.Time - st.synFrame[conversation.Client].Time
			out = append(out, e.msg("hs.ack", "from", e.side(s.From), "ack", s.Ack, "ackraw", s.AckRaw,
				"peerisn", st.synFrame[conversation.Server].SeqRaw, "irtt", FormatMS(irtt)))
		}
		if st.synFrame[conversation.Client] != nil && st.synFrame[conversation.Server] != nil {
			st.established = st.established || (!syn && ack)
		}
		if fin || (rst && sec != "handshake") || st.closing {
			if sec != "handshake" {
				sec = "close"
				st.closing = true
			}
		}

		// The data the segment carries.
		if s.Len > 0 {
			out = append(out, e.msgN("data.seg", s.Len, "from", e.side(s.From), "len", s.Len, "seq", s.Seq,
				"last", uint32(s.Seq+uint32(s.Len)-1), "next", uint32(s.Seq+uint32(s.Len))))
			if s.Has(decode.FlagPSH) {
				out = append(out, e.msg("data.psh"))
			}
			if lab := e.lab(s, &st); lab != nil {
				out = append(out, lab...)
				notable = true
			} else if txt := preview(s.Payload); txt != "" && !st.sentData[s.From] {
				out = append(out, e.msg("data.text", "text", txt))
			}
			st.sentData[s.From] = true
		}

		// What its acknowledgement number covers.
		if r, ok := rows[s.Frame]; ok && ack && !syn && !(sec == "handshake" && allSYN(r, byFrame)) {
			out = append(out, e.ackSentence(s, r, byFrame)...)
		} else if ack && !syn && !fin && !rst && s.Len == 0 && sec != "handshake" && s.Analysis == 0 {
			out = append(out, e.msg("ack.nothing", "from", e.side(s.From), "ack", s.Ack))
		}

		// The close.
		if fin && !st.finSeen[s.From] {
			notable = true
			st.finSeen[s.From] = true
			if !st.anyFIN {
				st.anyFIN = true
				st.firstFIN = s.From
				out = append(out, e.msg("close.fin.first", "from", e.side(s.From), "seq", s.Seq))
			} else {
				out = append(out, e.msg("close.fin.second", "from", e.side(s.From), "seq", s.Seq))
			}
			if s.From == conversation.Server && st.labReq != nil && !st.sentData[conversation.Server] {
				out = append(out, e.msg("lab.noreply"))
			}
		}
		if rst && sec == "close" {
			notable = true
			st.rst = true
			out = append(out, e.msg("close.rst", "from", e.side(s.From)))
		}

		// The expert flags, where they occur.
		s.Analysis.Each(func(f tcpanalysis.Flags) {
			out = append(out, e.expert(s, f)...)
			notable = true
		})

		if sec == "data" && !notable {
			st.routine++
			if maxRoutine > 0 && st.routine > maxRoutine {
				if st.skipped == 0 {
					st.skipFirst = s.Frame
				}
				st.skipped++
				st.skipLast = s.Frame
				continue
			}
		}
		if len(out) == 0 {
			continue
		}
		e.add(sec, e.packetPara(s, out, s.Analysis))
		for _, p := range optParas {
			e.add(sec, p)
		}
		if sec == "handshake" && s.From == conversation.Client && st.established && !syn && st.synFrame[conversation.Server] != nil && !st.agreedShown {
			st.agreedShown = true // agreed options once, after the handshake
			e.agreed(st.synFrame[conversation.Client], st.synFrame[conversation.Server])
		}
	}
	if st.skipped > 0 {
		e.add("data", Para{Text: e.msg("data.skipped", "n", st.skipped, "first", st.skipFirst, "last", st.skipLast)})
	}
	// The handshake as a whole.
	switch {
	case st.synFrame[conversation.Client] == nil && st.synFrame[conversation.Server] == nil:
		e.add("handshake", Para{Text: e.msg("hs.missing")})
	case st.synFrame[conversation.Client] != nil && st.synFrame[conversation.Server] == nil && !st.rst:
		e.add("handshake", Para{Text: e.msg("hs.noanswer")})
	}
	// The close as a whole.
	switch {
	case st.rst:
		e.add("close", Para{Text: e.msg("close.reset")})
	case st.finSeen[conversation.Client] && st.finSeen[conversation.Server]:
		e.add("close", Para{Text: e.msg("close.timewait", "side", e.side(st.firstFIN), "other", e.Side(st.firstFIN.Other()))})
	case st.anyFIN:
		e.add("close", Para{Text: e.msg("close.half", "side", e.side(st.firstFIN))})
	case len(c.Packets) > 0:
		e.add("close", Para{Text: e.msg("close.open")})
	}
	e.orderSections()
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
	out := []string{e.msg(id, "label", label, "from", e.side(s.From), "seq", s.Seq,
		"ack", s.Ack, "of", s.DupAckOf, "n", s.DupAckNum, "win", s.Win)}
	if f == tcpanalysis.DuplicateAck {
		if blocks := sackBlocks(s, e.msg("frames.sep")); blocks != "" {
			out = append(out, e.msg("sack.blocks", "blocks", blocks))
		}
	}
	return out
}

// orderSections puts the packet sections in their fixed order.
func (e *explainer) orderSections() {
	order := []string{"overview", "handshake", "data", "close"}
	var out []Section
	for _, id := range order {
		if i, ok := e.byID[id]; ok {
			out = append(out, e.w.Sections[i])
		}
	}
	e.w.Sections = out
	e.byID = map[string]int{}
	for i, s := range out {
		e.byID[s.ID] = i
	}
}

func (e *explainer) port(s conversation.Side) uint16 {
	if s == conversation.Client {
		return e.c.Client.Port()
	}
	return e.c.Server.Port()
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

// frameList formats frame numbers joined by sep, eliding the middle of a
// long list.
func frameList(frames []int, sep string) string {
	var parts []string
	for i, f := range frames {
		if len(frames) > 6 && i == 3 {
			parts = append(parts, "…")
		}
		if len(frames) > 6 && i >= 3 && i < len(frames)-1 {
			continue
		}
		parts = append(parts, fmt.Sprint(f))
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

// window explains each side's window.
func (e *explainer) window() {
	c := e.c
	var added bool
	for _, side := range []conversation.Side{conversation.Client, conversation.Server} {
		var first *conversation.Segment
		minW, maxW := -1, -1
		zeros, zeroFrame := 0, 0
		for i := range c.Packets {
			s := &c.Packets[i]
			if s.From != side || s.Has(decode.FlagSYN) || s.Has(decode.FlagRST) {
				continue
			}
			if first == nil {
				first = s
			}
			if minW < 0 || s.Win < minW {
				minW = s.Win
			}
			maxW = max(maxW, s.Win)
			if s.Analysis&tcpanalysis.ZeroWindow != 0 {
				if zeros == 0 {
					zeroFrame = s.Frame
				}
				zeros++
			}
		}
		if first == nil {
			continue
		}
		if !added {
			e.add("window", Para{Text: e.msg("win.intro")})
			added = true
		}
		switch {
		case first.WinScale == conversation.ScaleUnknown:
			e.add("window", Para{Text: e.msg("win.unknown", "side", e.Side(side), "raw", first.WinRaw, "frame", first.Frame)})
		case first.WinScale > 1:
			e.add("window", Para{Text: e.msg("win.scaled", "side", e.Side(side), "raw", first.WinRaw, "mult", first.WinScale, "win", first.Win, "frame", first.Frame)})
		default:
			e.add("window", Para{Text: e.msg("win.plain", "side", e.Side(side), "win", first.Win, "frame", first.Frame)})
		}
		if minW != maxW && first.WinScale != conversation.ScaleUnknown {
			e.add("window", Para{Sub: true, Text: e.msg("win.range", "side", e.Side(side), "min", minW, "max", maxW)})
		}
		if zeros > 0 {
			e.add("window", Para{Sub: true, Text: e.msgN("win.zero", zeros, "side", e.Side(side), "n", zeros, "frame", zeroFrame)})
		}
	}
}

// checksums counts the checksum statuses.
func (e *explainer) checksums() {
	counts := map[string]int{}
	var bad []int
	for i := range e.c.Packets {
		s := &e.c.Packets[i]
		st := s.ChecksumStatus
		switch st {
		case "good", "partial", "unverified":
		case "bad":
			bad = append(bad, s.Frame)
		default:
			st = ""
		}
		counts[st]++
	}
	if len(e.c.Packets) == 0 {
		return
	}
	e.add("checksum", Para{Text: e.msg("ck.intro")})
	if n := counts["good"]; n > 0 {
		e.add("checksum", Para{Text: e.msgN("ck.good", n, "n", n)})
	}
	if n := counts["partial"]; n > 0 {
		e.add("checksum", Para{Text: e.msgN("ck.partial", n, "n", n)})
	}
	if n := counts["bad"]; n > 0 {
		e.add("checksum", Para{Text: e.msgN("ck.bad", n, "n", n, "frames", frameList(bad, e.msg("frames.sep")))})
	}
	if n := counts["unverified"]; n > 0 {
		e.add("checksum", Para{Text: e.msgN("ck.unverified", n, "n", n)})
	}
	if n := counts[""]; n > 0 {
		e.add("checksum", Para{Text: e.msgN("ck.unknown", n, "n", n)})
	}
}

// rttSection presents the RTT table.
func (e *explainer) rttSection() {
	rows := e.w.RTT
	if len(rows) == 0 {
		e.add("rtt", Para{Text: e.msg("rtt.none")})
		return
	}
	e.add("rtt", Para{Text: e.msg("rtt.intro")})
	e.add("rtt", Para{Text: e.msg("rtt.linux")})
	karn := false
	for _, r := range rows {
		karn = karn || r.Karn
	}
	if karn {
		e.add("rtt", Para{Text: e.msg("rtt.karn")})
	}
	// How the table's samples compare with the RTT Wireshark shows,
	// when the conversation has tshark's values (a capture read by Read).
	byFrame := make(map[int]*conversation.Segment, len(e.c.Packets))
	paired := false
	for i := range e.c.Packets {
		byFrame[e.c.Packets[i].Frame] = &e.c.Packets[i]
		paired = paired || e.c.Packets[i].AckedFrame != 0
	}
	var agree, karnRTT int
	var differ []int
	for i := range rows {
		r := &rows[i]
		s := byFrame[r.AckFrame]
		switch {
		case !paired || s == nil:
		case r.Karn:
			if s.AckedFrame != 0 {
				karnRTT++
			}
		case agrees(s, r):
			agree++
		case r.SampleFrame != 0:
			differ = append(differ, r.AckFrame)
		}
	}
	if agree > 0 && len(differ) == 0 {
		e.add("rtt", Para{Text: e.msg("rtt.ws.agree")})
	}
	if karnRTT > 0 {
		e.add("rtt", Para{Text: e.msg("rtt.ws.karn")})
	}
	if len(differ) > 0 {
		e.add("rtt", Para{Text: e.msg("rtt.ws.differ", "frames", frameList(differ, e.msg("frames.sep")))})
	}
	switch {
	case e.c.SinglePoint && e.c.Client.Addr() == e.c.Server.Addr():
		e.add("rtt", Para{Text: e.msg("rtt.point")})
	case e.c.SinglePoint:
		e.add("rtt", Para{Text: e.msg("rtt.path")})
	}
	t := &Table{Header: []string{
		e.msg("rtt.col.ack"), e.msg("rtt.col.sender"), e.msg("rtt.col.segs"), e.msg("rtt.col.sample"),
		e.msg("rtt.col.est"), e.msg("rtt.col.dev"), e.msg("rtt.col.rto"), e.msg("rtt.col.linux"),
	}}
	for _, r := range rows {
		sample := e.msg("rtt.cell.karn")
		if !r.Karn {
			if r.SampleFrame != 0 {
				sample = FormatMS(r.Sample)
			} else {
				sample = "—"
			}
		}
		est, dev, rto, lin := "—", "—", "—", "—"
		if r.Valid {
			est, dev, rto, lin = FormatMS(r.Estimated), FormatMS(r.Dev), FormatMS(r.RTO), FormatMS(r.LinuxRTO)
		}
		who := e.msg("short.client")
		if r.Sender == int(conversation.Server) {
			who = e.msg("short.server")
		}
		t.Rows = append(t.Rows, []string{fmt.Sprint(r.AckFrame), who, frameList(r.Frames, ","), sample, est, dev, rto, lin})
		t.Karn = append(t.Karn, r.Karn)
	}
	sec := e.section("rtt")
	sec.Table = t
	e.add("rtt", Para{Sub: true, TableBefore: true, Text: e.msg("rtt.unit")})
}
