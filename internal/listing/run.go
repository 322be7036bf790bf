package listing

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Format is an output format of Run.
type Format int

// The output formats.
const (
	Text   Format = iota // tshark's packet list, then the conversation table
	NDJSON               // the JSON contract: packet records, then stream records
)

// Options configure Run.
type Options struct {
	Format Format
	// Select limits the output to some conversations; nil selects all.
	Select *Selector
	// NoConversations leaves out the conversation table after the text
	// packet list.
	NoConversations bool
	// Follow, when >= 0, prints only the payload of that stream, as
	// `tshark -q -z follow,tcp,ascii,N` does.
	Follow int
	// Progress, when set, is called every ProgressEvery frames with the
	// number of frames read and the reader's byte offset.
	Progress      func(frames uint64, offset int64)
	ProgressEvery uint64
	// Summary, when set, receives what Run counted, the frames it could
	// not analyse among them, even when Run returns an error.
	Summary *Summary
}

// outBatch is how many bytes of packet lines Run gathers before writing
// them; as large as its writer's buffer, so that bufio passes each batch
// straight through.
const outBatch = 256 << 10

// Run reads every record of rd, analyses its TCP segments and writes the
// output opts asks for to w. On a corrupt or truncated file it writes
// everything analysed before the bad record, then returns the reader's
// error (which names the byte offset). When ctx is cancelled it stops
// reading, writes what it has, and returns ctx's error.
func Run(ctx context.Context, rd *pcapio.Reader, w io.Writer, opts Options) error {
	bw := bufio.NewWriterSize(w, outBatch)
	var (
		sp       spill
		spillErr error
		row      []byte // a stream's formatted record
	)
	sp.byTap = opts.Format != NDJSON
	defer sp.close()
	sum := opts.Summary
	if sum == nil {
		sum = new(Summary)
	}
	*sum = Summary{}
	fd := FrameDecoder{Summary: sum}
	var (
		p decode.Packet
		r tcpanalysis.Result
		// Lines accumulate in buf, written out when it holds outBatch
		// bytes: one copy and one write per batch, not per line.
		buf    = make([]byte, 0, outBatch+64<<10)
		frame  uint32
		first  int64
		digits = 6
		fol    *follower
		addrs  addrColumns
	)
	if opts.Follow >= 0 {
		fol = newFollower(uint32(opts.Follow))
	}
	// Each conversation's record is formatted when it ends and kept in
	// the spill until the packets are all written.
	an := tcpanalysis.NewStreaming(func(s *tcpanalysis.Stream) {
		if fol != nil || spillErr != nil || !opts.Select.MatchStream(s) {
			return
		}
		var tap uint64
		order := s.Index
		switch {
		case opts.Format == NDJSON:
			row = AppendStreamJSON(row[:0], s, digits)
		case !opts.NoConversations && s.Tap > 0:
			// tshark's table: most frames first, then in the order its
			// tap first saw each conversation.
			row = appendConvRow(row[:0], s, first)
			tap, order = s.Tap, s.TapFirstFrame
		default:
			return
		}
		spillErr = sp.put(order, tap, row)
		sum.Streams++
	})
	every := opts.ProgressEvery
	if every == 0 {
		every = 1 << 16
	}
	var readErr error
	selectAll := opts.Select.Empty()
	var rec pcapio.Record
	for {
		if err := rd.NextInto(&rec); err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
		if len(buf) >= outBatch {
			if _, err := bw.Write(buf); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
			buf = buf[:0]
		}
		frame++
		if frame%4096 == 0 && ctx.Err() != nil {
			readErr = ctx.Err()
			break
		}
		if frame == 1 {
			first = rec.Timestamp
			digits = rec.Resolution
		}
		if opts.Progress != nil && uint64(frame)%every == 0 {
			opts.Progress(uint64(frame), rec.Offset)
		}
		ready, err := fd.Decode(rec.Link, rec.Data, rec.OrigLen, &p)
		if !ready {
			continue
		}
		if !an.Analyze(frame, rec.Timestamp, rec.OrigLen, &p, &r) {
			fd.NotAnalysed(&p, err)
			if opts.Format == Text && fol == nil && selectAll && cutTCP(&p) {
				sum.Packets++
				// tshark lists a header cut before its window with
				// its ports only.
				buf = appendColumns(buf, frame, rec.Timestamp-first, rec.Resolution, &p, rec.OrigLen, &addrs)
				buf = AppendCutInfo(buf, &p)
				buf = append(buf, '\n')
			}
			continue
		}
		if !selectAll && !opts.Select.MatchPacket(&p, &r) {
			sum.Analysed++
			continue
		}
		sum.Analysed++
		if fol != nil {
			fol.add(&p, &r)
			continue
		}
		sum.Packets++
		if opts.Format == NDJSON {
			pk := Packet{Number: frame, RelTime: rec.Timestamp - first, Resolution: rec.Resolution, WireLen: rec.OrigLen, Decoded: &p, Result: &r, addrs: &addrs}
			status, _ := p.TCPChecksum()
			buf = AppendJSON(buf, &pk, status)
		} else {
			buf = appendLine(buf, frame, rec.Timestamp-first, rec.Resolution, rec.OrigLen, &p, &r, &addrs)
		}
	}
	if _, err := bw.Write(buf); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	an.Finish()
	if spillErr != nil {
		return spillErr
	}
	sum.Frames = uint64(frame)
	fd.Finish()
	switch {
	case fol != nil:
		buf = fol.appendText(buf[:0])
		bw.Write(buf)
	case opts.Format == NDJSON:
		if err := sp.writeTo(bw, false); err != nil {
			return err
		}
		bw.Write(AppendSummaryJSON(buf[:0], sum))
	case sum.Analysed == 0 && sum.Packets == 0:
		// Not an empty table: say why there is nothing.
		bw.WriteString(noPacketsText(sum))
	case !opts.NoConversations:
		bw.Write(appendConvHeader(buf[:0], opts.Select))
		if err := sp.writeTo(bw, true); err != nil {
			return err
		}
		bw.WriteString(convRule)
		fallthrough
	default:
		if t := sum.SkippedText(); t != "" {
			bw.WriteString(t + "\n")
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if readErr != nil {
		return fmt.Errorf("reading frame %d: %w", frame+1, readErr)
	}
	return nil
}

// reassemble adds the IP fragment p to defrag, counting in sum the frames
// it cannot use. When p completes a datagram, it decodes the datagram
// into p (the frame's link type kept) and reports true with the decoder's
// error.
func reassemble(defrag *decode.Reassembler, p *decode.Packet, sum *Summary) (bool, error) {
	if p.Truncated {
		if decode.MayCarryTCP(p.Proto) {
			sum.skip(reasonFragCut, 1)
		}
		return false, nil
	}
	whole, _, evictedTCP := defrag.Add(p)
	sum.skip(reasonFragEvicted, uint64(evictedTCP))
	if whole == nil {
		return false, nil
	}
	link := p.Link
	lt := decode.LinkIPv4
	if p.IPVersion == 6 {
		lt = decode.LinkIPv6
	}
	err := decode.Decode(lt, whole, p)
	p.Link = link
	return true, err
}

// noPacketsText is the text output of a capture in which no TCP packet
// was analysed.
func noPacketsText(sum *Summary) string {
	frames := "1 frame"
	if sum.Frames != 1 {
		frames = fmt.Sprintf("%d frames", sum.Frames)
	}
	switch {
	case sum.Frames == 0:
		return "No frames in the capture.\n"
	case sum.SkippedFrames() == 0:
		return fmt.Sprintf("No TCP packets in %s.\n", frames)
	}
	return fmt.Sprintf("No TCP packets analysed in %s.\n%s\n", frames, sum.SkippedText())
}

// cutTCP reports whether p is a TCP segment whose header the capture cut
// after its ports but before its window.
func cutTCP(p *decode.Packet) bool {
	return p.IPVersion != 0 && p.Proto == decode.ProtoTCP && !p.Fragment && len(p.TCP) >= 4 && len(p.TCP) < 16
}
