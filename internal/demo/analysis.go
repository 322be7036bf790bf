package demo

import (
	"fmt"
	"math/bits"
	"net/netip"
	"os"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/groundtruth"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/netlab"
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
	// Convs are the conversations for the ladder and the walk-through:
	// the capture's own, or, when the run captured at both ends of the
	// impaired network, each conversation seen from both ends (each
	// segment from its sender's capture, with its arrival at the other
	// end; Conversation.SinglePoint false).
	Convs []conversation.Conversation
	// Single are the capture's own conversations when Convs joins two
	// captures; nil otherwise.
	Single []conversation.Conversation
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

	// frames are the TCP segments in capture order as package
	// groundtruth joins them with the bridge's log (absolute times).
	frames []groundtruth.Frame
	start  int64 // the capture time of the file's first frame, ns
	// peerFrames are the frames of the capture at the other host
	// (Outcome.PeerCapture), peerHost that host; 0 without one.
	peerFrames []groundtruth.Frame
	peerHost   netlab.Host
	// truthDone records that the bridge's log has been attached
	// (attachTruth).
	truthDone bool
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
		gf := groundtruth.Frame{Number: p.Number, Time: p.RelTime, Flags: p.Result.Analysis, Segment: segmentOf(p)}
		if p.Result.Stopped() {
			gf.Flags = 0 // tshark shows no analysis for it, nor does the walk-through
		}
		a.frames = append(a.frames, gf)
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
	a.start = c.Start
	for i := range a.frames {
		a.frames[i].Time += c.Start
	}
	a.Conversations = listing.AppendConversations(nil, c.Streams, c.Start, nil)
	a.Convs = c.Conversations
	a.Summary = c.Summary
	return a, nil
}

// segmentOf identifies the TCP segment of p as the bridge's log does.
func segmentOf(p *listing.Packet) netlab.Segment {
	d := p.Decoded
	if !d.TCP.Valid() {
		return netlab.Segment{}
	}
	return netlab.Segment{
		Src: netip.AddrPortFrom(d.Src, d.TCP.SrcPort()), Dst: netip.AddrPortFrom(d.Dst, d.TCP.DstPort()),
		Seq: uint32(d.TCP.Seq()), Ack: uint32(d.TCP.Ack()), Flags: d.TCP.Flags(),
		Len: max(d.SegmentLen-d.TCP.HeaderLen(), 0), IPID: d.IPID,
	}
}
