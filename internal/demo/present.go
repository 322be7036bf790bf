package demo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/labproto"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/render"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
	"github.com/tcplab/tcplab/internal/textwrap"
)

// Presentation tunes what Write prints.
type Presentation struct {
	// Lang is the language of the walk-through.
	Lang i18n.Lang
	// NoLadder and NoExplain leave out the ladder diagrams and the
	// walk-throughs.
	NoLadder, NoExplain bool
	// Color and ASCII are the ladder's style (see render.TerminalStyle).
	Color, ASCII bool
	// MaxLines caps the packet list of a bulk transfer, which then shows
	// only the segments with an expert flag; 0 means 40.
	MaxLines int
	// MaxArrows caps the arrows of a bulk transfer's ladder, drawn around
	// the first retransmission; 0 means 40.
	MaxArrows int
	// Report is the HTML report's file name, to mention; "" for none.
	Report string
}

// recoveryFlags are the expert flags that show TCP recovering from an
// impaired network, in the order they are listed; each is labelled by the
// message "demo.count." + its name.
var recoveryFlags = []tcpanalysis.Flags{
	tcpanalysis.Retransmission, tcpanalysis.FastRetransmission, tcpanalysis.SpuriousRetransmission,
	tcpanalysis.DuplicateAck, tcpanalysis.OutOfOrder, tcpanalysis.LostSegment, tcpanalysis.AckLostSegment,
	tcpanalysis.WindowFull, tcpanalysis.ZeroWindow, tcpanalysis.WindowUpdate,
}

// printer writes the demo's lines in one language: the demo's own words
// come from the i18n message catalog, the lab's programs' output and
// the packet list are copied as they are.
type printer struct {
	*bufio.Writer
	lang i18n.Lang
}

// msg returns message id of the catalogs in p's language.
func (p *printer) msg(id string, args ...any) string { return i18n.Msg(p.lang, id, args...) }

// line writes message id and a newline.
func (p *printer) line(id string, args ...any) {
	p.WriteString(p.msg(id, args...))
	p.WriteByte('\n')
}

// para writes message id wrapped to 80 columns, each line indented by
// indent spaces.
func (p *printer) para(indent int, id string, args ...any) {
	for _, l := range textwrap.Wrap(p.msg(id, args...), 80-indent) {
		p.WriteString(strings.Repeat(" ", indent))
		p.WriteString(l)
		p.WriteByte('\n')
	}
}

// hang writes message id wrapped to 80 columns, the lines after the
// first indented by two spaces.
func (p *printer) hang(id string, args ...any) {
	lines := textwrap.Wrap(p.msg(id, args...), 78)
	for i, l := range lines {
		if i > 0 {
			p.WriteString("  ")
		}
		p.WriteString(l)
		p.WriteByte('\n')
	}
}

// heading writes a rule with message id as its title.
func (p *printer) heading(id string, args ...any) {
	title := p.msg(id, args...)
	fmt.Fprintf(p, "\n── %s %s\n", title, strings.Repeat("─", max(3, 76-textwrap.Width(title))))
}

// Write prints the outcome of a run and, when a capture was analysed,
// its analysis (a may be nil), in the language pr.Lang.
func Write(out io.Writer, o *Outcome, a *Analysis, pr Presentation) error {
	p := &printer{Writer: bufio.NewWriter(out), lang: pr.Lang}
	if p.lang == "" {
		p.lang = i18n.English
	}
	writeHeader(p, o)
	for i := range o.Cases {
		writeCase(p, i, &o.Cases[i], o)
	}
	if o.Bulk != nil {
		writeBulk(p, o)
	}
	if o.Network != nil {
		writeNetwork(p, o.Network)
	}
	if o.CaptureErr != nil {
		p.heading("demo.nocapture")
		if pe := (*capture.PermissionError)(nil); errors.As(o.CaptureErr, &pe) {
			p.para(0, "demo.nocapture.why", "iface", pe.Interface)
			bin := capture.RemedyBinary()
			fmt.Fprintf(p, "    sudo %s demo\n    sudo setcap cap_net_raw+ep %s\n", bin, bin)
		} else {
			fmt.Fprintf(p, "%v\n", o.CaptureErr)
		}
		p.para(0, "demo.nocapture.text")
	}
	if o.Capture != nil && a != nil {
		if err := a.attach(o); err != nil {
			return err
		}
		writePackets(p, o, a, pr)
		if err := writeConversations(p, o, a, pr); err != nil {
			return err
		}
	}
	if o.Capture != nil {
		writeFiles(p, o, pr)
	}
	return p.Flush()
}

func writeHeader(p *printer, o *Outcome) {
	switch {
	case o.UserStack:
		writeUserStackHeader(p, o)
		return
	case o.Network != nil:
		p.line("demo.header.impaired", "client", netlab.ClientAddr, "server", netlab.ServerAddr)
		p.line("demo.impairment", "spec", o.Network.Spec)
	default:
		p.line("demo.header", "addr", o.Server.Addr())
	}
	if c := o.Capture; c != nil {
		if o.Network != nil {
			p.line("demo.capture.at", "file", c.File, "iface", c.Interface, "filter", strconv.Quote(c.Filter), "host", p.msg("short."+o.Network.CaptureAt.String()))
			if pc := o.PeerCapture; pc != nil {
				p.hang("demo.capture.peer", "file", pc.File, "iface", pc.Interface, "host", p.msg("short."+pc.Host.String()))
			}
		} else {
			p.line("demo.capture", "file", c.File, "iface", c.Interface, "filter", strconv.Quote(c.Filter))
		}
	}
}

func writeCase(p *printer, i int, c *Case, o *Outcome) {
	id, args := caseHeading(i, c)
	p.heading(id, args...)
	writeCaseBody(p, i, c, o)
}

// caseHeading returns the message id and arguments of case i's heading.
func caseHeading(i int, c *Case) (string, []any) {
	id := "demo.case.out"
	if c.InRange {
		id = "demo.case.in"
	}
	return id, []any{"n", i + 1, "number", strings.TrimSpace(c.Number), "min", labproto.MinNumber, "max", labproto.MaxNumber}
}

// writeCaseBody writes what the server and the client printed in case i.
func writeCaseBody(p *printer, i int, c *Case, o *Outcome) {
	rng := []any{"min", labproto.MinNumber, "max", labproto.MaxNumber}
	p.line("demo.server")
	if i == 0 && len(o.Listening) > 0 {
		indent(p, o.Listening)
	}
	if len(c.Server) > 0 {
		indent(p, c.Server)
	} else {
		p.para(2, "demo.server.silent")
	}
	switch {
	case c.Result != nil:
		p.line("demo.client.at", "addr", c.Result.Local)
		indent(p, c.Result.AppendLines(nil))
	case c.ClientExit != "":
		p.line("demo.client.program", "exit", c.ClientExit)
		indent(p, c.Client)
	default:
		p.line("demo.client")
	}
	switch {
	case c.Expected() && !c.InRange && c.ClientExit != "":
		p.para(2, "demo.noreply.program", rng...)
	case c.Expected() && !c.InRange:
		p.para(2, "demo.noreply", rng...)
	case !c.Expected() && c.Err != nil:
		p.para(2, "demo.unexpected", "err", c.Err)
	case !c.Expected():
		p.para(2, "demo.unexpected.reply", rng...)
	}
}

// indent copies the lab's program output, each line indented by two
// spaces.
func indent(p *printer, lines []byte) {
	for line := range bytes.Lines(lines) {
		p.WriteString("  ")
		p.Write(line)
		if !bytes.HasSuffix(line, []byte("\n")) {
			p.WriteByte('\n')
		}
	}
}

func writeBulk(p *printer, o *Outcome) {
	b := o.Bulk
	p.heading("demo.bulk", "bytes", b.Sent, "client", netlab.ClientAddr, "server", o.Server)
	writeBulkBody(p, o)
}

// writeBulkBody writes the bulk transfer's result and the sender's
// TCP_INFO.
func writeBulkBody(p *printer, o *Outcome) {
	b := o.Bulk
	rate := 0.0
	if b.Elapsed > 0 {
		rate = float64(b.Received) * 8 / b.Elapsed.Seconds() / 1e6
	}
	p.line("demo.bulk.read", "bytes", b.Received, "elapsed", b.Elapsed.Round(time.Millisecond), "rate", fmt.Sprintf("%.2f", rate))
	p.line(stackMsg(o, "demo.bulk.kernel"), "rtt", b.RTT.Round(10*time.Microsecond), "n", b.Retransmits)
}

func writeNetwork(p *printer, n *Network) {
	p.heading("demo.net")
	writeNetworkBody(p, n)
}

// writeNetworkBody writes the impairment and the bridge's counters.
func writeNetworkBody(p *printer, n *Network) {
	p.hang("demo.net.spec", "spec", n.Spec)
	p.hang("demo.net.c2s", "stats", directionStats(p, &n.Stats.C2S))
	p.hang("demo.net.s2c", "stats", directionStats(p, &n.Stats.S2C))
	if c2s, s2c := otherFrames(n.Fates); c2s+s2c > 0 {
		p.hang("demo.net.other", "c2s", c2s, "s2c", s2c)
	}
}

// otherFrames counts the frames of the bridge's log that are not TCP
// segments (ARP), in each direction: the bridge's counters include them,
// the reconciliation tables do not.
func otherFrames(fates []netlab.FrameFate) (c2s, s2c int) {
	for i := range fates {
		switch {
		case fates[i].TCP:
		case fates[i].C2S:
			c2s++
		default:
			s2c++
		}
	}
	return c2s, s2c
}

// directionStats is the bridge's counters for one direction, as
// netlab.DirectionStats.String gives them in English.
func directionStats(p *printer, d *netlab.DirectionStats) string {
	s := p.msg("demo.net.stats", "received", d.Received, "forwarded", d.Forwarded, "lost", d.DroppedLoss,
		"queue", d.DroppedQueue, "limit", d.DroppedLimit, "dup", d.Duplicated, "reordered", d.Reordered, "marked", d.Marked)
	if d.WriteErrors != 0 || d.Oversize != 0 || d.KernelDrops != 0 {
		s += p.msg("demo.net.errors", "write", d.WriteErrors, "oversize", d.Oversize, "kernel", d.KernelDrops)
	}
	return s
}

func writePackets(p *printer, o *Outcome, a *Analysis, pr Presentation) {
	st := o.Capture.Stats
	p.heading(stackMsg(o, "demo.packets"), "captured", st.Captured, "iface", o.Capture.Interface, "dropped", st.Dropped)
	if !o.Capture.Complete {
		p.hang("demo.packets.incomplete")
	}
	if o.Bulk == nil {
		for _, l := range a.Lines {
			p.Write(l)
		}
	} else {
		maxLines := pr.MaxLines
		if maxLines <= 0 {
			maxLines = 40
		}
		flagged := 0
		for _, f := range a.Flagged {
			if f {
				flagged++
			}
		}
		if flagged > maxLines {
			p.hang("demo.packets.flagged.cut", "n", len(a.Lines), "flagged", flagged, "max", maxLines)
		} else {
			p.hang("demo.packets.flagged", "n", len(a.Lines), "flagged", flagged)
		}
		shown := 0
		for i, l := range a.Lines {
			if a.Flagged[i] && shown < maxLines {
				p.Write(l)
				shown++
			}
		}
		if flagged > shown {
			p.line("demo.packets.more", "n", flagged-shown, "file", o.Capture.File)
		}
	}
	p.Write(a.Conversations)
	if t := explain.NotAnalysed(p.lang, &a.Summary); t != "" {
		for _, l := range textwrap.Wrap(t, 78) {
			p.WriteString(l + "\n")
		}
	}
	if o.Network != nil || len(a.Counts) > 0 {
		writeExpert(p, o, a)
	}
	if rs := Reconcile(o, a); rs != nil {
		p.heading("demo.recon")
		p.hang(stackMsg(o, "demo.recon.intro"))
		for i := range rs {
			writeRecon(p, &rs[i])
		}
	}
}

// writeRecon writes one direction's reconciliation table: a line per
// count, each note wrapped under its line.
func writeRecon(p *printer, r *Reconciliation) {
	rows := r.Rows(p.lang)
	width := 0
	for _, row := range rows {
		width = max(width, textwrap.Width(row.Label))
	}
	title, head := r.Title(p.lang), p.msg("recon.col.n")
	numW := max(7, textwrap.Width(head))
	fmt.Fprintf(p, "\n%s%s%s\n", title, strings.Repeat(" ", max(1, width+2+numW-textwrap.Width(title)-textwrap.Width(head))), head)
	for _, row := range rows {
		fmt.Fprintf(p, "  %s%s%*d\n", row.Label, strings.Repeat(" ", width-textwrap.Width(row.Label)), numW, row.N)
		if row.Note != "" {
			for _, l := range textwrap.Wrap(row.Note, 74) {
				p.WriteString("      " + l + "\n")
			}
		}
	}
}

// writeExpert writes the expert-flag summary: how many frames carry a
// flag, the frames carrying each flag (one frame may carry several), and
// how the sender kernel's count of retransmitted segments relates to the
// capture's.
func writeExpert(p *printer, o *Outcome, a *Analysis) {
	p.heading("demo.expert")
	writeExpertBody(p, o, a)
}

// writeExpertBody writes the expert-flag summary without its heading.
func writeExpertBody(p *printer, o *Outcome, a *Analysis) {
	flagged := 0
	for _, f := range a.Flagged {
		if f {
			flagged++
		}
	}
	p.hang("demo.expert.frames", "flagged", flagged, "n", len(a.Lines))
	row := func(label string, n int) {
		fmt.Fprintf(p, "  %s%s %d\n", label, strings.Repeat(" ", max(0, 32-textwrap.Width(label))), n)
	}
	sum := 0
	for _, f := range recoveryFlags {
		if n := a.Counts[f]; n > 0 || isMain(f) {
			row(p.msg("demo.count."+f.Name()), n)
		}
	}
	// Flags the impaired network rarely causes (keep-alives, probes,
	// reused ports), under Wireshark's labels, so that every flagged
	// frame is counted somewhere.
	for _, f := range tcpanalysis.InfoOrder {
		if n := a.Counts[f]; n > 0 && !slices.Contains(recoveryFlags, f) {
			row(f.Label(), n)
		}
	}
	for f, n := range a.Counts {
		if f != tcpanalysis.WindowUpdate {
			sum += n
		}
	}
	if a.Multi > 0 {
		p.hang("demo.expert.multi", "sum", sum, "flagged", flagged, "extra", a.Multi)
	}
	if o.Bulk != nil {
		retrans := a.Counts[tcpanalysis.Retransmission] + a.Counts[tcpanalysis.FastRetransmission] + a.Counts[tcpanalysis.SpuriousRetransmission]
		p.hang(stackMsg(o, "demo.expert.kernel"), "kernel", o.Bulk.Retransmits, "retrans", retrans, "ooo", a.Counts[tcpanalysis.OutOfOrder])
	}
}

// isMain reports whether flag is one the impaired demo always lists,
// even at zero.
func isMain(flag tcpanalysis.Flags) bool {
	return flag&(tcpanalysis.Retransmission|tcpanalysis.FastRetransmission|tcpanalysis.DuplicateAck|tcpanalysis.OutOfOrder|tcpanalysis.WindowFull) != 0
}

func writeConversations(p *printer, o *Outcome, a *Analysis, pr Presentation) error {
	if pr.NoLadder && pr.NoExplain {
		return nil
	}
	maxArrows := pr.MaxArrows
	if maxArrows <= 0 {
		maxArrows = 40
	}
	for i := range a.Convs {
		c := &a.Convs[i]
		if len(a.Convs) == len(o.Cases) {
			p.heading("demo.conv.case", "n", i+1, "number", strings.TrimSpace(o.Cases[i].Number))
		} else {
			p.heading("demo.conv", "stream", c.Stream)
		}
		if !pr.NoLadder {
			d := c
			if o.Bulk != nil && len(c.Packets) > maxArrows {
				var from int
				d, from = focus(c, maxArrows)
				args := []any{"from", from + 1, "to", from + len(d.Packets), "total", len(c.Packets)}
				if pr.Report != "" {
					p.hang("demo.conv.focus.report", append(args, "report", pr.Report)...)
				} else {
					p.hang("demo.conv.focus", args...)
				}
			}
			if err := render.Ladder(p, d, render.LadderOptions{Color: pr.Color, ASCII: pr.ASCII, Lang: p.lang}); err != nil {
				return fmt.Errorf("demo: ladder of conversation %d: %w", c.Stream, err)
			}
		}
		if !pr.NoExplain {
			fmt.Fprintln(p)
			opt := explain.Options{Lang: p.lang, Skipped: &a.Summary}
			if o.Bulk != nil {
				opt.MaxRoutine = 6
			}
			wt := explain.Explain(c, opt)
			if o.Bulk != nil {
				rest := "tcplab analyze " + o.Capture.File
				if pr.Report != "" {
					rest = pr.Report
				}
				trim(wt, p.lang, 25, 20, rest)
			}
			if err := wt.WriteText(p, 80); err != nil {
				return fmt.Errorf("demo: walk-through of conversation %d: %w", c.Stream, err)
			}
		}
	}
	return nil
}

// focus returns a copy of c with at most n packets, starting a little
// before the first retransmission (else the first duplicate ACK,
// out-of-order segment or gap), and the index of its first packet in c.
func focus(c *conversation.Conversation, n int) (*conversation.Conversation, int) {
	at := -1
	for _, want := range []tcpanalysis.Flags{
		tcpanalysis.FastRetransmission | tcpanalysis.Retransmission,
		tcpanalysis.DuplicateAck | tcpanalysis.OutOfOrder | tcpanalysis.LostSegment | tcpanalysis.WindowFull | tcpanalysis.ZeroWindow,
	} {
		for i := range c.Packets {
			if c.Packets[i].Analysis&want != 0 {
				at = i
				break
			}
		}
		if at >= 0 {
			break
		}
	}
	from := max(0, min(at-2*n/3, len(c.Packets)-n))
	d := *c
	d.Packets = c.Packets[from : from+n]
	return &d, from
}

// trim shortens a bulk transfer's walk-through for the terminal. In each
// section it keeps the sentences about the whole conversation and at most
// maxParas paragraphs about packets, preferring those that explain an
// expert flag other than a window update (a growing receive window marks
// most ACKs of a bulk transfer so); the RTT table keeps maxRows rows. Each
// cut is marked with a line, in lang, naming where the rest is.
func trim(wt *explain.Walkthrough, lang i18n.Lang, maxParas, maxRows int, rest string) {
	for i := range wt.Sections {
		sec := &wt.Sections[i]
		// Pass 1: choose the packet paragraphs to keep.
		keep := make([]bool, len(sec.Paras))
		kept, plain := 0, 0
		for j, p := range sec.Paras {
			if p.Sub || p.Frame == 0 {
				continue
			}
			if notable(p.Flags) && kept < maxParas {
				keep[j] = true
				kept++
			}
		}
		for j, p := range sec.Paras {
			if p.Sub || p.Frame == 0 || keep[j] || notable(p.Flags) {
				continue
			}
			if plain < 6 && kept < maxParas {
				keep[j] = true
				kept++
				plain++
			}
		}
		// Pass 2: copy them, with their details, in order.
		var out []explain.Para
		dropped, last := 0, false
		for j, p := range sec.Paras {
			switch {
			case p.Sub:
				if last {
					out = append(out, p)
				}
				continue
			case p.Frame == 0 || keep[j]:
				out = append(out, p)
				last = true
			default:
				dropped++
				last = false
			}
		}
		if dropped > 0 {
			out = append(out, explain.Para{Text: i18n.Msg(lang, "demo.trim.paras", "n", dropped, "rest", rest)})
		}
		sec.Paras = out
		if t := sec.Table; t != nil && len(t.Rows) > maxRows {
			left := len(t.Rows) - maxRows
			cut := *t
			cut.Rows = t.Rows[:maxRows:maxRows]
			if len(t.Karn) > maxRows {
				cut.Karn = t.Karn[:maxRows:maxRows]
			}
			sec.Table = &cut
			sec.Paras = append(sec.Paras, explain.Para{Text: i18n.Msg(lang, "demo.trim.rows", "rows", maxRows, "n", left, "rest", rest)})
		}
	}
}

// notable reports whether a paragraph's expert labels include one other
// than a window update.
func notable(flags tcpanalysis.Flags) bool { return flags&^tcpanalysis.WindowUpdate != 0 }

func writeFiles(p *printer, o *Outcome, pr Presentation) {
	p.heading("demo.files")
	f := o.Capture.File
	port := o.Server.Port()
	p.line("demo.files.capture", "file", f, "n", o.Capture.Stats.Captured)
	fmt.Fprintf(p, "    wireshark %s\n", shellQuote(f))
	// Not wrapped: the double spaces set the filter apart.
	p.WriteString("  ")
	p.line("demo.files.filter", "port", port)
	fmt.Fprintf(p, "    wireshark -r %s -Y 'tcp.port == %d'\n", shellQuote(f), port)
	p.WriteString("  ")
	p.line("demo.files.without", "file", shellQuote(f))
	if pr.Report != "" {
		p.line("demo.files.report", "report", pr.Report)
	}
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=+:@%,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
