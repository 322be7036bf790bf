package explain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// TestTruth checks the sentences about what tcplab's bridge did to a
// flagged segment (Segment.Fate): each cause its sentence with the log's
// numbers, and the note that the flag's name misleads where it does.
func TestTruth(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name  string
		frame int
		flags tcpanalysis.Flags
		fate  conversation.Fate
		want  []string
		not   []string
	}{
		{"lost before the capture", 15, tcpanalysis.OutOfOrder,
			conversation.Fate{Cause: conversation.CauseResentAfterLoss, OrigTime: 21*ms + 200*time.Microsecond},
			[]string{"reached the bridge at 0.021200 s and was lost there", "the network reordered nothing"}, nil},
		{"lost, seen", 15, tcpanalysis.FastRetransmission,
			conversation.Fate{Cause: conversation.CauseResentAfterLoss, OrigFrame: 6},
			[]string{"lost the earlier copy of these bytes, frame 6"}, []string{"reordered nothing"}},
		{"needless", 15, tcpanalysis.Retransmission,
			conversation.Fate{Cause: conversation.CauseResentNeedlessly, OrigFrame: 6},
			[]string{"frame 6, crossed the network", "needlessly"}, nil},
		{"network copy", 15, tcpanalysis.Retransmission,
			conversation.Fate{Cause: conversation.CauseNetworkDuplicate},
			[]string{"made by the network", "the sender did not send these bytes again"}, nil},
		{"held back", 12, tcpanalysis.OutOfOrder,
			conversation.Fate{Cause: conversation.CauseNetworkReordered, Delay: 13*ms + 250*time.Microsecond, Overtaken: 3},
			[]string{"took 13.250 ms to cross, and 3 later segments overtook it"}, []string{"misleads"}},
		{"gap after a loss", 11, tcpanalysis.DuplicateAck,
			conversation.Fate{Cause: conversation.CauseAfterLoss, OrigSeq: 2001, OrigTime: 21 * ms},
			[]string{"starting at Seq=2001 reached the bridge at 0.021000 s and was lost there"}, nil},
		{"gap after a hold-back", 11, tcpanalysis.DuplicateAck,
			conversation.Fate{Cause: conversation.CauseAfterReorder, OrigSeq: 2001, OrigTime: 21 * ms},
			[]string{"held back the segment starting at Seq=2001", "a delay, not a loss"}, nil},
		{"no gap", 11, tcpanalysis.DuplicateAck,
			conversation.Fate{Cause: conversation.CauseDelivered},
			[]string{"repeated its ACK without a gap"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fixture.Impaired()
			for i := range c.Packets {
				if s := &c.Packets[i]; s.Frame == tc.frame {
					s.Analysis, s.Fate = tc.flags, &tc.fate
				}
			}
			text := paraOf(t, &c, tc.frame)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("frame %d says %q, want %q in it", tc.frame, text, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(text, w) {
					t.Errorf("frame %d says %q, want no %q", tc.frame, text, w)
				}
			}
		})
	}
}

// TestOutOfOrderOutsideTcplab checks that, without the bridge's log, an
// Out-Of-Order segment is never said to be reordered as a fact: one whose
// bytes the capture already showed is called a resend, any other gets
// the likely causes and says one capture point cannot tell them apart.
func TestOutOfOrderOutsideTcplab(t *testing.T) {
	c := fixture.Impaired()
	for i := range c.Packets {
		switch s := &c.Packets[i]; s.Frame {
		case 12, 15:
			s.Analysis = tcpanalysis.OutOfOrder
		}
	}
	if text := paraOf(t, &c, 15); !strings.Contains(text, "already showed these bytes (frame 6), so this is a resend") {
		t.Errorf("frame 15 (bytes of frame 6 again) says %q, want it called a resend", text)
	}
	text := paraOf(t, &c, 12)
	for _, w := range []string{"timing heuristic", "Likely causes", "one capture point cannot tell them apart"} {
		if !strings.Contains(text, w) {
			t.Errorf("frame 12 says %q, want %q in it", text, w)
		}
	}
	if strings.Contains(text, "What really happened") {
		t.Errorf("frame 12 says %q: no bridge, no ground truth", text)
	}
}

// paraOf returns the walk-through's paragraph about frame of c.
func paraOf(t *testing.T, c *conversation.Conversation, frame int) string {
	t.Helper()
	w := explain.Explain(c, explain.Options{Lang: i18n.English, MaxRoutine: -1})
	for _, s := range w.Sections {
		for _, p := range s.Paras {
			if p.Frame == frame {
				return p.Text
			}
		}
	}
	t.Fatalf("no paragraph about frame %d", frame)
	return ""
}
