package render

import (
	"bytes"
	"fmt"
	"html/template"
	"slices"
	"strings"

	"github.com/tcplab/tcplab/internal/congestion"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/graphplot"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/streamgraph"
)

// Size of a stream graph in the report, in CSS pixels: readable at 400 px
// wide, and two side by side on a wide page.
const (
	graphWidth  = 400
	graphHeight = 270
)

// graphsData is the stream graphs section of one conversation.
type graphsData struct {
	// Sets are the graphed directions: the busier first (shown), the
	// other one when it carries data too (hidden until chosen).
	Sets []graphSet
	// Phases are the kinds of congestion phase marked on the graphs,
	// for the legend.
	Phases []phaseKey
	// Note says what the graphs cover and how they were reduced; OneWay,
	// when not "", that the other direction carries no data.
	Note   string
	OneWay string
	// Open shows the graphs when the page opens: for a conversation of
	// graphOpen packets or more. A short exchange's are a click away,
	// under its summary, so that its ladder comes first.
	Open bool
}

// graphOpen is the size of a conversation whose graphs show when the
// page opens.
const graphOpen = 100

// graphSet is the five graphs of one direction.
type graphSet struct {
	Dir    string // "c2s" or "s2c"
	Label  string // the direction in words, for its button
	Hidden bool
	Graphs []graphFigure
}

// graphFigure is one graph's SVG, written by graphplot.
type graphFigure struct {
	Kind string
	SVG  template.HTML
}

// phaseKey is a congestion phase kind in the graphs' legend.
type phaseKey struct {
	Class, Label, Fill string
}

// phaseFill is the colour of each phase's band (Tango, as the series').
var phaseFill = map[congestion.Kind]string{
	congestion.SlowStart:           "#73d216",
	congestion.CongestionAvoidance: "#3465a4",
	congestion.FastRecovery:        "#f57900",
	congestion.Timeout:             "#cc0000",
	congestion.Retransmission:      "#e9b96e",
	congestion.ZeroWindowStall:     "#75507b",
	congestion.ReceiverLimited:     "#c4a000",
	congestion.SenderLimited:       "#888a85",
	congestion.CannotTell:          "#d3d7cf",
}

// graphSegments returns the segments of c for the stream graphs: the
// caller's (opt.Segments), or those of the packets c kept.
func graphSegments(c *conversation.Conversation, opt ReportOptions) []streamgraph.Segment {
	if opt.Segments != nil {
		if segs := opt.Segments(c.Stream); segs != nil {
			return segs
		}
	}
	segs := make([]streamgraph.Segment, len(c.Packets))
	for i := range c.Packets {
		segs[i] = graphSegment(&c.Packets[i])
	}
	return segs
}

// ReportSegments gathers, from the analysis loop that reads a capture
// for explain's collector, every segment of the streams the report may
// draw, for their stream graphs: explain keeps the first Kept packets
// of the capture (its MaxPackets), so a conversation whose packets go on
// after those has only its first ones, and one that starts after them
// has none, and no diagram. Add every analysed packet the collector
// sees (explain.ReadOptions.Each), in order; Stream is then
// ReportOptions.Segments. Only the streams with a packet among the first
// Kept are gathered.
type ReportSegments struct {
	Kept int
	n    int
	seen map[uint32]bool
	segs streamgraph.Collector
}

// Add records one analysed packet.
func (r *ReportSegments) Add(p *listing.Packet) {
	r.n++
	if r.n <= r.Kept {
		if r.seen == nil {
			r.seen = map[uint32]bool{}
		}
		r.seen[p.Result.Stream] = true
	}
	if r.seen[p.Result.Stream] {
		r.segs.Add(p.RelTime, p.Decoded, p.Result)
	}
}

// Stream returns the segments gathered of stream n, nil for none.
func (r *ReportSegments) Stream(n int) []streamgraph.Segment { return r.segs.Stream(uint32(n)) }

// graphSegment converts one segment of a conversation to the graphs'.
func graphSegment(p *conversation.Segment) streamgraph.Segment {
	s := streamgraph.Segment{
		Frame: uint32(p.Frame), Time: int64(p.Time), FromServer: p.From == conversation.Server, Flags: p.Flags,
		Seq: p.Seq, Ack: p.Ack, Len: uint32(max(p.Len, 0)), Win: uint32(max(p.Win, 0)),
		Analysis: p.Analysis, AckedFrame: uint32(max(p.AckedFrame, 0)), AckRTT: int64(p.AckRTT),
		BytesInFlight: uint32(max(p.BytesInFlight, 0)),
	}
	for _, o := range p.Options {
		for _, b := range o.SACK {
			if s.NSACK < streamgraph.MaxSACK {
				s.SACK[s.NSACK] = streamgraph.Block{Left: b[0], Right: b[1]}
				s.NSACK++
			}
		}
	}
	return s
}

// layoutGraphs draws the stream graphs of c; nil when c carries no data.
func layoutGraphs(c *conversation.Conversation, lang i18n.Lang, opt ReportOptions) (*graphsData, error) {
	segs := graphSegments(c, opt)
	var c2s, s2c int64
	for i := range segs {
		if segs[i].FromServer {
			s2c += int64(segs[i].Len)
		} else {
			c2s += int64(segs[i].Len)
		}
	}
	if c2s+s2c == 0 {
		return nil, nil
	}
	msg := func(id string, args ...any) string { return i18n.Msg(lang, id, args...) }
	first := streamgraph.ChooseDir(segs, streamgraph.DirAuto)
	dirs := []streamgraph.Dir{first}
	other := streamgraph.ClientToServer
	if first == streamgraph.ClientToServer {
		other = streamgraph.ServerToClient
	}
	gd := &graphsData{Open: max(len(segs), c.Summary.Packets) >= graphOpen}
	if (other == streamgraph.ClientToServer && c2s > 0) || (other == streamgraph.ServerToClient && s2c > 0) {
		dirs = append(dirs, other)
	} else {
		gd.OneWay = msg("report.graphs.oneway", "dir", dirWords(lang, other))
	}
	limit := opt.MaxGraphPoints
	seen := map[congestion.Kind]bool{}
	for i, d := range dirs {
		bands := phaseBands(segs, d, lang, seen)
		set := graphSet{Dir: dirCode(d), Label: dirWords(lang, d), Hidden: i > 0}
		for _, k := range streamgraph.Kinds {
			g, err := streamgraph.Build(segs, k, streamgraph.Options{Dir: d})
			if err != nil {
				return nil, fmt.Errorf("render: graph: %w", err)
			}
			var b bytes.Buffer
			err = graphplot.WriteSVG(&b, g, graphplot.SVGOptions{
				Width: graphWidth, Height: graphHeight, MaxPoints: limit, Interactive: true, Bands: bands,
				ID: fmt.Sprintf("c%d-%s-%s", c.Stream, set.Dir, k), Labels: graphLabels(lang, g),
			})
			if err != nil {
				return nil, fmt.Errorf("render: graph: %w", err)
			}
			set.Graphs = append(set.Graphs, graphFigure{Kind: k.String(), SVG: template.HTML(b.String())}) // #nosec: graphplot escapes its text
		}
		gd.Sets = append(gd.Sets, set)
	}
	for _, k := range []congestion.Kind{congestion.SlowStart, congestion.CongestionAvoidance, congestion.FastRecovery,
		congestion.Timeout, congestion.Retransmission, congestion.ZeroWindowStall, congestion.ReceiverLimited,
		congestion.SenderLimited, congestion.CannotTell} {
		if seen[k] {
			gd.Phases = append(gd.Phases, phaseKey{Class: "phase-" + k.String(), Label: msg("report.phase." + k.String()), Fill: phaseFill[k]})
		}
	}
	gd.Note = msg("report.graphs.note", "n", len(segs), "points", limit)
	return gd, nil
}

// phaseBands reads the congestion phases of direction d of segs and
// returns them as bands for the graphs, noting their kinds in seen.
func phaseBands(segs []streamgraph.Segment, d streamgraph.Dir, lang i18n.Lang, seen map[congestion.Kind]bool) []graphplot.Band {
	a := congestion.Detect(segs, d)
	bands := make([]graphplot.Band, 0, len(a.Phases))
	for _, p := range a.Phases {
		seen[p.Kind] = true
		bands = append(bands, graphplot.Band{From: p.StartTime, To: p.EndTime, Label: i18n.Msg(lang, "report.phase."+p.Kind.String()),
			Class: "phase phase-" + p.Kind.String(), Fill: phaseFill[p.Kind]})
	}
	return bands
}

// dirCode names a direction in the page's ids and attributes.
func dirCode(d streamgraph.Dir) string {
	if d == streamgraph.ClientToServer {
		return "c2s"
	}
	return "s2c"
}

// dirWords names a direction in lang.
func dirWords(lang i18n.Lang, d streamgraph.Dir) string {
	return i18n.Msg(lang, "report.graphs.dir."+dirCode(d))
}

// graphLabels are the words of graph g in lang: its title with the
// direction, its series, its axes.
func graphLabels(lang i18n.Lang, g streamgraph.Graph) graphplot.Labels {
	msg := func(id string, args ...any) string { return i18n.Msg(lang, id, args...) }
	k := g.Kind.String()
	l := graphplot.Labels{
		Title:          msg("report.graph.title."+k, "dir", dirWords(lang, g.Dir)),
		Series:         map[streamgraph.Name]string{},
		Axis:           map[streamgraph.Kind][3]string{},
		Retransmission: msg("report.graph.series.retransmission"),
	}
	for _, s := range g.Series {
		l.Series[s.Name] = msg("report.graph.series." + string(s.Name))
	}
	var axes [3]string
	for i, a := range []string{"x", "y", "y2"} {
		id := "report.graph.axis." + k + "." + a
		if i18n.Has(id) {
			axes[i] = msg(id)
		}
	}
	l.Axis[g.Kind] = axes
	return l
}

// graphFrames lists the frames of the ladder's window of a conversation,
// as "first–last", for the note a graph click shows outside it.
func graphFrames(pkts []conversation.Segment) string {
	if len(pkts) == 0 {
		return ""
	}
	return strings.Join([]string{fmt.Sprint(pkts[0].Frame), fmt.Sprint(pkts[len(pkts)-1].Frame)}, "–")
}

// boundWalk returns w with at most maxParas paragraphs in each section
// (the paragraph the RTT table stands before is kept) and at most
// maxRows rows in the RTT table, each cut said in a paragraph of its
// own. w itself is not changed.
func boundWalk(w *explain.Walkthrough, lang i18n.Lang, maxParas, maxRows int) *explain.Walkthrough {
	out := *w
	if len(out.RTT) > maxRows {
		out.RTT = slices.Clone(out.RTT[:maxRows]) // the report shows the Table
	}
	out.Sections = make([]explain.Section, len(w.Sections))
	for i, sec := range w.Sections {
		if len(sec.Paras) > maxParas {
			kept := slices.Clone(sec.Paras[:maxParas])
			for _, p := range sec.Paras[maxParas:] {
				if p.TableBefore {
					kept = append(kept, p) // the table's place
				}
			}
			n := len(sec.Paras) - len(kept)
			sec.Paras = append(kept, explain.Para{Text: i18n.Msg(lang, "report.walk.cut", "n", n)})
		}
		if sec.Table != nil && len(sec.Table.Rows) > maxRows {
			// Copies, so that the rows left out can be collected.
			t := *sec.Table
			t.Rows = slices.Clone(t.Rows[:maxRows])
			if len(t.Karn) > maxRows {
				t.Karn = slices.Clone(t.Karn[:maxRows])
			}
			note := explain.Para{Text: i18n.Msg(lang, "report.rtt.cut", "n", maxRows, "total", len(sec.Table.Rows)), Sub: true}
			// The note stands right after the table: it takes over the
			// place the table stands before.
			var paras []explain.Para
			placed := false
			for _, p := range sec.Paras {
				if p.TableBefore && !placed {
					note.TableBefore, p.TableBefore, placed = true, false, true
					paras = append(paras, note)
				}
				paras = append(paras, p)
			}
			if !placed {
				paras = append(paras, note)
			}
			sec.Table, sec.Paras = &t, paras
		}
		out.Sections[i] = sec
	}
	return &out
}
