package listing

import (
	"bufio"
	"fmt"

	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// A sink writes one of Run's outputs, as vegeta's Encoder writes one of
// its formats: Run picks it once, hands it every packet its selection
// keeps, in capture order, and each selected conversation's summary when
// the conversation ends (the source's analysis streams them), then calls
// finish once the source has finished. A sink appends its lines to a
// reused buffer written in batches: a packet's line allocates nothing.
type sink interface {
	// packet formats one packet.
	packet(pk *packets.Packet) error
	// stream takes one conversation's final summary.
	stream(s *tcpanalysis.Stream) error
	// finish writes the lines left and what follows the packets.
	finish() error
}

// newSink returns the sink of the output opts asks for, writing to w.
// Conversations' records wait in sp until the packets are all written.
func newSink(opts *Options, w *bufio.Writer, src *packets.Source, sp *spill) sink {
	b := batch{w: w, buf: make([]byte, 0, outBatch+64<<10)}
	switch {
	case opts.Follow >= 0:
		return &followSink{batch: b, fol: newFollower(uint32(opts.Follow))}
	case opts.Format == NDJSON:
		return &ndjsonSink{batch: b, src: src, sum: src.Summary(), sp: sp}
	}
	return &textSink{batch: b, src: src, sum: src.Summary(), sp: sp, conv: !opts.NoConversations, sel: opts.Select}
}

// batch gathers lines in buf and writes them to w when it holds outBatch
// bytes: one copy and one write per batch, not per line.
type batch struct {
	w   *bufio.Writer
	buf []byte
}

// room writes the batch when it is full.
func (b *batch) room() error {
	if len(b.buf) < outBatch {
		return nil
	}
	return b.write()
}

// write writes the batch and empties it.
func (b *batch) write() error {
	if _, err := b.w.Write(b.buf); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	b.buf = b.buf[:0]
	return nil
}

// textSink writes tshark's packet list, then (when conv is true) the
// conversation table, then which frames were not analysed.
type textSink struct {
	batch
	src   *packets.Source
	sum   *Summary
	sp    *spill
	conv  bool
	sel   *Selector
	addrs addrColumns
	row   []byte
}

func (t *textSink) packet(pk *packets.Packet) error {
	if err := t.room(); err != nil {
		return err
	}
	t.sum.Packets++
	if !pk.Analysed {
		// A header cut before its window: tshark lists its ports.
		t.buf = appendColumns(t.buf, pk.Number, pk.RelTime, pk.Resolution, &pk.Decoded, pk.WireLen, &t.addrs)
		t.buf = appendCutInfo(t.buf, &pk.Decoded)
		t.buf = append(t.buf, '\n')
		return nil
	}
	t.buf = appendLine(t.buf, pk.Number, pk.RelTime, pk.Resolution, pk.WireLen, &pk.Decoded, &pk.Result, &t.addrs)
	return nil
}

func (t *textSink) stream(s *tcpanalysis.Stream) error {
	if !t.conv || s.Tap == 0 {
		return nil
	}
	// tshark's table: most frames first, then in the order its tap
	// first saw each conversation.
	start, _ := t.src.Start()
	t.row = appendConvRow(t.row[:0], s, start)
	t.sum.Streams++
	return t.sp.put(s.TapFirstFrame, s.Tap, t.row)
}

func (t *textSink) finish() error {
	if err := t.write(); err != nil {
		return err
	}
	switch {
	case t.sum.Analysed == 0 && t.sum.Packets == 0:
		// Not an empty table: say why there is nothing.
		t.w.WriteString(noPacketsText(t.sum))
	case t.conv:
		t.w.Write(appendConvHeader(t.buf[:0], t.sel))
		if err := t.sp.writeTo(t.w, true); err != nil {
			return err
		}
		t.w.WriteString(convRule)
		fallthrough
	default:
		if s := t.sum.SkippedText(); s != "" {
			t.w.WriteString(s + "\n")
		}
	}
	return nil
}

// ndjsonSink writes the JSON contract: a record per packet, then one per
// conversation, in stream order, then the summary record.
type ndjsonSink struct {
	batch
	src   *packets.Source
	sum   *Summary
	sp    *spill
	addrs addrColumns
	row   []byte
}

func (j *ndjsonSink) packet(pk *packets.Packet) error {
	if err := j.room(); err != nil {
		return err
	}
	j.sum.Packets++
	lp := Packet{Number: pk.Number, RelTime: pk.RelTime, Resolution: pk.Resolution, WireLen: pk.WireLen, Decoded: &pk.Decoded, Result: &pk.Result, addrs: &j.addrs}
	status, _ := pk.Decoded.TCPChecksum()
	j.buf = appendJSON(j.buf, &lp, status)
	return nil
}

func (j *ndjsonSink) stream(s *tcpanalysis.Stream) error {
	_, digits := j.src.Start()
	j.row = appendStreamJSON(j.row[:0], s, digits)
	j.sum.Streams++
	return j.sp.put(s.Index, 0, j.row)
}

func (j *ndjsonSink) finish() error {
	if err := j.write(); err != nil {
		return err
	}
	if err := j.sp.writeTo(j.w, false); err != nil {
		return err
	}
	j.w.Write(appendSummaryJSON(j.buf[:0], j.sum))
	return nil
}

// followSink writes one stream's payload, as `tshark -z
// follow,tcp,ascii,N` does, once the capture has been read.
type followSink struct {
	batch
	fol *follower
}

func (f *followSink) packet(pk *packets.Packet) error {
	f.fol.add(&pk.Decoded, &pk.Result)
	return nil
}

func (f *followSink) stream(*tcpanalysis.Stream) error { return nil }

func (f *followSink) finish() error {
	f.buf = f.fol.appendText(f.buf[:0])
	f.w.Write(f.buf)
	return nil
}
