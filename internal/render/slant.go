package render

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/textwrap"
)

// The slanted picture: for a conversation captured at both ends at once,
// the ladder as the textbook draws it, time running down the page. Each
// segment is a line from its sender's lane at the time it was captured
// there to the receiver's lane at the time it was captured there, so its
// slant is the real one-way delay; one the network lost stops halfway at
// a cross. Lines are drawn in braille dots (2 × 4 per character cell) or,
// outside UTF-8, one ASCII character per cell.

// slantMaxRows bounds the picture's height in rows, quiet gaps left out.
const slantMaxRows = 64

// slantLine is one segment's line: from its sender's lane at t0 to the
// other lane at t1 (to the middle, at a cross, when lost).
type slantLine struct {
	frame    int
	toServer bool
	t0, t1   time.Duration
	lost     bool
	color    string
}

// slantLines returns the lines of pkts, with a second copy the network
// made as a line of its own. delay is the typical one-way delay, for the
// lost ones.
func slantLines(pkts []conversation.Segment, delay time.Duration) []slantLine {
	var lines []slantLine
	for i := range pkts {
		s := &pkts[i]
		ln := slantLine{frame: s.Frame, toServer: s.From == conversation.Client, t0: s.Time, t1: s.Arrival, color: arrowColor(s)}
		if lost(s) || s.Arrival < s.Time {
			ln.lost, ln.t1 = true, s.Time+delay/2
		}
		lines = append(lines, ln)
		if s.Fate != nil && s.Fate.DupArrival >= s.Time && s.Fate.DupArrival != 0 {
			dup := ln
			dup.t1, dup.lost, dup.color = s.Fate.DupArrival, false, sgrYellow
			lines = append(lines, dup)
		}
	}
	return lines
}

// slantScale maps times to dot rows: step per row, with the quiet gaps
// (no line in flight for more than three rows) left out.
type slantScale struct {
	step  time.Duration
	spans []slantSpan // the busy periods, in time order
}

// slantSpan is a busy period and the row its start is drawn at.
type slantSpan struct {
	from, to time.Duration
	row      int
}

// niceSteps are the row steps the picture chooses from.
var niceSteps = []time.Duration{
	10 * time.Microsecond, 20 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 200 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
}

// newSlantScale chooses the step so that the typical delay spans about
// six rows, and the busy periods fit slantMaxRows; it returns the scale
// and the rows it takes.
func newSlantScale(lines []slantLine, delay time.Duration) (slantScale, int) {
	lines = slices.Clone(lines)
	slices.SortStableFunc(lines, func(a, b slantLine) int { return cmp.Compare(a.t0, b.t0) })
	sc := slantScale{}
	rows := 0
	for _, step := range niceSteps {
		if step < delay/6 {
			continue
		}
		sc.step = step
		if rows = sc.layout(lines); rows <= slantMaxRows {
			return sc, rows
		}
	}
	if sc.step == 0 { // a delay beyond every step: the longest
		sc.step = niceSteps[len(niceSteps)-1]
		rows = sc.layout(lines)
	}
	return sc, rows
}

// layout finds the busy periods of lines (in order of their start) and
// the row of each, and returns the rows they take, a row for each gap
// left out included.
func (sc *slantScale) layout(lines []slantLine) int {
	sc.spans = sc.spans[:0]
	gap := 3 * sc.step
	for _, ln := range lines {
		if n := len(sc.spans); n > 0 && ln.t0 <= sc.spans[n-1].to+gap {
			sc.spans[n-1].to = max(sc.spans[n-1].to, ln.t1)
			continue
		}
		sc.spans = append(sc.spans, slantSpan{from: ln.t0, to: ln.t1})
	}
	row := 0
	for i := range sc.spans {
		sc.spans[i].row = row
		row += int((sc.spans[i].to-sc.spans[i].from)/sc.step) + 2 // the span's rows, then a gap row
	}
	return row - 1 // no gap row after the last
}

// dotY returns the dot row of t (four dots per row).
func (sc slantScale) dotY(t time.Duration) int {
	for i := len(sc.spans) - 1; i >= 0; i-- {
		if sp := sc.spans[i]; t >= sp.from || i == 0 {
			return sp.row*4 + int(math.Round(float64(t-sp.from)/float64(sc.step)*4))
		}
	}
	return 0
}

// gapRows returns the rows that stand for a quiet gap left out.
func (sc slantScale) gapRows() map[int]time.Duration {
	gaps := map[int]time.Duration{}
	for i := 1; i < len(sc.spans); i++ {
		gaps[sc.spans[i].row-1] = sc.spans[i].from - sc.spans[i-1].to
	}
	return gaps
}

// slant writes the slanted picture of pkts, a conversation's packets
// captured at both ends, before the labelled ladder.
func (l *ladder) slant(pkts []conversation.Segment, c *conversation.Conversation) {
	delay := typicalDelay(pkts)
	if delay <= 0 || len(pkts) == 0 {
		return
	}
	lines := slantLines(pkts, delay)
	sc, rows := newSlantScale(lines, delay)
	cols := l.right - l.left - 1
	cv := newDots(cols, rows, l.opt.ASCII)
	departs := map[int][2][]int{} // row: frames leaving the client, the server
	for _, ln := range lines {
		y0, y1 := sc.dotY(ln.t0), sc.dotY(ln.t1)
		x0, x1 := 0, 2*cols-1
		if !ln.toServer {
			x0, x1 = x1, x0
		}
		if ln.lost {
			x1 = cols - 1
		}
		cv.line(x0, y0, x1, y1, ln.color)
		if ln.lost {
			cv.mark(x1/2, y1/4, l.g.cross, sgrRed)
		}
		d := departs[y0/4]
		side := 0
		if !ln.toServer {
			side = 1
		}
		if n := len(d[side]); n == 0 || d[side][n-1] != ln.frame {
			d[side] = append(d[side], ln.frame)
		}
		departs[y0/4] = d
	}
	l.slantText(sc, cv, departs, c)
}

// slantText writes the picture's explanation and rows: the time since
// the first departure and the frames leaving the client on the left,
// the frames leaving the server on the right.
func (l *ladder) slantText(sc slantScale, cv *dots, departs map[int][2][]int, c *conversation.Conversation) {
	id := "ladder.slant"
	if l.opt.ASCII {
		id = "ladder.slant.ascii"
	}
	for _, line := range textwrap.Wrap(i18n.Msg(l.opt.Lang, id, "step", msText(sc.step)), l.opt.Width) {
		l.w.WriteString(l.style(sgrDim, line) + "\n")
	}
	l.endpoints(c)
	head := fmt.Sprintf("%*s", l.left, i18n.Msg(l.opt.Lang, "ladder.slant.ms")+"  ")
	l.w.WriteString(head + l.g.lane + strings.Repeat(" ", l.right-l.left-1) + l.g.lane + "\n")
	gaps := sc.gapRows()
	start := sc.spans[0].from
	for r := range cv.H {
		if gap, ok := gaps[r]; ok {
			text := "⋮ " + i18n.Msg(l.opt.Lang, "ladder.slant.gap", "ms", msText(gap))
			if l.opt.ASCII {
				text = ": " + i18n.Msg(l.opt.Lang, "ladder.slant.gap", "ms", msText(gap))
			}
			l.w.WriteString(strings.Repeat(" ", l.left) + l.style(sgrDim, text) + "\n")
			continue
		}
		left := strings.Repeat(" ", l.left-2)
		if d := departs[r]; len(d[0])+len(d[1]) > 0 {
			at := sc.timeOfRow(r) - start
			left = fmt.Sprintf("%8.2f %-*s", float64(at)/float64(time.Millisecond), l.left-11, frameList(d[0], l.left-11))
		}
		right := frameList(departs[r][1], 12)
		l.w.WriteString(strings.TrimRight(left+"  "+l.g.lane+cv.render(r, l)+l.g.lane+" "+right, " ") + "\n")
	}
	l.w.WriteString("\n")
}

// timeOfRow returns the time at the top of row r.
func (sc slantScale) timeOfRow(r int) time.Duration {
	for i := len(sc.spans) - 1; i >= 0; i-- {
		if sp := sc.spans[i]; r >= sp.row {
			return sp.from + time.Duration(r-sp.row)*sc.step
		}
	}
	return 0
}

// frameList writes frame numbers leaving in one row, as many as fit in
// width, then "+N" for the rest.
func frameList(frames []int, width int) string {
	out := ""
	for i, f := range frames {
		s := fmt.Sprint(f)
		if out != "" {
			s = "," + s
		}
		rest := ""
		if i < len(frames)-1 {
			rest = fmt.Sprintf(" +%d", len(frames)-1-i)
		}
		if len(out)+len(s)+len(rest) > width {
			return out + fmt.Sprintf(" +%d", len(frames)-i)
		}
		out += s
	}
	return out
}
