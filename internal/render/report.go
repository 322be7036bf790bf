package render

import (
	"bufio"
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/labsheet"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/streamgraph"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// ReportOptions tunes the HTML report.
type ReportOptions struct {
	// Lang is the language of the walk-through and headings.
	Lang i18n.Lang
	// Title heads the page (for example the capture's file name).
	Title string
	// Selected lists the streams to draw in detail; nil picks the most
	// interesting ones (see MaxDiagrams).
	Selected []int
	// MaxDiagrams caps the conversations drawn in detail; 0 means 10.
	MaxDiagrams int
	// MaxArrows caps the arrows of one diagram; 0 means 1000.
	MaxArrows int
	// MaxRows caps the rows of the conversation summary (the first
	// conversations, and those drawn in detail); 0 means 500. A table
	// of thousands of rows takes the browser seconds to lay out.
	MaxRows int
	// Raw shows raw sequence numbers on the arrows.
	Raw bool
	// Skipped, when not nil, is the capture's count of the frames not
	// analysed (explain.Capture.Summary): the report says how many there
	// were and why, at the top and in each walk-through.
	Skipped *packets.Summary
	// Run, when not nil, is the record of the run the report comes from
	// (tcplab demo), shown before the conversations.
	Run *RunRecord

	// Segments, when not nil, returns every segment of a stream for its
	// stream graphs (ReportSegments.Stream), so that the graphs cover a
	// conversation whose packets were not all kept; nil, or a nil
	// result, graphs the packets the conversation kept.
	Segments func(stream int) []streamgraph.Segment
	// MaxGraphPoints is about how many points each series of a stream
	// graph keeps for drawing (every retransmission on top); 0 means
	// 500.
	MaxGraphPoints int
	// MaxTotalArrows caps the arrows of all the diagrams together, and
	// so the rows of the packet tables (a diagram with fewer packets than
	// an equal share leaves the rest to the others; each gets at least
	// 100, at most MaxArrows): what keeps the report of a large capture
	// quick to open. 0 means 1000.
	MaxTotalArrows int
	// MaxParas caps the paragraphs of each part of a walk-through, and
	// MaxTableRows the rows of its RTT table; 0 means 1000 and 500.
	MaxParas, MaxTableRows int
}

//go:embed report.tmpl
var reportTmpl string

//go:embed report.css
var reportCSS string

//go:embed report.js
var reportJS string

var tmpl = template.Must(template.New("report").Parse(reportTmpl))

// Geometry of the SVG ladder, in CSS pixels.
const (
	svgWidth  = 800
	laneLeft  = 170
	laneRight = 700
	rowHeight = 30
	topMargin = 56
	slant     = 12 // fixed drop of an arrow when the capture has one time per packet
)

type reportData struct {
	Lang  string
	Title string
	CSS   template.CSS
	JS    template.JS
	T     map[string]string
	Count string
	Shown string
	// NotAnalysed says how many frames of the capture were not analysed
	// and why; "" when none.
	NotAnalysed string
	RowsCut     string
	Rows        []summaryRow
	Convs       []convData
	Generated   string
	Run         *RunRecord
}

type summaryRow struct {
	Stream                  int
	Anchor                  string // "" when not drawn
	Client, Server          string
	Packets, C2S, S2C       int64
	Duration                string
	Handshake, Close, State string
	Flagged                 int
}

type convData struct {
	ID        string
	RowPrefix string // packet table row ids are RowPrefix + frame
	Title     string
	Summary   string
	SlantNote string
	CutNote   string
	Width     int
	Height    int
	LaneL     int
	LaneR     int
	LabelL    string
	LabelR    string
	Arrows    []arrow
	Packets   []packetRow
	Walk      *explain.Walkthrough
	// Graphs are the stream graphs, nil when the conversation carries
	// no data; Outside is the note a click on a graph shows for a packet
	// outside the ladder's window, with "{frame}" for its number.
	Graphs  *graphsData
	Outside string
	// LabSheet is the lab sheet's section (package labsheet): the
	// classic TCP lab's questions answered for this conversation.
	LabSheet template.HTML
}

type arrow struct {
	Row            string // the packet table row's id
	Frame          int
	Class          string
	X1, Y1, X2, Y2 float64
	Head           string
	Label          string
	LabelX, LabelY float64
	// Anchor is the labels' text-anchor; Rotate, when set, turns them
	// to run along a timed arrow (an SVG transform).
	Anchor, Rotate string
	TimeY          float64
	Time           string
	Flags          string
	FlagX, FlagY   float64
	Payload        string // a short text payload, quoted
	Tooltip        string
	Detail         string
	// Cross is the path of the cross that ends the arrow of a segment
	// the network dropped ("" otherwise); Fate says in words what the
	// network did (lost, held back, duplicated), under the label.
	Cross string
	Fate  string
	// Dup is the arrow of the second copy the network made, nil for
	// none.
	Dup *dupArrow
}

// dupArrow is the arrow of a copy the network made of a segment.
type dupArrow struct {
	X1, Y1, X2, Y2 float64
	Head           string
}

type packetRow struct {
	ID       string
	Frame    int
	Time     string
	Dir      string
	Flags    string
	Seq, Ack string
	Len      int
	Win      string
	Raw      string
	Checksum string // localized status
	// CheckClass is the status as the analysis contract names it, for
	// the cell's CSS class.
	CheckClass string
	Expert     string
	Class      string
}

// WriteReportFile writes the HTML report of convs (see Report) to the
// file path, created or truncated. On an error it removes the file (a
// regular file only: never a device such as /dev/stdout), so that no
// partial report is left to open.
func WriteReportFile(path string, convs []conversation.Conversation, opt ReportOptions) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("render: report: %w", err)
	}
	st, serr := f.Stat()
	regular := serr == nil && st.Mode().IsRegular()
	w := bufio.NewWriter(f)
	err = Report(w, convs, opt)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if regular {
			os.Remove(path)
		}
		return fmt.Errorf("render: report %s: %w", path, err)
	}
	return nil
}

// Report writes the HTML report of convs: a summary of all of them, and
// for the selected (or most interesting) ones the SVG ladder, the packet
// table, the walk-through and the RTT table. convs are summarised in
// place (Conversation.Summarize) when their Summary is empty.
func Report(out io.Writer, convs []conversation.Conversation, opt ReportOptions) error {
	lang := opt.Lang
	if lang == "" {
		lang = i18n.English
	}
	if opt.MaxDiagrams == 0 {
		opt.MaxDiagrams = 10
	}
	if opt.MaxArrows == 0 {
		opt.MaxArrows = 1000
	}
	if opt.MaxRows == 0 {
		opt.MaxRows = 500
	}
	opt.MaxGraphPoints = cmp.Or(opt.MaxGraphPoints, 500)
	opt.MaxTotalArrows = cmp.Or(opt.MaxTotalArrows, 1000)
	opt.MaxParas = cmp.Or(opt.MaxParas, 1000)
	opt.MaxTableRows = cmp.Or(opt.MaxTableRows, 500)
	msg := func(id string, args ...any) string { return i18n.Msg(lang, id, args...) }
	d := reportData{
		Lang:      string(lang),
		Title:     cmp.Or(opt.Title, msg("report.title")),
		CSS:       template.CSS(reportCSS),
		JS:        template.JS(reportJS),
		T:         map[string]string{},
		Generated: msg("report.generated"),
		Run:       opt.Run,
	}
	for _, id := range []string{"report.summary", "report.ladder", "report.packets", "report.walk", "report.hint", "report.details",
		"report.col.stream", "report.col.client", "report.col.server", "report.col.packets", "report.col.c2s", "report.col.s2c",
		"report.col.dur", "report.col.hs", "report.col.close", "report.col.state", "report.col.expert", "report.col.no",
		"report.col.time", "report.col.dir", "report.col.flags", "report.col.seq", "report.col.ack", "report.col.len",
		"report.col.win", "report.col.raw", "report.col.cksum", "report.close", "report.save.svg", "report.save.svg.title",
		"report.graphs", "report.graphs.hint", "report.graphs.phases", "report.graphs.tip", "report.graphs.zoomin",
		"report.graphs.zoomout", "report.graphs.reset", "report.labsheet"} {
		d.T[strings.TrimPrefix(strings.ReplaceAll(id, ".", "_"), "report_")] = msg(id)
	}

	total := 0
	for i := range convs {
		convs[i].Summarize()
		total += convs[i].Summary.Packets
	}
	drawn := pick(convs, opt)
	d.Count = msg("report.count", "n", len(convs), "packets", total)
	if sk := opt.Skipped; sk != nil && sk.SkippedFrames() > 0 {
		n := sk.SkippedFrames()
		id := "report.notanalysed"
		if n == 1 {
			id += ".one"
		}
		d.NotAnalysed = msg(id, "n", n, "reasons", sk.SkippedList())
	}
	why := msg("report.why.top")
	if opt.Selected != nil {
		why = msg("report.why.selected")
	}
	if len(drawn) < len(convs) {
		d.Shown = msg("report.shown", "shown", len(drawn), "why", why)
	}
	isDrawn := map[int]bool{}
	for _, i := range drawn {
		isDrawn[i] = true
	}
	d.Rows, d.RowsCut = summaryRows(convs, isDrawn, lang, opt.MaxRows)
	needs := make([]int, len(drawn))
	for k, i := range drawn {
		needs[k] = len(convs[i].Packets)
	}
	shares := shareArrows(needs, opt.MaxTotalArrows, opt.MaxArrows)
	for k, i := range drawn {
		o := opt
		o.MaxArrows = shares[k]
		cd, err := layoutConversation(&convs[i], lang, o)
		if err != nil {
			return err
		}
		d.Convs = append(d.Convs, cd)
	}
	bw := bufio.NewWriter(out)
	if err := tmpl.Execute(bw, d); err != nil {
		return fmt.Errorf("render: report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("render: writing report: %w", err)
	}
	return nil
}

// summaryRows returns the conversation summary's rows: the first
// maxRows conversations, then those drawn below (isDrawn, by index), so
// that each keeps its link; and the note that says so when some are left
// out, "" otherwise.
func summaryRows(convs []conversation.Conversation, isDrawn map[int]bool, lang i18n.Lang, maxRows int) (rows []summaryRow, cut string) {
	for i := range convs {
		if i >= maxRows && !isDrawn[i] {
			// Past the first MaxRows, the rows of the conversations
			// drawn below, so that each has its link.
			cut = i18n.Msg(lang, "report.rows.cut.drawn", "n", maxRows)
			continue
		}
		c := &convs[i]
		r := summaryRow{
			Stream: c.Stream, Client: c.Client.String(), Server: c.Server.String(),
			Packets: int64(c.Summary.Packets), C2S: c.Summary.BytesC2S, S2C: c.Summary.BytesS2C,
			Duration:  fmt.Sprintf("%.6f", (c.Summary.End - c.Summary.Start).Seconds()),
			Handshake: cell(lang, "hs", c.Summary.Handshake), Close: cell(lang, "close", c.Summary.Close),
			State: c.State, Flagged: c.Summary.Flagged,
		}
		if isDrawn[i] {
			r.Anchor = fmt.Sprintf("conv-%d", c.Stream)
		}
		rows = append(rows, r)
	}
	return rows, cut
}

// shareArrows shares total arrows among diagrams that need needs[i]
// each: the smallest needs are met first and the rest is shared equally
// by the others, each share at least 100 and at most most.
func shareArrows(needs []int, total, most int) []int {
	order := make([]int, len(needs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(needs[a], needs[b]) })
	shares := make([]int, len(needs))
	left := total
	for k, i := range order {
		fair := left / (len(order) - k)
		shares[i] = min(most, max(min(needs[i], fair), 100))
		left = max(left-min(shares[i], needs[i]), 0)
	}
	return shares
}

// pick returns the indexes of the conversations to draw: the selected
// streams, or the most interesting ones that have packets (most flagged
// packets, then most packets, then capture order), at most
// opt.MaxDiagrams, in capture order.
func pick(convs []conversation.Conversation, opt ReportOptions) []int {
	var idx []int
	if opt.Selected != nil {
		want := map[int]bool{}
		for _, s := range opt.Selected {
			want[s] = true
		}
		for i := range convs {
			if want[convs[i].Stream] {
				idx = append(idx, i)
			}
		}
	} else {
		// Only conversations whose packets were kept can be drawn (an
		// adapter with a packet budget keeps summaries only for the rest).
		for i := range convs {
			if len(convs[i].Packets) > 0 {
				idx = append(idx, i)
			}
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			sa, sb := convs[a].Summary, convs[b].Summary
			return cmp.Or(cmp.Compare(sb.Flagged, sa.Flagged), cmp.Compare(sb.Packets, sa.Packets))
		})
	}
	if len(idx) > opt.MaxDiagrams {
		idx = idx[:opt.MaxDiagrams]
	}
	slices.Sort(idx)
	return idx
}

// layoutConversation lays out one conversation's diagram, graphs and
// tables.
func layoutConversation(c *conversation.Conversation, lang i18n.Lang, opt ReportOptions) (convData, error) {
	msg := func(id string, args ...any) string { return i18n.Msg(lang, id, args...) }
	w := boundWalk(explain.Explain(c, explain.Options{Lang: lang, Skipped: opt.Skipped}), lang, opt.MaxParas, opt.MaxTableRows)
	cd := convData{
		ID:        fmt.Sprintf("conv-%d", c.Stream),
		RowPrefix: fmt.Sprintf("c%d-f", c.Stream),
		Title:     w.Title,
		Width:     svgWidth,
		LaneL:     laneLeft,
		LaneR:     laneRight,
		LabelL:    c.Client.String(),
		LabelR:    c.Server.String(),
		Walk:      w,
	}
	graphs, err := layoutGraphs(c, lang, opt)
	if err != nil {
		return convData{}, err
	}
	cd.Graphs = graphs
	var sheet bytes.Buffer
	if err := labsheet.WriteHTML(&sheet, labsheet.Build(c), lang); err != nil {
		return convData{}, err
	}
	cd.LabSheet = template.HTML(sheet.String()) // #nosec: labsheet escapes every text
	pkts, cut := drawnPackets(c, opt.MaxArrows)
	switch {
	case cut > 0 && graphs != nil:
		cd.CutNote = msg("report.window", "n", len(pkts), "total", cut)
	case cut > 0:
		cd.CutNote = msg("report.cut", "n", len(pkts), "total", cut)
	}
	cd.Outside = msg("report.graphs.outside", "frame", "{frame}", "frames", graphFrames(pkts))
	// Arrows run from the send time to the receive time only when the
	// capture knows both; otherwise they drop a fixed slant per row.
	g := newLadderGeometry(pkts, timedArrows(c, pkts))
	if g.timed {
		cd.SlantNote = msg("report.slant.both")
	} else {
		cd.SlantNote = msg("report.slant.single")
	}
	for i := range pkts {
		y1, y2 := g.arrowY(i, &pkts[i])
		a := newArrow(c, &pkts[i], y1, y2, lang, opt.Raw)
		if g.timed {
			journey(&a, &pkts[i], g, i, lang)
			alongArrow(&a)
		}
		cd.Arrows = append(cd.Arrows, a)
	}
	cd.Height = g.height(cd.Arrows)
	for i := range pkts {
		cd.Packets = append(cd.Packets, tableRow(c, &pkts[i], lang))
	}
	cd.Summary = msg("report.conv.summary", "hs", cell(lang, "hs", c.Summary.Handshake),
		"close", cell(lang, "close", c.Summary.Close), "state", cmp.Or(c.State, "?"))
	return cd, nil
}

// drawnPackets returns the packets of c to draw, at most maxArrows, and
// when that is not all of the conversation, how many it has (the packets
// cut, or the adapter's summary of more packets than it kept); else 0.
func drawnPackets(c *conversation.Conversation, maxArrows int) (pkts []conversation.Segment, total int) {
	pkts = c.Packets
	if len(pkts) > maxArrows {
		return pkts[:maxArrows], max(len(pkts), c.Summary.Packets)
	}
	if c.Summary.Packets > len(pkts) {
		return pkts, c.Summary.Packets
	}
	return pkts, 0
}

// timedArrows reports whether the arrows of pkts can run from each
// packet's send time to its receive time: the capture knows both (it was
// not taken at a single point) for every packet.
func timedArrows(c *conversation.Conversation, pkts []conversation.Segment) bool {
	if c.SinglePoint || len(pkts) == 0 {
		return false
	}
	for i := range pkts {
		if pkts[i].Arrival < pkts[i].Time && !lost(&pkts[i]) {
			return false
		}
	}
	return true
}

// lost reports whether the network dropped every copy of s (its
// journey's Fate says so).
func lost(s *conversation.Segment) bool { return s.Fate != nil && s.Fate.Lost }

// typicalDelay returns the median one-way delay of the segments of pkts
// that arrived, for drawing the ones that did not; 0 without one.
func typicalDelay(pkts []conversation.Segment) time.Duration {
	var ds []time.Duration
	for i := range pkts {
		if !lost(&pkts[i]) && pkts[i].Arrival >= pkts[i].Time {
			ds = append(ds, pkts[i].Arrival-pkts[i].Time)
		}
	}
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// journey draws what the network did to s on its timed arrow a (row
// i of g): a cross halfway for a segment it dropped, a second arrow for
// a copy it made, a held-back segment marked, each said under the label.
func journey(a *arrow, s *conversation.Segment, g ladderGeometry, i int, lang i18n.Lang) {
	f := s.Fate
	if f == nil {
		return
	}
	switch {
	case f.Lost:
		a.X2 = (a.X1 + a.X2) / 2
		a.Head = ""
		const r = 6
		a.Cross = fmt.Sprintf("M%.1f,%.1f L%.1f,%.1f M%.1f,%.1f L%.1f,%.1f", a.X2-r, a.Y2-r, a.X2+r, a.Y2+r, a.X2-r, a.Y2+r, a.X2+r, a.Y2-r)
		a.Class += " lost"
		a.Fate = i18n.Msg(lang, "ladder.fate.lost")
	case f.Reordered:
		a.Class += " reordered"
		a.Fate = i18n.Msg(lang, "ladder.fate.held", "delay", msText(s.Arrival-s.Time))
	default:
		a.Fate = i18n.Msg(lang, "ladder.fate.delay", "delay", msText(s.Arrival-s.Time))
	}
	if f.DupArrival != 0 {
		y2 := g.dupY[i]
		a.Dup = &dupArrow{X1: a.X1, Y1: a.Y1, X2: a.X2, Y2: y2, Head: arrowHead(a.X1, a.Y1, a.X2, y2)}
		a.Class += " duplicated"
		a.Fate += " · " + i18n.Msg(lang, "ladder.fate.dup", "delay", msText(f.DupArrival-s.Time))
	}
	a.Tooltip += "  " + a.Fate
}

// msText formats a one-way delay in milliseconds, two decimals.
func msText(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// newArrow draws the arrow of packet s of c from height y1 to y2: from
// the client's lane to the server's or back, with its label, its expert
// flags, a short text payload, and the click panel's details.
func newArrow(c *conversation.Conversation, s *conversation.Segment, y1, y2 float64, lang i18n.Lang, raw bool) arrow {
	a := arrow{Row: fmt.Sprintf("c%d-f%d", c.Stream, s.Frame), Frame: s.Frame, Time: conversation.FormatTime(s.Time), Label: Label(s, raw)}
	x1, x2 := float64(laneLeft), float64(laneRight)
	if s.From == conversation.Server {
		x1, x2 = x2, x1
	}
	a.X1, a.Y1, a.X2, a.Y2 = x1, y1, x2, y2
	a.Head = arrowHead(x1, y1, x2, y2)
	a.LabelX, a.Anchor = (x1+x2)/2, "middle"
	a.LabelY = (y1+y2)/2 - 5
	a.TimeY = y1 + 4
	labels := expertLabels(s)
	if len(labels) > 0 {
		a.Flags = "⚠ " + strings.Join(labels, " ")
	}
	a.FlagX, a.FlagY = a.LabelX, (y1+y2)/2+16
	a.Payload = textPayload(s)
	a.Class = arrowClass(s, len(labels) > 0)
	a.Tooltip = fmt.Sprintf("%d  %s s  %s", s.Frame, a.Time, a.Label)
	if len(labels) > 0 {
		a.Tooltip += "  " + strings.Join(labels, " ")
	}
	a.Detail = detail(c, s, lang)
	return a
}

// arrowClass returns the CSS classes of the arrow of s: "arrow", its kind
// (rst, syn, fin or data) and "expert" when it has expert flags.
func arrowClass(s *conversation.Segment, expert bool) string {
	classes := []string{"arrow"}
	switch {
	case s.Has(decode.FlagRST):
		classes = append(classes, "rst")
	case s.Has(decode.FlagSYN):
		classes = append(classes, "syn")
	case s.Has(decode.FlagFIN):
		classes = append(classes, "fin")
	case s.Len > 0:
		classes = append(classes, "data")
	}
	if expert {
		classes = append(classes, "expert")
	}
	return strings.Join(classes, " ")
}

// arrowHead returns the points of an arrowhead at (x2, y2) pointing away
// from (x1, y1).
func arrowHead(x1, y1, x2, y2 float64) string {
	dx, dy := x2-x1, y2-y1
	n := math.Hypot(dx, dy)
	if n == 0 {
		return ""
	}
	ux, uy := dx/n, dy/n
	const l, w = 10.0, 4.5
	bx, by := x2-ux*l, y2-uy*l
	return fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f", x2, y2, bx-uy*w, by+ux*w, bx+uy*w, by-ux*w)
}

// detail lists every field of a packet for the click panel, one per line,
// in lang.
func detail(c *conversation.Conversation, s *conversation.Segment, lang i18n.Lang) string {
	msg := func(id string, args ...any) string { return i18n.Msg(lang, id, args...) }
	src, dst := c.Client, c.Server
	if s.From == conversation.Server {
		src, dst = dst, src
	}
	lines := []string{
		msg("detail.frame", "frame", s.Frame, "time", conversation.FormatTime(s.Time)),
		fmt.Sprintf("%s → %s", src, dst),
		msg("detail.flags", "flags", flagNames(s.Flags, ", "), "hex", fmt.Sprintf("0x%03x", s.Flags)),
		msg("detail.seq", "seq", s.Seq, "raw", s.SeqRaw, "len", s.Len, "next", nextSeq(s)),
	}
	if s.Has(decode.FlagACK) {
		lines = append(lines, msg("detail.ack", "ack", s.Ack, "raw", s.AckRaw))
	}
	lines = append(lines, msg("detail.window", "win", windowText(s, lang)))
	if o := OptionsText(s.Options, true); o != "" {
		lines = append(lines, msg("detail.options", "list", o))
	}
	lines = append(lines, msg("detail.checksum", "value", fmt.Sprintf("0x%04x", s.Checksum), "status", cell(lang, "ck", s.ChecksumStatus)))
	s.Analysis.Each(func(f tcpanalysis.Flags) {
		lines = append(lines, msg("detail.expert", "label", s.Label(f)))
	})
	lines = append(lines, seqAckLines(s, lang)...)
	if s.Info != "" {
		lines = append(lines, msg("detail.info", "info", s.Info))
	}
	if p := textPayload(s); p != "" {
		lines = append(lines, msg("detail.payload", "text", p))
	}
	return strings.Join(lines, "\n")
}

// seqAckLines lists the values of tshark's [SEQ/ACK analysis] tree for s,
// those tshark shows, under a heading; none when it shows none. The RTT
// is in seconds with nine decimals, as tshark shows it and the ndjson
// record's ack_rtt holds it.
func seqAckLines(s *conversation.Segment, lang i18n.Lang) []string {
	msg := func(id string, args ...any) string { return i18n.Msg(lang, id, args...) }
	var lines []string
	if s.AckedFrame != 0 {
		lines = append(lines, msg("detail.acks", "frame", s.AckedFrame))
		if s.AckRTT != 0 {
			lines = append(lines, msg("detail.ackrtt", "rtt", string(listing.AppendTime(nil, int64(s.AckRTT), 9))))
		}
	}
	if s.BytesInFlight != 0 {
		lines = append(lines, msg("detail.inflight", "n", s.BytesInFlight))
	}
	if s.PushBytesSent != 0 {
		lines = append(lines, msg("detail.push", "n", s.PushBytesSent))
	}
	if len(lines) == 0 {
		return nil
	}
	return append([]string{msg("detail.seqack")}, lines...)
}

// nextSeq is the sequence number after s, as tshark's tcp.nxtseq: the
// SYN and the FIN each occupy one sequence number (RFC 9293 section 3.4).
func nextSeq(s *conversation.Segment) uint32 {
	n := s.Seq + uint32(s.Len)
	if s.Has(decode.FlagSYN) {
		n++
	}
	if s.Has(decode.FlagFIN) {
		n++
	}
	return n
}

// cell returns the localized table cell for one of the analysis
// contract's values (kind "ck": a checksum status, "hs": a handshake,
// "close": a close), or "?" when value is empty.
func cell(lang i18n.Lang, kind, value string) string {
	if value == "" {
		return "?"
	}
	id := "cell." + kind + "." + value
	if t := i18n.Msg(lang, id); t != id {
		return t
	}
	return value // a value the catalog does not know: shown as it is
}

// windowText shows raw × scale = calculated, in lang.
func windowText(s *conversation.Segment, lang i18n.Lang) string {
	switch {
	case s.Has(decode.FlagSYN):
		return i18n.Msg(lang, "cell.win.syn", "raw", s.WinRaw)
	case s.WinScale == conversation.ScaleUnknown:
		return i18n.Msg(lang, "cell.win.unknown", "raw", s.WinRaw)
	case s.WinScale > 1:
		return fmt.Sprintf("%d × %d = %d", s.WinRaw, s.WinScale, s.Win)
	}
	return fmt.Sprint(s.Win)
}

func tableRow(c *conversation.Conversation, s *conversation.Segment, lang i18n.Lang) packetRow {
	r := packetRow{
		ID:    fmt.Sprintf("c%d-f%d", c.Stream, s.Frame),
		Frame: s.Frame, Time: conversation.FormatTime(s.Time),
		Dir: "→", Flags: flagNames(s.Flags, ","), Seq: fmt.Sprint(s.Seq), Len: s.Len,
		Win: windowText(s, lang), Raw: fmt.Sprint(s.SeqRaw),
		Checksum: cell(lang, "ck", s.ChecksumStatus), CheckClass: cmp.Or(s.ChecksumStatus, "unknown"),
	}
	if s.From == conversation.Server {
		r.Dir = "←"
	}
	if s.Has(decode.FlagACK) {
		r.Ack = fmt.Sprint(s.Ack)
		r.Raw += " / " + fmt.Sprint(s.AckRaw)
	}
	r.Expert = strings.Join(expertLabels(s), " ")
	if r.Expert != "" {
		r.Class = "expert"
	}
	return r
}

// expertLabels returns s's expert flags as Wireshark shows them, each in
// brackets ("[TCP Dup ACK 5#1]").
func expertLabels(s *conversation.Segment) []string {
	var labels []string
	s.Analysis.Each(func(f tcpanalysis.Flags) {
		labels = append(labels, "["+s.Label(f)+"]")
	})
	return labels
}
