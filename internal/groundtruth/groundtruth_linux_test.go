//go:build linux

package groundtruth

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/netlab/netlabtest"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/seqnum"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// transfer runs a bulk transfer of n bytes through a network impaired
// by spec, captured at point, and returns the capture's analysed frames
// and the bridge's log.
func transfer(t *testing.T, spec string, point netlab.Host, n int64) ([]Frame, []netlab.FrameFate) {
	t.Helper()
	nw := netlabtest.New(t, spec, "tcpdump")
	file := filepath.Join(t.TempDir(), "bulk.pcap")
	if _, err := nw.BulkTransfer(t.Context(), netlab.BulkOptions{Bytes: n, Capture: file, CaptureAt: point}); err != nil {
		t.Fatal(err)
	}
	fates, unlogged := nw.Fates()
	if unlogged != 0 {
		t.Fatalf("%d frames not logged", unlogged)
	}
	return analyse(t, file), fates
}

// analyse reads file's TCP segments through the analysis.
func analyse(t *testing.T, file string) []Frame {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, file)
	an := tcpanalysis.New()
	var frames []Frame
	var p decode.Packet
	var r tcpanalysis.Result
	for i, rec := range recs {
		if decode.Decode(decode.LinkEthernet, rec.Data, &p) != nil || len(p.TCP) < 20 {
			continue
		}
		if !an.Analyze(uint32(i+1), rec.Timestamp, rec.OrigLen, &p, &r) {
			continue
		}
		frames = append(frames, Frame{Number: uint32(i + 1), Time: rec.Timestamp, Flags: r.Analysis, Segment: netlab.Segment{
			Src: netip.AddrPortFrom(p.Src, p.TCP.SrcPort()), Dst: netip.AddrPortFrom(p.Dst, p.TCP.DstPort()),
			Seq: uint32(p.TCP.Seq()), Ack: uint32(p.TCP.Ack()), Flags: p.TCP.Flags(),
			Len: p.SegmentLen - p.TCP.HeaderLen(), IPID: p.IPID,
		}})
	}
	return frames
}

// causes counts the verdicts by cause.
func causes(vs []Verdict) map[Cause]int {
	m := map[Cause]int{}
	for _, v := range vs {
		m[v.Cause]++
	}
	return m
}

// sights counts each segment's appearances in the capture.
func sights(frames []Frame) map[netlab.Segment]int {
	m := map[netlab.Segment]int{}
	for _, f := range frames {
		m[f.Segment]++
	}
	return m
}

// TestLossAtTheReceiver: with loss only, every resent segment the
// receiver's capture flags was resent after a loss or needlessly, never
// reordered or duplicated by the network, whatever Wireshark calls it
// (its Out-Of-Order included); the capture confirms each: a lost
// original is nowhere in it, a needless one is.
func TestLossAtTheReceiver(t *testing.T) {
	frames, fates := transfer(t, "c2s:loss=4%,delay=5ms,seed=21", netlab.Server, 600_000)
	vs := Explain(netlab.Server, frames, fates)
	seen := sights(frames)
	for _, v := range vs {
		switch v.Cause {
		case NetworkDuplicate, NetworkReordered, AfterReorder, Unknown:
			t.Errorf("frame %d (%v): cause %d, with loss only", v.Frame.Number, v.Frame.Flags, v.Cause)
		case ResentAfterLoss:
			if seen[v.Original.Segment] != 0 {
				t.Errorf("frame %d: original %+v called lost, but the capture has it", v.Frame.Number, v.Original.Segment)
			}
		case ResentNeedlessly:
			if seen[v.Original.Segment] == 0 {
				t.Errorf("frame %d: original %+v called delivered, but the capture lacks it", v.Frame.Number, v.Original.Segment)
			}
		}
		if v.Frame.Flags&tcpanalysis.OutOfOrder != 0 && v.Cause != ResentAfterLoss && v.Cause != ResentNeedlessly {
			t.Errorf("frame %d flagged Out-Of-Order: cause %d, want a resend", v.Frame.Number, v.Cause)
		}
		if v.Frame.Flags&tcpanalysis.DuplicateAck != 0 && v.Cause != AfterLoss {
			t.Errorf("frame %d, a duplicate ACK: cause %d, want after a loss", v.Frame.Number, v.Cause)
		}
	}
	c := causes(vs)
	if c[ResentAfterLoss] == 0 || c[AfterLoss] == 0 {
		t.Errorf("causes %v: want resends after loss and gaps after loss", c)
	}
	t.Logf("%d flagged frames: %v", len(vs), c)
}

// TestDuplicationAtTheReceiver: the copies the network made are told
// apart from resends; each appears twice in the capture.
func TestDuplicationAtTheReceiver(t *testing.T) {
	frames, fates := transfer(t, "c2s:dup=5%,seed=22", netlab.Server, 400_000)
	vs := Explain(netlab.Server, frames, fates)
	seen := sights(frames)
	for _, v := range vs {
		switch v.Cause {
		case NetworkDuplicate:
			if seen[v.Frame.Segment] != 2 {
				t.Errorf("frame %d called a network copy, but the capture has the segment %d times", v.Frame.Number, seen[v.Frame.Segment])
			}
		case ResentAfterLoss, AfterLoss, NetworkReordered, Unknown:
			t.Errorf("frame %d (%v): cause %d, with duplication only", v.Frame.Number, v.Frame.Flags, v.Cause)
		}
	}
	if causes(vs)[NetworkDuplicate] == 0 {
		t.Errorf("no network copy found among %d flagged frames", len(vs))
	}
}

// TestReorderAtTheReceiver: a segment the network held back is named so,
// and the capture shows it overtaken: a segment of higher sequence
// before it.
func TestReorderAtTheReceiver(t *testing.T) {
	frames, fates := transfer(t, "c2s:reorder=4%,delay=3ms,seed=23", netlab.Server, 400_000)
	vs := Explain(netlab.Server, frames, fates)
	for _, v := range vs {
		switch v.Cause {
		case NetworkReordered:
			if v.Overtaken == 0 {
				t.Errorf("frame %d held back but overtaken by none", v.Frame.Number)
			}
			if !overtakenInCapture(frames, v.Frame) {
				t.Errorf("frame %d held back, but no later segment comes before it in the capture", v.Frame.Number)
			}
		case ResentAfterLoss, AfterLoss, NetworkDuplicate, Unknown:
			t.Errorf("frame %d (%v): cause %d, with reordering only", v.Frame.Number, v.Frame.Flags, v.Cause)
		}
	}
	if causes(vs)[NetworkReordered] == 0 {
		t.Errorf("no held-back segment among %d flagged frames", len(vs))
	}
}

// overtakenInCapture reports whether a segment of f's direction with a
// higher sequence number comes before f in frames.
func overtakenInCapture(frames []Frame, f Frame) bool {
	for _, g := range frames {
		if g.Number == f.Number {
			return false
		}
		if g.Segment.Src == f.Segment.Src && g.Segment.Len > 0 && seqnum.Value(g.Segment.Seq).Greater(seqnum.Value(f.Segment.Seq)) {
			return true
		}
	}
	return false
}

// TestLossAtTheSender: at the sender's capture every resend is explained
// by the bridge's log, the loss lying past the capture point.
func TestLossAtTheSender(t *testing.T) {
	frames, fates := transfer(t, "c2s:loss=4%,seed=24", netlab.Client, 400_000)
	vs := Explain(netlab.Client, frames, fates)
	seen := sights(frames)
	for _, v := range vs {
		if v.Cause == NetworkDuplicate || v.Cause == NetworkReordered || v.Cause == Unknown {
			t.Errorf("frame %d (%v): cause %d at the sender", v.Frame.Number, v.Frame.Flags, v.Cause)
		}
		if v.Original != nil && v.Cause == ResentAfterLoss && seen[v.Original.Segment] == 0 {
			t.Errorf("frame %d: the lost original %+v is not in the sender's capture", v.Frame.Number, v.Original.Segment)
		}
	}
	if causes(vs)[ResentAfterLoss] == 0 {
		t.Errorf("no resend after loss among %d flagged frames", len(vs))
	}
}

// TestReconcile: the receiver's capture holds every copy the bridge
// passed on toward it, and the sender's counts add up.
func TestReconcile(t *testing.T) {
	frames, fates := transfer(t, "c2s:loss=3%,dup=2%,reorder=2%,seed=25", netlab.Server, 300_000)
	c := Reconcile(frames, fates)[0]
	if c.Captured != c.Delivered {
		t.Errorf("the server's capture has %d client segments, the bridge passed on %d", c.Captured, c.Delivered)
	}
	if c.Sent+c.Duplicated != c.Lost+c.QueueDrops+c.Delivered {
		t.Errorf("sent %d + copies %d ≠ lost %d + queue drops %d + delivered %d", c.Sent, c.Duplicated, c.Lost, c.QueueDrops, c.Delivered)
	}
	if c.Lost == 0 || c.Duplicated == 0 || c.Reordered == 0 || c.Resent == 0 {
		t.Errorf("too little happened: %+v", c)
	}
	t.Logf("client to server: %+v", c)
}

// TestJourneys captures a transfer at both ends at once and pairs the
// two: every segment the client sent either reaches the server's capture
// no sooner than the bridge's delay (twice when the bridge duplicated
// it) or is lost, as the bridge's log says.
func TestJourneys(t *testing.T) {
	nw := netlabtest.New(t, "c2s:loss=4%,dup=3%,delay=20ms,seed=26", "tcpdump")
	dir := t.TempDir()
	var rec *capture.Recording
	err := nw.Do(netlab.Client, func() error {
		var err error
		rec, err = capture.Record(t.Context(), capture.Config{Interface: netlab.ClientIf, Filter: "tcp port 5001"}, filepath.Join(dir, "client.pcapng"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = nw.BulkTransfer(t.Context(), netlab.BulkOptions{Bytes: 200_000, Capture: filepath.Join(dir, "server.pcap")})
	rec.Teardowns.Wait(1, 200*time.Millisecond, 5*time.Second)
	if _, serr := rec.Stop(); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	fates, _ := nw.Fates()
	js := Journeys(analyse(t, filepath.Join(dir, "client.pcapng")), analyse(t, filepath.Join(dir, "server.pcap")), fates)
	var lost, twice, data int
	for _, j := range js {
		if !j.C2S || j.Segment.Len == 0 {
			continue
		}
		data++
		if j.Fate == nil {
			t.Errorf("frame %d: no log entry", j.SentFrame)
			continue
		}
		if j.Lost != (kept(j.Fate) == 0) {
			t.Errorf("frame %d: lost %v, the bridge passed on %d copies", j.SentFrame, j.Lost, kept(j.Fate))
		}
		if j.Lost {
			lost++
		}
		if len(j.Arrivals) == 2 {
			twice++
		}
		for _, a := range j.Arrivals {
			if d := time.Duration(a.Time - j.Sent); d < 20*time.Millisecond || d > time.Second {
				t.Errorf("frame %d reached the server after %v, want 20 ms or a little more", j.SentFrame, d)
			}
		}
	}
	if lost == 0 || twice == 0 {
		t.Errorf("%d data segments: %d lost, %d arrived twice; want some of each", data, lost, twice)
	}
	t.Logf("%d data segments: %d lost, %d arrived twice", data, lost, twice)
}
