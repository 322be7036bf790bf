package demo

import (
	"fmt"
	"math/bits"
	"os"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Analysis is a capture read back and analysed as `tcplab analyze` does.
type Analysis struct {
	// Lines are the packet list's lines, one per TCP segment, as
	// `tshark -r FILE` prints them (each ends with '\n').
	Lines [][]byte
	// Flagged tells, for each line, whether its segment has an expert
	// flag other than a window update (which a growing receive window
	// sets on most ACKs of a bulk transfer).
	Flagged []bool
	// Conversations is the conversation table (tshark -z conv,tcp).
	Conversations []byte
	// Convs are the conversations for the ladder and the walk-through.
	Convs []conversation.Conversation
	// Counts counts, for each expert flag, the frames that carry it as
	// Wireshark's Info column labels them: a fast or spurious
	// retransmission counts under its own kind only, though tshark also
	// gives it the field tcp.analysis.retransmission.
	Counts map[tcpanalysis.Flags]int
	// Multi is how many more flags than frames the flagged frames carry,
	// window updates aside (a frame with three flags adds 2): the Counts
	// other than window updates add up to the flagged frames plus Multi.
	Multi int
	// Summary counts the frames read and, by reason, those not
	// analysed, as the listing counts them.
	Summary packets.Summary
}

// Analyze reads the capture file and analyses its TCP segments in one
// pass (explain.Read): the packet list, the conversation table and the
// conversations for the explanation.
func Analyze(file string) (*Analysis, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer f.Close()
	a := &Analysis{Counts: make(map[tcpanalysis.Flags]int)}
	var buf []byte
	c, err := explain.Read(f, explain.ReadOptions{Each: func(p *listing.Packet) {
		buf = listing.AppendLine(buf[:0], p)
		a.Lines = append(a.Lines, append([]byte(nil), buf...))
		flags := listing.ExpertFields(p.Result)
		a.Flagged = append(a.Flagged, flags&^tcpanalysis.WindowUpdate != 0)
		if flags == 0 {
			return
		}
		labels := p.Result.Analysis
		labels.Each(func(f tcpanalysis.Flags) { a.Counts[f]++ })
		if n := bits.OnesCount32(uint32(labels &^ tcpanalysis.WindowUpdate)); n > 1 {
			a.Multi += n - 1
		}
	}})
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", file, err)
	}
	a.Conversations = listing.AppendConversations(nil, c.Streams, c.Start, nil)
	a.Convs = c.Conversations
	a.Summary = c.Summary
	return a, nil
}
