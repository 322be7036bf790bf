package listing

import (
	"github.com/tcplab/tcplab/internal/decode"
)

// FrameDecoder decodes capture records as Run does, so that every reader
// of a capture (the listing, the ladder, the walk-through, the report)
// analyses the same frames and skips the same ones: each frame is decoded
// with its length on the wire (decode.DecodeWire), IP fragments are
// reassembled, and the frames that may carry TCP but are not analysed
// are counted in Summary by reason.
//
// Per record, call Decode; when it reports a packet ready, hand it to the
// analyser, and when the analyser does not take it, call NotAnalysed.
// After the last record call Finish.
type FrameDecoder struct {
	// Summary receives the counts of the frames not analysed; it must
	// not be nil.
	Summary *Summary
	defrag  decode.Reassembler
}

// Decode decodes one record into p. It reports false when the record is
// an IP fragment held for reassembly (or one that cannot be used, already
// counted): there is nothing to analyse yet. Otherwise p holds the frame,
// or the whole datagram the fragment completed (with the frame's link
// type), and err is the decoder's error, which NotAnalysed needs.
func (d *FrameDecoder) Decode(link decode.LinkType, data []byte, wireLen int, p *decode.Packet) (ready bool, err error) {
	err = decode.DecodeWire(link, data, wireLen, p)
	if p.Fragment && err == nil && decode.Reassembles(p) {
		return reassemble(&d.defrag, p, d.Summary)
	}
	return true, err
}

// NotAnalysed counts the packet p, which the analyser did not take, under
// the reason it was not, when it may have carried TCP; err is what Decode
// returned for it.
func (d *FrameDecoder) NotAnalysed(p *decode.Packet, err error) {
	switch {
	case err != nil:
		d.Summary.skipErr(err)
	case cutTCP(p) || (p.IPVersion != 0 && p.Proto == decode.ProtoTCP && !p.Fragment && len(p.TCP) < 4):
		d.Summary.skip(reasonTCPCut, 1)
	}
}

// Finish counts the fragments of the datagrams never completed. Call it
// once, after the last record.
func (d *FrameDecoder) Finish() {
	_, pendingTCP := d.defrag.Frames()
	d.Summary.skip(reasonFragIncomplete, uint64(pendingTCP))
}
