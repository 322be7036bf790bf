package render

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
)

// ladderGeometry places the arrows of an SVG ladder vertically. With one
// time per packet: one row per packet, rowHeight apart, with a line more
// for a row with expert flags or a payload, each arrow dropping a fixed
// slant. Timed (captured at both ends): each arrow runs from the height
// of its send time to the height of its arrival on one time axis, so its
// slant is its one-way delay (see newTimedGeometry).
type ladderGeometry struct {
	timed bool
	rowY  []float64 // each row's top, then the bottom of the last
	// Timed: where each packet's arrow starts and ends (a lost one, half
	// a typical crossing after its start), and its copy's end (0 for none).
	sendY, endY, dupY []float64
}

// Scale of the timed axis: the typical one-way delay spans delayRows
// rows; a quiet stretch between two events is drawn at most gapHeight
// high.
const (
	delayRows = 6
	gapHeight = 3 * rowHeight
)

func newLadderGeometry(pkts []conversation.Segment, timed bool) ladderGeometry {
	g := ladderGeometry{timed: timed, rowY: make([]float64, len(pkts)+1)}
	g.rowY[0] = topMargin
	for i := range pkts {
		g.rowY[i+1] = g.rowY[i] + rowNeed(&pkts[i])
	}
	if timed {
		g.timeAxis(pkts)
	}
	return g
}

// rowNeed is the height a packet's arrow needs below the previous one's
// start: a row, and a line more for its expert flags, its payload or
// what the network did to it.
func rowNeed(s *conversation.Segment) float64 {
	if s.Analysis != 0 || textPayload(s) != "" || s.Fate != nil {
		return rowHeight + 14
	}
	return rowHeight
}

// axisEvent is a moment drawn on the timed axis: packet i leaving its
// sender, reaching the receiver, ending at the cross, or its copy
// arriving.
type axisEvent struct {
	t    time.Duration
	i    int
	kind int // eventSend, eventEnd, eventDup
}

const (
	eventSend = iota
	eventEnd
	eventDup
)

// timeAxis places the timed arrows. Heights follow time in order:
// an event after another is never higher. Between consecutive events the
// drop is proportional to the time between them (the typical delay is
// delayRows rows), except that a quiet stretch (no arrow in flight) is
// at most gapHeight, and
// two departures, and two arrivals, are at least the first one's rowNeed
// apart, so that the labels of a burst do not overlap. Spreading a
// burst's arrivals as much as its departures keeps its arrows parallel:
// each drop is its delay plus the same spreading. So the picture keeps
// every ordering the clocks saw — which segment left or arrived first —
// and each slant grows with its delay, as a textbook draws them.
func (g *ladderGeometry) timeAxis(pkts []conversation.Segment) {
	delay := typicalDelay(pkts)
	scale := float64(delayRows*rowHeight) / math.Max(delay.Seconds(), 1e-6)
	var evs []axisEvent
	for i := range pkts {
		s := &pkts[i]
		evs = append(evs, axisEvent{t: s.Time, i: i, kind: eventSend})
		end := s.Arrival
		if lost(s) {
			end = s.Time + delay/2
		}
		evs = append(evs, axisEvent{t: end, i: i, kind: eventEnd})
		if s.Fate != nil && s.Fate.DupArrival != 0 {
			evs = append(evs, axisEvent{t: s.Fate.DupArrival, i: i, kind: eventDup})
		}
	}
	slices.SortStableFunc(evs, func(a, b axisEvent) int { return cmp.Compare(a.t, b.t) })
	n := len(pkts)
	g.sendY, g.endY, g.dupY = make([]float64, n), make([]float64, n), make([]float64, n)
	y, nextSend, nextEnd := float64(topMargin), float64(topMargin), float64(topMargin)
	inFlight := 0 // arrows (copies included) started and not ended
	for k, e := range evs {
		if k > 0 {
			dy := (e.t - evs[k-1].t).Seconds() * scale
			if inFlight == 0 {
				dy = math.Min(dy, gapHeight) // a quiet stretch
			}
			y += dy
		}
		switch e.kind {
		case eventSend:
			y = math.Max(y, nextSend)
			g.sendY[e.i] = y
			nextSend = y + rowNeed(&pkts[e.i])
			inFlight++
			if pkts[e.i].Fate != nil && pkts[e.i].Fate.DupArrival != 0 {
				inFlight++
			}
		case eventEnd:
			y = math.Max(y, nextEnd)
			g.endY[e.i] = math.Max(y, g.sendY[e.i])
			nextEnd = y + rowNeed(&pkts[e.i])
			inFlight--
		case eventDup:
			g.dupY[e.i] = math.Max(y, g.sendY[e.i])
			inFlight--
		}
	}
}

// arrowY returns where the arrow of s, in row i, starts and ends.
func (g ladderGeometry) arrowY(i int, s *conversation.Segment) (y1, y2 float64) {
	if g.timed {
		return g.sendY[i], g.endY[i]
	}
	return g.rowY[i], g.rowY[i] + slant
}

// height returns the height of the SVG holding arrows.
func (g ladderGeometry) height(arrows []arrow) int {
	if !g.timed {
		return int(g.rowY[len(g.rowY)-1]) + 20
	}
	h := 0
	for _, a := range arrows {
		h = max(h, int(a.Y2)+40, int(a.Y1)+rowHeight+20)
		if a.Dup != nil {
			h = max(h, int(a.Dup.Y2)+40)
		}
	}
	return h
}

// alongArrow puts a timed arrow's labels along its line, starting just
// past its sender's lane, as a textbook writes them: arrows from the two
// sides then keep their labels at opposite ends even where they cross.
// The text always reads left to right.
func alongArrow(a *arrow) {
	const inset, above = 14.0, 5.0
	dx, dy := a.X2-a.X1, a.Y2-a.Y1
	if dx == 0 {
		return
	}
	deg := math.Atan(dy/dx) * 180 / math.Pi // left to right: positive going down
	x := a.X1 + inset
	a.Anchor = "start"
	if dx < 0 {
		x, a.Anchor = a.X1-inset, "end"
	}
	y := a.Y1 + dy*(x-a.X1)/dx
	a.LabelX, a.LabelY = x, y-above
	a.FlagX, a.FlagY = x, y+above+11
	a.Rotate = fmt.Sprintf("rotate(%.2f %.1f %.1f)", deg, x, y)
}
