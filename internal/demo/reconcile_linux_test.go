//go:build linux

package demo

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/impair"
)

// TestReconcileAgreesWithBridge runs a seeded impaired transfer captured
// at both ends and checks the reconciliation tables: the bridge's counts
// add up (sent − lost − queue drops + copies = passed on) and agree with
// its counters, each capture saw what the bridge says reached it, the
// sender's kernel resent at least the data the bridge lost, every line
// that differs from the line above has its sentence and no other line
// has one, and the terminal shows the tables in both languages.
func TestReconcileAgreesWithBridge(t *testing.T) {
	o := impairedTransfer(t, "c2s:loss=3%,dup=2%,reorder=2%,delay=5ms,s2c:loss=2%,seed=51", Config{CapturePeer: true})
	a, err := AnalyzeOutcome(o)
	if err != nil {
		t.Fatal(err)
	}
	rs := Reconcile(o, a)
	if len(rs) != 2 {
		t.Fatalf("Reconcile = %d tables, want 2", len(rs))
	}
	// The bridge's counters count every frame, TCP or not.
	var other [2]impair.Stats
	var lostData int
	for _, f := range o.Network.Fates {
		d := 0
		if !f.C2S {
			d = 1
		}
		if f.TCP {
			if f.C2S && f.Lost && (f.Segment.Len > 0 || f.Segment.Flags&0x03 != 0) {
				lostData++
			}
			continue
		}
		other[d].Received++
		if f.Lost {
			other[d].DroppedLoss++
		}
		if f.Copies == 2 {
			other[d].Duplicated++
		}
	}
	for d, r := range rs {
		b := r.Bridge
		st := o.Network.Stats.C2S
		if d == 1 {
			st = o.Network.Stats.S2C
		}
		if b.Sent-b.Lost-b.QueueDrops+b.Duplicated != b.Delivered {
			t.Errorf("%s: sent %d − lost %d − queue %d + copies %d ≠ passed on %d", r.Title(i18n.English), b.Sent, b.Lost, b.QueueDrops, b.Duplicated, b.Delivered)
		}
		for _, c := range []struct {
			name       string
			table, got uint64
		}{
			{"received", uint64(b.Sent) + other[d].Received, st.Received},
			{"lost", uint64(b.Lost) + other[d].DroppedLoss, st.DroppedLoss},
			{"duplicated", uint64(b.Duplicated) + other[d].Duplicated, st.Duplicated},
			{"queue drops", uint64(b.QueueDrops), st.DroppedQueue + st.DroppedLimit},
		} {
			if c.table != c.got {
				t.Errorf("%s: %s %d (with the frames other than TCP), the bridge's counter says %d", r.Title(i18n.English), c.name, c.table, c.got)
			}
		}
		if r.Client == nil || r.Server == nil {
			t.Fatalf("%s: captures at client %v, server %v: want both", r.Title(i18n.English), r.Client, r.Server)
		}
		send, recv := r.Client, r.Server
		if d == 1 {
			send, recv = recv, send
		}
		// A capture stops once the close is seen: the last ACK may
		// come after it.
		if send.Captured > b.Sent || send.Captured < b.Sent-2 {
			t.Errorf("%s: the sender's capture saw %d segments, the bridge logged %d", r.Title(i18n.English), send.Captured, b.Sent)
		}
		if recv.Captured > b.Delivered || recv.Captured < b.Delivered-2 {
			t.Errorf("%s: the receiver's capture saw %d segments, the bridge passed on %d", r.Title(i18n.English), recv.Captured, b.Delivered)
		}
		for _, s := range []struct {
			name string
			n    int
		}{{"retransmissions", recv.Resent}, {"out of order", recv.OutOfOrder}} {
			if s.n > recv.Flagged {
				t.Errorf("%s: %d frames flagged as %s, more than the %d flagged frames", r.Title(i18n.English), s.n, s.name, recv.Flagged)
			}
		}
		if d == 0 {
			if r.Kernel == nil {
				t.Fatal("no TCP_INFO for the client's direction")
			}
			if int(r.Kernel.Retransmits) < lostData {
				t.Errorf("the kernel retransmitted %d segments, the bridge lost %d with data", r.Kernel.Retransmits, lostData)
			}
			if int(r.Kernel.SegsOut) > b.Sent {
				t.Errorf("the kernel sent %d segments, the bridge logged %d", r.Kernel.SegsOut, b.Sent)
			}
			if b.Lost == 0 || b.Duplicated == 0 || b.Reordered == 0 {
				t.Errorf("too little happened: %+v", b)
			}
		} else if r.Kernel != nil {
			t.Error("TCP_INFO in the server's direction: the demo has the client's only")
		}
		rows := r.Rows(i18n.English)
		for i, row := range rows {
			differs := i > 0 && row.N != rows[i-1].N
			if differs != (row.Note != "") && !strings.HasPrefix(row.Label, "passed on") {
				t.Errorf("%s: line %q (%d, above %d) has note %q", r.Title(i18n.English), row.Label, row.N, rows[max(i-1, 0)].N, row.Note)
			}
		}
	}
	for _, lang := range i18n.Langs {
		var b bytes.Buffer
		if err := Write(&b, o, a, Presentation{Lang: lang, NoLadder: true, NoExplain: true}); err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			for _, row := range r.Rows(lang) {
				if !strings.Contains(b.String(), row.Label) || !strings.Contains(b.String(), strconv.Itoa(row.N)+"\n") {
					t.Errorf("%s: the output lacks the line %q %d:\n%s", lang, row.Label, row.N, b.String())
				}
			}
		}
		if lang == i18n.English {
			t.Logf("%s", b.String()[strings.Index(b.String(), "── Reconciliation"):])
		}
	}
}
