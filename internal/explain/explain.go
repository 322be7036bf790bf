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
	"github.com/tcplab/tcplab/internal/packets"
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
	Skipped *packets.Summary
}

// NotAnalysed returns the line that says, in lang, how many frames of a
// capture were not analysed and why ("33 frames not analysed: VXLAN 33"),
// or "" when every frame was. The reasons are the decoder's names, the
// same in every language.
func NotAnalysed(lang i18n.Lang, s *packets.Summary) string {
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
	// "window", "checksum", "rtt" or "phases" (congestion control).
	ID      string
	Heading string
	Paras   []Para
	Table   *Table // the RTT table; nil elsewhere
}

// Para is one paragraph: the explanation of one packet, or a sentence
// about the whole conversation.
type Para struct {
	// Frame is the packet the paragraph explains (in the "phases"
	// section, the first packet of the phase), 0 for none; Prefix is
	// then its localized "Frame N (t s): " lead-in ("Frames N–M (t1–t2
	// s): " for a phase).
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
		if !c.SinglePoint {
			// Captures at both ends: an ACK counts where and when it
			// reached the data's sender; one the network lost never did.
			out[len(out)-1].Arrival = s.Arrival
			if s.Fate != nil && s.Fate.Lost {
				out[len(out)-1].ACK = false
			}
		}
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

// variant returns the message to say id with for the conversation's
// TCP: id+".netstack" when the conversation ran on gVisor's netstack and
// the catalog says something different there (its timeout, its Reno),
// else id.
func (e *explainer) variant(id string) string {
	if e.c.Stack == conversation.StackNetstack && i18n.Has(id+".netstack") {
		return id + ".netstack"
	}
	return id
}

func (e *explainer) msg(id string, args ...any) string {
	return i18n.Msg(e.lang, e.variant(id), args...)
}

// msgN is msg with the singular form id+".one" when n is 1.
func (e *explainer) msgN(id string, n int, args ...any) string {
	return i18n.MsgN(e.lang, e.variant(id), n, args...)
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
	"phases": "sec.phases",
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
	e.phases()
	return e.w
}

func (e *explainer) overview(skipped *packets.Summary) {
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
	} else if len(c.Packets) > 0 && c.Packets[0].Arrival != 0 {
		e.add("overview", Para{Text: e.msg("overview.both")})
	}
	if c.State != "" {
		e.add("overview", Para{Text: e.msg("overview.state", "state", c.State)})
	}
	if skipped != nil && skipped.SkippedFrames() > 0 {
		n := skipped.SkippedFrames()
		e.add("overview", Para{Text: e.msgN("overview.notanalysed", int(n), "n", n, "reasons", skipped.SkippedList())})
	}
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
