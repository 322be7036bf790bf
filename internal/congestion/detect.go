package congestion

import (
	"math"
	"slices"
	"sort"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/seqnum"
	"github.com/tcplab/tcplab/internal/streamgraph"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// event is a loss or zero-window phase, over segment indices.
type event struct {
	kind       Kind
	start, end int // indices into the segments, inclusive
	ev         Evidence
	// open events wait for their end: the ACK past until.
	until seqnum.Value
	open  bool
}

// Detect reads the phases of the data that segs, one stream's segments
// in capture order, carry in direction d (DirAuto: the direction with more
// data).
func Detect(segs []streamgraph.Segment, d streamgraph.Dir) Analysis {
	a := Analysis{Dir: streamgraph.ChooseDir(segs, d)}
	fromServer := a.Dir == streamgraph.ServerToClient
	fwd := func(s *streamgraph.Segment) bool { return s.FromServer == fromServer }
	first := -1
	for i := range segs {
		if fwd(&segs[i]) && segs[i].Len > 0 {
			if first < 0 {
				first = i
			}
			a.MSS = max(a.MSS, segs[i].Len)
		}
	}
	if first < 0 {
		return a // no data: no phase
	}
	last := len(segs) - 1
	a.RTT = medianRTT(segs, a.Dir)
	a.Vantage = vantage(segs, fromServer)
	switch a.Vantage {
	case VantageUnknownPoint:
		a.Caveats = append(a.Caveats, VantageUnknown)
	case InPath:
		a.Caveats = append(a.Caveats, InPathCapture)
	}

	events := lossEvents(segs, first, fwd, a.RTT)
	events = append(events, zeroWindows(segs, first, fwd)...)
	slices.SortStableFunc(events, func(x, y event) int { return x.start - y.start })

	// Growth labels over the segments, then the events on top.
	labels := make([]label, len(segs))
	acked := false
	for i := first; i <= last; i++ {
		if s := &segs[i]; !fwd(s) && s.Flags&decode.FlagACK != 0 && seqnum.Value(s.Ack).Greater(seqnum.Value(segs[first].Seq)) {
			acked = true
			break
		}
	}
	var why Reason
	switch {
	case !acked:
		why = NoAcks
	case a.Vantage == AtReceiver:
		why = ReceiverSideCapture
	default:
		inLoss := make([]bool, len(segs))
		for _, e := range events {
			if e.kind != ZeroWindowStall {
				for i := e.start; i <= e.end; i++ {
					inLoss[i] = true
				}
			}
		}
		a.Rounds = rounds(segs, first, fwd, a.RTT, a.MSS, inLoss)
		if len(a.Rounds) < 3 {
			why = TooFewRounds
		}
	}
	if why != NoReason {
		for i := first; i <= last; i++ {
			labels[i] = label{kind: CannotTell, reason: why, round: -1}
		}
	} else {
		a.growth(labels, first, last)
	}
	for k, e := range events {
		for i := e.start; i <= e.end && i <= last; i++ {
			labels[i] = label{kind: e.kind, event: k + 1, round: labels[i].round}
		}
	}
	a.Phases = a.phases(segs, labels, first, last, events)
	for _, p := range a.Phases {
		if p.Kind == CongestionAvoidance && p.Evidence.Reason == NotReno && !slices.Contains(a.Caveats, NotReno) {
			a.Caveats = append(a.Caveats, NotReno)
		}
	}
	return a
}

// afterLoss marks, while labelling, a round just after a loss.
const afterLoss Reason = 255

// label is what a segment's phase is: a growth reading of its round, or
// the event (1-based) it belongs to.
type label struct {
	kind   Kind
	reason Reason
	round  int // the round, -1 when none
	event  int
}

// medianRTT returns the median RTT sample of the data, or 0.
func medianRTT(segs []streamgraph.Segment, d streamgraph.Dir) int64 {
	g, err := streamgraph.Build(segs, streamgraph.RTT, streamgraph.Options{Dir: d})
	if err != nil {
		return 0
	}
	s := g.Find(streamgraph.RTTSamples)
	if s == nil || len(s.Points) == 0 {
		return 0
	}
	v := make([]int64, len(s.Points))
	for i, p := range s.Points {
		v[i] = p.V
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// vantage places the capture from the handshake: the end that sent a
// segment waits a round trip for the answer, the other answers at once.
// Seen near the client, SYN to SYN/ACK takes the round trip and SYN/ACK
// to ACK nothing; near the server, the other way round.
func vantage(segs []streamgraph.Segment, dataFromServer bool) Vantage {
	var tSyn, tSynAck, tAck int64
	var syn, synack, ack bool
	for i := range segs {
		s := &segs[i]
		f := s.Flags & (decode.FlagSYN | decode.FlagACK | decode.FlagRST)
		switch {
		case f == decode.FlagSYN && !syn:
			tSyn, syn = s.Time, true
		case f == decode.FlagSYN|decode.FlagACK && syn && !synack:
			tSynAck, synack = s.Time, true
		case f == decode.FlagACK && synack && !ack && !s.FromServer:
			tAck, ack = s.Time, true
		}
		if ack {
			break
		}
	}
	if !ack {
		return VantageUnknownPoint
	}
	toServer, toClient := tSynAck-tSyn, tAck-tSynAck // the waits at each end
	if toServer+toClient < int64(sameHost) {
		return SameHost
	}
	nearClient := toServer > vantageRatio*toClient
	nearServer := toClient > vantageRatio*toServer
	switch {
	case nearClient && !dataFromServer, nearServer && dataFromServer:
		return AtSender
	case nearClient && dataFromServer, nearServer && !dataFromServer:
		return AtReceiver
	}
	return InPath
}

// rounds cuts the data into round trips. A segment sent while a loss is being repaired (inLoss) does not count
// as filling the receiver's window: the cumulative ACK, and the window's
// edge with it, are held back by the hole then.
func rounds(segs []streamgraph.Segment, first int, fwd func(*streamgraph.Segment) bool, rtt int64, mss uint32, inLoss []bool) []Round {
	var out []Round
	var (
		cur     *Round
		mark    seqnum.Value // the round ends when the ACK passes this
		sndMax  = seqnum.Value(segs[first].Seq)
		lastAck = sndMax
		win     uint32 // the window the receiver last advertised
		sawWin  bool
	)
	for i := first; i < len(segs); i++ {
		s := &segs[i]
		if fwd(s) {
			if s.Len == 0 {
				continue
			}
			seq := seqnum.Value(s.Seq)
			end := seq.Add(seqnum.Size(s.Len))
			isNew := end.Greater(sndMax)
			if cur == nil && isNew {
				if n := len(out); n > 0 && lastAck == sndMax {
					// Nothing was outstanding: the sender had waited.
					prev := &out[n-1]
					if gap := s.Time - prev.EndTime; gap > max(rtt/2, 0) {
						prev.Idle = gap
					}
				}
				out = append(out, Round{Start: s.Frame, StartTime: s.Time, startIdx: i})
				cur = &out[len(out)-1]
				mark = seq
				if seq.Less(sndMax) {
					mark = sndMax
				}
			}
			if cur != nil {
				if isNew {
					from := seq
					if from.Less(sndMax) {
						from = sndMax
					}
					cur.Sent += uint32(end.Sub(from))
					// New data up to the right edge of the receiver's
					// window (within half a segment): held back by it.
					// Once the round has resent data, the cumulative ACK
					// is stuck behind the hole and the edge with it: the
					// loss, not the receiver, holds the sender then.
					if sawWin && cur.Retrans == 0 && !inLoss[i] {
						cur.RWin, cur.sawWin = win, true
						if end.Add(seqnum.Size(mss/2)).GreaterEq(lastAck.Add(seqnum.Size(win))) && cur.Full == 0 {
							cur.Full = s.Frame
						}
					}
				}
				if !isNew || s.Analysis.Retransmitted() {
					// A resend: Wireshark calls many a fast sender's
					// resends out of order, so the numbers decide.
					cur.Retrans++
				}
				if s.Analysis&tcpanalysis.WindowFull != 0 && cur.Retrans == 0 && !inLoss[i] && cur.Full == 0 {
					cur.Full = s.Frame
				}
				flight := s.BytesInFlight
				if flight == 0 {
					top := sndMax
					if end.Greater(top) {
						top = end
					}
					flight = uint32(top.Sub(lastAck))
				}
				cur.Flight = max(cur.Flight, flight)
			}
			if isNew {
				sndMax = end
			}
			continue
		}
		if s.Flags&decode.FlagACK == 0 {
			continue
		}
		ack := seqnum.Value(s.Ack)
		if ack.Greater(lastAck) {
			lastAck = ack
		}
		if s.Flags&(decode.FlagSYN|decode.FlagRST) == 0 {
			win, sawWin = s.Win, true
		}
		if cur == nil {
			continue
		}
		if ack.Greater(mark) {
			cur.End, cur.EndTime, cur.endIdx = s.Frame, s.Time, i
			cur = nil
		}
	}
	if cur != nil {
		l := &segs[len(segs)-1]
		cur.End, cur.EndTime, cur.endIdx = l.Frame, l.Time, len(segs)-1
	}
	return out
}

// growth labels the segments of each round with its reading.
func (a *Analysis) growth(labels []label, first, last int) {
	mss := float64(max(a.MSS, 1))
	for k := range a.Rounds {
		r := &a.Rounds[k]
		switch {
		case r.Full != 0:
			r.Limit = LimitReceiver
		case r.Idle > 0:
			r.Limit = LimitSender
		}
	}
	kinds := make([]label, len(a.Rounds))
	for k := range a.Rounds {
		r := &a.Rounds[k]
		switch r.Limit {
		case LimitReceiver:
			kinds[k] = label{kind: ReceiverLimited}
			continue
		case LimitSender:
			kinds[k] = label{kind: SenderLimited}
			continue
		}
		if k == 0 {
			kinds[k] = label{kind: SlowStart} // a connection starts in slow start
			continue
		}
		p := &a.Rounds[k-1]
		switch {
		case r.Retrans > 0 && p.Retrans == 0:
			// The loss came in this round: until then the sender went on
			// as before (the loss events mark the rest).
			kinds[k] = kinds[k-1]
			continue
		case p.Retrans > 0 || r.Retrans > 0:
			// A round after a loss compares with one inside it: read it
			// as the round after it reads (below).
			kinds[k] = label{kind: CongestionAvoidance, reason: afterLoss}
			continue
		}
		prev, now := float64(max(p.Flight, 1)), float64(r.Flight)
		switch {
		case now/prev >= slowStartGrowth && (now-prev)/mss >= 1:
			kinds[k] = label{kind: SlowStart}
		case now/prev >= shrinkTolerance:
			kinds[k] = label{kind: CongestionAvoidance}
		default:
			kinds[k] = label{kind: CannotTell, reason: Irregular}
		}
	}
	// One round's jump or dip amid congestion avoidance is the noise of
	// measuring the flight at a round's peak (bursts, ACK compression):
	// slow start again needs two rounds of it in a row, and a lone
	// irregular round between two of congestion avoidance is read as
	// one of them. The connection's first slow start needs no such
	// confirmation.
	initial := true
	for k := range kinds {
		if kinds[k].kind != SlowStart {
			initial = false
		}
		if initial {
			continue
		}
		prevCA := k > 0 && kinds[k-1].kind == CongestionAvoidance
		nextSS := k+1 < len(kinds) && kinds[k+1].kind == SlowStart
		nextCA := k+1 < len(kinds) && kinds[k+1].kind == CongestionAvoidance
		switch {
		case kinds[k].kind == SlowStart && kinds[k].reason == NoReason && prevCA && !nextSS:
			kinds[k] = label{kind: CongestionAvoidance}
		case kinds[k].reason == Irregular && prevCA && nextCA:
			kinds[k] = label{kind: CongestionAvoidance}
		}
	}
	// A round right after a loss reads as the one after it, which
	// compares with it; with none to compare (another loss, a limit, the
	// end), its growth cannot be told.
	for k := len(kinds) - 1; k >= 0; k-- {
		if kinds[k].reason != afterLoss {
			continue
		}
		kinds[k] = label{kind: CannotTell, reason: TooFewRounds}
		if k+1 < len(kinds) && (kinds[k+1].kind == SlowStart || kinds[k+1].kind == CongestionAvoidance) {
			kinds[k] = kinds[k+1]
		}
	}
	for k := range a.Rounds {
		lo := a.Rounds[k].startIdx
		if k == 0 {
			lo = first
		}
		hi := last
		if k+1 < len(a.Rounds) {
			hi = a.Rounds[k+1].startIdx - 1
		}
		for i := lo; i <= hi; i++ {
			labels[i] = label{kind: kinds[k].kind, reason: kinds[k].reason, round: k}
		}
	}
}

// sendTimes remembers when each unacknowledged segment was last sent,
// for the retransmission timer: it runs from the later of that and the
// last ACK that made progress (RFC 6298 section 5).
type sendTimes struct {
	q    []sendTime // by sequence number
	head int
}

type sendTime struct {
	seq, end seqnum.Value
	t        int64
}

func (st *sendTimes) sent(seq, end seqnum.Value, t int64) {
	// A resend updates its segment; new data is appended in order.
	i := st.head + sort.Search(len(st.q)-st.head, func(i int) bool { return st.q[st.head+i].end.Greater(seq) })
	if i < len(st.q) && st.q[i].seq.LessEq(seq) {
		st.q[i].t = t
		return
	}
	if i == len(st.q) {
		st.q = append(st.q, sendTime{seq, end, t})
	}
}

func (st *sendTimes) acked(ack seqnum.Value) {
	for st.head < len(st.q) && st.q[st.head].end.LessEq(ack) {
		st.head++
	}
	if st.head > 1024 && st.head*2 > len(st.q) {
		st.q = st.q[:copy(st.q, st.q[st.head:])]
		st.head = 0
	}
}

// at returns when the segment holding seq was last sent, or false.
func (st *sendTimes) at(seq seqnum.Value) (int64, bool) {
	i := st.head + sort.Search(len(st.q)-st.head, func(i int) bool { return st.q[st.head+i].end.Greater(seq) })
	if i < len(st.q) && st.q[i].seq.LessEq(seq) {
		return st.q[i].t, true
	}
	return 0, false
}

// slope returns the least-squares slope of the flight over rounds i..j,
// in bytes per round.
func (a *Analysis) slope(i, j int) float64 {
	n := float64(j - i + 1)
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for k := i; k <= j; k++ {
		x, y := float64(k-i), float64(a.Rounds[k].Flight)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// lossEvents finds the fast recoveries, the timeouts (with their
// back-off) and the other retransmissions. A resend of the first
// unacknowledged byte is a timeout when the retransmission timer has run
// at least minTimeout (or 1.5 round trips) since that segment was last
// sent or the last ACK made progress, whichever came later.
func lossEvents(segs []streamgraph.Segment, first int, fwd func(*streamgraph.Segment) bool, rtt int64) []event {
	var out []event
	sndMax := seqnum.Value(segs[first].Seq)
	lastAck := sndMax
	lastProgress := segs[first].Time
	var times sendTimes
	dupacks := 0
	timeout := max(int64(minTimeout), 3*rtt/2)
	cur := -1 // the open event
	for i := first; i < len(segs); i++ {
		s := &segs[i]
		if !fwd(s) {
			if s.Flags&decode.FlagACK == 0 {
				continue
			}
			ack := seqnum.Value(s.Ack)
			switch {
			case ack.Greater(lastAck):
				lastAck, lastProgress = ack, s.Time
				times.acked(ack)
				dupacks = 0
			case ack == lastAck && s.Len == 0 && s.Flags&(decode.FlagSYN|decode.FlagFIN|decode.FlagRST) == 0 && sndMax.Greater(lastAck):
				// A duplicate ACK as the sender counts it: no progress while
				// data is outstanding. (Wireshark calls it a window update
				// instead when the window changed, as Linux's often does.)
				dupacks++
			}
			if cur >= 0 && ack.GreaterEq(out[cur].until) {
				out[cur].end, out[cur].open = i, false
				cur = -1
			}
			continue
		}
		if s.Len == 0 {
			continue
		}
		seq := seqnum.Value(s.Seq)
		end := seq.Add(seqnum.Size(s.Len))
		resent := s.Analysis.Retransmitted() || end.LessEq(sndMax)
		// The timer's run when this segment went out.
		var timer int64
		if seq == lastAck {
			from := lastProgress
			if t, ok := times.at(seq); ok && t > from {
				from = t
			}
			timer = s.Time - from
		}
		times.sent(seq, end, s.Time)
		if end.Greater(sndMax) {
			sndMax = end
		}
		if !resent || s.Analysis&(tcpanalysis.ZeroWindowProbe|tcpanalysis.KeepAlive) != 0 {
			continue
		}
		expired := timer >= timeout
		if cur >= 0 {
			e := &out[cur]
			switch {
			case !expired:
				e.ev.Retransmissions = append(e.ev.Retransmissions, s.Frame)
				e.end = i
				continue
			case e.kind == Timeout:
				// The timer fired again: the back-off.
				e.ev.Retransmissions = append(e.ev.Retransmissions, s.Frame)
				e.ev.Backoff = append(e.ev.Backoff, timer)
				e.end, e.until = i, end
				continue
			}
			// The recovery ran out: a timeout follows it.
			e.end, e.open = i-1, false
			cur = -1
		}
		e := event{start: i, end: i, open: true, ev: Evidence{Retransmissions: []uint32{s.Frame}, First: 1, Last: 0}}
		switch {
		case s.Analysis&tcpanalysis.FastRetransmission != 0 || dupacks > 0 && !expired:
			e.kind, e.until = FastRecovery, sndMax
			e.ev.DupAcks, e.ev.RecoveryPoint = dupacks, uint32(sndMax)
		case expired:
			e.kind, e.until = Timeout, end
			e.ev.Backoff = []int64{timer}
		default:
			e.kind, e.until = Retransmission, end
		}
		out = append(out, e)
		cur = len(out) - 1
	}
	if cur >= 0 {
		out[cur].end = len(segs) - 1
	}
	return out
}

// zeroWindows finds the stalls: from an ACK advertising a zero window to
// the next one that opens it.
func zeroWindows(segs []streamgraph.Segment, first int, fwd func(*streamgraph.Segment) bool) []event {
	var out []event
	cur := -1
	for i := first; i < len(segs); i++ {
		s := &segs[i]
		if fwd(s) {
			if cur >= 0 && s.Analysis&tcpanalysis.ZeroWindowProbe != 0 {
				out[cur].ev.Probes++
			}
			continue
		}
		if s.Flags&(decode.FlagSYN|decode.FlagRST|decode.FlagFIN) != 0 || s.Flags&decode.FlagACK == 0 {
			continue
		}
		switch {
		case s.Win == 0 && cur < 0:
			out = append(out, event{kind: ZeroWindowStall, start: i, end: len(segs) - 1, ev: Evidence{First: 1, Last: 0}})
			cur = len(out) - 1
		case s.Win > 0 && cur >= 0:
			out[cur].end = i
			cur = -1
		}
	}
	return out
}

// phases turns the labels into runs.
func (a *Analysis) phases(segs []streamgraph.Segment, labels []label, first, last int, events []event) []Phase {
	var out []Phase
	start := first
	for i := first + 1; i <= last+1; i++ {
		if i <= last && sameRun(labels[i], labels[start]) {
			continue
		}
		l := labels[start]
		p := Phase{Kind: l.kind, Start: segs[start].Frame, End: segs[i-1].Frame, StartTime: segs[start].Time, EndTime: segs[i-1].Time}
		if l.event > 0 {
			p.Evidence = events[l.event-1].ev
		} else {
			p.Evidence = a.roundEvidence(labels, start, i-1)
			p.Evidence.Reason = l.reason
			// Reno or not: over three or more rounds of congestion
			// avoidance, the flight's trend must stay within a few
			// segments a round; a steeper one is not Reno's.
			if p.Kind == CongestionAvoidance && p.Evidence.Last-p.Evidence.First >= 2 && p.Evidence.GrowthSegments > renoSegments {
				p.Evidence.Reason = NotReno
			}
		}
		out = append(out, p)
		start = i
	}
	return out
}

func sameRun(x, y label) bool {
	if x.event != 0 || y.event != 0 {
		return x.event == y.event
	}
	return x.kind == y.kind && x.reason == y.reason
}

// roundEvidence sums up the rounds whose segments lie in [lo, hi].
func (a *Analysis) roundEvidence(labels []label, lo, hi int) Evidence {
	ev := Evidence{First: 1, Last: 0}
	seen := false
	for i := lo; i <= hi; i++ {
		if k := labels[i].round; k >= 0 {
			if !seen {
				ev.First, seen = k, true
			}
			ev.Last = k
		}
	}
	if !seen {
		return ev
	}
	rs := a.Rounds[ev.First : ev.Last+1]
	ev.FlightStart, ev.FlightEnd = rs[0].Flight, rs[len(rs)-1].Flight
	if n := len(rs) - 1; n > 0 && rs[0].Flight > 0 {
		ev.Growth = math.Pow(float64(ev.FlightEnd)/float64(ev.FlightStart), 1/float64(n))
		ev.GrowthSegments = a.slope(ev.First, ev.Last) / float64(max(a.MSS, 1))
	}
	haveWin := false
	for _, r := range rs {
		// Only rounds that saw a window advertised count: a round
		// without one would read as a zero window.
		if r.sawWin && (!haveWin || r.RWin < ev.Window) {
			ev.Window, haveWin = r.RWin, true
		}
		if ev.Full == 0 && r.Limit == LimitReceiver {
			ev.Full = r.Full
		}
		ev.Idle = max(ev.Idle, r.Idle)
	}
	return ev
}
