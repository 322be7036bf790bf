package explain

import (
	"fmt"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/seqnum"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// resentFlags are the flags that say the sender sent bytes again.
const resentFlags = tcpanalysis.Retransmission | tcpanalysis.FastRetransmission | tcpanalysis.SpuriousRetransmission

// truth says what really happened to the flagged segment s when the
// capture was made in tcplab's own network (s.Fate, from the bridge's
// log), and when the name of Wireshark's flag misleads: an Out-Of-Order
// resend, a network copy or a held-back segment called a retransmission.
func (e *explainer) truth(s *conversation.Segment) []string {
	f := s.Fate
	if f == nil || f.Cause == conversation.CauseUnknown {
		return nil
	}
	orig := func(seen, unseen string) string {
		if f.OrigFrame != 0 {
			return e.msg(seen, "frame", f.OrigFrame)
		}
		return e.msg(unseen, "time", conversation.FormatTime(f.OrigTime))
	}
	var out []string
	switch f.Cause {
	case conversation.CauseResentAfterLoss:
		out = append(out, orig("truth.lost.seen", "truth.lost.unseen"))
		if s.Analysis&tcpanalysis.OutOfOrder != 0 {
			out = append(out, e.msg("truth.misleads.ooo"))
		}
	case conversation.CauseResentNeedlessly:
		out = append(out, orig("truth.needless.seen", "truth.needless.unseen"))
		if s.Analysis&tcpanalysis.OutOfOrder != 0 {
			out = append(out, e.msg("truth.misleads.ooo"))
		}
	case conversation.CauseNetworkDuplicate:
		out = append(out, e.msg("truth.dup"))
		if s.Analysis&resentFlags != 0 {
			out = append(out, e.msg("truth.misleads.resent"))
		}
	case conversation.CauseNetworkReordered:
		out = append(out, e.msgN("truth.reordered", f.Overtaken, "delay", FormatMS(f.Delay), "n", f.Overtaken))
		if s.Analysis&resentFlags != 0 {
			out = append(out, e.msg("truth.misleads.resent"))
		}
	case conversation.CauseAfterLoss:
		out = append(out, e.msg("truth.afterloss", "seq", f.OrigSeq, "time", conversation.FormatTime(f.OrigTime)))
	case conversation.CauseAfterReorder:
		out = append(out, e.msg("truth.afterreorder", "seq", f.OrigSeq, "time", conversation.FormatTime(f.OrigTime)))
	case conversation.CauseDelivered:
		switch {
		case s.Len > 0 || s.Analysis&tcpanalysis.DuplicateAck == 0:
			out = append(out, e.msg("truth.delivered"))
		case dsack(s) != "":
			out = append(out, e.msg("truth.dupack.dsack", "blocks", dsack(s)))
		default:
			out = append(out, e.msg("truth.dupack.nogap"))
		}
	}
	return out
}

// sentBefore returns the frame of the latest packet before s from the
// same side whose bytes hold s's first sequence number, or 0.
func (e *explainer) sentBefore(s *conversation.Segment) int {
	ps := e.c.Packets
	i := 0
	for i < len(ps) && &ps[i] != s {
		i++
	}
	for k := i - 1; k >= 0; k-- {
		p := &ps[k]
		if p.From == s.From && p.Len > 0 {
			start := seqnum.Value(p.Seq)
			if seqnum.Value(s.Seq).InRange(start, start.Add(seqnum.Size(p.Len))) {
				return p.Frame
			}
		}
	}
	return 0
}

// dsack returns the first SACK block of s as an inclusive byte range
// when it lies below the acknowledgement number: a D-SACK (RFC 2883),
// reporting bytes received twice; else "".
func dsack(s *conversation.Segment) string {
	for _, o := range s.Options {
		if o.Kind == decode.OptSACK && len(o.SACK) > 0 {
			if b := o.SACK[0]; seqnum.Value(b[1]).LessEq(seqnum.Value(s.Ack)) {
				return fmt.Sprintf("%d–%d", b[0], b[1]-1)
			}
			return ""
		}
	}
	return ""
}
