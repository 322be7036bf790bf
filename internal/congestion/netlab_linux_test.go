//go:build linux

package congestion

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/netlab/netlabtest"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/streamgraph"
	"github.com/tcplab/tcplab/internal/streamgraph/graphtest"
)

// resends returns the client frames tshark flags as retransmissions or
// out of order (what it calls most resends seen at a fast sender).
func resends(t *testing.T, file string) []uint32 {
	t.Helper()
	rows := pcaptest.Tshark(t, file, "-T", "fields", "-e", "frame.number",
		"-Y", "tcp.dstport == 5001 && (tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission || tcp.analysis.out_of_order)")
	var out []uint32
	for _, r := range rows {
		n, _ := strconv.ParseUint(r[0], 10, 32)
		out = append(out, uint32(n))
	}
	return out
}

// TestLinuxTransfers reads real transfers through the impaired network,
// captured at the sender and at the receiver. The sender's capture must
// start in slow start (the flight growing by at least 1.4 a round trip),
// and every frame tshark flags as a retransmission must lie in a loss
// phase that lists it; the receiver's capture must refuse to read growth
// (ReceiverSideCapture) yet still show the losses.
func TestLinuxTransfers(t *testing.T) {
	nw := netlabtest.New(t, "c2s:loss=1.5%,delay=20ms,seed=17", "tcpdump", "tshark")
	for _, at := range []netlab.Host{netlab.Client, netlab.Server} {
		t.Run(at.String(), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bulk.pcap")
			if _, err := nw.BulkTransfer(t.Context(), netlab.BulkOptions{Bytes: 3_000_000, Capture: file, CaptureAt: at}); err != nil {
				t.Fatal(err)
			}
			segs := graphtest.ReadBusiest(t, file)
			a := Detect(segs, streamgraph.DirAuto)
			t.Log(describe(a))
			checkTiling(t, segs, a)
			if a.Dir != streamgraph.ClientToServer {
				t.Fatalf("direction %v", a.Dir)
			}
			listed := map[uint32]Kind{}
			for _, p := range a.Phases {
				for _, f := range p.Evidence.Retransmissions {
					listed[f] = p.Kind
				}
			}
			rs := resends(t, file)
			if len(rs) == 0 {
				t.Fatal("no retransmission in a lossy transfer")
			}
			for _, f := range rs {
				switch listed[f] {
				case FastRecovery, Timeout, Retransmission:
				default:
					t.Errorf("tshark flags frame %d as a retransmission; no loss phase lists it", f)
				}
			}
			switch at {
			case netlab.Client:
				if a.Vantage != AtSender {
					t.Errorf("vantage %v, want sender", a.Vantage)
				}
				// Two rounds at least: the first loss ends slow start, and
				// which frame the seeded bridge drops first depends on
				// timing (on a loaded machine the rounds group differently:
				// seen once ending after 2).
				if p := a.Phases[0]; p.Kind != SlowStart || p.Evidence.Growth < slowStartGrowth || p.Evidence.Last-p.Evidence.First < 1 {
					t.Errorf("first phase %v %+v: want slow start over 2 or more rounds, growing 1.4 or more a round", p.Kind, p.Evidence)
				}
				if find(a, FastRecovery) == nil {
					t.Error("no fast recovery")
				}
			case netlab.Server:
				if a.Vantage != AtReceiver || find(a, CannotTell) == nil || find(a, CannotTell).Evidence.Reason != ReceiverSideCapture {
					t.Errorf("vantage %v: want receiver, and CannotTell for the growth", a.Vantage)
				}
				if find(a, SlowStart) != nil || find(a, CongestionAvoidance) != nil {
					t.Error("growth read at the receiver")
				}
			}
		})
	}
}

// TestLinuxReceiverLimited: a receiver with a small buffer holds the
// sender to its window.
func TestLinuxReceiverLimited(t *testing.T) {
	nw := netlabtest.New(t, "delay=10ms,seed=3", "tcpdump", "tshark")
	file := filepath.Join(t.TempDir(), "small-window.pcap")
	_, err := nw.BidiTransfer(t.Context(), netlab.BidiOptions{ClientBytes: 1_500_000,
		ConnOptions: netlab.ConnOptions{Capture: file, CaptureAt: netlab.Client, RcvBuf: 8192, Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	segs := graphtest.ReadBusiest(t, file)
	a := Detect(segs, streamgraph.DirAuto)
	t.Log(describe(a))
	checkTiling(t, segs, a)
	p := find(a, ReceiverLimited)
	if p == nil {
		t.Fatal("no receiver-limited phase")
	}
	var span int64
	for _, q := range a.Phases {
		if q.Kind == ReceiverLimited {
			span += q.EndTime - q.StartTime
		}
	}
	if total := a.Phases[len(a.Phases)-1].EndTime - a.Phases[0].StartTime; span < total/2 {
		t.Errorf("receiver-limited for %v of %v, want most of the transfer", time.Duration(span), time.Duration(total))
	}
	if p.Evidence.Window == 0 || p.Evidence.Window > 64<<10 {
		t.Errorf("receiver-limited window %d, want a small one", p.Evidence.Window)
	}
}

// TestLinuxBottleneck is the textbook's picture on a real Linux sender:
// a 20 Mbit/s bottleneck with a short queue. Slow start overflows the
// queue, fast recovery repairs the losses, and congestion avoidance
// follows for many rounds, growing slowly (Linux's CUBIC near its last
// maximum grows by about a segment a round or less; NotReno qualifies a
// steeper stretch).
func TestLinuxBottleneck(t *testing.T) {
	nw := netlabtest.New(t, "c2s:rate=20mbit,queue=60,delay=20ms,seed=7", "tcpdump", "tshark")
	file := filepath.Join(t.TempDir(), "bottleneck.pcap")
	if _, err := nw.BulkTransfer(t.Context(), netlab.BulkOptions{Bytes: 6_000_000, Capture: file, CaptureAt: netlab.Client}); err != nil {
		t.Fatal(err)
	}
	segs := graphtest.ReadBusiest(t, file)
	a := Detect(segs, streamgraph.DirAuto)
	t.Log(describe(a))
	checkTiling(t, segs, a)
	if p := a.Phases[0]; p.Kind != SlowStart || p.Evidence.Growth < slowStartGrowth {
		t.Errorf("first phase %v %+v: want slow start", p.Kind, p.Evidence)
	}
	if find(a, FastRecovery) == nil {
		t.Error("no fast recovery after the queue overflowed")
	}
	// Every long stretch of congestion avoidance is either Reno's gentle
	// trend or says it is not.
	var ca int
	lost := false
	for i, p := range a.Phases {
		switch p.Kind {
		case FastRecovery, Timeout:
			lost = true
		case SlowStart:
			if lost && a.Phases[i-1].Kind != Timeout {
				// Linux may end a recovery (PRR) below ssthresh and
				// slow-start back up to it, more often when the
				// machine is loaded: not an error of the reading.
				t.Logf("phase %d: slow start at frame %d after a loss without a timeout", i, p.Start)
			}
		case CongestionAvoidance:
			ca += p.Evidence.Last - p.Evidence.First + 1
			if p.Evidence.Last-p.Evidence.First >= 2 && (p.Evidence.Reason == NotReno) != (p.Evidence.GrowthSegments > renoSegments) {
				t.Errorf("phase %d: congestion avoidance %+v: the trend and the NotReno caveat disagree", i, p.Evidence)
			}
		}
	}
	if ca < 10 {
		t.Errorf("%d rounds of congestion avoidance, want 10 or more", ca)
	}
}
