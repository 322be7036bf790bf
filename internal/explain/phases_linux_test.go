//go:build linux

package explain

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/tcplab/tcplab/internal/congestion"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/groundtruth"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/netlab/netlabtest"
)

// TestPhasesAgainstBridge runs a lossy bulk transfer through the impaired
// network, captured at the sender, joins the capture with the bridge's
// log as the demo does, and checks that the bridge's drops line up with
// the phases: every data segment the bridge dropped is resent in a loss
// phase (fast recovery, timeout or another resend) that lists the
// resend, and the walk-through's count of real drops in each loss phase
// is the bridge's.
func TestPhasesAgainstBridge(t *testing.T) {
	nw := netlabtest.New(t, "c2s:loss=2%,delay=10ms,seed=11", "tcpdump")
	file := filepath.Join(t.TempDir(), "bulk.pcap")
	if _, err := nw.BulkTransfer(t.Context(), netlab.BulkOptions{Bytes: 1_500_000, Capture: file, CaptureAt: netlab.Client}); err != nil {
		t.Fatal(err)
	}
	fates, unlogged := nw.Fates()
	if unlogged != 0 {
		t.Fatalf("%d frames not logged", unlogged)
	}
	c, frames := readJoined(t, file, fates)

	// The bridge's drops of the client's data, and the frame of the
	// capture that resent each (the next copy of its first byte).
	var drops []netlab.Segment
	for _, f := range fates {
		if f.C2S && f.TCP && f.Lost && f.Segment.Len > 0 {
			drops = append(drops, f.Segment)
		}
	}
	if len(drops) == 0 {
		t.Fatal("the bridge dropped no data segment: the test shows nothing")
	}
	a, ok := Phases(c, conversation.Client)
	if !ok {
		t.Fatal("no phases read")
	}
	inLoss := map[uint32]congestion.Kind{}
	for _, p := range a.Phases {
		for _, f := range p.Evidence.Retransmissions {
			inLoss[f] = p.Kind
		}
	}
	for _, d := range drops {
		resend := resendOf(frames, d)
		if resend == 0 {
			t.Errorf("the bridge dropped seq %d (IP ID %d); the capture holds no resend of it", d.Seq, d.IPID)
			continue
		}
		switch inLoss[resend] {
		case congestion.FastRecovery, congestion.Timeout, congestion.Retransmission:
		default:
			t.Errorf("the bridge dropped seq %d; its resend, frame %d, is in no loss phase", d.Seq, resend)
		}
	}

	// The walk-through's counts of real drops, summed over the loss
	// phases, are the resends whose earlier copy the bridge dropped.
	want := 0
	for f := range inLoss {
		if s := segmentsByFrame(c.Packets)[int(f)]; s != nil && s.Fate != nil && s.Fate.Cause == conversation.CauseResentAfterLoss {
			want++
		}
	}
	var buf bytes.Buffer
	if err := Explain(c, Options{Lang: i18n.English, MaxRoutine: 1}).WriteText(&buf, 1000); err != nil {
		t.Fatal(err)
	}
	// "lost the earlier copy of 3 of these 5", "of each of these 4",
	// "of this resent segment".
	got := 0
	for _, m := range regexp.MustCompile(`lost the earlier copy of (?:(\d+) of these|each of these (\d+)|(this) resent)`).FindAllStringSubmatch(buf.String(), -1) {
		n, _ := strconv.Atoi(m[1] + m[2])
		if m[3] != "" {
			n = 1
		}
		got += n
	}
	if got != want || got < len(drops)/2 {
		t.Errorf("the walk-through counts %d resends after a real drop; the bridge's log gives %d (of %d drops)", got, want, len(drops))
	}
	if !regexp.MustCompile(`fast retransmit and recovery\. After duplicate ACKs \(\d+ before the resend\), the sender resent`).Match(buf.Bytes()) {
		t.Error("no fast retransmit in the walk-through of a lossy transfer")
	}
	t.Logf("%d drops, %d phases, %d resends after a drop", len(drops), len(a.Phases), got)
}

// readJoined reads the capture's busiest conversation and sets the Fate
// of each flagged segment from the bridge's log, as the demo does; it
// also returns the capture's TCP frames.
func readJoined(t *testing.T, file string, fates []netlab.FrameFate) (*conversation.Conversation, []groundtruth.Frame) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var frames []groundtruth.Frame
	capt, err := Read(f, ReadOptions{Each: func(p *listing.Packet) {
		d := p.Decoded
		frames = append(frames, groundtruth.Frame{Number: p.Number, Time: p.RelTime, Flags: p.Result.Analysis, Segment: netlab.Segment{
			Src: netip.AddrPortFrom(d.Src, d.TCP.SrcPort()), Dst: netip.AddrPortFrom(d.Dst, d.TCP.DstPort()),
			Seq: uint32(d.TCP.Seq()), Ack: uint32(d.TCP.Ack()), Flags: d.TCP.Flags(),
			Len: max(d.SegmentLen-d.TCP.HeaderLen(), 0), IPID: d.IPID,
		}})
	}})
	if err != nil {
		t.Fatal(err)
	}
	var c *conversation.Conversation
	for i := range capt.Conversations {
		if c == nil || capt.Conversations[i].Summary.BytesC2S > c.Summary.BytesC2S {
			c = &capt.Conversations[i]
		}
	}
	if c == nil {
		t.Fatal("no conversation")
	}
	byFrame := segmentsByFrame(c.Packets)
	for _, v := range groundtruth.Explain(netlab.Client, frames, fates) {
		s := byFrame[int(v.Frame.Number)]
		if s == nil {
			continue
		}
		fate := &conversation.Fate{Cause: causeOf[v.Cause]}
		s.Fate = fate
	}
	return c, frames
}

var causeOf = map[groundtruth.Cause]conversation.Cause{
	groundtruth.NetworkDuplicate: conversation.CauseNetworkDuplicate,
	groundtruth.NetworkReordered: conversation.CauseNetworkReordered,
	groundtruth.ResentAfterLoss:  conversation.CauseResentAfterLoss,
	groundtruth.ResentNeedlessly: conversation.CauseResentNeedlessly,
	groundtruth.AfterLoss:        conversation.CauseAfterLoss,
	groundtruth.AfterReorder:     conversation.CauseAfterReorder,
	groundtruth.Delivered:        conversation.CauseDelivered,
}

// resendOf returns the frame that next sent the first byte of the
// dropped segment d after the capture's copy of it, or 0.
func resendOf(frames []groundtruth.Frame, d netlab.Segment) uint32 {
	seen := false
	for _, f := range frames {
		s := f.Segment
		if s == d {
			seen = true
			continue
		}
		if seen && s.Src == d.Src && s.Len > 0 && d.Seq-s.Seq < uint32(s.Len) {
			return f.Number
		}
	}
	return 0
}
