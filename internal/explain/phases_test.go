package explain_test

import (
	"bytes"
	"github.com/tcplab/tcplab/internal/explain/explaintest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/congestion"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/streamgraph/graphtest"
	"github.com/tcplab/tcplab/internal/textwrap"
)

var phaseCases = []struct {
	name string
	cfg  graphtest.Config
	want []congestion.Kind // the phases of the client's data
	// says are phrases the English walk-through must hold.
	says []string
}{
	{"reno", graphtest.Config{Bytes: 300_000, Ssthresh: 40_000},
		[]congestion.Kind{congestion.SlowStart, congestion.CongestionAvoidance},
		[]string{"slow start. The flight grew from 2000 to", "congestion avoidance. The flight grew by about 0.9 segments a round trip"}},
	{"timeout", graphtest.Config{Bytes: 200_000, Lose: map[uint32]int{100_001: 3}},
		[]congestion.Kind{congestion.SlowStart, congestion.FastRecovery, congestion.Timeout, congestion.SlowStart},
		[]string{"before the resend), the sender resent", "retransmission timeout", "after 200.000, 400.000 ms: each wait about twice"}},
	{"zero_window", graphtest.Config{Bytes: 150_000, RWin: 16_000, ZeroWindow: struct{ At, For time.Duration }{200 * time.Millisecond, 500 * time.Millisecond}},
		[]congestion.Kind{congestion.SlowStart, congestion.ReceiverLimited, congestion.ZeroWindowStall, congestion.ReceiverLimited},
		[]string{"limited by the receiver's window. The flight reached the 16000 bytes", "zero-window stall"}},
	{"at_receiver", graphtest.Config{Bytes: 200_000, Lose: map[uint32]int{100_001: 1}, AtReceiver: true},
		nil,
		[]string{"the capture point cannot tell slow start from congestion avoidance", "fast retransmit and recovery"}},
}

// TestPhasesGolden explains simulated transfers, where what the sender
// did is known: the phases in words, in both languages, with their
// frames.
func TestPhasesGolden(t *testing.T) {
	for _, tc := range phaseCases {
		c := explaintest.Simulated(t, tc.cfg)
		a, ok := explain.Phases(&c, conversation.Client)
		if !ok {
			t.Fatalf("%s: no phases", tc.name)
		}
		if tc.want != nil {
			var got []congestion.Kind
			for _, p := range a.Phases {
				got = append(got, p.Kind)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: phases %v, want %v", tc.name, got, tc.want)
			}
		}
		if _, ok := explain.Phases(&c, conversation.Server); ok {
			t.Errorf("%s: phases read for the server, which sent no data", tc.name)
		}
		for _, lang := range i18n.Langs {
			t.Run(tc.name+"/"+string(lang), func(t *testing.T) {
				w := explain.Explain(&c, explain.Options{Lang: lang})
				var sec *explain.Section
				for i := range w.Sections {
					if w.Sections[i].ID == "phases" {
						sec = &w.Sections[i]
					}
				}
				if sec == nil {
					t.Fatal("no phases section")
				}
				one := &explain.Walkthrough{Lang: lang, Title: w.Title, Sections: []explain.Section{*sec}}
				var buf bytes.Buffer
				if err := one.WriteText(&buf, 80); err != nil {
					t.Fatal(err)
				}
				for i, line := range strings.Split(buf.String(), "\n") {
					if n := textwrap.Width(line); n > 80 {
						t.Errorf("line %d is %d columns wide: %q", i+1, n, line)
					}
				}
				if lang == i18n.English {
					flat := strings.Join(strings.Fields(buf.String()), " ")
					for _, s := range tc.says {
						if !strings.Contains(flat, s) {
							t.Errorf("the walk-through does not say %q", s)
						}
					}
				}
				golden(t, "phases_"+tc.name+"."+string(lang), buf.Bytes())
			})
		}
	}
}

// TestPhasesLab: the lab's one-segment request and reply have no
// congestion control to read, and the walk-through says nothing of it.
func TestPhasesLab(t *testing.T) {
	for _, tc := range cases[:2] {
		c := tc.conv()
		for _, side := range []conversation.Side{conversation.Client, conversation.Server} {
			if _, ok := explain.Phases(&c, side); ok {
				t.Errorf("%s: phases read for side %d", tc.name, side)
			}
		}
		for _, sec := range explain.Explain(&c, explain.Options{}).Sections {
			if sec.ID == "phases" {
				t.Errorf("%s: a phases section", tc.name)
			}
		}
	}
}
