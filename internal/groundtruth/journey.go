package groundtruth

import (
	"github.com/tcplab/tcplab/internal/netlab"
)

// Journey is one segment's crossing of the network, seen from both ends:
// captured as it left the sender, and as each copy reached the receiver
// (none when the network lost it, two when it duplicated it). The
// namespaces share one clock, so Arrival.Time - Sent is the real one-way
// delay.
type Journey struct {
	C2S       bool
	Segment   netlab.Segment
	SentFrame uint32 // its frame number in the sender's capture
	Sent      int64  // its capture time there, ns
	Arrivals  []Arrival
	// Lost: no copy reached the receiver's capture; Fate says why, when
	// the bridge logged the segment.
	Lost bool
	Fate *netlab.FrameFate
}

// Arrival is one copy of a segment captured at the receiver.
type Arrival struct {
	Frame     uint32
	Time      int64
	Reordered bool // the network held this copy back (the bridge's log says)
}

// Journeys pairs the segments of a capture at the client (client) with a
// capture made at the server at the same time (server), both in capture
// order, using the bridge's log (fates, may be nil) for what happened in
// between. Each segment the capture at its sender shows gets a journey,
// in the order of the sender's captures, client to server first. A
// receiver's frame no sender frame matches is left out (a capture that
// started late at the sender).
func Journeys(client, server []Frame, fates []netlab.FrameFate) []Journey {
	log := map[netlab.Segment][]*netlab.FrameFate{}
	for i := range fates {
		if fates[i].TCP {
			log[fates[i].Segment] = append(log[fates[i].Segment], &fates[i])
		}
	}
	var out []Journey
	for _, c2s := range []bool{true, false} {
		from, to := server, client
		if c2s {
			from, to = client, server
		}
		arrivals := map[netlab.Segment][]Frame{}
		for _, f := range to {
			if fromClient(f.Segment) == c2s {
				arrivals[f.Segment] = append(arrivals[f.Segment], f)
			}
		}
		used := map[netlab.Segment]int{} // sender sights of each segment so far
		for _, f := range from {
			if fromClient(f.Segment) != c2s {
				continue
			}
			j := Journey{C2S: c2s, Segment: f.Segment, SentFrame: f.Number, Sent: f.Time}
			k := used[f.Segment]
			used[f.Segment]++
			if entries := log[f.Segment]; k < len(entries) {
				j.Fate = entries[k]
			}
			j.Arrivals = arrivalsOf(arrivals, f.Segment, j.Fate)
			j.Lost = len(j.Arrivals) == 0
			out = append(out, j)
		}
	}
	return out
}

// arrivalsOf takes from arrivals the receiver's sights of one sending of
// s: the copies the bridge passed on (all sights left, without a log).
func arrivalsOf(arrivals map[netlab.Segment][]Frame, s netlab.Segment, fate *netlab.FrameFate) []Arrival {
	seen := arrivals[s]
	n := len(seen)
	if fate != nil {
		n = min(n, kept(fate))
	}
	out := make([]Arrival, 0, n)
	for i, f := range seen[:n] {
		a := Arrival{Frame: f.Number, Time: f.Time}
		if fate != nil {
			a.Reordered = keptCopy(fate, i).Reordered
		}
		out = append(out, a)
	}
	arrivals[s] = seen[n:]
	return out
}

// fromClient reports whether s was sent by the client host.
func fromClient(s netlab.Segment) bool {
	return s.Src.Addr() == netlab.ClientAddr || s.Src.Addr() == netlab.ClientAddr6
}
