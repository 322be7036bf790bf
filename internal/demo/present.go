package demo

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/labproto"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/render"
)

// Presentation tunes what Write prints.
type Presentation struct {
	// Lang is the language of the walk-through.
	Lang explain.Lang
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
// impaired network, in the order they are listed, with their names.
var recoveryFlags = []struct{ name, label string }{
	{"retransmission", "retransmissions"},
	{"fast_retransmission", "fast retransmissions"},
	{"spurious_retransmission", "spurious retransmissions"},
	{"duplicate_ack", "duplicate ACKs"},
	{"out_of_order", "out-of-order segments"},
	{"lost_segment", "previous segment not captured"},
	{"ack_lost_segment", "ACKed unseen segment"},
	{"window_full", "window full"},
	{"zero_window", "zero window"},
	{"window_update", "window updates"},
}

// Write prints the outcome of a run and, when a capture was analysed,
// its analysis (a may be nil).
func Write(out io.Writer, o *Outcome, a *Analysis, pr Presentation) error {
	w := bufio.NewWriter(out)
	writeHeader(w, o)
	for i := range o.Cases {
		writeCase(w, i, &o.Cases[i], o)
	}
	if o.Bulk != nil {
		writeBulk(w, o)
	}
	if o.Network != nil {
		writeNetwork(w, o.Network)
	}
	if o.CaptureErr != nil {
		heading(w, "No capture")
		fmt.Fprintf(w, "%v\n", o.CaptureErr)
		fmt.Fprintf(w, "The exchanges above ran anyway. With CAP_NET_RAW the demo also captures them\nand shows the packets, the ladder diagram and the walk-through.\n")
	}
	if o.Capture != nil && a != nil {
		writePackets(w, o, a, pr)
		if err := writeConversations(w, o, a, pr); err != nil {
			return err
		}
	}
	if o.Capture != nil {
		writeFiles(w, o, pr)
	}
	return w.Flush()
}

func heading(w io.Writer, title string) {
	fmt.Fprintf(w, "\n── %s %s\n", title, strings.Repeat("─", max(3, 76-explain.Width(title))))
}

func writeHeader(w *bufio.Writer, o *Outcome) {
	switch {
	case o.Network != nil:
		fmt.Fprintf(w, "tcplab demo across an impaired network: client host %v ── bridge ── server host %v\n", netlab.ClientAddr, netlab.ServerAddr)
		fmt.Fprintf(w, "impairment: %s\n", o.Network.Spec)
	default:
		fmt.Fprintf(w, "tcplab demo: the lab's server and client on %v\n", o.Server.Addr())
	}
	if o.Capture != nil {
		fmt.Fprintf(w, "capture: %s on %s (filter %q)", o.Capture.File, o.Capture.Interface, o.Capture.Filter)
		if o.Network != nil {
			fmt.Fprintf(w, " in the %v host", o.Network.CaptureAt)
		}
		fmt.Fprintln(w)
	}
}

func writeCase(w *bufio.Writer, i int, c *Case, o *Outcome) {
	number := strings.TrimSpace(c.Number)
	if c.InRange {
		heading(w, fmt.Sprintf("Case %d: the client sends %s, in 1..100: the server answers", i+1, number))
	} else {
		heading(w, fmt.Sprintf("Case %d: the client sends %s, outside 1..100: no answer", i+1, number))
	}
	fmt.Fprintln(w, "server:")
	if i == 0 && len(o.Listening) > 0 {
		indent(w, o.Listening)
	}
	if len(c.Server) > 0 {
		indent(w, c.Server)
	} else {
		fmt.Fprintln(w, "  (printed nothing for this exchange)")
	}
	if c.Result != nil {
		fmt.Fprintf(w, "client (%v):\n", c.Result.Local)
		indent(w, c.Result.AppendLines(nil))
	} else {
		fmt.Fprintln(w, "client:")
	}
	switch {
	case c.Expected() && !c.InRange:
		fmt.Fprintf(w, "  no reply: the server closed the connection without replying, as the lab\n  expects for a number outside 1..100 (the original Python client fails here:\n  recv returns nothing, and splitting the empty reply raises ValueError)\n")
	case !c.Expected() && c.Err != nil:
		fmt.Fprintf(w, "  UNEXPECTED: %v\n", c.Err)
	case !c.Expected():
		fmt.Fprintf(w, "  UNEXPECTED: the server replied to a number outside %d..%d\n", labproto.MinNumber, labproto.MaxNumber)
	}
}

func indent(w *bufio.Writer, lines []byte) {
	for line := range bytes.Lines(lines) {
		w.WriteString("  ")
		w.Write(line)
		if !bytes.HasSuffix(line, []byte("\n")) {
			w.WriteByte('\n')
		}
	}
}

func writeBulk(w *bufio.Writer, o *Outcome) {
	b := o.Bulk
	heading(w, fmt.Sprintf("Bulk transfer: %d bytes from %v to %v", b.Sent, netlab.ClientAddr, o.Server))
	rate := 0.0
	if b.Elapsed > 0 {
		rate = float64(b.Received) * 8 / b.Elapsed.Seconds() / 1e6
	}
	fmt.Fprintf(w, "the server read %d bytes in %v (%.2f Mbit/s)\n", b.Received, b.Elapsed.Round(time.Millisecond), rate)
	fmt.Fprintf(w, "the sender's kernel (TCP_INFO): smoothed RTT %v, %d segments retransmitted\n", b.RTT.Round(10*time.Microsecond), b.Retransmits)
}

func writeNetwork(w *bufio.Writer, n *Network) {
	heading(w, "Impaired network: what the bridge did")
	fmt.Fprintf(w, "spec %s (the seed makes the bridge's choices repeatable: --impair '%s')\n", n.Spec, n.Spec)
	fmt.Fprintf(w, "client→server: %v\n", n.Stats.C2S)
	fmt.Fprintf(w, "server→client: %v\n", n.Stats.S2C)
}

func writePackets(w *bufio.Writer, o *Outcome, a *Analysis, pr Presentation) {
	st := o.Capture.Stats
	heading(w, fmt.Sprintf("Packets: %d captured on %s, %d dropped by the kernel", st.Captured, o.Capture.Interface, st.Dropped))
	if !o.Capture.Complete {
		fmt.Fprintf(w, "(the capture stopped after a quiet period before every teardown was seen)\n")
	}
	if o.Bulk == nil {
		for _, l := range a.Lines {
			w.Write(l)
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
		fmt.Fprintf(w, "%d TCP segments; the %d with an expert flag other than window update", len(a.Lines), flagged)
		if flagged > maxLines {
			fmt.Fprintf(w, " (the first %d)", maxLines)
		}
		fmt.Fprintf(w, ":\n")
		shown := 0
		for i, l := range a.Lines {
			if a.Flagged[i] && shown < maxLines {
				w.Write(l)
				shown++
			}
		}
		if flagged > shown {
			fmt.Fprintf(w, "... %d more: tcplab analyze %s\n", flagged-shown, o.Capture.File)
		}
	}
	w.Write(a.Conversations)
	if o.Network != nil || len(a.Counts) > 0 {
		heading(w, "Expert flags: what TCP had to recover from")
		for _, f := range recoveryFlags {
			if n := a.Counts[f.name]; n > 0 || isMain(f.name) {
				fmt.Fprintf(w, "  %-32s %d\n", f.label, n)
			}
		}
	}
}

// isMain reports whether flag is one the impaired demo always lists,
// even at zero.
func isMain(flag string) bool {
	switch flag {
	case "retransmission", "fast_retransmission", "duplicate_ack", "out_of_order", "window_full":
		return true
	}
	return false
}

func writeConversations(w *bufio.Writer, o *Outcome, a *Analysis, pr Presentation) error {
	if pr.NoLadder && pr.NoExplain {
		return nil
	}
	maxArrows := pr.MaxArrows
	if maxArrows <= 0 {
		maxArrows = 40
	}
	for i := range a.Convs {
		c := &a.Convs[i]
		title := fmt.Sprintf("Conversation %d: ladder and walk-through", c.Stream)
		if len(a.Convs) == len(o.Cases) {
			title = fmt.Sprintf("Case %d (number %s): ladder and walk-through", i+1, strings.TrimSpace(o.Cases[i].Number))
		}
		heading(w, title)
		if !pr.NoLadder {
			d := c
			if o.Bulk != nil && len(c.Packets) > maxArrows {
				var from int
				d, from = focus(c, maxArrows)
				fmt.Fprintf(w, "Packets %d to %d of %d, around the first retransmission", from+1, from+len(d.Packets), len(c.Packets))
				if pr.Report != "" {
					fmt.Fprintf(w, " (all of them in %s)", pr.Report)
				}
				fmt.Fprintf(w, ":\n")
			}
			if err := render.Ladder(w, d, render.LadderOptions{Color: pr.Color, ASCII: pr.ASCII, Lang: pr.Lang}); err != nil {
				return fmt.Errorf("demo: ladder of conversation %d: %w", c.Stream, err)
			}
		}
		if !pr.NoExplain {
			fmt.Fprintln(w)
			opt := explain.Options{Lang: pr.Lang}
			if o.Bulk != nil {
				opt.MaxRoutine = 6
			}
			wt := explain.Explain(c, opt)
			if o.Bulk != nil {
				rest := "tcplab analyze " + o.Capture.File
				if pr.Report != "" {
					rest = pr.Report
				}
				trim(wt, 25, 20, rest)
			}
			if err := wt.WriteText(w, 80); err != nil {
				return fmt.Errorf("demo: walk-through of conversation %d: %w", c.Stream, err)
			}
		}
	}
	return nil
}

// focus returns a copy of c with at most n packets, starting a little
// before the first retransmission (else the first duplicate ACK,
// out-of-order segment or gap), and the index of its first packet in c.
func focus(c *explain.Conversation, n int) (*explain.Conversation, int) {
	at := -1
	for _, want := range [][]string{
		{"fast_retransmission", "retransmission"},
		{"duplicate_ack", "out_of_order", "lost_segment", "window_full", "zero_window"},
	} {
		for i := range c.Packets {
			if hasAny(c.Packets[i].Analysis, want) {
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

func hasAny(flags, want []string) bool {
	for _, f := range flags {
		for _, w := range want {
			if f == w {
				return true
			}
		}
	}
	return false
}

// trim shortens a bulk transfer's walk-through for the terminal. In each
// section it keeps the sentences about the whole conversation and at most
// maxParas paragraphs about packets, preferring those that explain an
// expert flag other than a window update (a growing receive window marks
// most ACKs of a bulk transfer so); the RTT table keeps maxRows rows. Each
// cut is marked with a line naming where the rest is.
func trim(wt *explain.Walkthrough, maxParas, maxRows int, rest string) {
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
			out = append(out, explain.Para{Text: fmt.Sprintf("[… %d more packets explained in %s]", dropped, rest)})
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
			sec.Paras = append(sec.Paras, explain.Para{Text: fmt.Sprintf("[The table shows the first %d rows; %d more in %s.]", maxRows, left, rest)})
		}
	}
}

// notable reports whether a paragraph's expert labels include one other
// than a window update.
func notable(labels []string) bool {
	for _, l := range labels {
		if !strings.Contains(l, "Window Update") {
			return true
		}
	}
	return false
}

func writeFiles(w *bufio.Writer, o *Outcome, pr Presentation) {
	heading(w, "Files")
	f := o.Capture.File
	port := o.Server.Port()
	fmt.Fprintf(w, "capture: %s (pcapng, %d packets). Open it in Wireshark:\n", f, o.Capture.Stats.Captured)
	fmt.Fprintf(w, "    wireshark %s\n", shellQuote(f))
	fmt.Fprintf(w, "  and type the display filter  tcp.port == %d  (the lab's port), or in one go:\n", port)
	fmt.Fprintf(w, "    wireshark -r %s -Y 'tcp.port == %d'\n", shellQuote(f), port)
	fmt.Fprintf(w, "  Without Wireshark:  tcplab analyze %s\n", shellQuote(f))
	if pr.Report != "" {
		fmt.Fprintf(w, "report:  %s (one self-contained HTML file: open it in any browser)\n", pr.Report)
	}
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=+:@%,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
