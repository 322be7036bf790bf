package graphplot

import (
	"math"
	"strconv"

	"github.com/tcplab/tcplab/internal/streamgraph"
)

// Labels are the words a plot shows. The zero Labels shows English (the
// names Wireshark's dialog uses); a caller can replace any of them.
type Labels struct {
	Title  string                         // "" for DefaultTitle
	Series map[streamgraph.Name]string    // a series' name in the legend; missing ones fall back to English
	Axis   map[streamgraph.Kind][3]string // time, left and right axis labels; missing kinds fall back
	// Retransmission names the retransmission marks in the legend.
	Retransmission string
}

var seriesLabels = map[streamgraph.Name]string{
	streamgraph.Seq:            "Sequence number",
	streamgraph.Segments:       "Segments",
	streamgraph.Acks:           "ACK",
	streamgraph.RWin:           "Receive window",
	streamgraph.SACK:           "SACK",
	streamgraph.SACK2:          "Other SACKs",
	streamgraph.DupAcks:        "Dup ACK",
	streamgraph.ZeroWindow:     "Zero window",
	streamgraph.PeerZeroWindow: "Receiver's zero window",
	streamgraph.SegLen:         "Segment length",
	streamgraph.Tput:           "Throughput",
	streamgraph.Goodput:        "Goodput",
	streamgraph.RTTSamples:     "Round-trip time",
	streamgraph.Unacked:        "Unacked bytes",
	streamgraph.Flight:         "Bytes in flight",
}

var axisLabels = map[streamgraph.Kind][3]string{
	streamgraph.TSeq:       {"Time (s)", "Sequence number (B)", ""},
	streamgraph.TCPTrace:   {"Time (s)", "Sequence number (B)", ""},
	streamgraph.Throughput: {"Time (s)", "Segment length (B)", "Throughput (bit/s)"},
	streamgraph.RTT:        {"Time sent (s)", "Round-trip time (s)", ""},
	streamgraph.Window:     {"Time (s)", "Bytes", ""},
}

var titles = map[streamgraph.Kind]string{
	streamgraph.TSeq:       "Sequence Numbers (Stevens)",
	streamgraph.TCPTrace:   "Sequence Numbers (tcptrace)",
	streamgraph.Throughput: "Throughput",
	streamgraph.RTT:        "Round Trip Time",
	streamgraph.Window:     "Window Scaling",
}

// DefaultTitle returns Wireshark's title for g's kind and the direction:
// "Sequence Numbers (Stevens), client → server".
func DefaultTitle(g streamgraph.Graph) string {
	t := titles[g.Kind]
	switch g.Dir {
	case streamgraph.ClientToServer:
		t += ", client → server"
	case streamgraph.ServerToClient:
		t += ", server → client"
	}
	return t
}

func (l *Labels) title(g streamgraph.Graph) string {
	if l.Title != "" {
		return l.Title
	}
	return DefaultTitle(g)
}

func (l *Labels) series(n streamgraph.Name) string {
	if s, ok := l.Series[n]; ok {
		return s
	}
	if s, ok := seriesLabels[n]; ok {
		return s
	}
	return string(n)
}

func (l *Labels) axis(k streamgraph.Kind, i int) string {
	if a, ok := l.Axis[k]; ok {
		return a[i]
	}
	return axisLabels[k][i]
}

func (l *Labels) retrans() string {
	if l.Retransmission != "" {
		return l.Retransmission
	}
	return "Retransmission"
}

// unitSymbol is the unit appended to tick labels.
func unitSymbol(u streamgraph.Unit) string {
	switch u {
	case streamgraph.BitsPerSecond:
		return "bit/s"
	case streamgraph.Nanoseconds:
		return "s"
	}
	return "B"
}

// scaleOf converts a series value to the number an axis shows (seconds
// for durations).
func scaleOf(u streamgraph.Unit) float64 {
	if u == streamgraph.Nanoseconds {
		return 1e-9
	}
	return 1
}

// formatSI formats v with an SI prefix and unit, to three significant
// digits at most: "0 B", "1.5 MB", "250 ms", "12 kbit/s".
func formatSI(v float64, unit string) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "0 " + unit
	}
	prefixes := []struct {
		f float64
		p string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}, {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}}
	a := math.Abs(v)
	for _, p := range prefixes {
		if a >= p.f*0.9995 || p.f == 1e-9 {
			x := v / p.f
			// Three significant digits.
			digits := 2 - int(math.Floor(math.Log10(math.Abs(x))))
			if digits < 0 {
				digits = 0
			}
			s := strconv.FormatFloat(x, 'f', digits, 64)
			s = trimZeros(s)
			return s + " " + p.p + unit
		}
	}
	return "0 " + unit
}

func trimZeros(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			for len(s) > i && (s[len(s)-1] == '0' || s[len(s)-1] == '.') {
				s = s[:len(s)-1]
			}
			break
		}
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// ticks returns about n round tick values (1, 2 or 5 times a power of
// ten) from lo to hi.
func ticks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || n < 1 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	// The round step whose count of ticks comes closest to n.
	step, best := mag, math.Inf(1)
	for _, m := range []float64{1, 2, 5, 10} {
		if d := math.Abs((hi-lo)/(m*mag) - float64(n)); d < best {
			step, best = m*mag, d
		}
	}
	var out []float64
	// Counted rather than summed, so that a step lost in the precision
	// of a large value cannot loop for ever.
	first := math.Ceil(lo / step)
	for i := 0.0; i <= 4*float64(n)+2; i++ {
		v := (first + i) * step
		if v > hi+step*1e-9 || math.IsNaN(v) {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		if len(out) > 0 && v <= out[len(out)-1] {
			break
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		out = append(out, lo)
	}
	return out
}

// extent is a range of values along an axis.
type extent struct {
	lo, hi float64
	ok     bool
}

func (e *extent) add(v float64) {
	if !e.ok {
		e.lo, e.hi, e.ok = v, v, true
		return
	}
	e.lo = min(e.lo, v)
	e.hi = max(e.hi, v)
}

// settle makes e a drawable range: from zero when all values are
// positive, never empty.
func (e *extent) settle(fromZero bool) {
	if !e.ok {
		e.lo, e.hi, e.ok = 0, 1, true
	}
	if fromZero && e.lo > 0 {
		e.lo = 0
	}
	if e.hi <= e.lo {
		e.hi = e.lo + 1
	}
}

// frame is a plot's data ranges: time (seconds since the stream's first
// segment) and the values on each axis, in the axis' units.
type frame struct {
	x     extent
	y     [2]extent
	unit  [2]streamgraph.Unit
	has   [2]bool
	scale [2]float64
}

// measure returns the ranges of the series of g that draw is true for.
// The tcptrace graph's receive-window line counts only where it comes
// near the data (within half the data's span above it): a receiver
// window far beyond what was sent would flatten the data to a line, so
// it is left above the plot, as in Wireshark once zoomed to the data.
func measure(g streamgraph.Graph, draw func(*streamgraph.Series) bool) frame {
	var f frame
	var far []*streamgraph.Series
	for i := range g.Series {
		s := &g.Series[i]
		if !draw(s) || len(s.Points) == 0 {
			continue
		}
		a := s.Axis
		f.has[a], f.unit[a], f.scale[a] = true, s.Unit, scaleOf(s.Unit)
		if g.Kind == streamgraph.TCPTrace && s.Name == streamgraph.RWin {
			far = append(far, s)
			continue
		}
		for _, p := range s.Points {
			f.x.add(float64(p.T-g.Origin) * 1e-9)
			f.y[a].add(float64(p.V) * f.scale[a])
			f.y[a].add(float64(p.V2) * f.scale[a])
		}
	}
	for _, s := range far {
		e := &f.y[s.Axis]
		limit := e.hi + (e.hi-e.lo)/2
		for _, p := range s.Points {
			f.x.add(float64(p.T-g.Origin) * 1e-9)
			if v := float64(p.V) * f.scale[s.Axis]; !e.ok || v <= limit {
				e.add(v)
			}
		}
	}
	f.x.settle(true)
	f.y[0].settle(true)
	f.y[1].settle(true)
	return f
}

// colour is a series' colour: for SVG and as an ANSI SGR code.
type colour struct {
	hex  string
	ansi string
}

// Tango colours, as Wireshark's graphs use them.
var (
	blue    = colour{"#3465a4", "34"}
	butter  = colour{"#c4a000", "33"}
	green   = colour{"#4e9a06", "32"}
	red     = colour{"#cc0000", "31"}
	darkred = colour{"#a40000", "31"}
	plum    = colour{"#75507b", "35"}
	orange  = colour{"#ce5c00", "36"}
	// retransColour marks retransmissions on top of every series.
	retransColour = colour{"#ef2929", "91"}
)

var seriesColours = map[streamgraph.Name]colour{
	streamgraph.Seq:            blue,
	streamgraph.Segments:       blue,
	streamgraph.Acks:           butter,
	streamgraph.RWin:           green,
	streamgraph.SACK:           red,
	streamgraph.SACK2:          darkred,
	streamgraph.DupAcks:        butter,
	streamgraph.ZeroWindow:     blue,
	streamgraph.PeerZeroWindow: orange,
	streamgraph.SegLen:         blue,
	streamgraph.Tput:           butter,
	streamgraph.Goodput:        green,
	streamgraph.RTTSamples:     blue,
	streamgraph.Unacked:        plum,
	streamgraph.Flight:         blue,
}

func colourOf(n streamgraph.Name) colour {
	if c, ok := seriesColours[n]; ok {
		return c
	}
	return blue
}

// marked reports whether any point of s is a retransmission.
func marked(s *streamgraph.Series) bool {
	for _, p := range s.Points {
		if p.Mark&streamgraph.MarkRetransmission != 0 {
			return true
		}
	}
	return false
}
