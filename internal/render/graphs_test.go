package render

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/streamgraph"
	"github.com/tcplab/tcplab/internal/streamgraph/graphtest"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// TestReportGraphs checks where the report draws stream graphs: the five
// kinds for each conversation that carries data, the busier direction
// shown and the other one, when it carries data too, hidden behind its
// button; a one-way transfer says the other direction has none.
func TestReportGraphs(t *testing.T) {
	for _, tt := range []struct {
		name string
		conv conversation.Conversation
		sets []string // the directions graphed, the shown one first
	}{
		{"both ways", fixture.LabInRange(), []string{"c2s", "s2c"}},
		{"client only", fixture.LabOutOfRange(), []string{"c2s"}},
		{"bulk", fixture.Impaired(), []string{"c2s"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.conv
			c.Summarize()
			cd := layout(t, &c, i18n.English)
			if cd.Graphs == nil {
				t.Fatal("no graphs for a conversation that carries data")
			}
			var got []string
			for i, s := range cd.Graphs.Sets {
				got = append(got, s.Dir)
				if s.Hidden != (i > 0) {
					t.Errorf("set %s hidden %v", s.Dir, s.Hidden)
				}
				var kinds []string
				for _, g := range s.Graphs {
					kinds = append(kinds, g.Kind)
					if !strings.HasPrefix(string(g.SVG), "<svg ") || !strings.Contains(string(g.SVG), `<g class="data">`) {
						t.Errorf("%s %s: not an interactive SVG: %.80s", s.Dir, g.Kind, g.SVG)
					}
				}
				if diff := cmp.Diff([]string{"tseq", "tcptrace", "throughput", "rtt", "window"}, kinds); diff != "" {
					t.Errorf("%s: graphs (-want +got):\n%s", s.Dir, diff)
				}
			}
			if diff := cmp.Diff(tt.sets, got); diff != "" {
				t.Errorf("directions (-want +got):\n%s", diff)
			}
			if (len(tt.sets) == 1) != (cd.Graphs.OneWay != "") {
				t.Errorf("one-way note %q with %d directions", cd.Graphs.OneWay, len(tt.sets))
			}
		})
	}
	t.Run("no data", func(t *testing.T) {
		c := fixture.LabInRange()
		var keep []conversation.Segment
		for _, p := range c.Packets {
			if p.Len == 0 {
				keep = append(keep, p)
			}
		}
		c.Packets = keep
		c.Summarize()
		if cd := layout(t, &c, i18n.English); cd.Graphs != nil {
			t.Errorf("a conversation without data got graphs: %+v", cd.Graphs.Sets)
		}
	})
}

// TestReportGraphGolden compares the tcptrace graph of the impaired
// fixture, as the report embeds it (its phases shaded, its points for the
// script), with testdata/report_graph_tcptrace.svg.golden.
func TestReportGraphGolden(t *testing.T) {
	c := fixture.Impaired()
	c.Summarize()
	cd := layout(t, &c, i18n.English)
	if cd.Graphs == nil || len(cd.Graphs.Sets) == 0 {
		t.Fatal("no graphs")
	}
	var svg string
	for _, g := range cd.Graphs.Sets[0].Graphs {
		if g.Kind == "tcptrace" {
			svg = string(g.SVG)
		}
	}
	if !strings.Contains(svg, `class="phase phase-`) {
		t.Errorf("no congestion phase shaded on the graph")
	}
	fixture.Golden(t, "report_graph_tcptrace.svg", []byte(svg), *update)
}

// bulk returns a simulated one-way transfer of about n packets with a loss
// every 500 segments as a conversation that keeps only its first keep
// packets (as explain's collector does under its budget), and all its
// segments for the graphs.
func bulk(t testing.TB, n, keep int) (conversation.Conversation, []streamgraph.Segment) {
	t.Helper()
	cfg := graphtest.Config{Bytes: n / 2 * 100, MSS: 100, Gap: 20 * time.Microsecond, RWin: 25600, Lose: map[uint32]int{}}
	for i := 1; i*500 < n/2; i++ {
		cfg.Lose[uint32(1+i*500*100)] = 1
	}
	segs := graphtest.Segments(graphtest.Run(cfg))
	c := conversation.Conversation{Stream: 0, SinglePoint: true}
	for i := range segs[:min(keep, len(segs))] {
		s := &segs[i]
		p := conversation.Segment{Frame: int(s.Frame), Time: time.Duration(s.Time), Flags: s.Flags, Seq: s.Seq, Ack: s.Ack,
			Len: int(s.Len), Win: int(s.Win), WinRaw: int(s.Win), Analysis: s.Analysis, AckedFrame: int(s.AckedFrame),
			AckRTT: time.Duration(s.AckRTT), BytesInFlight: int(s.BytesInFlight)}
		if s.FromServer {
			p.From = conversation.Server
		}
		c.Packets = append(c.Packets, p)
	}
	c.Summarize()
	c.Summary.Packets = len(segs)
	return c, segs
}

// TestReportLarge checks that the report stays bounded as the capture
// grows: a transfer eight times longer gives a report of about the same
// size, at most 1000 arrows and table rows, and graphs that cover every
// segment (the last data segment's frame among the points) though the
// conversation kept only some of its packets.
func TestReportLarge(t *testing.T) {
	size := map[int]int{}
	for _, n := range []int{20_000, 160_000} {
		c, segs := bulk(t, n, 5000)
		var buf bytes.Buffer
		opt := ReportOptions{Lang: i18n.English, Segments: func(int) []streamgraph.Segment { return segs }}
		if err := Report(&buf, []conversation.Conversation{c}, opt); err != nil {
			t.Fatal(err)
		}
		html := buf.String()
		size[n] = len(html)
		if a, r := strings.Count(html, `<g class="arrow`), strings.Count(html, `<tr id="c0-f`); a > 1000 || r > 1000 || a == 0 {
			t.Errorf("%d packets: %d arrows, %d packet rows; want 1 to 1000", n, a, r)
		}
		if !strings.Contains(html, fmt.Sprintf("its first 1000 of %d packets", len(segs))) {
			t.Errorf("%d packets: the window the ladder shows is not said", n)
		}
		last := 0 // the client's last segment: the Stevens graph's last point
		for i := range segs {
			if !segs[i].FromServer {
				last = int(segs[i].Frame)
			}
		}
		if !regexp.MustCompile(`data-series="seq"[^>]* data-f="[^"]* ` + fmt.Sprint(last) + `"`).MatchString(html) {
			t.Errorf("%d packets: the Stevens graph does not reach the client's last segment, frame %d", n, last)
		}
	}
	t.Logf("report sizes: %v", size)
	if size[160_000] > size[20_000]*3/2 || size[160_000] > 5<<20 {
		t.Errorf("report sizes %v: want flat in the capture's size and under 5 MiB", size)
	}
}

// TestBoundWalk checks the walk-through's bounds: paragraphs cut with a
// note, the RTT table's rows cut with a note right after the table, the
// paragraph the table stands before kept.
func TestBoundWalk(t *testing.T) {
	w := &explain.Walkthrough{Sections: []explain.Section{{ID: "rtt", Table: &explain.Table{Header: []string{"a"}}}}}
	sec := &w.Sections[0]
	for i := range 10 {
		sec.Paras = append(sec.Paras, explain.Para{Frame: i + 1, Text: fmt.Sprint("p", i), TableBefore: i == 8})
		sec.Table.Rows = append(sec.Table.Rows, []string{fmt.Sprint(i)})
		sec.Table.Karn = append(sec.Table.Karn, i%2 == 0)
	}
	got := boundWalk(w, i18n.English, 3, 4)
	if len(w.Sections[0].Paras) != 10 || len(w.Sections[0].Table.Rows) != 10 {
		t.Fatal("boundWalk changed its input")
	}
	s := got.Sections[0]
	var texts []string
	for _, p := range s.Paras {
		mark := ""
		if p.TableBefore {
			mark = "[table] "
		}
		texts = append(texts, mark+p.Text)
	}
	want := []string{"p0", "p1", "p2", "[table] The table shows the first 4 of 10 rows: tcplab analyze --explain prints them all.", "p8",
		"6 more paragraphs of this part are not shown here: tcplab analyze --explain prints them all."}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Errorf("paragraphs (-want +got):\n%s", diff)
	}
	if len(s.Table.Rows) != 4 || len(s.Table.Karn) != 4 {
		t.Errorf("table kept %d rows, %d Karn marks; want 4", len(s.Table.Rows), len(s.Table.Karn))
	}
}

func TestShareArrows(t *testing.T) {
	for _, tt := range []struct {
		needs       []int
		total, most int
		want        []int
	}{
		{[]int{10, 2302, 12}, 1000, 1000, []int{100, 978, 100}},
		{[]int{5000}, 1000, 1000, []int{1000}},
		{[]int{5000, 5000}, 1000, 1000, []int{500, 500}},
		{[]int{5000, 5000}, 1000, 300, []int{300, 300}},
		{[]int{5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000}, 1000, 1000,
			[]int{100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100}},
		{nil, 1000, 1000, []int{}},
	} {
		got := shareArrows(tt.needs, tt.total, tt.most)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("shareArrows(%v, %d, %d) (-want +got):\n%s", tt.needs, tt.total, tt.most, diff)
		}
	}
}

// TestReportSegments checks which segments ReportSegments gathers: every
// segment of a stream with a packet among the first Kept, before and
// after them, and nothing of a stream that starts after them.
func TestReportSegments(t *testing.T) {
	r := ReportSegments{Kept: 3}
	var d decode.Packet
	for i, stream := range []uint32{0, 1, 0, 2, 0, 1, 2} {
		res := tcpanalysis.Result{Frame: uint32(i + 1), Stream: stream}
		r.Add(&listing.Packet{Number: uint32(i + 1), RelTime: int64(i) * 1000, Decoded: &d, Result: &res})
	}
	frames := func(n int) []uint32 {
		var f []uint32
		for _, s := range r.Stream(n) {
			f = append(f, s.Frame)
		}
		return f
	}
	for n, want := range map[int][]uint32{0: {1, 3, 5}, 1: {2, 6}, 2: nil} {
		if diff := cmp.Diff(want, frames(n)); diff != "" {
			t.Errorf("stream %d frames (-want +got):\n%s", n, diff)
		}
	}
}

// TestReportSummaryRows checks the summary's bound: the first MaxRows
// conversations, then only those drawn below (each keeps its link), and
// a note that says so.
func TestReportSummaryRows(t *testing.T) {
	var convs []conversation.Conversation
	for i := range 30 {
		c := fixture.LabInRange()
		c.Stream = i
		if i != 25 {
			c.Packets = nil // a summary only: not drawn
		}
		convs = append(convs, c)
	}
	var buf bytes.Buffer
	if err := Report(&buf, convs, ReportOptions{Lang: i18n.English, MaxRows: 10}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	tbody := html[strings.Index(html, `<table class="summary">`):]
	tbody = tbody[:strings.Index(tbody, "</table>")]
	if n := strings.Count(tbody, "<tr"); n != 1+11 {
		t.Errorf("summary has %d rows, want the header, 10 conversations and the one drawn", n-1)
	}
	if !strings.Contains(tbody, `<a href="#conv-25">25</a>`) {
		t.Error("the drawn conversation past the first 10 lost its row or its link")
	}
	if !strings.Contains(html, "The table lists the first 10 conversations and those drawn below") {
		t.Error("the cut summary does not say so")
	}
}
