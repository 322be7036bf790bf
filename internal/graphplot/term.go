package graphplot

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/tcplab/tcplab/internal/braille"
	"github.com/tcplab/tcplab/internal/streamgraph"
)

// TermOptions adjust WriteTerminal.
type TermOptions struct {
	// Width and Height are the plot's size in characters, labels and
	// legend included; zero means 72 × 16.
	Width, Height int
	// ASCII draws with ASCII characters only (a glyph per series, one
	// point per character) for terminals outside UTF-8 locales; otherwise
	// Unicode braille gives 2 × 4 points per character.
	ASCII bool
	// Color adds ANSI colours (leave it off under NO_COLOR or when the
	// output is not a terminal).
	Color  bool
	Labels Labels
}

// asciiGlyphs mark the series in ASCII plots, in the graph's order.
const asciiGlyphs = "*+ox#%@&"

// WriteTerminal writes g as a compact text plot: the title, the canvas
// with the value axis on its left (top, middle and bottom values), the
// time axis (seconds since the stream's first segment), a row marking the
// retransmissions (▲, or ^ in ASCII) when there are any, and a legend.
// It draws the series of one value axis: the right one when it has
// points (the throughput graph's rates), else the left one. Series are
// drawn in the graph's order, so a later one colours a shared character;
// retransmissions are drawn last.
func WriteTerminal(w io.Writer, g streamgraph.Graph, o TermOptions) error {
	p := newTermPlot(g, o)
	p.draw()
	bw := bufio.NewWriter(w)
	p.writeCanvas(bw)
	p.writeAxis(bw)
	p.writeLegend(bw)
	return bw.Flush()
}

// termLegend is one series' entry in a terminal plot's legend.
type termLegend struct {
	label, colour string
	glyph         byte
}

// termPlot is one terminal plot being drawn: the axis shown, the
// layout, the canvas and the legend.
type termPlot struct {
	g         streamgraph.Graph
	o         TermOptions
	axis      streamgraph.Axis
	f         frame
	anyMarked bool
	ylabels   [3]string
	lw        int // the value labels' width
	pw, ph    int // the canvas, in characters
	cv        *braille.Canvas
	xs, ys    float64 // points per second, per unit of the axis
	strip     []bool  // the columns with a retransmission
	legends   []termLegend
}

// newTermPlot lays out g: the axis to show (the right one when it has
// points), the value labels, the canvas's size; the series reduced to
// what its width can show.
func newTermPlot(g streamgraph.Graph, o TermOptions) *termPlot {
	p := &termPlot{o: o, axis: streamgraph.Left}
	W, H := o.Width, o.Height
	if W <= 0 || H <= 0 {
		W, H = 72, 16
	}
	for i := range g.Series {
		if g.Series[i].Axis == streamgraph.Right && len(g.Series[i].Points) > 0 {
			p.axis = streamgraph.Right
		}
	}
	p.f = measure(g, p.onAxis)
	for i := range g.Series {
		p.anyMarked = p.anyMarked || (p.onAxis(&g.Series[i]) && marked(&g.Series[i]))
	}
	e, unit := p.f.y[p.axis], unitSymbol(p.f.unit[p.axis])
	p.ylabels = [3]string{formatSI(e.hi, unit), formatSI((e.lo+e.hi)/2, unit), formatSI(e.lo, unit)}
	for _, l := range p.ylabels {
		p.lw = max(p.lw, utf8.RuneCountInString(l))
	}
	extra := 4 // title, axis line, time labels, legend
	if p.anyMarked {
		extra++
		p.strip = make([]bool, max(W-p.lw-2, 8))
	}
	p.pw, p.ph = max(W-p.lw-2, 8), max(H-extra, 2)
	p.cv = braille.New(p.pw, p.ph, o.ASCII)
	p.g = streamgraph.Reduce(g, 4*p.pw*p.cv.SX)
	p.xs = float64(p.pw*p.cv.SX-1) / (p.f.x.hi - p.f.x.lo)
	p.ys = float64(p.ph*p.cv.SY-1) / (e.hi - e.lo)
	return p
}

func (p *termPlot) onAxis(s *streamgraph.Series) bool { return s.Axis == p.axis }

// px and py place a time and a value on the canvas's points, y counted
// from the top (values grow upwards).
func (p *termPlot) px(t int64) int {
	return int((float64(t-p.g.Origin)*1e-9-p.f.x.lo)*p.xs + 0.5)
}

func (p *termPlot) py(v int64) int {
	up := int((float64(v)*p.f.scale[p.axis]-p.f.y[p.axis].lo)*p.ys + 0.5)
	return p.ph*p.cv.SY - 1 - up
}

// draw draws the series of the axis shown, in the graph's order, then
// their retransmissions on top.
func (p *termPlot) draw() {
	gi := 0
	for i := range p.g.Series {
		s := &p.g.Series[i]
		if !p.onAxis(s) || len(s.Points) == 0 {
			continue
		}
		col := colourOf(s.Name).ansi
		glyph := asciiGlyphs[gi%len(asciiGlyphs)]
		gi++
		p.legends = append(p.legends, termLegend{p.o.Labels.series(s.Name), col, glyph})
		p.drawSeries(s, col, glyph)
	}
	for i := range p.g.Series {
		if s := &p.g.Series[i]; p.onAxis(s) {
			p.drawMarks(s)
		}
	}
}

// drawSeries draws s in its style: steps, a line, bars or dots.
func (p *termPlot) drawSeries(s *streamgraph.Series, col string, glyph byte) {
	cv := p.cv
	var lx, ly int
	for j := range s.Points {
		pt := &s.Points[j]
		x, y := p.px(pt.T), p.py(pt.V)
		switch s.Style {
		case streamgraph.Steps:
			if j > 0 {
				cv.Line(lx, ly, x, ly, col, glyph)
				cv.Line(x, ly, x, y, col, glyph)
			}
		case streamgraph.Line:
			if j > 0 {
				cv.Line(lx, ly, x, y, col, glyph)
			}
		case streamgraph.Bars:
			cv.Line(x, y, x, p.py(pt.V2), col, glyph)
		}
		cv.Set(x, y, col, glyph)
		lx, ly = x, y
	}
}

// drawMarks draws the retransmissions of s in red and notes their
// columns for the strip under the plot.
func (p *termPlot) drawMarks(s *streamgraph.Series) {
	for _, pt := range s.Points {
		if pt.Mark&streamgraph.MarkRetransmission == 0 {
			continue
		}
		x, y := p.px(pt.T), p.py(pt.V)
		if s.Style == streamgraph.Bars {
			p.cv.Line(x, y, x, p.py(pt.V2), retransColour.ansi, '^')
		} else {
			p.cv.Set(x, y, retransColour.ansi, '^')
		}
		if c := x / p.cv.SX; c >= 0 && c < p.pw {
			p.strip[c] = true
		}
	}
}

// paint writes s in colour col when colours are on.
func (p *termPlot) paint(bw *bufio.Writer, col, s string) {
	if p.o.Color && col != "" {
		bw.WriteString("\x1b[" + col + "m" + s + "\x1b[0m")
		return
	}
	bw.WriteString(s)
}

// glyphs returns the frame's characters: the value axis, its ticks, the
// corner, the time axis and the retransmission mark.
func (p *termPlot) glyphs() (vbar, tick, corner, hbar, up string) {
	if p.o.ASCII {
		return "|", "+", "+", "-", "^"
	}
	return "│", "┤", "└", "─", "▲"
}

// writeCanvas writes the title and the canvas's rows with the value
// labels at the top, middle and bottom.
func (p *termPlot) writeCanvas(bw *bufio.Writer) {
	vbar, tick, _, _, _ := p.glyphs()
	bw.WriteString(asciiIf(p.o.ASCII, p.o.Labels.title(p.g)) + "\n")
	for r := range p.ph {
		label, side := "", vbar
		switch r {
		case 0:
			label, side = p.ylabels[0], tick
		case p.ph / 2:
			label, side = p.ylabels[1], tick
		case p.ph - 1:
			label, side = p.ylabels[2], tick
		}
		bw.WriteString(strings.Repeat(" ", max(0, p.lw-utf8.RuneCountInString(label))) + label + " " + side)
		// Runs of one colour share one escape sequence.
		var run strings.Builder
		runCol := ""
		for c := range p.pw {
			ce := &p.cv.Cells[r*p.pw+c]
			col := ce.Colour
			if ce.Dots == 0 {
				col = runCol // blanks join any run
			}
			if col != runCol {
				p.paint(bw, runCol, run.String())
				run.Reset()
				runCol = col
			}
			run.WriteString(p.cv.Char(c, r))
		}
		p.paint(bw, runCol, strings.TrimRight(run.String(), " "))
		bw.WriteString("\n")
	}
}

// writeAxis writes the time axis, the retransmissions' strip under it
// when there are any, and the start, middle and end times.
func (p *termPlot) writeAxis(bw *bufio.Writer) {
	_, _, corner, hbar, up := p.glyphs()
	bw.WriteString(strings.Repeat(" ", p.lw+1) + corner + strings.Repeat(hbar, p.pw) + "\n")
	if p.anyMarked {
		var sb strings.Builder
		for _, m := range p.strip[:p.pw] {
			if m {
				sb.WriteString(up)
			} else {
				sb.WriteString(" ")
			}
		}
		bw.WriteString(strings.Repeat(" ", p.lw+2))
		p.paint(bw, retransColour.ansi, strings.TrimRight(sb.String(), " "))
		bw.WriteString("\n")
	}
	f := &p.f
	tl := []string{formatSI(f.x.lo, "s"), formatSI((f.x.lo+f.x.hi)/2, "s"), formatSI(f.x.hi, "s")}
	for i := range tl {
		tl[i] = asciiIf(p.o.ASCII, tl[i])
	}
	row := []rune(strings.Repeat(" ", p.pw))
	place := func(s string, at int) {
		rs := []rune(s)
		at = min(max(at, 0), p.pw-len(rs))
		for i, r := range rs {
			if at+i >= 0 && at+i < p.pw {
				row[at+i] = r
			}
		}
	}
	place(tl[0], 0)
	place(tl[1], p.pw/2-utf8.RuneCountInString(tl[1])/2)
	place(tl[2], p.pw-utf8.RuneCountInString(tl[2]))
	bw.WriteString(strings.Repeat(" ", p.lw+2) + strings.TrimRight(string(row), " ") + "  " + asciiIf(p.o.ASCII, p.o.Labels.axis(p.g.Kind, 0)) + "\n")
}

// writeLegend writes each series' symbol and name, and the
// retransmissions' when there are any.
func (p *termPlot) writeLegend(bw *bufio.Writer) {
	_, _, _, _, up := p.glyphs()
	bw.WriteString(strings.Repeat(" ", p.lw+2))
	for i, l := range p.legends {
		if i > 0 {
			bw.WriteString("  ")
		}
		sym := "⣿"
		if p.o.ASCII {
			sym = string(l.glyph)
		}
		p.paint(bw, l.colour, sym)
		bw.WriteString(" " + asciiIf(p.o.ASCII, l.label))
	}
	if p.anyMarked {
		bw.WriteString("  ")
		p.paint(bw, retransColour.ansi, up)
		bw.WriteString(" " + asciiIf(p.o.ASCII, p.o.Labels.retrans()))
	}
	bw.WriteString("\n")
}

func asciiIf(yes bool, s string) string {
	if yes {
		return asciiOnly(s)
	}
	return s
}

// asciiOnly replaces the non-ASCII characters tcplab's labels use.
func asciiOnly(s string) string {
	r := strings.NewReplacer("→", "->", "µ", "u", "·", "-")
	s = r.Replace(s)
	var b strings.Builder
	for _, c := range s {
		if c < 0x80 {
			b.WriteRune(c)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// TermFromEnv returns the terminal options the environment asks for, as
// getenv (os.Getenv) reads it: ASCII unless the locale (the first of
// LC_ALL, LC_CTYPE and LANG that is set) is UTF-8, and colour only on a
// terminal (tty) when NO_COLOR is unset or empty and TERM is not "dumb"
// (https://no-color.org).
func TermFromEnv(getenv func(string) string, tty bool) TermOptions {
	locale := ""
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if locale = getenv(v); locale != "" {
			break
		}
	}
	l := strings.ToLower(locale)
	utf := strings.Contains(l, "utf-8") || strings.Contains(l, "utf8")
	return TermOptions{ASCII: !utf, Color: tty && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"}
}
