//go:build linux

package streamgraph

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/netlab/netlabtest"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// lossyCapture runs a bulk transfer of n bytes from the client through a
// network impaired by spec, captured at point, and returns the capture.
func lossyCapture(t *testing.T, spec string, point netlab.Host, n int64) string {
	t.Helper()
	nw := netlabtest.New(t, spec, "tcpdump", "tshark")
	file := filepath.Join(t.TempDir(), "bulk.pcap")
	if _, err := nw.BulkTransfer(t.Context(), netlab.BulkOptions{Bytes: n, Capture: file, CaptureAt: point}); err != nil {
		t.Fatal(err)
	}
	return file
}

// readStream reads file through decode and tcpanalysis and returns the
// segments of its busiest stream.
func readStream(t *testing.T, file string) []Segment {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, file)
	an := tcpanalysis.New()
	var c Collector
	var p decode.Packet
	var r tcpanalysis.Result
	for i, rec := range recs {
		if decode.Decode(rec.Link, rec.Data, &p) != nil {
			continue
		}
		if an.Analyze(uint32(i+1), rec.Timestamp, rec.OrigLen, &p, &r) {
			c.Add(rec.Timestamp-recs[0].Timestamp, &p, &r)
		}
	}
	n, ok := c.Busiest()
	if !ok {
		t.Fatalf("%s: no TCP segment", file)
	}
	return c.Stream(n)
}

// tsharkFrame is what tshark says of one frame.
type tsharkFrame struct {
	time          string // frame.time_relative
	seq, len      string
	ackRTT        string // tcp.analysis.ack_rtt
	acksFrame     uint32 // tcp.analysis.acks_frame
	bytesInFlight string
	retransmitted bool
	win           string   // tcp.window_size
	sack          []string // "left-right" for each SACK block, relative
}

func tsharkFrames(t *testing.T, file string) map[uint32]tsharkFrame {
	t.Helper()
	rows := pcaptest.Tshark(t, file, "-T", "fields", "-E", "occurrence=f",
		"-e", "frame.number", "-e", "frame.time_relative", "-e", "tcp.seq", "-e", "tcp.len",
		"-e", "tcp.analysis.ack_rtt", "-e", "tcp.analysis.acks_frame", "-e", "tcp.analysis.bytes_in_flight",
		"-e", "tcp.analysis.retransmission", "-e", "tcp.analysis.fast_retransmission", "-e", "tcp.analysis.spurious_retransmission",
		"-e", "tcp.window_size")
	m := make(map[uint32]tsharkFrame, len(rows))
	for _, r := range rows {
		n, _ := strconv.ParseUint(r[0], 10, 32)
		acked, _ := strconv.ParseUint(r[5], 10, 32)
		m[uint32(n)] = tsharkFrame{time: r[1], seq: r[2], len: r[3], ackRTT: r[4], acksFrame: uint32(acked), bytesInFlight: r[6],
			retransmitted: r[7] != "" || r[8] != "" || r[9] != "", win: r[10]}
	}
	for _, r := range pcaptest.Tshark(t, file, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "tcp.options.sack_le", "-e", "tcp.options.sack_re") {
		if r[1] == "" {
			continue
		}
		n, _ := strconv.ParseUint(r[0], 10, 32)
		le, re := strings.Split(r[1], ","), strings.Split(r[2], ",")
		f := m[uint32(n)]
		for i := range min(len(le), len(re), MaxSACK) {
			f.sack = append(f.sack, le[i]+"-"+re[i])
		}
		m[uint32(n)] = f
	}
	return m
}

// seconds formats ns as tshark prints a relative time: seconds with nine
// decimals.
func seconds(ns int64) string { return fmt.Sprintf("%d.%09d", ns/1e9, ns%1e9) }

// TestAgainstTshark checks the graphs of real lossy transfers against
// tshark, captured at the sender (where the RTT and flight are the
// sender's) and at the receiver: every point's time is its frame's
// frame.time_relative; the Stevens and tcptrace graphs have every forward
// segment with tshark's tcp.seq and tcp.len, and tcptrace's SACK blocks
// are tshark's tcp.options.sack_le and sack_re; the window graph's
// receive window is tcp.window_size and its Flight is
// tcp.analysis.bytes_in_flight on exactly the frames tshark shows it; and
// every RTT sample of an ACK that tshark times against the same segment
// has tshark's tcp.analysis.ack_rtt, while every ack_rtt tshark shows for
// the graphed data has its sample unless Karn's rule, a SACK that timed
// the segment earlier, or a segment without payload explains its absence.
func TestAgainstTshark(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spec  string
		point netlab.Host
	}{
		{"sender side, random loss", "c2s:loss=3%,delay=10ms,seed=5", netlab.Client},
		{"sender side, loss both ways", "loss=2%,delay=5ms,jitter=1ms,seed=9", netlab.Client},
		{"receiver side, loss and reordering", "c2s:loss=2%,reorder=2%,delay=5ms,seed=13", netlab.Server},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := lossyCapture(t, tt.spec, tt.point, 1_500_000)
			segs := readStream(t, file)
			ts := tsharkFrames(t, file)
			checkGraphs(t, segs, ts)
		})
	}
}

func checkGraphs(t *testing.T, segs []Segment, ts map[uint32]tsharkFrame) {
	t.Helper()
	graphs := map[Kind]Graph{}
	for _, k := range Kinds {
		g, err := Build(segs, k, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if g.Dir != ClientToServer {
			t.Fatalf("%v graph direction %v, want client-to-server (the bulk data)", k, g.Dir)
		}
		graphs[k] = g
		for _, s := range g.Series {
			for _, p := range s.Points {
				if k == Throughput && (s.Name == Tput || s.Name == Goodput) && p.T != ts2ns(t, ts[p.Frame].time) {
					continue // where a segment leaves the window: its time plus the window
				}
				if got, want := seconds(p.T), ts[p.Frame].time; got != want {
					t.Fatalf("%v %s: frame %d at %s, tshark's frame.time_relative %s", k, s.Name, p.Frame, got, want)
				}
			}
		}
	}
	fwd := make(map[uint32]bool)
	for _, s := range segs {
		fwd[s.Frame] = !s.FromServer
	}

	// Stevens and tcptrace: every forward segment, with tshark's numbers.
	var nfwd, ndata int
	for f, yes := range fwd {
		if yes {
			nfwd++
			if ts[f].len != "0" {
				ndata++
			}
		}
	}
	stevens := graphs[TSeq].Find(Seq).Points
	if len(stevens) != nfwd {
		t.Errorf("Stevens has %d points, the capture %d client segments", len(stevens), nfwd)
	}
	for _, p := range stevens {
		if got := strconv.FormatInt(p.V, 10); got != ts[p.Frame].seq {
			t.Errorf("Stevens frame %d: seq %s, tshark %s", p.Frame, got, ts[p.Frame].seq)
		}
		if (p.Mark&MarkRetransmission != 0) != ts[p.Frame].retransmitted {
			t.Errorf("Stevens frame %d: marked %v, tshark's retransmission flags %v", p.Frame, p.Mark, ts[p.Frame].retransmitted)
		}
	}
	bars := graphs[TCPTrace].Find(Segments).Points
	if len(bars) != ndata {
		t.Errorf("tcptrace has %d segment bars, the capture %d client segments with data", len(bars), ndata)
	}
	for _, p := range bars {
		if got := strconv.FormatInt(p.V2-p.V, 10); got != ts[p.Frame].len {
			t.Errorf("tcptrace frame %d: bar of %s bytes, tshark's tcp.len %s", p.Frame, got, ts[p.Frame].len)
		}
	}

	// tcptrace's SACK blocks are tshark's tcp.options.sack_le and
	// sack_re, block for block, on every ACK that has them.
	sacks := map[uint32][]string{}
	for _, n := range []Name{SACK, SACK2} {
		for _, p := range graphs[TCPTrace].Find(n).Points {
			sacks[p.Frame] = append(sacks[p.Frame], fmt.Sprintf("%d-%d", p.V, p.V2))
		}
	}
	var nsack int
	for f, tf := range ts {
		if fwd[f] || len(tf.sack) == 0 {
			continue
		}
		nsack++
		if got := sacks[f]; strings.Join(got, " ") != strings.Join(tf.sack, " ") {
			t.Errorf("tcptrace frame %d: SACK blocks %v, tshark %v", f, got, tf.sack)
		}
	}
	if len(sacks) != nsack {
		t.Errorf("tcptrace has SACK blocks on %d ACKs, tshark on %d", len(sacks), nsack)
	}
	t.Logf("SACK: %d ACKs with blocks, all as tshark reads them", nsack)

	// Window: the receive window is tshark's tcp.window_size.
	for _, p := range graphs[Window].Find(RWin).Points {
		if got := strconv.FormatInt(p.V, 10); got != ts[p.Frame].win {
			t.Errorf("window frame %d: receive window %s, tshark's tcp.window_size %s", p.Frame, got, ts[p.Frame].win)
		}
	}

	// Window: Flight is tcp.analysis.bytes_in_flight, frame for frame.
	flight := map[uint32]int64{}
	for _, p := range graphs[Window].Find(Flight).Points {
		flight[p.Frame] = p.V
	}
	var nflight int
	for f, tf := range ts {
		if !fwd[f] || tf.bytesInFlight == "" {
			continue
		}
		nflight++
		if got, ok := flight[f]; !ok || strconv.FormatInt(got, 10) != tf.bytesInFlight {
			t.Errorf("window frame %d: flight %d (present %v), tshark's bytes_in_flight %s", f, got, ok, tf.bytesInFlight)
		}
	}
	if len(flight) != nflight || nflight < 100 {
		t.Errorf("window graph has %d flight points, tshark %d client frames with bytes_in_flight (want at least 100)", len(flight), nflight)
	}

	// RTT against ack_rtt.
	type pair struct{ data, ack uint32 }
	samples := map[pair]int64{}
	timedBefore := map[uint32]uint32{} // data frame → the first ACK that timed it
	for _, p := range graphs[RTT].Find(RTTSamples).Points {
		samples[pair{p.Frame, p.Ref}] = p.V
		if a, ok := timedBefore[p.Frame]; !ok || p.Ref < a {
			timedBefore[p.Frame] = p.Ref
		}
	}
	// Karn: the data frames whose bytes were sent more than once.
	resent := resentFrames(segs)
	var matched, karn, sacked, empty int
	for a, tf := range ts {
		if tf.ackRTT == "" || fwd[a] || !fwd[tf.acksFrame] {
			continue // not an ACK of the graphed data
		}
		f := tf.acksFrame
		got, ok := samples[pair{f, a}]
		switch {
		case ok:
			if want := ts2ns(t, tf.ackRTT); got != want {
				t.Errorf("RTT: data frame %d ACKed by %d: %s, tshark's ack_rtt %s", f, a, seconds(got), tf.ackRTT)
			}
			matched++
		case ts[f].len == "0":
			empty++
		case resent[f]:
			karn++
		case timedBefore[f] != 0 && timedBefore[f] < a:
			sacked++
		default:
			t.Errorf("RTT: no sample for data frame %d ACKed by %d (tshark's ack_rtt %s), and no reason to leave it out", f, a, tf.ackRTT)
		}
	}
	t.Logf("RTT: %d of tshark's ack_rtt values matched; left out: %d by Karn's rule, %d timed earlier by a SACK, %d without payload; %d samples in all",
		matched, karn, sacked, empty, len(samples))
	if matched < 30 {
		t.Errorf("only %d RTT samples matched tshark's ack_rtt, want at least 30", matched)
	}
}

// resentFrames returns the client data frames whose bytes the client
// sent again (in whole or in part) and the resends themselves, from the
// sequence numbers alone.
func resentFrames(segs []Segment) map[uint32]bool {
	type rng struct {
		lo, hi uint32
		frame  uint32
	}
	var sent []rng
	out := map[uint32]bool{}
	var high uint32
	for _, s := range segs {
		if s.FromServer || s.Len == 0 {
			continue
		}
		lo, hi := s.Seq, s.Seq+s.Len
		if lo < high {
			out[s.Frame] = true
			for _, r := range sent {
				if r.lo < hi && lo < r.hi {
					out[r.frame] = true
				}
			}
		}
		high = max(high, hi)
		sent = append(sent, rng{lo, hi, s.Frame})
	}
	return out
}

// ts2ns parses tshark's seconds with nine decimals.
func ts2ns(t *testing.T, s string) int64 {
	t.Helper()
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	frac = (frac + "000000000")[:9]
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return w*1e9 + f
}
