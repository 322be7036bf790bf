package congestion

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/streamgraph"
	"github.com/tcplab/tcplab/internal/streamgraph/graphtest"
)

// describe renders an analysis for failure messages.
func describe(a Analysis) string {
	var b strings.Builder
	fmt.Fprintf(&b, "vantage %v, MSS %d, RTT %v, caveats %v, %d rounds\n", a.Vantage, a.MSS, time.Duration(a.RTT), a.Caveats, len(a.Rounds))
	for _, p := range a.Phases {
		fmt.Fprintf(&b, "  %-21v %5d-%-5d %+v\n", p.Kind, p.Start, p.End, p.Evidence)
	}
	return b.String()
}

func kinds(a Analysis) []Kind {
	var ks []Kind
	for _, p := range a.Phases {
		ks = append(ks, p.Kind)
	}
	return ks
}

func find(a Analysis, k Kind) *Phase {
	for i := range a.Phases {
		if a.Phases[i].Kind == k {
			return &a.Phases[i]
		}
	}
	return nil
}

// checkTiling checks that the phases follow each other without gap or
// overlap from the first data segment to the stream's last segment.
func checkTiling(t *testing.T, segs []streamgraph.Segment, a Analysis) {
	t.Helper()
	if len(a.Phases) == 0 {
		t.Fatal("no phase")
	}
	index := map[uint32]int{}
	firstData := -1
	for i, s := range segs {
		index[s.Frame] = i
		if firstData < 0 && s.Len > 0 && s.FromServer == (a.Dir == streamgraph.ServerToClient) {
			firstData = i
		}
	}
	if got := index[a.Phases[0].Start]; got != firstData {
		t.Errorf("the first phase starts at segment %d, the data at %d", got, firstData)
	}
	for i, p := range a.Phases {
		if index[p.End] < index[p.Start] || p.EndTime < p.StartTime {
			t.Errorf("phase %d (%v) ends (%d) before it starts (%d)", i, p.Kind, p.End, p.Start)
		}
		if i > 0 && index[p.Start] != index[a.Phases[i-1].End]+1 {
			t.Errorf("phase %d (%v) starts at %d, the one before ends at %d", i, p.Kind, p.Start, a.Phases[i-1].End)
		}
	}
	if last := a.Phases[len(a.Phases)-1].End; last != segs[len(segs)-1].Frame {
		t.Errorf("the last phase ends at frame %d, the stream at %d", last, segs[len(segs)-1].Frame)
	}
}

type zw = struct{ At, For time.Duration }

// TestSimulated reads simulated Reno transfers, where what the sender did
// is known, and checks the phases, their order and their evidence.
func TestSimulated(t *testing.T) {
	for _, tt := range []struct {
		name  string
		cfg   graphtest.Config
		want  []Kind
		check func(t *testing.T, a Analysis)
	}{
		{"slow start then congestion avoidance", graphtest.Config{Bytes: 400_000, Ssthresh: 40_000},
			[]Kind{SlowStart, CongestionAvoidance}, func(t *testing.T, a Analysis) {
				ss, ca := a.Phases[0].Evidence, a.Phases[1].Evidence
				if ss.Growth < 1.7 || ss.FlightStart != 2000 || ss.FlightEnd < 32_000 {
					t.Errorf("slow start evidence %+v: want the flight doubling from 2 segments past 32", ss)
				}
				if ca.GrowthSegments < 0.5 || ca.GrowthSegments > 1.5 || ca.Reason != NoReason {
					t.Errorf("congestion avoidance evidence %+v: want about one segment a round, Reno", ca)
				}
				if a.Vantage != AtSender || a.RTT != int64(20*time.Millisecond) || a.MSS != 1000 {
					t.Errorf("vantage %v, RTT %v, MSS %d: want sender, 20ms, 1000", a.Vantage, time.Duration(a.RTT), a.MSS)
				}
			}},
		{"a loss and fast recovery", graphtest.Config{Bytes: 400_000, Lose: map[uint32]int{100_001: 1}},
			[]Kind{SlowStart, FastRecovery, CongestionAvoidance}, func(t *testing.T, a Analysis) {
				fr := a.Phases[1].Evidence
				if fr.DupAcks < 3 || len(fr.Retransmissions) != 1 || fr.RecoveryPoint <= 100_001 {
					t.Errorf("fast recovery evidence %+v: want 3 or more duplicate ACKs, one resend, a recovery point past the loss", fr)
				}
			}},
		{"a lost retransmission: timeout and back-off", graphtest.Config{Bytes: 400_000, Lose: map[uint32]int{100_001: 3}},
			[]Kind{SlowStart, FastRecovery, Timeout, SlowStart}, func(t *testing.T, a Analysis) {
				to := find(a, Timeout).Evidence
				if diff := cmp.Diff([]int64{int64(200 * time.Millisecond), int64(400 * time.Millisecond)}, to.Backoff); diff != "" {
					t.Errorf("timeout back-off (-want +got):\n%s", diff)
				}
			}},
		{"limited by the receiver's window", graphtest.Config{Bytes: 400_000, RWin: 32_000},
			[]Kind{SlowStart, ReceiverLimited}, func(t *testing.T, a Analysis) {
				if w := a.Phases[1].Evidence.Window; w != 32_000 {
					t.Errorf("receiver-limited window %d, want 32000", w)
				}
			}},
		{"a zero-window stall", graphtest.Config{Bytes: 200_000, RWin: 16_000, ZeroWindow: zw{200 * time.Millisecond, 500 * time.Millisecond}},
			[]Kind{SlowStart, ReceiverLimited, ZeroWindowStall, ReceiverLimited}, func(t *testing.T, a Analysis) {
				p := find(a, ZeroWindowStall)
				if p.Evidence.Probes < 1 || p.EndTime-p.StartTime < int64(400*time.Millisecond) {
					t.Errorf("stall %+v for %v: want a probe and about 500 ms", p.Evidence, time.Duration(p.EndTime-p.StartTime))
				}
			}},
		{"captured at the receiver", graphtest.Config{Bytes: 400_000, AtReceiver: true, Lose: map[uint32]int{100_001: 1}},
			[]Kind{CannotTell, FastRecovery, CannotTell}, func(t *testing.T, a Analysis) {
				if a.Vantage != AtReceiver || a.Phases[0].Evidence.Reason != ReceiverSideCapture || len(a.Rounds) != 0 {
					t.Errorf("vantage %v, reason %v, %d rounds: want receiver, receiver_side_capture, none", a.Vantage, a.Phases[0].Evidence.Reason, len(a.Rounds))
				}
			}},
		{"too short to tell", graphtest.Config{Bytes: 3000},
			[]Kind{CannotTell}, func(t *testing.T, a Analysis) {
				if r := a.Phases[0].Evidence.Reason; r != TooFewRounds {
					t.Errorf("reason %v, want too_few_rounds", r)
				}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			segs := graphtest.Segments(graphtest.Run(tt.cfg))
			a := Detect(segs, streamgraph.DirAuto)
			if a.Dir != streamgraph.ClientToServer {
				t.Fatalf("direction %v, want client-to-server", a.Dir)
			}
			if diff := cmp.Diff(tt.want, kinds(a)); diff != "" {
				t.Fatalf("phases (-want +got):\n%s\n%s", diff, describe(a))
			}
			checkTiling(t, segs, a)
			tt.check(t, a)
			if t.Failed() {
				t.Log(describe(a))
			}
		})
	}
}

// TestNoAcks: a capture of the data alone cannot show rounds.
func TestNoAcks(t *testing.T) {
	segs := graphtest.Segments(graphtest.Run(graphtest.Config{Bytes: 100_000}))
	var data []streamgraph.Segment
	for _, s := range segs {
		if !s.FromServer {
			data = append(data, s)
		}
	}
	a := Detect(data, streamgraph.DirAuto)
	if diff := cmp.Diff([]Kind{CannotTell}, kinds(a)); diff != "" || a.Phases[0].Evidence.Reason != NoAcks {
		t.Errorf("phases (-want +got):\n%s\n%s", diff, describe(a))
	}
	if a.Vantage != VantageUnknownPoint || !slices.Contains(a.Caveats, VantageUnknown) {
		t.Errorf("vantage %v, caveats %v: want unknown", a.Vantage, a.Caveats)
	}
	if b := Detect(nil, streamgraph.DirAuto); len(b.Phases) != 0 {
		t.Errorf("Detect(nil) = %+v, want no phase", b)
	}
}

// TestVantage places the capture from the handshake's timing.
func TestVantage(t *testing.T) {
	hs := func(syn, synack, ack int64) []streamgraph.Segment {
		return []streamgraph.Segment{
			{Frame: 1, Time: syn, Flags: decode.FlagSYN},
			{Frame: 2, Time: synack, FromServer: true, Flags: decode.FlagSYN | decode.FlagACK},
			{Frame: 3, Time: ack, Flags: decode.FlagACK},
		}
	}
	ms := int64(time.Millisecond)
	for _, tt := range []struct {
		name       string
		segs       []streamgraph.Segment
		fromServer bool
		want       Vantage
	}{
		{"at the client, client sends", hs(0, 20*ms, 20*ms+50_000), false, AtSender},
		{"at the client, server sends", hs(0, 20*ms, 20*ms+50_000), true, AtReceiver},
		{"at the server, client sends", hs(0, 50_000, 20*ms), false, AtReceiver},
		{"in the middle", hs(0, 10*ms, 20*ms), false, InPath},
		{"loopback", hs(0, 20_000, 40_000), false, SameHost},
		{"no handshake", hs(0, 1, 2)[2:], false, VantageUnknownPoint},
	} {
		if got := vantage(tt.segs, tt.fromServer); got != tt.want {
			t.Errorf("%s: vantage = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	for k := SlowStart; k <= CannotTell; k++ {
		if s := k.String(); s == "" || strings.HasPrefix(s, "Kind(") {
			t.Errorf("Kind(%d) has no name", k)
		}
	}
	if Kind(99).String() != "Kind(99)" || ReceiverSideCapture.String() != "receiver_side_capture" || AtSender.String() != "sender" {
		t.Error("names")
	}
}

// TestRoundEvidenceWindow: a round during which no window was advertised
// does not make the phase's smallest window read as zero.
func TestRoundEvidenceWindow(t *testing.T) {
	a := Analysis{MSS: 1000, Rounds: []Round{
		{Flight: 4000},
		{Flight: 5000, RWin: 64000, sawWin: true},
		{Flight: 6000, RWin: 32000, sawWin: true},
		{Flight: 7000, RWin: 0, sawWin: true, Full: 9, Limit: LimitReceiver},
	}}
	labels := []label{{round: 0}, {round: 1}, {round: 2}}
	if ev := a.roundEvidence(labels, 0, 2); ev.Window != 32000 {
		t.Errorf("roundEvidence(rounds 0-2).Window = %d, want 32000 (round 0 saw no window)", ev.Window)
	}
	labels = append(labels, label{round: 3})
	if ev := a.roundEvidence(labels, 0, 3); ev.Window != 0 || ev.Full != 9 {
		t.Errorf("roundEvidence(rounds 0-3) = window %d, full %d: want the zero window advertised, full at 9", ev.Window, ev.Full)
	}
	if ev := a.roundEvidence(labels[:1], 0, 0); ev.Window != 0 {
		t.Errorf("roundEvidence(round 0).Window = %d, want 0 (none seen)", ev.Window)
	}
}
