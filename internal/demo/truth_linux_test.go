//go:build linux

package demo

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/seqnum"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// sequenceFlags are the flags the walk-through gives the ground truth
// for.
const sequenceFlags = tcpanalysis.Retransmission | tcpanalysis.FastRetransmission | tcpanalysis.SpuriousRetransmission |
	tcpanalysis.OutOfOrder | tcpanalysis.LostSegment | tcpanalysis.DuplicateAck

// TestTruthAgreesWithBridge runs seeded impaired transfers (loss only, at
// the receiver and at the sender; duplication only; reordering only) and
// checks every statement the walk-through makes about a flagged frame
// against the bridge's log: each such frame gets one, it is the sentence
// of what the log says happened (the lost or crossed earlier copy, the
// network's copy, the hold-back's delay), and a network that only loses
// is never said to reorder or duplicate (nor the other way round). The
// flag's own sentence never states reordering as a fact.
func TestTruthAgreesWithBridge(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		at         netlab.Host
		allowed    []conversation.Cause
	}{
		{"loss", "c2s:loss=4%,delay=5ms,seed=41", netlab.Server,
			[]conversation.Cause{conversation.CauseResentAfterLoss, conversation.CauseResentNeedlessly, conversation.CauseAfterLoss, conversation.CauseDelivered}},
		{"loss_at_sender", "c2s:loss=4%,delay=5ms,seed=42", netlab.Client,
			[]conversation.Cause{conversation.CauseResentAfterLoss, conversation.CauseResentNeedlessly, conversation.CauseAfterLoss, conversation.CauseDelivered}},
		{"dup", "c2s:dup=5%,delay=2ms,seed=43", netlab.Server,
			[]conversation.Cause{conversation.CauseNetworkDuplicate, conversation.CauseResentNeedlessly, conversation.CauseDelivered}},
		{"reorder", "c2s:reorder=4%,delay=3ms,seed=44", netlab.Server,
			[]conversation.Cause{conversation.CauseNetworkReordered, conversation.CauseAfterReorder, conversation.CauseResentNeedlessly, conversation.CauseDelivered}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := impairedTransfer(t, tc.spec, Config{CaptureAt: tc.at})
			if out.Network.Unlogged != 0 {
				t.Fatalf("%d frames not logged", out.Network.Unlogged)
			}
			a, err := AnalyzeOutcome(out)
			if err != nil {
				t.Fatal(err)
			}
			chk := newTruthCheck(t, a, out.Network.Fates, tc.at)
			statements := 0
			byCause := map[conversation.Cause]int{}
			for i := range a.Convs {
				c := &a.Convs[i]
				wt := explain.Explain(c, explain.Options{Lang: i18n.English, MaxRoutine: -1})
				// Contradiction 3 of issue 12: distinct bytes at either end.
				if over := wt.Sections[0].Paras; !strings.Contains(paras(over), "300000 distinct payload bytes") {
					t.Errorf("the overview does not count 300000 distinct bytes: %s", paras(over))
				}
				for _, sec := range wt.Sections {
					for _, p := range sec.Paras {
						if p.Frame == 0 || p.Flags&sequenceFlags == 0 {
							continue
						}
						statements++
						chk.paragraph(c, p, tc.allowed)
						if s := chk.segment(c, p.Frame); s != nil && s.Fate != nil {
							byCause[s.Fate.Cause]++
						}
					}
				}
			}
			t.Logf("%d flagged frames explained; by cause %v", statements, byCause)
			if statements < 5 {
				t.Errorf("only %d flagged frames explained: too little happened to test", statements)
			}
		})
	}
}

// paras joins the paragraphs' texts.
func paras(ps []explain.Para) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Text + "\n")
	}
	return b.String()
}

// truthCheck holds what a check of the statements needs: the capture's
// frames and the bridge's log, indexed.
type truthCheck struct {
	t      *testing.T
	at     netlab.Host
	frames map[uint32]int // index in a.frames by frame number
	a      *Analysis
	fates  []netlab.FrameFate
	log    map[netlab.Segment][]int // log entries of each segment
}

func newTruthCheck(t *testing.T, a *Analysis, fates []netlab.FrameFate, at netlab.Host) *truthCheck {
	c := &truthCheck{t: t, at: at, frames: map[uint32]int{}, a: a, fates: fates, log: map[netlab.Segment][]int{}}
	for i, f := range a.frames {
		c.frames[f.Number] = i
	}
	for i, f := range fates {
		if f.TCP {
			c.log[f.Segment] = append(c.log[f.Segment], i)
		}
	}
	return c
}

// paragraph checks the paragraph p about a flagged frame of conversation
// c.
func (c *truthCheck) paragraph(conv *conversation.Conversation, p explain.Para, allowed []conversation.Cause) {
	t := c.t
	s := c.segment(conv, p.Frame)
	if strings.Contains(p.Text, "delivered segments in a different order") {
		t.Errorf("frame %d: states reordering as a fact: %s", p.Frame, p.Text)
	}
	if n := strings.Count(p.Text, "What really happened"); s == nil || s.Fate == nil || n != 1 {
		t.Errorf("frame %d: %d statements of what really happened, want 1: %s", p.Frame, n, p.Text)
		return
	}
	f := s.Fate
	ok := false
	for _, a := range allowed {
		ok = ok || a == f.Cause
	}
	if !ok {
		t.Errorf("frame %d: cause %d is not one this network can cause: %s", p.Frame, f.Cause, p.Text)
	}
	gf := c.a.frames[c.frames[uint32(p.Frame)]]
	entries := c.log[gf.Segment]
	if len(entries) == 0 {
		t.Errorf("frame %d: not in the bridge's log", p.Frame)
		return
	}
	fate := &c.fates[entries[0]]
	switch f.Cause {
	case conversation.CauseResentAfterLoss, conversation.CauseResentNeedlessly:
		// An earlier sending of the same bytes, lost or crossed.
		orig := c.earlier(fate)
		if orig == nil {
			t.Errorf("frame %d: said resent, but the log has no earlier sending of Seq %d", p.Frame, s.Seq)
			return
		}
		if (f.Cause == conversation.CauseResentAfterLoss) == kept(orig) {
			t.Errorf("frame %d: said %d, but the log's earlier copy was kept: %v", p.Frame, f.Cause, kept(orig))
		}
		if f.OrigFrame != 0 {
			if of := c.a.frames[c.frames[uint32(f.OrigFrame)]]; of.Segment != orig.Segment {
				t.Errorf("frame %d: names frame %d as the earlier copy, which holds %+v, not the log's %+v", p.Frame, f.OrigFrame, of.Segment, orig.Segment)
			}
			c.has(p, "frame "+itoa(f.OrigFrame))
		} else {
			c.has(p, conversation.FormatTime(time.Duration(orig.Arrived.UnixNano()-c.a.start))+" s")
		}
		if s.Analysis&tcpanalysis.OutOfOrder != 0 {
			c.has(p, i18n.Msg(i18n.English, "truth.misleads.ooo"))
		}
	case conversation.CauseNetworkDuplicate:
		if fate.Copies != 2 {
			t.Errorf("frame %d: said a network copy, but the bridge took %d copies", p.Frame, fate.Copies)
		}
		if c.sightsBefore(gf.Number, gf.Segment) != 1 {
			t.Errorf("frame %d: said a network copy, but it is not the second sight of the segment", p.Frame)
		}
	case conversation.CauseNetworkReordered:
		var cp *impair.CopyFate
		for i := range fate.Copy[:fate.Copies] {
			if fate.Copy[i].Reordered {
				cp = &fate.Copy[i]
			}
		}
		if cp == nil {
			t.Errorf("frame %d: said held back, but the bridge did not reorder it", p.Frame)
			return
		}
		c.has(p, explain.FormatMS(cp.Release.Sub(fate.Arrived))+" ms")
	case conversation.CauseAfterLoss, conversation.CauseAfterReorder:
		seq := f.OrigSeq
		c.has(p, "Seq="+itoa(int(seq)))
	}
}

// segment returns the packet of conv in frame, or nil.
func (c *truthCheck) segment(conv *conversation.Conversation, frame int) *conversation.Segment {
	for i := range conv.Packets {
		if conv.Packets[i].Frame == frame {
			return &conv.Packets[i]
		}
	}
	return nil
}

// earlier returns the latest log entry before f in its direction, of
// another segment, whose bytes hold f's first sequence number.
func (c *truthCheck) earlier(f *netlab.FrameFate) *netlab.FrameFate {
	var last *netlab.FrameFate
	for i := range c.fates {
		e := &c.fates[i]
		if e == f {
			break
		}
		start := seqnum.Value(e.Segment.Seq)
		if e.TCP && e.C2S == f.C2S && e.Segment != f.Segment && e.Segment.Len > 0 &&
			seqnum.Value(f.Segment.Seq).InRange(start, start.Add(seqnum.Size(e.Segment.Len))) {
			last = e
		}
	}
	return last
}

// sightsBefore counts the frames before frame that hold segment s.
func (c *truthCheck) sightsBefore(frame uint32, s netlab.Segment) int {
	n := 0
	for _, f := range c.a.frames {
		if f.Number >= frame {
			break
		}
		if f.Segment == s {
			n++
		}
	}
	return n
}

// has checks that paragraph p says want.
func (c *truthCheck) has(p explain.Para, want string) {
	if !strings.Contains(p.Text, want) {
		c.t.Errorf("frame %d: the statement does not say %q: %s", p.Frame, want, p.Text)
	}
}

// kept reports whether a copy of f left the bridge.
func kept(f *netlab.FrameFate) bool {
	for _, cp := range f.Copy[:f.Copies] {
		if cp.Dropped == 0 {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestJoinedCaptures captures a lossy transfer at both ends at once: the
// conversation the ladder and walk-through show has every segment either
// host sent, each arriving at least the bridge's delay after it left or
// lost (as many as the bridge lost), and the RTT table measured on the
// sender's clock, never below the two delays of a round trip (captured at
// the receiver alone, SampleRTT is the receiver's ACK delay: issue 12,
// contradiction 4).
func TestJoinedCaptures(t *testing.T) {
	out := impairedTransfer(t, "loss=3%,delay=8ms,seed=45", Config{CapturePeer: true})
	a, err := AnalyzeOutcome(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Convs) != 1 || a.Convs[0].SinglePoint || len(a.Single) != 1 {
		t.Fatalf("%d conversations (single point %v), %d of the capture itself: want one joined", len(a.Convs), len(a.Convs) > 0 && a.Convs[0].SinglePoint, len(a.Single))
	}
	c := &a.Convs[0]
	lostTCP := 0
	for _, f := range out.Network.Fates {
		if f.TCP && f.Lost {
			lostTCP++
		}
	}
	lost := 0
	for _, s := range c.Packets {
		switch {
		case s.Fate != nil && s.Fate.Lost:
			lost++
		case s.Arrival-s.Time < 8*time.Millisecond:
			t.Errorf("frame %d crossed in %v, below the bridge's 8 ms", s.Frame, s.Arrival-s.Time)
		}
	}
	if lost != lostTCP || lost == 0 {
		t.Errorf("%d segments drawn lost, the bridge lost %d", lost, lostTCP)
	}
	wt := explain.Explain(c, explain.Options{Lang: i18n.English})
	samples := 0
	for _, r := range wt.RTT {
		if r.SampleFrame == 0 {
			continue
		}
		samples++
		if r.Sample < 16*time.Millisecond {
			t.Errorf("SampleRTT %v at frame %d, below the round trip's 16 ms of delay", r.Sample, r.AckFrame)
		}
	}
	if samples < 10 {
		t.Errorf("only %d RTT samples", samples)
	}
}
