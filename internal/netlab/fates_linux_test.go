//go:build linux

package netlab

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// TestFatesMatchTheCapture runs a transfer through a lossy, duplicating,
// reordering bridge, captured at the server, and checks the bridge's log
// against that capture: every copy the log says it sent toward the server
// is in the capture, as often as sent; no frame the log says it dropped
// is; and the log adds up to the bridge's counters. This is the ground
// truth the walk-through's claims about flagged frames rest on.
func TestFatesMatchTheCapture(t *testing.T) {
	requireTool(t, "tcpdump")
	n := newNet(t, "c2s:loss=5%,dup=3%,reorder=3%,delay=2ms,seed=11")
	file := filepath.Join(t.TempDir(), "bulk.pcap")
	if _, err := n.BulkTransfer(t.Context(), BulkOptions{Bytes: 400_000, Capture: file}); err != nil {
		t.Fatal(err)
	}
	fates, unlogged := n.Fates()
	if unlogged != 0 {
		t.Fatalf("%d frames not logged", unlogged)
	}
	st := n.Stats()

	sent := map[Segment]int{} // c2s copies that left the bridge
	dropped := map[Segment]bool{}
	var sum impair.Stats
	for _, f := range fates {
		if !f.C2S {
			continue
		}
		sum.Received++
		if f.Lost {
			sum.DroppedLoss++
		}
		if f.Copies == 2 {
			sum.Duplicated++
		}
		kept := 0
		for _, c := range f.Copy[:f.Copies] {
			if c.Reordered {
				sum.Reordered++
			}
			if c.Dropped == impair.NotDropped {
				kept++
			}
		}
		if f.TCP {
			sent[f.Segment] += kept
			if kept == 0 {
				dropped[f.Segment] = true
			}
		}
	}
	if sum.Received != st.C2S.Received || sum.DroppedLoss != st.C2S.DroppedLoss || sum.Duplicated != st.C2S.Duplicated || sum.Reordered != st.C2S.Reordered {
		t.Errorf("the log sums to %+v, the counters say %+v", sum, st.C2S.Stats)
	}
	if sum.DroppedLoss == 0 || sum.Duplicated == 0 || sum.Reordered == 0 {
		t.Fatalf("the transfer exercised too little: %+v", sum)
	}

	seen := map[Segment]int{}
	recs, _ := pcaptest.ReadAll(t, file)
	var p decode.Packet
	for _, rec := range recs {
		if decode.Decode(decode.LinkEthernet, rec.Data, &p) != nil || len(p.TCP) < 20 || p.TCP.DstPort() != 5001 {
			continue
		}
		seg := Segment{
			Src: netip.AddrPortFrom(p.Src, p.TCP.SrcPort()), Dst: netip.AddrPortFrom(p.Dst, p.TCP.DstPort()),
			Seq: uint32(p.TCP.Seq()), Ack: uint32(p.TCP.Ack()), Flags: p.TCP.Flags(),
			Len: p.SegmentLen - p.TCP.HeaderLen(), IPID: p.IPID,
		}
		seen[seg]++
	}
	for seg, k := range sent {
		if seen[seg] != k {
			t.Errorf("%+v: the bridge sent %d copies, the server's capture has %d", seg, k, seen[seg])
		}
	}
	for seg, k := range seen {
		if sent[seg] == 0 {
			t.Errorf("%+v: in the server's capture %d times, never sent by the bridge (dropped: %v)", seg, k, dropped[seg])
		}
	}
	t.Logf("%d c2s frames: %d lost, %d duplicated, %d reordered; %d segments captured at the server", sum.Received, sum.DroppedLoss, sum.Duplicated, sum.Reordered, len(seen))
}
