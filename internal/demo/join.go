package demo

import (
	"cmp"
	"slices"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/groundtruth"
	"github.com/tcplab/tcplab/internal/netlab"
)

// joinPeer joins the captures made at the client (cl) and at the server
// (sv) at the same time: each conversation of the client's capture
// becomes one with every segment either host sent, taken from its
// sender's capture (its flags, and the ground truth of the flagged ones,
// are those of the sender's side), timed by its capture there (Time) and
// by the first copy's capture at the receiver (Arrival), with what the
// network did on the way in its Fate (lost, held back, a second copy).
// Both captures' times count from the earlier one's first frame. The
// segments are numbered 1, 2, ... in the order they were sent, since
// each file numbers its frames its own way; references to frames (the
// earlier copy of resent bytes, the ACK a duplicate repeats) follow.
// tshark's per-ACK RTT is left out: it was measured at one end.
func joinPeer(cl, sv *Analysis, fates []netlab.FrameFate) []conversation.Conversation {
	t0 := min(cl.start, sv.start)
	journeys := groundtruth.Journeys(cl.frames, sv.frames, fates)
	segs := [2]map[uint32]*conversation.Segment{cl.segments(), sv.segments()}
	streamOf := [2]map[uint32]int{streams(cl.Convs), streams(sv.Convs)}
	// The conversations, keyed by the client capture's streams; the
	// server capture's streams map to them by their endpoints.
	var out []conversation.Conversation
	byEnds := map[[2]string]int{}
	for _, c := range cl.Convs {
		byEnds[[2]string{c.Client.String(), c.Server.String()}] = len(out)
		out = append(out, conversation.Conversation{Stream: c.Stream, Client: c.Client, Server: c.Server, State: c.State})
	}
	svConv := map[int]int{}
	for _, c := range sv.Convs {
		if i, ok := byEnds[[2]string{c.Client.String(), c.Server.String()}]; ok {
			svConv[c.Stream] = i
		}
	}
	type joined struct {
		conv int
		from int // the capture it was taken from: 0 client, 1 server
		seg  conversation.Segment
	}
	var all []joined
	for _, j := range journeys {
		from := 1
		if j.C2S {
			from = 0
		}
		s := segs[from][j.SentFrame]
		if s == nil {
			continue
		}
		conv, ok := streamOf[from][j.SentFrame], true
		if from == 1 {
			conv, ok = svConv[conv]
		} else {
			conv = indexOfStream(cl.Convs, conv)
		}
		if !ok || conv < 0 {
			continue
		}
		n := *s
		n.Time = time.Duration(j.Sent - t0)
		f := conversation.Fate{}
		if s.Fate != nil {
			f = *s.Fate
			if f.OrigTime != 0 {
				// From the sender's capture's first frame to t0's.
				f.OrigTime += time.Duration([2]int64{cl.start, sv.start}[from] - t0)
			}
		}
		f.Lost = j.Lost
		if len(j.Arrivals) > 0 {
			n.Arrival = time.Duration(j.Arrivals[0].Time - t0)
			f.Reordered = j.Arrivals[0].Reordered
		}
		if len(j.Arrivals) > 1 {
			f.DupArrival = time.Duration(j.Arrivals[1].Time - t0)
		}
		if f != (conversation.Fate{}) {
			n.Fate = &f
		}
		all = append(all, joined{conv: conv, from: from, seg: n})
	}
	slices.SortStableFunc(all, func(a, b joined) int { return cmp.Compare(a.seg.Time, b.seg.Time) })
	// number[side][frame]: a sending's frame in its sender's capture to
	// its new number.
	number := [2]map[int]int{{}, {}}
	for i := range all {
		number[all[i].from][all[i].seg.Frame] = i + 1
	}
	for i := range all {
		s := &all[i].seg
		s.Frame = i + 1
		s.AckedFrame, s.AckRTT = 0, 0
		if s.DupAckOf != 0 {
			s.DupAckOf = number[all[i].from][s.DupAckOf]
		}
		if s.Fate != nil && s.Fate.OrigFrame != 0 {
			f := *s.Fate
			f.OrigFrame = number[all[i].from][f.OrigFrame]
			s.Fate = &f
		}
		out[all[i].conv].Packets = append(out[all[i].conv].Packets, *s)
	}
	for i := range out {
		out[i].Summarize()
	}
	return out
}

// streams maps each frame of convs to its conversation's stream.
func streams(convs []conversation.Conversation) map[uint32]int {
	m := map[uint32]int{}
	for _, c := range convs {
		for _, s := range c.Packets {
			m[uint32(s.Frame)] = c.Stream
		}
	}
	return m
}

// indexOfStream returns the index of the conversation with stream in
// convs, or -1.
func indexOfStream(convs []conversation.Conversation, stream int) int {
	return slices.IndexFunc(convs, func(c conversation.Conversation) bool { return c.Stream == stream })
}
