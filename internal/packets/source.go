package packets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Frame is one captured frame, as a capture file's record or a live
// capture hands it over.
type Frame struct {
	Link decode.LinkType
	Time int64 // capture time, ns since the Unix epoch
	// Resolution is the number of fraction digits of the capture's
	// timestamps (6 for microseconds, 9 for nanoseconds), which tshark
	// prints.
	Resolution int
	Data       []byte // the bytes captured
	WireLen    int    // the frame's length on the wire; 0 when unknown
	// Interface is the pcapng interface the frame was captured on,
	// numbered across the file's sections as Wireshark numbers them,
	// and IfaceName its name; -1 and "" when the file has no interface
	// blocks (pcap).
	Interface int
	IfaceName string
}

// Packet is one analysed TCP segment and the frame it came in (the frame
// that completed it, for a reassembled IP datagram).
type Packet struct {
	Number     uint32 // the frame's number in the capture, from 1, counting every frame
	Time       int64  // capture time, ns since the Unix epoch
	RelTime    int64  // Time less the capture time of the capture's first frame
	Resolution int    // see Frame
	WireLen    int    // the frame's length on the wire
	CapLen     int    // the number of the frame's bytes captured
	Interface  int    // see Frame
	IfaceName  string // see Frame
	Decoded    decode.Packet
	Result     tcpanalysis.Result
	// Analysed is false only for a TCP header that the capture cut
	// after its ports but before its window, which a Source made with
	// Options.Cut hands over too: tshark lists it, with its ports only,
	// but does not analyse it. Result is then unspecified.
	Analysed bool
}

// Options configure a Source.
type Options struct {
	// Done, when set, makes the analysis streaming (see
	// tcpanalysis.NewStreaming): Done receives each conversation's final
	// summary when a new conversation replaces it and from Finish, and
	// Streams returns none.
	Done func(*tcpanalysis.Stream)
	// Cut makes the Source hand over, unanalysed, the TCP headers cut
	// before their window too (see Packet.Analysed). They are counted
	// as skipped all the same.
	Cut bool
	// Summary, when set, receives the Source's counts (it is reset
	// first); otherwise the Source keeps its own.
	Summary *Summary
	// OnFrame, when set, is called for every frame Add takes, TCP or
	// not, with its time relative to the capture's first frame and its
	// length on the wire (tshark's io,stat counts every frame).
	OnFrame func(relTime int64, wireLen int)
	// Health makes the analysis keep each conversation's
	// tcpanalysis.Health (see Analyzer.SetHealth).
	Health bool
	// Limit, when not 0, makes Read stop after that many frames, as
	// tshark's -c does.
	Limit uint64
	// Progress, when set, is called by Read every ProgressEvery frames
	// (default 65536) with the number of frames read and the reader's
	// byte offset, before the frame is decoded.
	Progress      func(frames uint64, offset int64)
	ProgressEvery uint64
}

// Source decodes and analyses a capture's frames, in capture order, and
// hands over its TCP segments. Give it every frame of the capture, with
// Add or Read, so that frame numbers count them all; then call Finish.
type Source struct {
	an            *tcpanalysis.Analyzer
	sum           *Summary
	defrag        decode.Reassembler
	cut           bool
	limit         uint64
	onFrame       func(relTime int64, wireLen int)
	progress      func(frames uint64, offset int64)
	progressEvery uint64

	pk         Packet // the packet handed over, reused
	start      int64  // the capture time of the first frame
	resolution int    // the first frame's resolution
	err        error
}

// NewSource returns a Source that has seen no frame.
func NewSource(opts Options) *Source {
	s := &Source{sum: opts.Summary, cut: opts.Cut, limit: opts.Limit, onFrame: opts.OnFrame, progress: opts.Progress, progressEvery: opts.ProgressEvery}
	if s.sum == nil {
		s.sum = new(Summary)
	}
	*s.sum = Summary{}
	if s.progressEvery == 0 {
		s.progressEvery = 1 << 16
	}
	if opts.Done != nil {
		s.an = tcpanalysis.NewStreaming(opts.Done)
	} else {
		s.an = tcpanalysis.New()
	}
	s.an.SetHealth(opts.Health)
	return s
}

// Add decodes and analyses the capture's next frame. It returns the
// packet to hand over, valid until the next call, or nil when there is
// none: the frame is not TCP, or not analysed (then counted as skipped
// when it may carry TCP), or an IP fragment held until its datagram is
// complete.
func (s *Source) Add(f *Frame) *Packet {
	s.sum.Frames++
	n := uint32(s.sum.Frames)
	if s.sum.Frames == 1 {
		s.start, s.resolution = f.Time, f.Resolution
	}
	if s.onFrame != nil {
		s.onFrame(f.Time-s.start, f.WireLen)
	}
	pk := &s.pk
	p := &pk.Decoded
	err := decode.DecodeWire(f.Link, f.Data, f.WireLen, p)
	if p.Fragment && err == nil && decode.Reassembles(p) {
		var ready bool
		if ready, err = s.reassemble(p); !ready {
			return nil
		}
	}
	if s.an.Analyze(n, f.Time, f.WireLen, p, &pk.Result) {
		s.sum.Analysed++
		pk.Analysed = true
	} else {
		s.notAnalysed(p, err)
		if !s.cut || !cutTCP(p) {
			return nil
		}
		pk.Analysed = false
	}
	pk.Number, pk.Time, pk.RelTime, pk.Resolution, pk.WireLen, pk.CapLen = n, f.Time, f.Time-s.start, f.Resolution, f.WireLen, len(f.Data)
	pk.Interface, pk.IfaceName = f.Interface, f.IfaceName
	return pk
}

// Read returns an iterator over the packets of rd's records, as Add
// hands them over. It stops at the end of the file, after
// Options.Limit frames, at a record it
// cannot read, or when ctx is done (checked every 4096 frames); Err then
// says why, unless the file ended.
func (s *Source) Read(ctx context.Context, rd *pcapio.Reader) iter.Seq[*Packet] {
	return func(yield func(*Packet) bool) {
		var (
			rec pcapio.Record
			f   Frame
		)
		for {
			if s.limit != 0 && s.sum.Frames >= s.limit {
				return
			}
			if err := rd.NextInto(&rec); err != nil {
				if !errors.Is(err, io.EOF) {
					s.fail(err)
				}
				return
			}
			next := s.sum.Frames + 1
			if next%4096 == 0 && ctx.Err() != nil {
				s.sum.Frames = next // read, not analysed
				s.fail(ctx.Err())
				return
			}
			if s.progress != nil && next%s.progressEvery == 0 {
				s.progress(next, rec.Offset)
			}
			f.Link, f.Time, f.Resolution, f.Data, f.WireLen = rec.Link, rec.Timestamp, rec.Resolution, rec.Data, rec.OrigLen
			f.Interface, f.IfaceName = -1, ""
			if rd.Format() == pcapio.FormatPcapng {
				f.Interface, f.IfaceName = ifaceOf(rd.Interfaces(), rec.Interface)
			}
			if pk := s.Add(&f); pk != nil && !yield(pk) {
				return
			}
		}
	}
}

// ifaceOf returns the number Wireshark gives the interface idx of the
// current (last) section among ifs, counting the interfaces of every
// section, and its name.
func ifaceOf(ifs []pcapio.Interface, idx int) (int, string) {
	if len(ifs) == 0 {
		return idx, ""
	}
	first := len(ifs) - 1
	for first > 0 && ifs[first-1].Section == ifs[len(ifs)-1].Section {
		first--
	}
	n := first + idx
	if n >= len(ifs) {
		return n, ""
	}
	return n, ifs[n].Name
}

// fail records why Read stopped: err, at the frame after the last one
// counted.
func (s *Source) fail(err error) {
	s.err = fmt.Errorf("reading frame %d: %w", s.sum.Frames+1, err)
}

// Err returns why Read stopped before the end of the file (the reader's
// error, which names the byte offset, or the context's), or nil.
func (s *Source) Err() error { return s.err }

// Finish ends the capture: a streaming analysis passes the conversations
// still open to Options.Done, and the fragments of the datagrams never
// completed are counted. Call it once, after the last frame.
func (s *Source) Finish() {
	s.an.Finish()
	_, pendingTCP := s.defrag.Frames()
	s.sum.skip(reasonFragIncomplete, uint64(pendingTCP))
}

// Summary returns the counts so far; final after Finish.
func (s *Source) Summary() *Summary { return s.sum }

// Streams returns the summary of every conversation seen so far, indexed
// by stream number (none for a streaming analysis: see Options.Done).
func (s *Source) Streams() []*tcpanalysis.Stream { return s.an.Streams() }

// Start returns the capture time of the capture's first frame, which
// relative times count from, and that frame's resolution (see Frame);
// zeros before the first frame.
func (s *Source) Start() (ts int64, resolution int) { return s.start, s.resolution }

// reassemble adds the IP fragment p to the reassembly, counting the
// frames it cannot use. When p completes a datagram, it decodes the
// datagram into p (the frame's link type kept) and reports true with the
// decoder's error.
func (s *Source) reassemble(p *decode.Packet) (bool, error) {
	if p.Truncated {
		if decode.MayCarryTCP(p.Proto) {
			s.sum.skip(reasonFragCut, 1)
		}
		return false, nil
	}
	whole, _, evictedTCP := s.defrag.Add(p)
	s.sum.skip(reasonFragEvicted, uint64(evictedTCP))
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

// notAnalysed counts the packet p, which the analysis did not take, under
// the reason it was not, when it may have carried TCP; err is what the
// decoder returned for it.
func (s *Source) notAnalysed(p *decode.Packet, err error) {
	switch {
	case err != nil:
		s.sum.skipErr(err)
	case cutTCP(p) || (p.IPVersion != 0 && p.Proto == decode.ProtoTCP && !p.Fragment && len(p.TCP) < 4):
		s.sum.skip(reasonTCPCut, 1)
	}
}

// cutTCP reports whether p is a TCP segment whose header the capture cut
// after its ports but before its window.
func cutTCP(p *decode.Packet) bool {
	return p.IPVersion != 0 && p.Proto == decode.ProtoTCP && !p.Fragment && len(p.TCP) >= 4 && len(p.TCP) < 16
}
