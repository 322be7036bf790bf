package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/dfilter"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/render"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

const analyzeDescription = `
Analyse the TCP segments of a capture (pcap or pcapng, gzip-compressed or
not) the way Wireshark 4.0 does, and print, by default, the packet list as
'tshark -r FILE' prints it (TCP frames only, with TCP's own summary in
Info), then a conversation table like 'tshark -z conv,tcp' with each
conversation's Zeek conn_state and initial RTT.

--format ndjson prints one JSON record per TCP packet, then one per
conversation (the JSON contract in the README). --follow N prints stream N's
payload like 'tshark -q -z follow,tcp,ascii,N'. --stream and --select
limit the output to some conversations; a selector is a list of terms
"stream N", "port N", "host ADDR" or "ADDR:PORT" (terms of one kind are
alternatives, kinds combine), for example --select "port 2000 host ::1".

--ladder draws each selected conversation as a ladder diagram (one lane
per ip:port; --raw for the sequence numbers on the wire), --explain walks
through it in plain language (--lang zh-TW for Traditional Chinese), and
--html FILE writes a self-contained report with both, the packet table and
the RTT table. --no-list leaves out the packet list and conversation table.
--lab-sheet answers the classic TCP lab's questions (docs/lab-sheet.md).
-Y and -c pick the packets the ladders and the report show; the
walk-through explains their whole conversations. --health follows the
conversation table with each conversation's health (resent bytes, ACK RTT,
zero-window time, bytes in flight, Zeek's history), which the ndjson
stream records always carry.

tshark's options work as tshark's users type them: -r FILE, -n, -c N
(frames read), -q, -Y FILTER (a Wireshark display filter, see
docs/filters.md: it picks the packets printed; the analysis, the
conversation table and the statistics see every packet), -T fields -e
FIELD... -E header=y|separator=C|quote=d|occurrence=f|aggregator=C, and -z
conv,tcp, follow,tcp,ascii,N, expert, io,stat,INTERVAL[,COLUMN...] (a
COLUMN is a filter or a calculation such as SUM(tcp.len)tcp.len, COUNT,
MIN, MAX, AVG), printed as tshark prints them; clusters such as -nr FILE.

FILE "-" reads the capture from standard input ('tcpdump -w - | tcplab
analyze -'); --ladder, --explain and --html need a file. On a corrupt or
truncated file, everything before the bad record is printed, then the
error names its byte offset; the exit status is 1.`

func runAnalyze(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "analyze", "FILE", analyzeDescription)
	format := fs.String("format", "text", "output `format`: text or ndjson")
	follow := fs.Int("follow", -1, "print the payload of stream `N` instead of the packet list")
	stream := fs.String("stream", "", "only the conversations with these stream `numbers` (comma-separated)")
	selector := fs.String("select", "", "only the conversations matching this `selector`")
	noConv := fs.Bool("no-conv", false, "text format: leave out the conversation table")
	health := fs.Bool("health", false, "text format: follow the conversation table with each conversation's health (resent bytes, ACK RTT, zero-window time, bytes in flight, Zeek's history)")
	noList := fs.Bool("no-list", false, "leave out the packet list and the conversation table (with --ladder, --explain or --html)")
	ladder := fs.Bool("ladder", false, "draw each selected conversation as a ladder diagram")
	explainF := fs.Bool("explain", false, "walk through each selected conversation in plain language")
	raw := fs.Bool("raw", false, "--ladder: raw sequence and acknowledgement numbers")
	ascii := fs.Bool("ascii", false, "--ladder: ASCII characters instead of box drawing")
	langF := fs.String("lang", defaultLang(os.Getenv), "language of the walk-through and the report: `"+i18n.Choices()+"` (default from LC_ALL, LC_MESSAGES or LANG)")
	htmlOut := fs.String("html", "", "write a self-contained HTML report to `FILE`")
	// tshark's options.
	readFile := fs.String("r", "", "read the capture `FILE` (as tshark -r; or give FILE as the argument)")
	filter := fs.String("Y", "", "print only the packets this Wireshark display `filter` passes (see docs/filters.md); the analysis sees every packet")
	fs.StringVar(filter, "filter", "", "the same as -Y")
	outType := fs.String("T", "text", "`format` as tshark -T: text (the packet list) or fields (the -e fields)")
	var fieldNames, fieldOpts, stats stringList
	fs.Var(&fieldNames, "e", "-T fields: print this `field` (repeat for more; the fields of docs/filters.md)")
	fs.Var(&fieldOpts, "E", "-T fields: `option` header=y|n, separator=/t|/s|C, quote=d|s|n, occurrence=f|l|a, aggregator=/s|C")
	fs.Var(&stats, "z", "print a `statistic` after the packets: conv,tcp, follow,tcp,ascii,N, expert, io,stat,INTERVAL[,FILTER or FUNC(FIELD)FILTER...]")
	count := fs.Uint64("c", 0, "stop after `N` frames read (as tshark -c)")
	quiet := fs.Bool("q", false, "leave out the packet list: print only the -z statistics (as tshark -q)")
	fs.Bool("n", false, "no name resolution (tcplab never resolves names; accepted for tshark's habit)")
	graphKind := fs.String("graph", "", "draw a TCP stream graph of the busiest stream (or --stream N): `KIND` tseq, tcptrace, throughput, rtt or window; --format csv or ndjson prints its points")
	svgOut := fs.String("svg", "", "--graph: write the graph as a standalone SVG to `FILE`")
	labSheet := fs.Bool("lab-sheet", false, "answer the classic TCP lab's questions for the busiest conversation (or --stream N), with packet numbers; --format ndjson for JSON")
	rest, err := parseFlags(fs, expandShortFlags(fs, args))
	if err != nil {
		return err
	}
	if *readFile != "" {
		rest = append([]string{*readFile}, rest...)
	}
	if len(rest) != 1 {
		return usageError{fmt.Errorf("analyze: want one capture file (FILE or -r FILE), got %d (tcplab analyze -h lists the options)", len(rest))}
	}
	if *labSheet && (*graphKind != "" || *ladder || *explainF || *htmlOut != "" || *follow >= 0 || *filter != "" || len(stats) > 0 || *outType != "text" || *selector != "" || *count != 0) {
		return usageError{errors.New("analyze: --lab-sheet goes with --stream, --format and --lang only")}
	}
	if *labSheet {
		return analyzeLabSheet(env, rest[0], *format, *stream, *langF)
	}
	if *graphKind != "" {
		return analyzeGraph(ctx, env, rest[0], *graphKind, *format, *stream, *svgOut)
	}
	if *svgOut != "" {
		return usageError{errors.New("analyze: --svg goes with --graph")}
	}
	opts := listing.Options{Follow: *follow, NoConversations: *noConv, Health: *health, Quiet: *quiet, MaxFrames: *count}
	switch *format {
	case "text":
		opts.Format = listing.Text
	case "ndjson", "json":
		opts.Format = listing.NDJSON
	default:
		return usageError{fmt.Errorf("analyze: --format %q: want text or ndjson", *format)}
	}
	if err := tsharkOptions(&opts, *filter, *outType, fieldNames, fieldOpts, stats); err != nil {
		return err
	}
	if opts.Select, err = selection(*selector, *stream); err != nil {
		return err
	}

	lang, err := i18n.ParseLang(*langF)
	if err != nil {
		return usageError{fmt.Errorf("analyze: --lang: %w", err)}
	}
	present := *ladder || *explainF || *htmlOut != ""
	if *noList && !present {
		return usageError{fmt.Errorf("analyze: --no-list leaves nothing to print without --ladder, --explain or --html")}
	}
	name := rest[0]
	if present && name == "-" {
		return usageError{fmt.Errorf("analyze: --ladder, --explain and --html read the capture a second time: give a file, not standard input")}
	}
	if !*noList {
		if err := list(ctx, env, name, opts); err != nil {
			return err
		}
	}
	if !present {
		return nil
	}
	return presentConversations(env, name, opts.Select, presentOptions{
		ladder: *ladder, explain: *explainF, html: *htmlOut,
		raw: *raw, ascii: *ascii, lang: lang,
		filter: opts.Filter, filterText: *filter, maxFrames: opts.MaxFrames,
	})
}

// selection returns the conversations --select and --stream pick, nil
// for all of them.
func selection(selector, stream string) (*listing.Selector, error) {
	expr := selector
	if stream != "" {
		for _, n := range splitList(stream) {
			if _, err := strconv.ParseUint(n, 10, 32); err != nil {
				return nil, usageError{fmt.Errorf("analyze: --stream %q: not a stream number", n)}
			}
			expr += " stream " + n
		}
	}
	if expr == "" {
		return nil, nil
	}
	sel, err := listing.ParseSelector(expr)
	if err != nil {
		return nil, usageError{fmt.Errorf("analyze: --select: %w", err)}
	}
	return sel, nil
}

// list prints the packet list and conversation table (or the ndjson
// records, or a followed stream) of the capture called name ("-" for
// standard input).
func list(ctx context.Context, env *Env, name string, opts listing.Options) error {
	for _, col := range listing.UnseenCalcs(&opts) {
		fmt.Fprintf(env.Stderr, "tcplab: io,stat column %q stays 0, as in tshark 4.0: a calculation sees its field only when a filter of the run names it (as in SUM(tcp.len)tcp.len)\n", col)
	}
	var in io.Reader = env.Stdin
	var size int64
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		in = f
	} else {
		name = "standard input"
	}
	rd, err := pcapio.NewReader(in)
	if err != nil {
		return fmt.Errorf("analyze %s: %w", name, err)
	}
	if rd.Compressed() {
		size = 0 // offsets count decompressed bytes
	}
	if isTerminal(env.Stderr) {
		opts.ProgressEvery = 1 << 18
		opts.Progress = func(frames uint64, offset int64) {
			if size > 0 {
				fmt.Fprintf(env.Stderr, "\ranalyze: %d frames, %d%%", frames, offset*100/size)
			} else {
				fmt.Fprintf(env.Stderr, "\ranalyze: %d frames", frames)
			}
		}
		defer func() {
			if opts.Progress != nil {
				fmt.Fprint(env.Stderr, "\r\033[K")
			}
		}()
	}
	var sum packets.Summary
	opts.Summary = &sum
	err = listing.Run(ctx, rd, env.Stdout, opts)
	if opts.Progress != nil {
		fmt.Fprint(env.Stderr, "\r\033[K")
		opts.Progress = nil
	}
	if err != nil {
		if t := sum.SkippedText(); t != "" {
			fmt.Fprintf(env.Stderr, "tcplab: %s\n", t)
		}
		return fmt.Errorf("analyze %s: %w", name, err)
	}
	if skipped := sum.SkippedFrames(); skipped > 0 && skipped == sum.Frames && sum.Packets == 0 {
		// Nothing in the file could be read: an unsupported capture.
		return fmt.Errorf("analyze %s: no frame could be decoded: %s", name, sum.SkippedText())
	}
	if t := sum.SkippedText(); t != "" {
		fmt.Fprintf(env.Stderr, "tcplab: %s\n", t)
	}
	return nil
}

// presentOptions are analyze's presentation flags.
type presentOptions struct {
	ladder, explain bool
	html            string
	raw, ascii      bool
	lang            i18n.Lang
	// filter (-Y, as filterText) and maxFrames (-c) pick the packets
	// drawn and explained; the analysis sees every packet read.
	filter     *dfilter.Filter
	filterText string
	maxFrames  uint64
}

// shownNote says how many of the capture's TCP packets -Y and -c leave
// to the ladder, the walk-through and the report, or "" without them.
func (po *presentOptions) shownNote(shown, analysed, frames uint64) string {
	var parts []string
	if po.filter != nil {
		id := "analyze.shown"
		if po.explain {
			id = "analyze.shown.explain"
		}
		parts = append(parts, i18n.Msg(po.lang, id, "filter", strconv.Quote(po.filterText), "shown", shown, "all", analysed))
	}
	if po.maxFrames != 0 {
		parts = append(parts, i18n.Msg(po.lang, "analyze.firstframes", "n", frames, "c", po.maxFrames))
	}
	return strings.Join(parts, i18n.Msg(po.lang, "analyze.shown.sep"))
}

// presentConversations reads the capture again for the conversations that
// sel selects (nil: all) and draws their ladders, walks through them and
// writes the HTML report, as po asks. With -Y the ladders and the report
// show the packets it passes, and the walk-through explains the whole
// conversations that hold them.
func presentConversations(env *Env, name string, sel *listing.Selector, po presentOptions) error {
	var match func(*decode.Packet, *tcpanalysis.Result) bool
	if sel != nil {
		match = sel.MatchPacket
	}
	// The report's stream graphs cover every segment of a conversation
	// shown, also where the conversation keeps only some of its packets.
	const keep = 200000
	var shown uint64
	segs := render.ReportSegments{Kept: keep}
	ro := explain.ReadOptions{Match: match, MaxFrames: po.maxFrames, MaxPackets: keep, Each: func(p *listing.Packet) {
		shown++
		if po.html != "" {
			segs.Add(p)
		}
	}}
	if po.filter != nil {
		ro.Keep = listing.FilterPackets(po.filter)
	}
	// On a corrupt file Read returns what came before the bad record
	// with the error: present that, then report the error.
	c, readErr := readCapture(name, ro)
	if c == nil {
		return readErr
	}
	convs, explained := c.Conversations, c.Conversations
	if po.filter != nil && po.explain {
		whole, err := readCapture(name, explain.ReadOptions{Match: match, MaxFrames: po.maxFrames})
		if whole == nil {
			return err
		}
		explained = withStreams(whole.Conversations, convs)
	}
	note := po.shownNote(shown, c.Summary.Analysed, c.Summary.Frames)
	color, asciiOnly := false, po.ascii
	if o, ok := env.Stdout.(*os.File); ok {
		var a bool
		color, a = render.TerminalStyle(o, os.Getenv)
		asciiOnly = asciiOnly || a
	}
	if po.ladder || po.explain {
		// Never silently empty: say which frames were not analysed, and
		// when there is nothing to draw.
		if t := explain.NotAnalysed(po.lang, &c.Summary); t != "" {
			fmt.Fprintf(env.Stdout, "%s\n\n", t)
		}
		if note != "" {
			fmt.Fprintf(env.Stdout, "%s\n\n", note)
		}
		if len(convs) == 0 {
			fmt.Fprintf(env.Stdout, "%s\n", i18n.Msg(po.lang, "present.none", "frames", c.Summary.Frames))
		}
	}
	for i := range convs {
		if po.ladder {
			if err := render.Ladder(env.Stdout, &convs[i], render.LadderOptions{Color: color, ASCII: asciiOnly, Raw: po.raw, Lang: po.lang}); err != nil {
				return fmt.Errorf("analyze: ladder: %w", err)
			}
			fmt.Fprintln(env.Stdout)
		}
		if po.explain && i < len(explained) {
			if err := explain.Explain(&explained[i], explain.Options{Lang: po.lang, Skipped: &c.Summary}).WriteText(env.Stdout, 80); err != nil {
				return fmt.Errorf("analyze: walk-through: %w", err)
			}
			fmt.Fprintln(env.Stdout)
		}
	}
	if po.html != "" {
		if err := writeReport(env, name, note, convs, po, render.ReportOptions{Skipped: &c.Summary, Segments: segs.Stream}); err != nil {
			return err
		}
	}
	if readErr != nil {
		return fmt.Errorf("analyze %s: %w", name, readErr)
	}
	return nil
}

// readCapture reads the capture called name as explain.Read does. When
// the file cannot be read at all, the Capture is nil and the error says
// why; otherwise the error is the reader's (a corrupt record), if any.
func readCapture(name string, ro explain.ReadOptions) (*explain.Capture, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	defer f.Close()
	c, err := explain.Read(f, ro)
	if c == nil {
		return nil, fmt.Errorf("analyze %s: %w", name, err)
	}
	return c, err
}

// withStreams returns the conversations of all whose streams are those
// of shown, in shown's order (a conversation of shown is in all).
func withStreams(all, shown []conversation.Conversation) []conversation.Conversation {
	out := make([]conversation.Conversation, 0, len(shown))
	for _, s := range shown {
		for _, a := range all {
			if a.Stream == s.Stream {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// writeReport writes the HTML report of convs to po.html, its title the
// capture's name and what -Y and -c left (note).
func writeReport(env *Env, name, note string, convs []conversation.Conversation, po presentOptions, ro render.ReportOptions) error {
	ro.Lang, ro.Title = po.lang, filepath.Base(name)
	if note != "" {
		ro.Title += " (" + note + ")"
	}
	if err := render.WriteReportFile(po.html, convs, ro); err != nil {
		return fmt.Errorf("analyze: --html: %w", err)
	}
	if err := giveToInvoker(os.Getenv, po.html); err != nil {
		return fmt.Errorf("analyze: --html: %w", err)
	}
	fmt.Fprintf(env.Stderr, "analyze: wrote the HTML report %s\n", po.html)
	return nil
}

// tsharkOptions applies tshark's -Y, -T, -e, -E and -z to opts.
func tsharkOptions(opts *listing.Options, filter, outType string, fields, fieldOpts, stats []string) error {
	if filter != "" {
		f, err := dfilter.Compile(filter)
		if err != nil {
			return usageError{fmt.Errorf("analyze: filter: %w", err)}
		}
		opts.Filter = f
	}
	switch outType {
	case "text":
		if len(fields) > 0 || len(fieldOpts) > 0 {
			return usageError{fmt.Errorf("analyze: -e and -E need -T fields")}
		}
	case "fields":
		if len(fields) == 0 {
			return usageError{fmt.Errorf("analyze: -T fields needs at least one -e FIELD")}
		}
		f, err := listing.NewFields(fields)
		if err != nil {
			return usageError{fmt.Errorf("analyze: -e: %w", err)}
		}
		for _, o := range fieldOpts {
			if err := f.SetOption(o); err != nil {
				return usageError{fmt.Errorf("analyze: %w", err)}
			}
		}
		if opts.Format != listing.Text || opts.Follow >= 0 {
			return usageError{fmt.Errorf("analyze: -T fields is an output format of its own: not with --format ndjson or --follow")}
		}
		opts.Fields = f
	default:
		return usageError{fmt.Errorf("analyze: -T %q: want text or fields (--format ndjson for JSON)", outType)}
	}
	for _, z := range stats {
		st, err := listing.ParseStat(z)
		if err != nil {
			return usageError{fmt.Errorf("analyze: -z: %w", err)}
		}
		opts.Stats = append(opts.Stats, st)
	}
	if opts.Format == listing.NDJSON && (len(opts.Stats) > 0 || opts.Quiet) {
		return usageError{fmt.Errorf("analyze: -z and -q go with the text output, not --format ndjson")}
	}
	if opts.Follow >= 0 && (len(opts.Stats) > 0 || opts.Fields != nil) {
		// --follow N is -q -z follow,tcp,ascii,N.
		opts.Stats = append([]listing.Stat{{Kind: listing.StatFollow, Stream: uint32(opts.Follow)}}, opts.Stats...)
		opts.Follow, opts.Quiet = -1, true
	}
	return nil
}

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// expandShortFlags splits clusters of tshark's one-letter options as
// getopt does: "-nr FILE" is "-n -r FILE", "-qz conv,tcp" is "-q -z
// conv,tcp", "-c3" is "-c 3". An argument naming a flag of fs, or after
// "--", is left alone.
func expandShortFlags(fs *flag.FlagSet, args []string) []string {
	const boolFlags, valueFlags = "nq", "rYTeEcz"
	var out []string
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' || strings.Contains(a, "=") || fs.Lookup(a[1:]) != nil || !strings.ContainsRune(boolFlags+valueFlags, rune(a[1])) {
			out = append(out, a)
			continue
		}
		var exp []string
		ok := true
		for j := 1; j < len(a); j++ {
			c := a[j]
			switch {
			case strings.IndexByte(boolFlags, c) >= 0:
				exp = append(exp, "-"+string(c))
				continue
			case strings.IndexByte(valueFlags, c) >= 0:
				exp = append(exp, "-"+string(c))
				if j+1 < len(a) {
					exp = append(exp, a[j+1:])
				}
			default:
				ok = false
			}
			break
		}
		if !ok {
			out = append(out, a) // the flag package names it
			continue
		}
		out = append(out, exp...)
	}
	return out
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
