package listing

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/tcplab/tcplab/internal/dfilter"
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

	// Filter, when set, picks the packets printed (packet list lines,
	// ndjson packet records, fields lines), as tshark's -Y does: the
	// analysis, the conversation table and the statistics still see
	// every packet, and frame numbers stay the file's.
	Filter *dfilter.Filter
	// Quiet leaves out the text packet list and the conversation table
	// that follows it, as tshark's -q: only Stats are printed.
	Quiet bool
	// Fields, when set, prints these fields of each packet instead of
	// the packet list, as tshark's -T fields does.
	Fields *Fields
	// Stats are tshark's -z statistics, written after the packets in
	// the reverse of their order, as tshark writes them.
	Stats []Stat
	// Health follows tcplab's own conversation table with each
	// conversation's health (the ndjson stream records always carry
	// it): off by default, so that the plain packet list and table pay
	// nothing for it.
	Health bool
	// MaxFrames, when not 0, stops after that many frames read, as
	// tshark's -c does (frames, not packets printed).
	MaxFrames uint64
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
	var sp, hp spill
	sp.byTap = opts.Format != NDJSON
	hp.byTap = true
	defer sp.close()
	defer hp.close()
	var (
		out       sink
		conv      *convTable
		taps      []tap
		ios       []*ioTap
		streamErr error
	)
	selectAll := opts.Select.Empty()
	// Health is kept only where it is printed: in the ndjson stream
	// records and, when asked for, under tcplab's own conversation
	// table.
	health := opts.Follow < 0 && (opts.Format == NDJSON || opts.Health && defaultConv(&opts) && !hasConvStat(opts.Stats))
	src := packets.NewSource(packets.Options{
		Health:  health,
		Summary: opts.Summary,
		// tshark lists a header cut before its window with its ports
		// only (and a filter sees those).
		Cut:           opts.Format == Text && opts.Follow < 0 && selectAll,
		Progress:      opts.Progress,
		ProgressEvery: opts.ProgressEvery,
		Limit:         opts.MaxFrames,
		OnFrame: func(rel int64, wireLen int) {
			for _, io := range ios {
				io.frame(rel, wireLen)
			}
		},
		// Each conversation's record is formatted when it ends and kept
		// in the spill until the packets are all written.
		Done: func(s *tcpanalysis.Stream) {
			if streamErr != nil || !opts.Select.MatchStream(s) {
				return
			}
			if streamErr = out.stream(s); streamErr == nil && conv != nil {
				streamErr = conv.stream(s)
			}
		},
	})
	taps, conv = newTaps(&opts, src, &sp)
	for _, t := range taps {
		if io, ok := t.(*ioTap); ok {
			ios = append(ios, io)
		}
	}
	var listConv *convTable
	if conv != nil && !conv.tshark {
		listConv = conv
		if health {
			conv.health = &hp
		}
	}
	out = newSink(&opts, bw, src, &sp, listConv)
	var rec dfilter.Record
	for pk := range src.Read(ctx, rd) {
		if !selectAll && !opts.Select.MatchPacket(&pk.Decoded, &pk.Result) {
			continue
		}
		for _, t := range taps {
			t.packet(pk)
		}
		if opts.Filter != nil {
			if fillRecord(&rec, pk); !opts.Filter.Match(&rec) {
				continue
			}
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
	for i := len(taps) - 1; i >= 0; i-- {
		if err := taps[i].write(bw); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return src.Err()
}

// newTaps returns the statistics opts asks for, in their order, and the
// conversation table Run keeps: the default one after the text packet
// list, or -z conv,tcp's.
func newTaps(opts *Options, src *packets.Source, sp *spill) ([]tap, *convTable) {
	var (
		taps  []tap
		conv  *convTable
		named = namedFields(opts)
	)
	if defaultConv(opts) {
		conv = &convTable{src: src, sum: src.Summary(), sp: sp, sel: opts.Select}
	}
	for _, st := range opts.Stats {
		switch st.Kind {
		case StatConv:
			conv = &convTable{src: src, sum: src.Summary(), sp: sp, sel: opts.Select, tshark: true}
			taps = append(taps, &convTap{conv})
		case StatFollow:
			taps = append(taps, &followTap{newFollower(st.Stream)})
		case StatExpert:
			taps = append(taps, newExpertTap())
		case StatIO:
			taps = append(taps, newIOTap(st, named))
		}
	}
	return taps, conv
}

// namedFields returns the fields that the run's filters name: -Y's, the
// io,stat columns', and tcp.stream when a stream is followed (tshark's
// follow tap filters on it). tshark 4.0 builds only those of a packet's
// fields, so an io,stat calculation over any other sees no value: its
// column stays 0, and tshark's users name the field again as the
// column's filter (SUM(tcp.len)tcp.len).
func namedFields(opts *Options) map[string]bool {
	named := map[string]bool{}
	add := func(f *dfilter.Filter) {
		if f != nil {
			for _, n := range f.Fields() {
				named[n] = true
			}
		}
	}
	add(opts.Filter)
	for _, st := range opts.Stats {
		switch st.Kind {
		case StatFollow:
			named["tcp.stream"] = true
		case StatIO:
			for _, f := range st.Filters {
				add(f)
			}
		}
	}
	return named
}

// UnseenCalcs returns the io,stat calculations of opts whose field no
// filter of the run names: tshark 4.0 draws them as 0 (see namedFields),
// and so does tcplab, which callers may say on standard error.
func UnseenCalcs(opts *Options) []string {
	named := namedFields(opts)
	var cols []string
	for _, st := range opts.Stats {
		for _, c := range st.calcs {
			if c != nil && !named[c.field.Name()] {
				cols = append(cols, c.text)
			}
		}
	}
	return cols
}

// defaultConv reports whether opts ask for tcplab's own conversation
// table after the packet list (which -z conv,tcp replaces).
func defaultConv(opts *Options) bool {
	return opts.Format == Text && opts.Follow < 0 && !opts.NoConversations && !opts.Quiet && opts.Fields == nil
}

// hasConvStat reports whether stats hold -z conv,tcp.
func hasConvStat(stats []Stat) bool {
	for _, st := range stats {
		if st.Kind == StatConv {
			return true
		}
	}
	return false
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
