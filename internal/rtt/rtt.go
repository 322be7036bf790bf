package rtt

import (
	"math"
	"slices"
	"time"

	"github.com/tcplab/tcplab/internal/seqnum"
)

// The constants of RFC 6298 section 2.
const (
	// Alpha is the gain of EstimatedRTT (SRTT): 1/8.
	Alpha = 1.0 / 8
	// Beta is the gain of DevRTT (RTTVAR): 1/4.
	Beta = 1.0 / 4
	// K multiplies DevRTT in the timeout.
	K = 4
	// MinRTO is RFC 6298's lower bound on the timeout (rule 2.4): 1 s.
	MinRTO = time.Second
	// LinuxMinRTO is the bound Linux uses instead (TCP_RTO_MIN, 200 ms):
	// it applies it to the variance term, so Linux's timeout is about
	// EstimatedRTT + max(4·DevRTT, 200 ms).
	LinuxMinRTO = 200 * time.Millisecond
)

// Segment is what the table needs of one TCP segment. Sequence numbers may
// be relative or raw, as long as each direction uses one kind throughout.
type Segment struct {
	Frame int           // frame number in the capture
	Time  time.Duration // capture time, from any fixed origin
	// Arrival is when the segment reached the other side, from the same
	// origin, when captures at both ends tell (0 otherwise): an ACK's
	// sample is then taken on the data sender's clock, from its data
	// leaving to the ACK arriving, as the sender's kernel measures it.
	Arrival time.Duration
	Dir     int          // the side that sent it: 0 or 1
	Seq     seqnum.Value // sequence number of its first byte (or of the SYN)
	Len     int          // payload bytes
	SYN     bool         // SYN set: occupies one sequence number before the payload
	FIN     bool         // FIN set: occupies one sequence number after the payload
	ACK     bool         // the ACK flag is set, so Ack is meaningful
	Ack     seqnum.Value // acknowledgement number
	// Retransmission marks a segment the analysis flagged as a
	// retransmission (plain, fast or spurious). Table also detects resent
	// sequence numbers itself; the flag covers captures that missed the
	// original.
	Retransmission bool
}

// Row is one ACK that newly acknowledged a side's data, and the estimator
// state of that side after it.
type Row struct {
	AckFrame int           // the acknowledging segment
	AckTime  time.Duration // its capture time
	Ack      seqnum.Value  // its acknowledgement number
	Sender   int           // the side whose data was acknowledged (0 or 1)
	// Frames are the sender's segments this ACK covered completely, in
	// the order they were sent. An ACK covers a segment when it
	// acknowledges every sequence number the segment occupies.
	Frames []int
	// SampleFrame is the segment the sample was measured from: the last
	// one covered (the segment whose end the ACK names when it is exact).
	// It is 0 when Karn's rule withheld the sample (or when the capture's
	// clock ran backwards between the two).
	SampleFrame int
	Sample      time.Duration // AckTime minus the time of SampleFrame
	// Karn is true when one of the covered segments was sent more than
	// once: the ACK cannot tell which copy it answers, so it yields no
	// sample and the estimator is left as it was.
	Karn bool
	// Handshake is true when the sample timed a SYN (the first sample of
	// that side).
	Handshake bool
	// Estimated, Dev and RTO are the sender's EstimatedRTT (SRTT), DevRTT
	// (RTTVAR) and RFC 6298 timeout after this row. Valid is false while
	// the sender has no sample yet (only Karn rows so far).
	Estimated, Dev, RTO time.Duration
	// LinuxRTO is EstimatedRTT + max(4·DevRTT, 200 ms): what Linux would
	// arm, since it bounds the variance term by TCP_RTO_MIN instead of
	// bounding the whole timeout by 1 s.
	LinuxRTO time.Duration
	Valid    bool
}

// outstanding is a segment sent and not yet completely acknowledged.
type outstanding struct {
	frame      int
	time       time.Duration
	start, end seqnum.Value
	syn        bool
	ambiguous  bool // sent more than once (Karn)
}

// side is one direction's sender state.
type side struct {
	started bool
	sndMax  seqnum.Value // highest end sent so far
	queue   []outstanding
	est     estimator
}

// estimator is RFC 6298's SRTT/RTTVAR pair.
type estimator struct {
	valid  bool
	srtt   time.Duration
	rttvar time.Duration
}

// update applies one sample: the first sets SRTT = R and RTTVAR = R/2
// (rule 2.2); later ones update RTTVAR first, with the old SRTT, then SRTT
// (rule 2.3).
func (e *estimator) update(r time.Duration) {
	if !e.valid {
		e.valid = true
		e.srtt = r
		e.rttvar = r / 2
		return
	}
	diff := e.srtt - r
	if diff < 0 {
		diff = -diff
	}
	e.rttvar = mix(e.rttvar, diff, Beta)
	e.srtt = mix(e.srtt, r, Alpha)
}

// mix returns (1−gain)·old + gain·sample, rounded once to the nanosecond.
func mix(old, sample time.Duration, gain float64) time.Duration {
	return time.Duration(math.Round((1-gain)*float64(old) + gain*float64(sample)))
}

// RTO returns the RFC 6298 timeout for the estimate: SRTT + max(G, K·RTTVAR)
// with a clock granularity G of zero (a capture's clock is finer than any
// RTT it measures), and at least MinRTO.
func RTO(srtt, rttvar time.Duration) time.Duration {
	return max(srtt+K*rttvar, MinRTO)
}

// LinuxRTO returns the timeout Linux computes for the same estimate:
// SRTT + max(4·RTTVAR, 200 ms) (tcp_set_rto bounds the variance term by
// TCP_RTO_MIN).
func LinuxRTO(srtt, rttvar time.Duration) time.Duration {
	return srtt + max(K*rttvar, LinuxMinRTO)
}

// Table returns one row per ACK that completely acknowledges at least one
// earlier segment of the other side, in capture order. Segments must be in
// capture order; Dir values other than 0 and 1 are ignored.
func Table(segs []Segment) []Row {
	var sides [2]side
	var rows []Row
	for _, s := range segs {
		if s.Dir != 0 && s.Dir != 1 {
			continue
		}
		// The ACK first: it answers what the other side sent before it.
		if s.ACK {
			if r, ok := sides[1-s.Dir].ack(s); ok {
				rows = append(rows, r)
			}
		}
		sides[s.Dir].send(s)
	}
	return rows
}

// send records a segment that occupies sequence space.
func (sd *side) send(s Segment) {
	n := s.Len
	if s.SYN {
		n++
	}
	if s.FIN {
		n++
	}
	if n == 0 {
		return // a pure ACK is not timed
	}
	o := outstanding{frame: s.Frame, time: s.Time, start: s.Seq, end: s.Seq.Add(seqnum.Size(n)), syn: s.SYN}
	resent := s.Retransmission || (sd.started && o.start.Less(sd.sndMax))
	if resent {
		o.ambiguous = true
		for i := range sd.queue {
			q := &sd.queue[i]
			if q.start.Less(o.end) && o.start.Less(q.end) {
				q.ambiguous = true
			}
		}
	}
	if !sd.started || sd.sndMax.Less(o.end) {
		sd.sndMax = o.end
	}
	sd.started = true
	sd.queue = append(sd.queue, o)
}

// ack removes the segments a's acknowledgement number covers and returns
// the row, or false when it covers none.
func (sd *side) ack(a Segment) (Row, bool) {
	var covered []outstanding
	sd.queue = slices.DeleteFunc(sd.queue, func(o outstanding) bool {
		if o.end.LessEq(a.Ack) {
			covered = append(covered, o)
			return true
		}
		return false
	})
	if len(covered) == 0 {
		return Row{}, false
	}
	at := a.Time
	if a.Arrival != 0 {
		at = a.Arrival
	}
	r := Row{AckFrame: a.Frame, AckTime: at, Ack: a.Ack, Sender: 1 - a.Dir}
	last := covered[0]
	for _, o := range covered {
		r.Frames = append(r.Frames, o.frame)
		if o.ambiguous {
			r.Karn = true
		}
		if last.end.Less(o.end) || (last.end == o.end && last.time < o.time) {
			last = o
		}
	}
	// A capture whose clock stepped backwards yields no sample either.
	if !r.Karn && at >= last.time {
		r.SampleFrame = last.frame
		r.Sample = at - last.time
		r.Handshake = last.syn
		sd.est.update(r.Sample)
	}
	if sd.est.valid {
		r.Valid = true
		r.Estimated = sd.est.srtt
		r.Dev = sd.est.rttvar
		r.RTO = RTO(sd.est.srtt, sd.est.rttvar)
		r.LinuxRTO = LinuxRTO(sd.est.srtt, sd.est.rttvar)
	}
	return r, true
}
