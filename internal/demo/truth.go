package demo

import (
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/groundtruth"
	"github.com/tcplab/tcplab/internal/netlab"
)

// AnalyzeOutcome analyses the capture of a run (Analyze) and, for a run
// across the impaired network, joins it with the bridge's log: each
// flagged segment's Fate says what really happened to it
// (groundtruth.Explain). It returns nil and no error when the run has no
// capture.
func AnalyzeOutcome(o *Outcome) (*Analysis, error) {
	if o.Capture == nil {
		return nil, nil
	}
	a, err := Analyze(o.Capture.File)
	if err != nil {
		return nil, err
	}
	if err := a.attach(o); err != nil {
		return nil, err
	}
	if o.UserStack {
		for i := range a.Convs {
			a.Convs[i].Stack = conversation.StackNetstack // the walk-through speaks of netstack, not Linux
		}
	}
	return a, nil
}

// attach joins a with the bridge's log of o's network, once: each
// flagged segment's Fate says what really happened to it; with a capture
// at the other host too (o.PeerCapture), a.Convs become the
// conversations seen from both ends (joinPeer). Without a network it
// does nothing.
func (a *Analysis) attach(o *Outcome) error {
	if a.truthDone || o.Network == nil || o.Capture == nil {
		return nil
	}
	a.truthDone = true
	point := a.point(o)
	a.attachTruth(point, o.Network.Fates)
	if o.PeerCapture == nil {
		return nil
	}
	peer, err := Analyze(o.PeerCapture.File)
	if err != nil {
		return err
	}
	peer.attachTruth(o.PeerCapture.Host, o.Network.Fates)
	a.peerFrames, a.peerHost = peer.frames, o.PeerCapture.Host
	cl, sv := peer, a
	if point == netlab.Client {
		cl, sv = a, peer
	}
	a.Single = a.Convs
	a.Convs = joinPeer(cl, sv, o.Network.Fates)
	return nil
}

// point returns the host of o's network where a's capture was made.
func (a *Analysis) point(o *Outcome) netlab.Host {
	if o.Capture.Host != 0 {
		return o.Capture.Host
	}
	return o.Network.CaptureAt
}

// attachTruth sets the Fate of each flagged segment of a's conversations,
// a capture at point, from the bridge's log.
func (a *Analysis) attachTruth(point netlab.Host, fates []netlab.FrameFate) {
	bySeg := map[netlab.Segment][]uint32{} // frames holding each segment, in order
	for _, f := range a.frames {
		bySeg[f.Segment] = append(bySeg[f.Segment], f.Number)
	}
	segs := a.segments()
	for _, v := range groundtruth.Explain(point, a.frames, fates) {
		s := segs[v.Frame.Number]
		if s == nil {
			continue
		}
		s.Fate = fateOf(&v, s, a.start, bySeg)
	}
}

// segments indexes the packets of a's conversations by frame number.
func (a *Analysis) segments() map[uint32]*conversation.Segment {
	segs := map[uint32]*conversation.Segment{}
	for i := range a.Convs {
		for j := range a.Convs[i].Packets {
			s := &a.Convs[i].Packets[j]
			segs[uint32(s.Frame)] = s
		}
	}
	return segs
}

// fateOf turns verdict v about segment s into the model's Fate; start is
// the capture's first frame time (ns), bySeg the frames holding each
// segment.
func fateOf(v *groundtruth.Verdict, s *conversation.Segment, start int64, bySeg map[netlab.Segment][]uint32) *conversation.Fate {
	f := &conversation.Fate{Cause: causes[v.Cause], Delay: v.Delay, Overtaken: v.Overtaken}
	if o := v.Original; o != nil {
		f.OrigTime = time.Duration(o.Arrived.UnixNano() - start)
		for _, n := range bySeg[o.Segment] {
			if int(n) < s.Frame {
				f.OrigFrame = int(n)
			}
		}
		// Relative to the first sequence number of the original's
		// direction: s's own, or the one s acknowledges.
		fromClient := o.C2S
		if fromClient == (s.From == conversation.Client) {
			f.OrigSeq = o.Segment.Seq - (s.SeqRaw - s.Seq)
		} else {
			f.OrigSeq = o.Segment.Seq - (s.AckRaw - s.Ack)
		}
	}
	return f
}

// causes maps groundtruth's causes to the model's.
var causes = map[groundtruth.Cause]conversation.Cause{
	groundtruth.Unknown:          conversation.CauseUnknown,
	groundtruth.NetworkDuplicate: conversation.CauseNetworkDuplicate,
	groundtruth.NetworkReordered: conversation.CauseNetworkReordered,
	groundtruth.ResentAfterLoss:  conversation.CauseResentAfterLoss,
	groundtruth.ResentNeedlessly: conversation.CauseResentNeedlessly,
	groundtruth.AfterLoss:        conversation.CauseAfterLoss,
	groundtruth.AfterReorder:     conversation.CauseAfterReorder,
	groundtruth.Delivered:        conversation.CauseDelivered,
}
