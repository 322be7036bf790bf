package graphplot

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"

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

// cell is one character of the canvas.
type cell struct {
	dots   uint8 // braille dots, or 1 when an ASCII glyph is set
	glyph  byte  // ASCII: the series' glyph
	colour string
}

// canvas is a grid of characters with a finer grid of points: 2 × 4 per
// character in braille, 1 × 1 in ASCII.
type canvas struct {
	w, h   int // characters
	sx, sy int // points per character
	cells  []cell
}

func newCanvas(w, h int, ascii bool) *canvas {
	c := &canvas{w: w, h: h, sx: 2, sy: 4, cells: make([]cell, w*h)}
	if ascii {
		c.sx, c.sy = 1, 1
	}
	return c
}

// brailleBit is the dot of column x (0, 1) and row y (0..3) of a braille
// character (Unicode's dot numbering: 1 2 3 7 down the left, 4 5 6 8 down
// the right).
var brailleBit = [2][4]uint8{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

// set lights point (x, y), y growing upwards, in colour col (and glyph g
// for ASCII). Points off the canvas are ignored.
func (c *canvas) set(x, y int, col string, g byte) {
	if x < 0 || y < 0 || x >= c.w*c.sx || y >= c.h*c.sy {
		return
	}
	row := c.h - 1 - y/c.sy
	ce := &c.cells[row*c.w+x/c.sx]
	if c.sx == 1 {
		ce.dots, ce.glyph = 1, g
	} else {
		ce.dots |= brailleBit[x%2][c.sy-1-y%c.sy]
	}
	ce.colour = col
}

// line lights the points from (x0, y0) to (x1, y1) (Bresenham). Ends
// far off the canvas are brought to just beyond its edge first, which
// keeps vertical and horizontal lines exact and bounds the work.
func (c *canvas) line(x0, y0, x1, y1 int, col string, g byte) {
	w, h := c.w*c.sx, c.h*c.sy
	x0, x1 = min(max(x0, -1), w), min(max(x1, -1), w)
	y0, y1 = min(max(y0, -1), h), min(max(y1, -1), h)
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for n := 0; n < 1<<20; n++ {
		c.set(x0, y0, col, g)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// WriteTerminal writes g as a compact text plot: the title, the canvas
// with the value axis on its left (top, middle and bottom values), the
// time axis (seconds since the stream's first segment), a row marking the
// retransmissions (▲, or ^ in ASCII) when there are any, and a legend.
// It draws the series of one value axis: the right one when it has
// points (the throughput graph's rates), else the left one. Series are
// drawn in the graph's order, so a later one colours a shared character;
// retransmissions are drawn last.
func WriteTerminal(w io.Writer, g streamgraph.Graph, o TermOptions) error {
	W, H := o.Width, o.Height
	if W <= 0 || H <= 0 {
		W, H = 72, 16
	}
	lb := &o.Labels
	axis := streamgraph.Left
	for i := range g.Series {
		if g.Series[i].Axis == streamgraph.Right && len(g.Series[i].Points) > 0 {
			axis = streamgraph.Right
		}
	}
	onAxis := func(s *streamgraph.Series) bool { return s.Axis == axis }
	f := measure(g, onAxis)
	anyMarked := false
	for i := range g.Series {
		if onAxis(&g.Series[i]) && marked(&g.Series[i]) {
			anyMarked = true
		}
	}
	unit := unitSymbol(f.unit[axis])
	ylabels := [3]string{
		formatSI(f.y[axis].hi, unit),
		formatSI((f.y[axis].lo+f.y[axis].hi)/2, unit),
		formatSI(f.y[axis].lo, unit),
	}
	lw := 0
	for _, l := range ylabels {
		lw = max(lw, utf8.RuneCountInString(l))
	}
	extra := 4 // title, axis line, time labels, legend
	if anyMarked {
		extra++
	}
	pw, ph := W-lw-2, H-extra
	if pw < 8 || ph < 2 {
		pw, ph = max(pw, 8), max(ph, 2)
	}
	cv := newCanvas(pw, ph, o.ASCII)
	g = streamgraph.Reduce(g, 4*pw*cv.sx)
	xs := float64(pw*cv.sx-1) / (f.x.hi - f.x.lo)
	ys := float64(ph*cv.sy-1) / (f.y[axis].hi - f.y[axis].lo)
	px := func(t int64) int { return int((float64(t-g.Origin)*1e-9-f.x.lo)*xs + 0.5) }
	py := func(v int64) int { return int((float64(v)*f.scale[axis]-f.y[axis].lo)*ys + 0.5) }

	var strip []bool
	if anyMarked {
		strip = make([]bool, pw)
	}
	type legend struct {
		label, colour string
		glyph         byte
	}
	var legends []legend
	gi := 0
	for i := range g.Series {
		s := &g.Series[i]
		if !onAxis(s) || len(s.Points) == 0 {
			continue
		}
		col := colourOf(s.Name).ansi
		glyph := asciiGlyphs[gi%len(asciiGlyphs)]
		gi++
		legends = append(legends, legend{lb.series(s.Name), col, glyph})
		var lx, ly int
		for j := range s.Points {
			p := &s.Points[j]
			x, y := px(p.T), py(p.V)
			switch s.Style {
			case streamgraph.Steps:
				if j > 0 {
					cv.line(lx, ly, x, ly, col, glyph)
					cv.line(x, ly, x, y, col, glyph)
				}
			case streamgraph.Line:
				if j > 0 {
					cv.line(lx, ly, x, y, col, glyph)
				}
			case streamgraph.Bars:
				cv.line(x, y, x, py(p.V2), col, glyph)
			}
			cv.set(x, y, col, glyph)
			lx, ly = x, y
		}
	}
	for i := range g.Series {
		s := &g.Series[i]
		if !onAxis(s) {
			continue
		}
		for _, p := range s.Points {
			if p.Mark&streamgraph.MarkRetransmission == 0 {
				continue
			}
			x, y := px(p.T), py(p.V)
			if s.Style == streamgraph.Bars {
				cv.line(x, y, x, py(p.V2), retransColour.ansi, '^')
			} else {
				cv.set(x, y, retransColour.ansi, '^')
			}
			if c := x / cv.sx; c >= 0 && c < pw {
				strip[c] = true
			}
		}
	}

	bw := bufio.NewWriter(w)
	paint := func(col, s string) {
		if o.Color && col != "" {
			bw.WriteString("\x1b[" + col + "m" + s + "\x1b[0m")
			return
		}
		bw.WriteString(s)
	}
	pad := func(s string, n int) string {
		return strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s))) + s
	}
	vbar, tick, corner, hbar, up := "│", "┤", "└", "─", "▲"
	if o.ASCII {
		vbar, tick, corner, hbar, up = "|", "+", "+", "-", "^"
	}
	title := lb.title(g)
	if o.ASCII {
		title = asciiOnly(title)
	}
	bw.WriteString(title + "\n")
	for r := range ph {
		label, side := "", vbar
		switch r {
		case 0:
			label, side = ylabels[0], tick
		case ph / 2:
			label, side = ylabels[1], tick
		case ph - 1:
			label, side = ylabels[2], tick
		}
		bw.WriteString(pad(label, lw) + " " + side)
		// Runs of one colour share one escape sequence.
		var run strings.Builder
		runCol := ""
		for c := range pw {
			ce := &cv.cells[r*pw+c]
			ch := " "
			switch {
			case ce.dots == 0:
			case o.ASCII:
				ch = string(ce.glyph)
			default:
				ch = string(rune(0x2800 + int(ce.dots)))
			}
			col := ce.colour
			if ce.dots == 0 {
				col = runCol // blanks join any run
			}
			if col != runCol {
				paint(runCol, run.String())
				run.Reset()
				runCol = col
			}
			run.WriteString(ch)
		}
		paint(runCol, strings.TrimRight(run.String(), " "))
		bw.WriteString("\n")
	}
	bw.WriteString(strings.Repeat(" ", lw+1) + corner + strings.Repeat(hbar, pw) + "\n")
	if anyMarked {
		var sb strings.Builder
		for _, m := range strip {
			if m {
				sb.WriteString(up)
			} else {
				sb.WriteString(" ")
			}
		}
		bw.WriteString(strings.Repeat(" ", lw+2))
		paint(retransColour.ansi, strings.TrimRight(sb.String(), " "))
		bw.WriteString("\n")
	}
	// Time labels: start, middle, end.
	tl := []string{formatSI(f.x.lo, "s"), formatSI((f.x.lo+f.x.hi)/2, "s"), formatSI(f.x.hi, "s")}
	if o.ASCII {
		for i := range tl {
			tl[i] = asciiOnly(tl[i])
		}
	}
	row := []rune(strings.Repeat(" ", pw))
	place := func(s string, at int) {
		rs := []rune(s)
		at = min(max(at, 0), pw-len(rs))
		for i, r := range rs {
			if at+i >= 0 && at+i < pw {
				row[at+i] = r
			}
		}
	}
	place(tl[0], 0)
	place(tl[1], pw/2-utf8.RuneCountInString(tl[1])/2)
	place(tl[2], pw-utf8.RuneCountInString(tl[2]))
	bw.WriteString(strings.Repeat(" ", lw+2) + strings.TrimRight(string(row), " ") + "  " + asciiIf(o.ASCII, lb.axis(g.Kind, 0)) + "\n")
	// Legend.
	bw.WriteString(strings.Repeat(" ", lw+2))
	for i, l := range legends {
		if i > 0 {
			bw.WriteString("  ")
		}
		sym := "⣿"
		if o.ASCII {
			sym = string(l.glyph)
		}
		paint(l.colour, sym)
		bw.WriteString(" " + asciiIf(o.ASCII, l.label))
	}
	if anyMarked {
		bw.WriteString("  ")
		paint(retransColour.ansi, up)
		bw.WriteString(" " + asciiIf(o.ASCII, lb.retrans()))
	}
	bw.WriteString("\n")
	return bw.Flush()
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
