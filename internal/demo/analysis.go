package demo

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/pcapio"
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
	Convs []explain.Conversation
	// Counts counts the expert flags over all segments, by their
	// tcp.analysis name ("retransmission", "duplicate_ack", ...).
	Counts map[string]int
}

// Analyze reads the capture file and analyses its TCP segments in one
// pass: the packet list, the conversation table and the conversations
// for the explanation.
func Analyze(file string) (*Analysis, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer f.Close()
	rd, err := pcapio.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", file, err)
	}
	a := &Analysis{Counts: make(map[string]int)}
	an := tcpanalysis.New()
	col := &explain.Collector{}
	var (
		p     decode.Packet
		r     tcpanalysis.Result
		frame uint32
		first int64
		buf   []byte
	)
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("demo: %s: frame %d: %w", file, frame+1, err)
		}
		frame++
		if frame == 1 {
			first = rec.Timestamp
			col.Start = first
		}
		if err := decode.Decode(rec.Link, rec.Data, &p); err != nil && !p.TCP.Valid() {
			continue
		}
		if !an.Analyze(frame, rec.Timestamp, rec.OrigLen, &p, &r) {
			continue
		}
		pk := listing.Packet{Number: frame, RelTime: rec.Timestamp - first, Resolution: rec.Resolution, WireLen: rec.OrigLen, Decoded: &p, Result: &r}
		buf = listing.AppendLine(buf[:0], &pk)
		a.Lines = append(a.Lines, append([]byte(nil), buf...))
		flags := listing.ExpertFields(&r)
		a.Flagged = append(a.Flagged, flags&^tcpanalysis.WindowUpdate != 0)
		flags.Each(func(f tcpanalysis.Flags) { a.Counts[f.Name()]++ })
		col.Add(frame, rec.Timestamp, &p, &r)
	}
	a.Conversations = listing.AppendConversations(nil, an.Streams(), first, nil)
	a.Convs = col.Conversations(an.Streams())
	return a, nil
}
