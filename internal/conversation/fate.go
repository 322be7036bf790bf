package conversation

import "time"

// Cause is what really happened to a segment an expert flag marks, as
// the impairing bridge of tcplab's own network logged it (package
// groundtruth's Cause, in the model the presentations share).
type Cause uint8

// The causes, as groundtruth.Cause names them.
const (
	CauseUnknown          Cause = iota // the bridge's log has no entry for the segment
	CauseNetworkDuplicate              // a second copy the network made of a segment sent once
	CauseNetworkReordered              // the network held the segment back and later ones overtook it
	CauseResentAfterLoss               // sent again because the network lost the earlier copy
	CauseResentNeedlessly              // sent again though the earlier copy crossed
	CauseAfterLoss                     // a duplicate ACK or gap caused by a segment the network lost
	CauseAfterReorder                  // a duplicate ACK or gap caused by a segment the network held back
	CauseDelivered                     // the segment crossed as sent
)

// Fate is what tcplab's impairing bridge did to one segment of a capture
// made in its network.
type Fate struct {
	// Cause is the ground truth behind the segment's expert flags;
	// CauseUnknown for a segment without one of the flags about
	// sequence (retransmissions, out of order, previous segment not
	// captured, duplicate ACKs).
	Cause Cause
	// OrigFrame is the frame of this capture holding the earlier copy of
	// resent bytes (0 when the capture never saw it); OrigTime is when
	// that copy, or the segment missing before a gap, reached the bridge
	// (since the capture's first frame, as Segment.Time), and OrigSeq
	// its relative sequence number.
	OrigFrame int
	OrigTime  time.Duration
	OrigSeq   uint32
	// Delay is how long a held-back segment took to cross the network,
	// and Overtaken how many later segments of its direction crossed
	// before it.
	Delay     time.Duration
	Overtaken int

	// The journey across the network, known when the capture joins
	// captures at both ends (Conversation.SinglePoint false): Lost says
	// that no copy reached the receiver (the segment's Arrival is then
	// zero), Reordered that the network held the copy back, and
	// DupArrival is when a second copy the network made arrived (0 for
	// none).
	Lost       bool
	Reordered  bool
	DupArrival time.Duration
}

// DupArrivalSeconds returns DupArrival in seconds, 0 for a nil Fate.
func (f *Fate) DupArrivalSeconds() float64 {
	if f == nil {
		return 0
	}
	return f.DupArrival.Seconds()
}
