package explain

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/congestion"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/streamgraph"
)

// minPhaseSegments is the fewest data segments of a direction whose
// congestion control the walk-through reads: the lab's one-segment
// request and reply have none to speak of.
const minPhaseSegments = 4

// maxPhaseParas caps the phases described one by one in a direction; the
// counts still cover every phase.
const maxPhaseParas = 24

// GraphSegments converts the packets of c to the input of congestion
// control's reading (congestion.Detect) as the data's sender saw them.
// From one capture point that is the capture order. When c joins
// captures at both ends (SinglePoint false), the sender's own segments
// keep their send times and the other side's count when they reached the
// sender (Arrival): one the network lost never did and is left out.
func GraphSegments(c *conversation.Conversation, sender conversation.Side) []streamgraph.Segment {
	out := make([]streamgraph.Segment, 0, len(c.Packets))
	for i := range c.Packets {
		p := &c.Packets[i]
		t := p.Time
		if !c.SinglePoint && p.From != sender {
			if p.Arrival == 0 || p.Fate != nil && p.Fate.Lost {
				continue
			}
			t = p.Arrival
		}
		s := streamgraph.Segment{
			Frame: uint32(p.Frame), Time: int64(t), FromServer: p.From == conversation.Server,
			Flags: p.Flags, Seq: p.Seq, Ack: p.Ack, Len: uint32(max(p.Len, 0)), Win: uint32(max(p.Win, 0)),
			Analysis: p.Analysis, AckedFrame: uint32(p.AckedFrame), AckRTT: int64(p.AckRTT),
			BytesInFlight: uint32(max(p.BytesInFlight, 0)),
		}
		for _, o := range p.Options {
			if o.Kind != decode.OptSACK {
				continue
			}
			for _, b := range o.SACK {
				if int(s.NSACK) < streamgraph.MaxSACK {
					s.SACK[s.NSACK] = streamgraph.Block{Left: b[0], Right: b[1]}
					s.NSACK++
				}
			}
		}
		out = append(out, s)
	}
	if !c.SinglePoint {
		slices.SortStableFunc(out, func(a, b streamgraph.Segment) int { return cmp.Compare(a.Time, b.Time) })
	}
	return out
}

// Phases reads the congestion-control phases of the data side sent in c,
// or returns false when side sent fewer than minPhaseSegments data
// segments.
func Phases(c *conversation.Conversation, side conversation.Side) (congestion.Analysis, bool) {
	n := 0
	for i := range c.Packets {
		if c.Packets[i].From == side && c.Packets[i].Len > 0 {
			n++
		}
	}
	if n < minPhaseSegments {
		return congestion.Analysis{}, false
	}
	dir := streamgraph.ClientToServer
	if side == conversation.Server {
		dir = streamgraph.ServerToClient
	}
	return congestion.Detect(GraphSegments(c, side), dir), true
}

// phases explains, for each side that sent enough data, the phases of its
// congestion control with their frames, what held it back, and what the
// capture point cannot tell.
func (e *explainer) phases() {
	for _, side := range []conversation.Side{conversation.Client, conversation.Server} {
		a, ok := Phases(e.c, side)
		if !ok || len(a.Phases) == 0 {
			continue
		}
		n := 0
		for i := range e.c.Packets {
			if e.c.Packets[i].From == side && e.c.Packets[i].Len > 0 {
				n++
			}
		}
		if len(a.Rounds) > 0 {
			e.add("phases", Para{Text: e.msg("ph.intro", "side", e.Side(side), "n", n, "rounds", len(a.Rounds),
				"mss", a.MSS, "rtt", FormatMS(time.Duration(a.RTT)))})
		} else {
			e.add("phases", Para{Text: e.msg("ph.intro.norounds", "side", e.Side(side), "n", n, "mss", a.MSS)})
		}
		e.add("phases", Para{Sub: true, Text: e.msg("ph.vantage." + a.Vantage.String())})
		e.add("phases", Para{Sub: true, Text: e.msg("ph.count", "n", len(a.Phases), "list", e.phaseCounts(a.Phases))})
		if len(a.Rounds) >= 3 {
			var lim [3]int
			for _, r := range a.Rounds {
				lim[r.Limit]++
			}
			e.add("phases", Para{Sub: true, Text: e.msg("ph.limits", "rounds", len(a.Rounds),
				"net", lim[congestion.LimitNetwork], "rcv", lim[congestion.LimitReceiver], "snd", lim[congestion.LimitSender])})
		}
		for i := range a.Phases {
			if i == maxPhaseParas {
				rest := a.Phases[i:]
				e.add("phases", Para{Text: e.msgN("ph.more", len(rest), "n", len(rest), "first", rest[0].Start, "last", rest[len(rest)-1].End)})
				break
			}
			e.phase(&a, &a.Phases[i])
		}
		if slices.Contains(a.Caveats, congestion.NotReno) {
			e.add("phases", Para{Text: e.msg("ph.notreno")})
		}
	}
}

// phaseCounts lists how many phases of each kind there are, in the
// order the kinds first come.
func (e *explainer) phaseCounts(ps []congestion.Phase) string {
	var order []congestion.Kind
	count := map[congestion.Kind]int{}
	for _, p := range ps {
		if count[p.Kind] == 0 {
			order = append(order, p.Kind)
		}
		count[p.Kind]++
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = e.msg("ph.name."+k.String(), "n", count[k])
	}
	return strings.Join(parts, e.msg("list.sep"))
}

// phase explains one phase in a paragraph, and what the bridge did in a
// detail when the capture was made in tcplab's network.
func (e *explainer) phase(a *congestion.Analysis, p *congestion.Phase) {
	ev := &p.Evidence
	// Captures joined from both ends number the packets in the order
	// they were sent, while the reading follows them as the sender saw
	// them (ACKs when they arrived): a phase may end on a lower number.
	prefix := e.msg("ph.frames", "start", min(p.Start, p.End), "end", max(p.Start, p.End),
		"t0", conversation.FormatTime(time.Duration(p.StartTime)), "t1", conversation.FormatTime(time.Duration(p.EndTime)))
	if p.Start == p.End {
		prefix = e.msg("ph.frame", "frame", p.Start, "t0", conversation.FormatTime(time.Duration(p.StartTime)))
	}
	rounds := ev.Last - ev.First + 1
	frames := func() string { return frameList(toInts(ev.Retransmissions), e.msg("frames.sep")) }
	var text string
	switch p.Kind {
	case congestion.SlowStart:
		text = e.msg("ph.slow_start.one", "to", ev.FlightEnd)
		switch {
		case rounds > 1 && ev.Growth < 1.2:
			text = e.msg("ph.slow_start.flat", "from", ev.FlightStart, "to", ev.FlightEnd, "rounds", rounds)
		case rounds > 1:
			text = e.msg("ph.slow_start", "from", ev.FlightStart, "to", ev.FlightEnd, "rounds", rounds, "growth", fmt.Sprintf("%.2f", ev.Growth))
		}
	case congestion.CongestionAvoidance:
		switch {
		case rounds <= 1:
			text = e.msg("ph.ca.one", "to", ev.FlightEnd)
		case ev.Reason == congestion.NotReno:
			text = e.msg("ph.ca.notreno", "from", ev.FlightStart, "to", ev.FlightEnd, "rounds", rounds, "segs", fmt.Sprintf("%.1f", ev.GrowthSegments))
		default:
			text = e.msg("ph.ca", "from", ev.FlightStart, "to", ev.FlightEnd, "rounds", rounds, "segs", fmt.Sprintf("%.1f", ev.GrowthSegments))
		}
	case congestion.FastRecovery:
		text = e.msgN("ph.fast", len(ev.Retransmissions), "dup", ev.DupAcks, "n", len(ev.Retransmissions), "frames", frames(), "point", ev.RecoveryPoint)
	case congestion.Timeout:
		wait := int64(0)
		if len(ev.Backoff) > 0 {
			wait = ev.Backoff[0]
		}
		text = e.msgN("ph.timeout", len(ev.Retransmissions), "wait", FormatMS(time.Duration(wait)), "n", len(ev.Retransmissions), "frames", frames())
		if len(ev.Backoff) > 1 {
			waits := make([]string, len(ev.Backoff))
			for i, b := range ev.Backoff {
				waits[i] = FormatMS(time.Duration(b))
			}
			text += e.lang.SentenceSep() + e.msg("ph.backoff", "n", len(ev.Backoff), "waits", strings.Join(waits, e.msg("frames.sep")))
		}
	case congestion.Retransmission:
		text = e.msgN("ph.retrans", len(ev.Retransmissions), "n", len(ev.Retransmissions), "frames", frames())
	case congestion.ZeroWindowStall:
		text = e.msgN("ph.zero", ev.Probes, "probes", ev.Probes, "end", p.End, "ms", FormatMS(time.Duration(p.EndTime-p.StartTime)))
	case congestion.ReceiverLimited:
		text = e.msg("ph.rwin", "win", ev.Window, "full", ev.Full)
		switch {
		case ev.Window == 0:
			text = e.msg("ph.rwin.unknown")
		case ev.Full == 0 || ev.Full < p.Start:
			// The window was first filled in an earlier phase.
			text = e.msg("ph.rwin.held", "win", ev.Window)
		}
	case congestion.SenderLimited:
		text = e.msg("ph.sender", "idle", FormatMS(time.Duration(ev.Idle)))
	case congestion.CannotTell:
		text = e.msg("ph.cannot." + ev.Reason.String())
	default:
		return
	}
	// The lead-in links to the phase's first packet (in the report, its
	// row); tools that shorten a walk-through treat it as a packet's
	// paragraph.
	e.add("phases", Para{Frame: int(min(p.Start, p.End)), Prefix: prefix, Text: text})
	if len(ev.Retransmissions) > 0 {
		e.phaseTruth(ev.Retransmissions)
	}
}

// phaseTruth says, when the bridge's log is joined with the capture, how
// many of a loss phase's resent segments answer a real drop.
func (e *explainer) phaseTruth(frames []uint32) {
	byFrame := segmentsByFrame(e.c.Packets)
	lost, needless, known := 0, 0, 0
	var first time.Duration
	for _, f := range frames {
		s := byFrame[int(f)]
		if s == nil || s.Fate == nil {
			continue
		}
		switch s.Fate.Cause {
		case conversation.CauseResentAfterLoss:
			if lost == 0 {
				first = s.Fate.OrigTime
			}
			lost++
			known++
		case conversation.CauseResentNeedlessly:
			needless++
			known++
		case conversation.CauseUnknown:
		default:
			known++
		}
	}
	if known == 0 {
		return
	}
	switch {
	case lost > 0 && lost == len(frames):
		e.add("phases", Para{Sub: true, Text: e.msgN("ph.truth.all", lost, "n", lost, "time", conversation.FormatTime(first))})
	case lost > 0:
		e.add("phases", Para{Sub: true, Text: e.msgN("ph.truth.lost", lost, "lost", lost, "n", len(frames), "time", conversation.FormatTime(first))})
	}
	if needless > 0 {
		e.add("phases", Para{Sub: true, Text: e.msgN("ph.truth.needless", needless, "needless", needless, "n", len(frames))})
	}
	if lost == 0 && needless == 0 {
		e.add("phases", Para{Sub: true, Text: e.msg("ph.truth.none", "n", len(frames))})
	}
}

func toInts(fs []uint32) []int {
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = int(f)
	}
	return out
}
