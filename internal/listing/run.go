package listing

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/tcplab/tcplab/internal/packets"
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
	var sp spill
	sp.byTap = opts.Format != NDJSON
	defer sp.close()
	var (
		out       sink
		streamErr error
	)
	selectAll := opts.Select.Empty()
	src := packets.NewSource(packets.Options{
		Summary: opts.Summary,
		// tshark lists a header cut before its window with its ports
		// only.
		Cut:           opts.Format == Text && opts.Follow < 0 && selectAll,
		Progress:      opts.Progress,
		ProgressEvery: opts.ProgressEvery,
		// Each conversation's record is formatted when it ends and kept
		// in the spill until the packets are all written.
		Done: func(s *tcpanalysis.Stream) {
			if streamErr == nil && opts.Select.MatchStream(s) {
				streamErr = out.stream(s)
			}
		},
	})
	out = newSink(&opts, bw, src, &sp)
	for pk := range src.Read(ctx, rd) {
		if !selectAll && !opts.Select.MatchPacket(&pk.Decoded, &pk.Result) {
			continue
		}
		if err := out.packet(pk); err != nil {
			return err
		}
	}
	src.Finish()
	if streamErr != nil {
		return streamErr
	}
	if err := out.finish(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return src.Err()
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
