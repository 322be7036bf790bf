package render

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/textwrap"
)

// LadderOptions tunes the terminal ladder.
type LadderOptions struct {
	// Width is the line width in columns; 0 means 80 (the minimum is 60).
	Width int
	// ASCII draws with | - > < instead of box-drawing characters.
	ASCII bool
	// Color adds ANSI colours (only for a terminal, see TerminalStyle).
	Color bool
	// Raw shows the sequence and acknowledgement numbers as on the wire
	// instead of relative to each side's ISN.
	Raw bool
	// MaxPackets caps the arrows drawn; the rest are counted on one line.
	// 0 means 1000; negative means no cap.
	MaxPackets int
	// Lang is the language of the title and column heads; the zero value
	// is English.
	Lang i18n.Lang
}

// TerminalStyle returns whether output to f may use colour and whether it
// should fall back to ASCII. Colour needs a terminal and NO_COLOR unset or
// empty (no-color.org). ASCII is chosen when the locale (LC_ALL, LC_CTYPE,
// LANG, the first one set) is set and names no UTF-8 character set, as the
// C and POSIX locales do.
func TerminalStyle(f *os.File, getenv func(string) string) (color, ascii bool) {
	if f != nil {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			color = getenv("NO_COLOR") == ""
		}
	}
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := getenv(name); v != "" {
			l := strings.ToLower(v)
			ascii = !strings.Contains(l, "utf-8") && !strings.Contains(l, "utf8")
			break
		}
	}
	return color, ascii
}

// glyphs is one drawing character set.
type glyphs struct {
	lane, line, right, left, warn string
	// held is the line of a segment the network held back, cross ends
	// one it lost, copy marks a second copy it made.
	held, cross, copy string
}

var (
	boxGlyphs   = glyphs{lane: "│", line: "─", right: "▶", left: "◀", warn: "⚠", held: "╌", cross: "✕", copy: "⇉"}
	asciiGlyphs = glyphs{lane: "|", line: "-", right: ">", left: "<", warn: "!!", held: "~", cross: "X", copy: "=>"}
)

// ANSI SGR sequences.
const (
	sgrReset  = "\x1b[0m"
	sgrBold   = "\x1b[1m"
	sgrDim    = "\x1b[2m"
	sgrRed    = "\x1b[1;31m"
	sgrGreen  = "\x1b[32m"
	sgrYellow = "\x1b[33m"
	sgrBlue   = "\x1b[34m"
	sgrCyan   = "\x1b[36m"
)

// ladder is one ladder being drawn.
type ladder struct {
	w        *bufio.Writer
	opt      LadderOptions
	g        glyphs
	left     int // column of the left lane
	right    int // column of the right lane
	timeCols int
	// timed: the conversation joins captures at both ends; each row
	// then shows the time at the client before the lanes and the time
	// at the server and the one-way delay after them.
	timed bool
}

// Ladder writes the ladder diagram of c.
func Ladder(out io.Writer, c *conversation.Conversation, opt LadderOptions) error {
	if opt.Width == 0 {
		opt.Width = 80
	}
	opt.Width = max(opt.Width, 60)
	if opt.MaxPackets == 0 {
		opt.MaxPackets = 1000
	}
	l := &ladder{w: bufio.NewWriter(out), opt: opt, g: boxGlyphs}
	if opt.ASCII {
		l.g = asciiGlyphs
	}
	// Columns: frame number (5), a space, the time, two spaces, lanes.
	maxT := "0.000000"
	if n := len(c.Packets); n > 0 {
		maxT = conversation.FormatTime(c.Packets[n-1].Time)
	}
	l.timeCols = max(len(maxT), 8)
	l.left = 5 + 1 + l.timeCols + 2
	l.right = opt.Width - 1
	if l.timed = timedArrows(c, c.Packets); l.timed {
		l.timeCols = max(l.timeCols, textwrap.Width(i18n.Msg(opt.Lang, "ladder.time.client")))
		l.left = 5 + 1 + l.timeCols + 2
		l.right -= l.timeCols + 11 // " 0.012345 12.34ms ↷"
	}

	title := i18n.Msg(opt.Lang, "title", "stream", c.Stream, "client", c.Client, "server", c.Server)
	if opt.ASCII {
		title = strings.ReplaceAll(title, "↔", "<->")
	}
	for _, line := range textwrap.Wrap(title, opt.Width) {
		l.w.WriteString(l.style(sgrBold, clipWidth(line, opt.Width)) + "\n")
	}
	if l.timed {
		pkts := c.Packets
		if opt.MaxPackets > 0 && len(pkts) > opt.MaxPackets {
			pkts = pkts[:opt.MaxPackets]
		}
		l.slant(pkts, c)
		id := "ladder.both"
		if opt.ASCII {
			id = "ladder.both.ascii"
		}
		for _, line := range textwrap.Wrap(i18n.Msg(opt.Lang, id), opt.Width) {
			l.w.WriteString(l.style(sgrDim, line) + "\n")
		}
	}
	l.endpoints(c)
	inner := l.right - l.left + 1
	no, tm := i18n.Msg(opt.Lang, "ladder.no"), i18n.Msg(opt.Lang, "ladder.time")
	after := ""
	if l.timed {
		tm = i18n.Msg(opt.Lang, "ladder.time.client")
		after = " " + i18n.Msg(opt.Lang, "ladder.time.server")
	}
	sub := strings.Repeat(" ", max(5-textwrap.Width(no), 0)) + no + " " + tm + strings.Repeat(" ", max(l.timeCols-textwrap.Width(tm), 0)) + "  "
	l.w.WriteString(sub + l.g.lane + strings.Repeat(" ", inner-2) + l.g.lane + after + "\n")

	for i := range c.Packets {
		if opt.MaxPackets > 0 && i >= opt.MaxPackets {
			rest := len(c.Packets) - i
			l.between(i18n.Msg(opt.Lang, "ladder.more", "n", rest), "")
			break
		}
		l.packet(&c.Packets[i])
	}
	return l.w.Flush()
}

// endpoints writes the endpoint labels: the client's starts at its
// lane, the server's ends at its lane.
func (l *ladder) endpoints(c *conversation.Conversation) {
	cl, sv := c.Client.String(), c.Server.String()
	inner := l.right - l.left + 1
	if len(cl)+len(sv)+1 > inner {
		cl, sv = clip(cl, inner/2), clip(sv, inner-inner/2-1)
	}
	head := strings.Repeat(" ", l.left) + cl + strings.Repeat(" ", inner-len(cl)-len(sv)) + sv
	l.w.WriteString(l.style(sgrBold, head) + "\n")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 1 {
		return s[:max(n, 0)]
	}
	return s[:n-1] + "~"
}

func (l *ladder) style(sgr, s string) string {
	if !l.opt.Color || s == "" {
		return s
	}
	return sgr + s + sgrReset
}

// Label returns an arrow's label: flags, Seq, Ack (when ACK is set), Win
// and Len, as in Wireshark's Info column.
func Label(s *conversation.Segment, raw bool) string {
	var b strings.Builder
	b.WriteString(flagNames(s.Flags, ","))
	seq, ack := s.Seq, s.Ack
	if raw {
		seq, ack = s.SeqRaw, s.AckRaw
	}
	fmt.Fprintf(&b, " Seq=%d", seq)
	if s.Has(decode.FlagACK) {
		fmt.Fprintf(&b, " Ack=%d", ack)
	}
	fmt.Fprintf(&b, " Win=%d Len=%d", s.Win, s.Len)
	return b.String()
}

// flagNames returns the set flags as Wireshark lists them in the Info
// column ("SYN, ACK"), joined by sep; "<None>" when none is set.
func flagNames(flags uint16, sep string) string {
	if b := listing.AppendFlagNames(nil, flags, sep); len(b) > 0 {
		return string(b)
	}
	return "<None>"
}

// arrowColor picks an arrow's colour from its flags.
func arrowColor(s *conversation.Segment) string {
	switch {
	case s.Has(decode.FlagRST):
		return sgrRed
	case s.Has(decode.FlagSYN):
		return sgrGreen
	case s.Has(decode.FlagFIN):
		return sgrBlue
	case s.Len > 0:
		return sgrCyan
	}
	return ""
}

// packet draws one arrow and its detail lines.
func (l *ladder) packet(s *conversation.Segment) {
	label := Label(s, l.opt.Raw)
	inner := l.right - l.left - 1 // columns between the lanes
	// An arrow is: one line char, a space, the label, a space, line chars,
	// the head (mirrored for right to left). Labels that do not fit go on
	// a line of their own above a bare arrow.
	room := inner - 4
	prefix := fmt.Sprintf("%5d %-*s  ", s.Frame, l.timeCols, conversation.FormatTime(s.Time))
	suffix := ""
	if l.timed {
		prefix, suffix = l.times(s)
	}
	if len(label) > room || (l.timed && lost(s) && len(label)+4 > (inner-1)/2) {
		// A lost segment's arrow stops halfway: its label goes above
		// unless it fits in the half.
		l.between(clip(label, inner-2), "")
		label = ""
	}
	line := l.g.line
	if l.timed && s.Fate != nil && s.Fate.Reordered {
		line = l.g.held
	}
	fill := inner - 1 // minus the head
	var body string
	switch {
	case l.timed && lost(s):
		// The arrow stops halfway, at the cross, or just past its label.
		n := max((inner-1)/2, textwrap.Width(label)+4)
		if label == "" {
			n = (inner - 1) / 2
		}
		shaft := line
		if label != "" {
			shaft += " " + label + " "
		}
		cw := textwrap.Width(l.g.cross)
		k := min(n-textwrap.Width(shaft)-1, inner-textwrap.Width(shaft)-cw)
		shaft += strings.Repeat(line, max(k, 0))
		if textwrap.Width(shaft)+cw > inner {
			shaft = strings.TrimSuffix(shaft, " ")
		}
		pad := strings.Repeat(" ", max(inner-textwrap.Width(shaft)-textwrap.Width(l.g.cross), 0))
		if s.From == conversation.Client {
			body = shaft + l.g.cross + pad
		} else {
			body = pad + l.g.cross + reverse(shaft)
		}
	case label == "":
		body = strings.Repeat(line, fill)
	default:
		rest := fill - len(label) - 3
		if s.From == conversation.Client {
			body = line + " " + label + " " + strings.Repeat(line, rest)
		} else {
			body = strings.Repeat(line, rest) + " " + label + " " + line
		}
	}
	switch {
	case l.timed && lost(s):
	case s.From == conversation.Client:
		body += l.g.right
	default:
		body = l.g.left + body
	}
	l.w.WriteString(prefix + l.g.lane + l.style(arrowColor(s), body) + l.g.lane + suffix + "\n")
	if l.timed && s.Fate != nil && s.Fate.DupArrival != 0 {
		l.copyArrow(s)
	}

	// Expert flags, highlighted under the arrow.
	if labels := expertLabels(s); len(labels) > 0 {
		l.between(l.g.warn+" "+strings.Join(labels, " "), sgrRed)
	}
	// SYN options, dimmed.
	if s.Has(decode.FlagSYN) {
		if o := OptionsText(s.Options, false); o != "" {
			l.between(o, sgrDim)
		}
	}
	// Short text payloads (the lab's messages), quoted.
	if p := textPayload(s); p != "" {
		l.between(p, sgrYellow)
	}
}

// times returns a timed row's columns before and after the lanes for
// s: its number and the time at the client, and the time at the server
// with the one-way delay (or the loss).
func (l *ladder) times(s *conversation.Segment) (before, after string) {
	at := [2]string{conversation.FormatTime(s.Time), ""} // at the sender, at the receiver
	delay := ""
	switch {
	case lost(s):
		delay = l.g.cross
	default:
		at[1] = conversation.FormatTime(s.Arrival)
		delay = msText(s.Arrival-s.Time) + "ms"
		if s.Fate != nil && s.Fate.Reordered {
			delay += " ↷"
			if l.opt.ASCII {
				delay = strings.TrimSuffix(delay, " ↷") + " ~"
			}
		}
	}
	cl, sv := at[0], at[1]
	if s.From == conversation.Server {
		cl, sv = at[1], at[0]
	}
	before = fmt.Sprintf("%5d %-*s  ", s.Frame, l.timeCols, cl)
	after = " " + sv + strings.Repeat(" ", max(l.timeCols-len(sv), 0)) + " " + delay
	return before, strings.TrimRight(after, " ")
}

// copyArrow draws the second copy the network made of s, arriving at
// s.Fate.DupArrival.
func (l *ladder) copyArrow(s *conversation.Segment) {
	inner := l.right - l.left - 1
	label := l.g.copy + " " + i18n.Msg(l.opt.Lang, "ladder.copy")
	rest := max(inner-1-textwrap.Width(label)-3, 1)
	arr := conversation.FormatTime(s.Fate.DupArrival)
	delay := msText(s.Fate.DupArrival-s.Time) + "ms"
	var body, before, after string
	if s.From == conversation.Client {
		body = l.g.held + " " + label + " " + strings.Repeat(l.g.held, rest) + l.g.right
		before = strings.Repeat(" ", l.left)
		after = " " + arr + strings.Repeat(" ", max(l.timeCols-len(arr), 0)) + " " + delay
	} else {
		body = l.g.left + strings.Repeat(l.g.held, rest) + " " + label + " " + l.g.held
		before = fmt.Sprintf("%5s %-*s  ", "", l.timeCols, arr)
		after = " " + strings.Repeat(" ", l.timeCols) + " " + delay
	}
	l.w.WriteString(before + l.g.lane + l.style(sgrYellow, body) + l.g.lane + after + "\n")
}

// reverse mirrors an arrow shaft drawn left to right: its label stays
// readable, its line characters swap ends.
func reverse(shaft string) string {
	// The shaft is line, " label ", lines: mirrored, lines first.
	i := strings.Index(shaft, " ")
	j := strings.LastIndex(shaft, " ")
	if i < 0 || j <= i {
		return shaft
	}
	return shaft[j+1:] + shaft[i:j+1] + shaft[:i]
}

// between writes text centred between the lanes.
func (l *ladder) between(text, sgr string) {
	inner := l.right - l.left - 1
	text = clipWidth(text, inner-2)
	w := textwrap.Width(text)
	pad := (inner - w) / 2
	line := strings.Repeat(" ", l.left) + l.g.lane + strings.Repeat(" ", pad) + l.style(sgr, text) +
		strings.Repeat(" ", inner-pad-w) + l.g.lane
	l.w.WriteString(line + "\n")
}

// clipWidth cuts s to at most n columns.
func clipWidth(s string, n int) string {
	if textwrap.Width(s) <= n {
		return s
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := textwrap.RuneWidth(r)
		if w+rw > n-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return b.String() + "~"
}

// OptionsText lists a SYN's options as Wireshark's Info column does
// (MSS=65495 SACK_PERM TSval=1 TSecr=0 WS=1024); without full, the
// timestamps are shortened to "TS" so that the list fits between the lanes.
func OptionsText(opts []conversation.Option, full bool) string {
	var parts []string
	for _, o := range opts {
		switch o.Kind {
		case decode.OptMSS:
			parts = append(parts, fmt.Sprintf("MSS=%d", o.MSS))
		case decode.OptSACKPerm:
			parts = append(parts, "SACK_PERM")
		case decode.OptTimestamp:
			if full {
				parts = append(parts, fmt.Sprintf("TSval=%d TSecr=%d", o.TSval, o.TSecr))
			} else {
				parts = append(parts, "TS")
			}
		case decode.OptWS:
			parts = append(parts, fmt.Sprintf("WS=%d", 1<<min(max(o.Shift, 0), 14)))
		}
	}
	return strings.Join(parts, " ")
}

// textPayload returns a short printable payload in quotes, or "".
func textPayload(s *conversation.Segment) string {
	if s.Len == 0 || s.Len > 64 || len(s.Payload) != s.Len {
		return ""
	}
	for _, c := range s.Payload {
		if c < 0x20 && c != '\n' && c != '\r' || c >= 0x7f {
			return ""
		}
	}
	t := strings.TrimRight(string(s.Payload), "\r\n")
	if strings.ContainsAny(t, "\r\n") {
		return ""
	}
	return `"` + t + `"`
}
