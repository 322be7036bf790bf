package graphplot

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/streamgraph"
	"github.com/tcplab/tcplab/internal/streamgraph/graphtest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/NAME.golden, or rewrites it under
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from %s (-want +got):\n%s", name, file, diff)
	}
}

// sample is a simulated transfer: slow start, a loss repaired by fast
// retransmit, a second loss whose retransmission is lost too (a
// timeout), then congestion avoidance up to the receiver's window.
func sample(t testing.TB, k streamgraph.Kind) streamgraph.Graph {
	t.Helper()
	segs := graphtest.Segments(graphtest.Run(graphtest.Config{
		Bytes: 300_000, RTT: 40 * time.Millisecond, Gap: 200 * time.Microsecond, RWin: 64_000,
		Lose: map[uint32]int{60_001: 1, 150_001: 2},
	}))
	g, err := streamgraph.Build(segs, k, streamgraph.Options{MAWindow: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// tiny is a hand-made graph with one series of each kind of value.
var tiny = streamgraph.Graph{
	Kind: streamgraph.TCPTrace, Dir: streamgraph.ClientToServer, Origin: 1_000_000,
	Series: []streamgraph.Series{
		{Name: streamgraph.Segments, Style: streamgraph.Bars, Unit: streamgraph.Bytes, Points: []streamgraph.Point{
			{Frame: 4, T: 1_500_000, V: 1, V2: 1449},
			{Frame: 9, T: 2_000_000_001, V: 1, V2: 1449, Mark: streamgraph.MarkRetransmission},
		}},
		{Name: streamgraph.Acks, Style: streamgraph.Steps, Unit: streamgraph.Bytes, Points: []streamgraph.Point{
			{Frame: 5, T: 12_000_000, V: 1449, V2: 1449},
		}},
		{Name: streamgraph.RTTSamples, Style: streamgraph.Dots, Unit: streamgraph.Nanoseconds, Points: []streamgraph.Point{
			{Frame: 4, Ref: 5, T: 1_500_000, V: 10_500_000, V2: 10_500_000},
		}},
		{Name: streamgraph.Tput, Style: streamgraph.Steps, Unit: streamgraph.BitsPerSecond, Axis: streamgraph.Right},
	},
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, tiny); err != nil {
		t.Fatal(err)
	}
	want := CSVHeader + `
segment,4,,0.001500000,0.000500000,1,1449,B,
segment,9,,2.000000001,1.999000001,1,1449,B,retransmission
ack,5,,0.012000000,0.011000000,1449,,B,
rtt,4,5,0.001500000,0.000500000,0.010500000,,s,
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteCSV (-want +got):\n%s", diff)
	}
}

func TestWriteNDJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteNDJSON(&b, tiny); err != nil {
		t.Fatal(err)
	}
	want := `{"series":"segment","frame":4,"time":0.001500000,"stream_time":0.000500000,"value":1,"value_end":1449,"unit":"B"}
{"series":"segment","frame":9,"time":2.000000001,"stream_time":1.999000001,"value":1,"value_end":1449,"unit":"B","mark":"retransmission"}
{"series":"ack","frame":5,"time":0.012000000,"stream_time":0.011000000,"value":1449,"unit":"B"}
{"series":"rtt","frame":4,"ref_frame":5,"time":0.001500000,"stream_time":0.000500000,"value":0.010500000,"unit":"s"}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteNDJSON (-want +got):\n%s", diff)
	}
}

// TestDataFilesParse reads the data files of every simulated graph back
// with standard parsers: every CSV record has the nine columns, every
// NDJSON line is an object with the same values.
func TestDataFilesParse(t *testing.T) {
	for _, k := range streamgraph.Kinds {
		g := sample(t, k)
		var c, j bytes.Buffer
		if err := WriteCSV(&c, g); err != nil {
			t.Fatal(err)
		}
		if err := WriteNDJSON(&j, g); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&c).ReadAll()
		if err != nil {
			t.Fatalf("%v: CSV: %v", k, err)
		}
		lines := strings.Split(strings.TrimSuffix(j.String(), "\n"), "\n")
		if len(recs) != len(lines)+1 || len(lines) < 10 {
			t.Fatalf("%v: %d CSV records, %d NDJSON lines", k, len(recs), len(lines))
		}
		for i, l := range lines {
			var o struct {
				Series string  `json:"series"`
				Frame  uint32  `json:"frame"`
				Time   float64 `json:"time"`
				Value  float64 `json:"value"`
			}
			if err := json.Unmarshal([]byte(l), &o); err != nil {
				t.Fatalf("%v: NDJSON line %d %q: %v", k, i+1, l, err)
			}
			r := recs[i+1]
			if o.Series != r[0] || r[1] != jsonNum(o.Frame) {
				t.Fatalf("%v: line %d: NDJSON %q, CSV %q", k, i+1, l, r)
			}
		}
	}
}

func jsonNum(v uint32) string { b, _ := json.Marshal(v); return string(b) }

// TestSVG checks each graph's drawing against its golden file, and that
// it is well-formed XML that loads nothing from outside.
func TestSVG(t *testing.T) {
	for _, k := range streamgraph.Kinds {
		t.Run(k.String(), func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteSVG(&b, sample(t, k), SVGOptions{}); err != nil {
				t.Fatal(err)
			}
			checkSVG(t, b.Bytes())
			golden(t, "svg/"+k.String()+".svg", b.Bytes())
		})
	}
}

func checkSVG(t *testing.T, svg []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			seen := map[string]bool{}
			for _, a := range se.Attr {
				if seen[a.Name.Local] {
					t.Errorf("SVG <%s> repeats attribute %s", se.Name.Local, a.Name.Local)
				}
				seen[a.Name.Local] = true
				if a.Name.Local == "href" || strings.Contains(a.Value, "url(http") {
					t.Errorf("SVG refers outside itself: <%s %s=%q>", se.Name.Local, a.Name.Local, a.Value)
				}
			}
			if se.Name.Local == "script" || se.Name.Local == "image" || se.Name.Local == "style" {
				t.Errorf("SVG has a <%s> element", se.Name.Local)
			}
		}
	}
}

// TestTerminal checks terminal plots against their golden files: braille
// in colour and without, and ASCII.
func TestTerminal(t *testing.T) {
	for _, tt := range []struct {
		name string
		k    streamgraph.Kind
		o    TermOptions
	}{
		{"tcptrace-color", streamgraph.TCPTrace, TermOptions{Color: true}},
		{"tcptrace-plain", streamgraph.TCPTrace, TermOptions{}},
		{"tcptrace-ascii", streamgraph.TCPTrace, TermOptions{ASCII: true}},
		{"tseq-plain", streamgraph.TSeq, TermOptions{Width: 60, Height: 12}},
		{"throughput-ascii", streamgraph.Throughput, TermOptions{ASCII: true}},
		{"rtt-plain", streamgraph.RTT, TermOptions{}},
		{"window-color", streamgraph.Window, TermOptions{Color: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteTerminal(&b, sample(t, tt.k), tt.o); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if !tt.o.Color && strings.Contains(out, "\x1b[") {
				t.Error("colour escapes without Color")
			}
			if tt.o.ASCII {
				for i, r := range out {
					if r >= 0x80 {
						t.Fatalf("non-ASCII %q at byte %d", r, i)
					}
				}
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			h := tt.o.Height
			if h == 0 {
				h = 16
			}
			if len(lines) != h {
				t.Errorf("%d lines, want %d", len(lines), h)
			}
			golden(t, "term/"+tt.name+".txt", b.Bytes())
		})
	}
}

func TestFormatSI(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		unit string
		want string
	}{
		{0, "B", "0 B"},
		{1, "B", "1 B"},
		{999, "B", "999 B"},
		{1000, "B", "1 kB"},
		{1448, "B", "1.45 kB"},
		{1_500_000, "B", "1.5 MB"},
		{0.25, "s", "250 ms"},
		{0.0105, "s", "10.5 ms"},
		{12e-6, "s", "12 µs"},
		{8e6, "bit/s", "8 Mbit/s"},
		{-2000, "B", "-2 kB"},
		{0.9999, "s", "1 s"},
	} {
		if got := formatSI(tt.v, tt.unit); got != tt.want {
			t.Errorf("formatSI(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}

func TestTicks(t *testing.T) {
	for _, tt := range []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}},
		{0, 300_000, 4, []float64{0, 100_000, 200_000, 300_000}},
		{0, 7, 3, []float64{0, 2, 4, 6}},
		{0.013, 0.048, 4, []float64{0.02, 0.03, 0.04}},
		{5, 5, 4, []float64{5}},
	} {
		got := ticks(tt.lo, tt.hi, tt.n)
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })); diff != "" {
			t.Errorf("ticks(%v, %v, %d) (-want +got):\n%s", tt.lo, tt.hi, tt.n, diff)
		}
	}
}

func TestTermFromEnv(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		tty  bool
		want TermOptions
	}{
		{map[string]string{"LANG": "en_US.UTF-8"}, true, TermOptions{Color: true}},
		{map[string]string{"LANG": "zh_TW.utf8", "NO_COLOR": "1"}, true, TermOptions{}},
		{map[string]string{"LC_ALL": "C", "LANG": "en_US.UTF-8"}, true, TermOptions{ASCII: true, Color: true}},
		{map[string]string{"LC_CTYPE": "en_US.UTF-8", "TERM": "dumb"}, true, TermOptions{}},
		{map[string]string{"LANG": "en_US.UTF-8"}, false, TermOptions{}},
		{nil, true, TermOptions{ASCII: true, Color: true}},
	} {
		got := TermFromEnv(func(k string) string { return tt.env[k] }, tt.tty)
		if got.ASCII != tt.want.ASCII || got.Color != tt.want.Color {
			t.Errorf("TermFromEnv(%v, tty %v) = ASCII %v, Color %v; want %v, %v", tt.env, tt.tty, got.ASCII, got.Color, tt.want.ASCII, tt.want.Color)
		}
	}
}

// TestSVGInteractive checks the drawing the HTML report embeds against
// its golden file: bands behind the series, the data group a script
// zooms, and each series' points as data attributes, one value per
// point drawn, every retransmission among them.
func TestSVGInteractive(t *testing.T) {
	g := sample(t, streamgraph.TCPTrace)
	bands := []Band{
		{From: g.Origin, To: g.Origin + 200_000_000, Label: "slow start", Class: "phase ss", Fill: "#73d216"},
		{From: g.Origin + 200_000_000, To: g.Origin + 400_000_000, Label: "recovery <fast>", Class: "phase fr", Fill: "#f57900"},
		{From: g.Origin + 400_000_000, To: g.Origin + 900_000_000, Label: "slow start", Class: "phase ss", Fill: "#73d216"},
	}
	var b bytes.Buffer
	if err := WriteSVG(&b, g, SVGOptions{Interactive: true, Bands: bands, MaxPoints: 120, ID: "c0-tcptrace"}); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, b.Bytes())
	golden(t, "svg/interactive-tcptrace.svg", b.Bytes())

	svg := b.String()
	for _, want := range []string{`<g class="data">`, `class="grid"`, `class="ticks"`, `data-origin="`,
		`data-label="recovery &lt;fast&gt;" data-from="200000" data-to="400000"`, `data-from="0 400000" data-to="200000 900000"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("interactive SVG lacks %s", want)
		}
	}
	// Each series path lists as many frames, times and values as it
	// draws points, and keeps every retransmission of the graph.
	reduced := streamgraph.Reduce(g, 120)
	d := xml.NewDecoder(strings.NewReader(svg))
	found := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "path" {
			continue
		}
		attr := map[string]string{}
		for _, a := range se.Attr {
			attr[a.Name.Local] = a.Value
		}
		if attr["data-f"] == "" {
			continue
		}
		found++
		s := reduced.Find(streamgraph.Name(attr["data-series"]))
		if s == nil {
			t.Fatalf("path for unknown series %q", attr["data-series"])
		}
		for _, k := range []string{"data-f", "data-t", "data-v"} {
			if n := len(strings.Fields(attr[k])); n != len(s.Points) {
				t.Errorf("series %s: %s lists %d values, want %d", s.Name, k, n, len(s.Points))
			}
		}
		full := g.Find(s.Name)
		frames := " " + attr["data-f"] + " "
		for _, p := range full.Points {
			if p.Mark&streamgraph.MarkRetransmission != 0 && !strings.Contains(frames, " "+jsonNum(p.Frame)+" ") {
				t.Errorf("series %s: retransmission frame %d not among the points", s.Name, p.Frame)
			}
		}
	}
	if found < 3 {
		t.Errorf("%d series carry their points, want every drawn one (at least 3)", found)
	}
}
