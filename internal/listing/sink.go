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
// Conversations' records wait in sp until the packets are all written;
// conv, when not nil, is the conversation table the text output ends
// with.
func newSink(opts *Options, w *bufio.Writer, src *packets.Source, sp *spill, conv *convTable) sink {
	b := batch{w: w, buf: make([]byte, 0, outBatch+64<<10)}
	switch {
	case opts.Follow >= 0:
		return &followSink{batch: b, fol: newFollower(uint32(opts.Follow))}
	case opts.Format == NDJSON:
		return &ndjsonSink{batch: b, src: src, sum: src.Summary(), sp: sp}
	case opts.Fields != nil:
		return &fieldsSink{batch: b, sum: src.Summary(), f: opts.Fields}
	}
	return &textSink{batch: b, sum: src.Summary(), list: !opts.Quiet, conv: conv}
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

// textSink writes tshark's packet list (unless list is false), then
// (when conv is set) the conversation table, then which frames were not
// analysed.
type textSink struct {
	batch
	sum   *Summary
	list  bool
	conv  *convTable
	addrs addrColumns
}

func (t *textSink) packet(pk *packets.Packet) error {
	if !t.list {
		return nil
	}
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

func (t *textSink) stream(*tcpanalysis.Stream) error { return nil }

func (t *textSink) finish() error {
	if err := t.write(); err != nil {
		return err
	}
	if t.conv == nil {
		return nil
	}
	if t.sum.Analysed == 0 && t.sum.Packets == 0 {
		// Not an empty table: say why there is nothing.
		t.w.WriteString(noPacketsText(t.sum))
		return nil
	}
	if err := t.conv.write(t.w); err != nil {
		return err
	}
	if s := t.sum.SkippedText(); s != "" {
		t.w.WriteString(s + "\n")
	}
	return nil
}

// convTable gathers the conversation table's rows as conversations end
// and writes the table: tshark's columns only when tshark is true (-z
// conv,tcp), otherwise with the State and iRTT columns.
type convTable struct {
	src    *packets.Source
	sum    *Summary
	sp     *spill
	sel    *Selector
	tshark bool
	row    []byte
	// health, when set, holds the health table's rows (tcplab's table
	// only), in the table's order.
	health *spill
}

func (c *convTable) stream(s *tcpanalysis.Stream) error {
	if s.Tap == 0 {
		return nil
	}
	// tshark's table: most frames first, then in the order its tap
	// first saw each conversation.
	start, _ := c.src.Start()
	c.row = appendConvRow(c.row[:0], s, start)
	if c.tshark {
		c.row = tsharkConvRow(c.row)
	}
	c.sum.Streams++
	if err := c.sp.put(s.TapFirstFrame, s.Tap, c.row); err != nil || c.health == nil {
		return err
	}
	c.row = appendHealthRows(c.row[:0], s)
	return c.health.put(s.TapFirstFrame, s.Tap, c.row)
}

func (c *convTable) write(w *bufio.Writer) error {
	if c.tshark {
		w.Write(appendTsharkConvHeader(c.row[:0], c.sel))
	} else {
		w.Write(appendConvHeader(c.row[:0], c.sel))
	}
	if err := c.sp.writeTo(w, true); err != nil {
		return err
	}
	w.WriteString(convRule)
	if c.health == nil {
		return nil
	}
	w.Write(appendHealthHeader(c.row[:0]))
	if err := c.health.writeTo(w, true); err != nil {
		return err
	}
	w.WriteString(convRule)
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
	j.row = appendStreamJSON(j.row[:0], s, digits, true)
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
