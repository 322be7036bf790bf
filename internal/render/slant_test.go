package render

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
)

// TestSlantGeometry: a segment's line leaves its sender's lane in the
// row of its send time and reaches the other lane in the row of its
// arrival, so the rows between are its one-way delay; a lost one stops
// at a cross in the middle; a quiet gap is one row.
func TestSlantGeometry(t *testing.T) {
	ms := time.Millisecond
	pkts := []conversation.Segment{
		{Frame: 1, From: conversation.Client, Time: 0, Arrival: 10 * ms},
		{Frame: 2, From: conversation.Server, Time: 10 * ms, Arrival: 20 * ms},
		{Frame: 3, From: conversation.Client, Time: 20 * ms, Fate: &conversation.Fate{Lost: true}},
		{Frame: 4, From: conversation.Client, Time: 500 * ms, Arrival: 530 * ms}, // held back: a steeper line
	}
	var b strings.Builder
	l := &ladder{w: bufio.NewWriter(&b), g: boxGlyphs, left: 17, right: 59, timed: true, opt: LadderOptions{Width: 80}}
	c := &conversation.Conversation{Packets: pkts}
	l.slant(pkts, c)
	l.w.Flush()
	rows := strings.Split(b.String(), "\n")
	// The step: the typical delay (10 ms) over six, rounded up to 2 ms.
	if !strings.Contains(b.String(), "one row is 2.00 ms") {
		t.Fatalf("step not 2 ms:\n%s", b.String())
	}
	cells := func(row string) []rune { // the canvas between the lanes
		var out []rune
		in := false
		for _, c := range row {
			if c == '│' {
				if in {
					return out
				}
				in = true
				continue
			}
			if in {
				out = append(out, c)
			}
		}
		return out
	}
	var canvas [][]rune
	var labels []string
	for _, r := range rows {
		if strings.Count(r, "│") == 2 && !strings.Contains(r, "ms  No.") {
			canvas = append(canvas, cells(r))
			labels = append(labels, r)
		} else if strings.Contains(r, "⋮") {
			canvas = append(canvas, nil)
			labels = append(labels, r)
		}
	}
	inner := l.right - l.left - 1
	// Frame 1 leaves row 0 at the left lane, reaches the right lane in
	// row 5 (10 ms / 2 ms).
	if canvas[0][0] == ' ' || !strings.Contains(labels[0], " 1 ") {
		t.Errorf("row 0 %q: frame 1 does not leave the client's lane", labels[0])
	}
	if canvas[5][inner-1] == ' ' {
		t.Errorf("row 5 %q: frame 1 does not reach the server's lane", labels[5])
	}
	if !strings.HasSuffix(strings.TrimSpace(labels[5]), "│ 2") {
		t.Errorf("row 5 %q: frame 2 does not leave the server's lane there", labels[5])
	}
	// Frame 3, lost, leaves at row 10 and stops at a cross in the middle
	// (half the typical delay later: row 12 or 13).
	found := false
	for r := 11; r <= 13; r++ {
		if strings.ContainsRune(string(canvas[r]), '✕') {
			found = true
			if i := strings.IndexRune(string(canvas[r]), '✕'); len([]rune(string(canvas[r])[:i])) < inner/2-2 || len([]rune(string(canvas[r])[:i])) > inner/2+1 {
				t.Errorf("row %d %q: the cross is not in the middle", r, labels[r])
			}
		}
	}
	if !found {
		t.Errorf("no cross for the lost frame 3:\n%s", b.String())
	}
	// Then the quiet time is one row, and frame 4 falls 15 rows (30 ms).
	gap := -1
	for i, c := range canvas {
		if c == nil {
			gap = i
		}
	}
	if gap < 0 || !strings.Contains(labels[gap], "475.00 ms with nothing in flight") {
		t.Fatalf("no gap row, or a wrong gap:\n%s", b.String())
	}
	if canvas[gap+1][0] == ' ' || canvas[gap+16][inner-1] == ' ' || len(canvas) != gap+17 {
		t.Errorf("frame 4 is not 15 rows long after the gap:\n%s", b.String())
	}
}
