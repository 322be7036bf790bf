package tcpanalysis

import (
	"encoding/binary"

	"github.com/tcplab/tcplab/internal/decode"
)

// The options of Riverbed's WAN optimisers: a probe for a peer, and the
// transparency option.
const (
	OptRiverbedProbe = 76
	OptRiverbedTRPY  = 78
)

// OptMPTCP is the Multipath TCP option (RFC 8684).
const OptMPTCP = 30

// Option kinds of the SCPS transport protocol (CCSDS 714.0-B-2), which
// Wireshark 4.0 dissects with state kept per flow.
const (
	OptSCPS  = 20 // SCPS capabilities (section 3.2.3) or extended capabilities (3.2.5)
	OptSNACK = 21 // selective negative acknowledgement (section 3.5)
)

// OptionsEnd is how Wireshark 4.0's dissection of a segment's options
// ends: without an exception, or with the one its first read of bytes
// the frame does not hold throws. Which one depends on where those bytes
// lie: past the capture but inside the IP payload, the snap length cut
// them; past the IP payload (or, inside one option, past the option's own
// length) the packet is malformed.
type OptionsEnd uint8

const (
	// OptionsOK: no exception.
	OptionsOK OptionsEnd = iota
	// OptionsCut: a read past the bytes captured ("[Packet size limited
	// during capture]").
	OptionsCut
	// OptionsContained: an option's dissector read past the IP payload,
	// within the option's length ("[Malformed Packet: length of
	// contained item exceeds length of containing item]").
	OptionsContained
	// OptionsMalformed: a read past the IP payload outside an option, or
	// past an option's own length ("[Malformed Packet]").
	OptionsMalformed
	// OptionsBogus: the data offset is below 5 words; Wireshark stops
	// before the options.
	OptionsBogus
)

// optWalk holds what a walk of a segment's options sees: the options'
// bytes captured, how many the header announces, and how many of the IP
// payload follow the fixed header (which may be fewer than announced).
type optWalk struct {
	opts     []byte
	n        int    // the options' length the header announces
	reported int    // bytes of the IP payload after the fixed header
	ack      uint32 // the acknowledgement number as Wireshark's tcph holds it (relative with the ACK flag, raw without)
	sackBase uint32 // what Wireshark subtracts from SACK edges
	sack     segmentSACK
}

// segmentSACK holds the SACK blocks Wireshark has read in a segment's
// options so far (its tcph's), for the D-SACK check after each SACK
// option: the number of blocks and the first two, relative.
type segmentSACK struct {
	n        int
	re0      uint32
	le1, re1 uint32
}

// add records the whole blocks in d, a SACK option's data.
func (s *segmentSACK) add(d []byte, base uint32) {
	for ; len(d) >= 8; d = d[8:] {
		le, re := binary.BigEndian.Uint32(d)-base, binary.BigEndian.Uint32(d[4:])-base
		switch s.n {
		case 0:
			s.re0 = re
		case 1:
			s.le1, s.re1 = le, re
		}
		s.n++
	}
}

// dsack reports whether Wireshark's D-SACK check (RFC 2883 section 4)
// holds after a SACK option, which then reads the option's first block:
// the segment's first block at or below the acknowledgement number, or
// inside the second block. Without blocks read, the first is zero.
func (s *segmentSACK) dsack(ack uint32) bool {
	return int32(s.re0-ack) < 1 || s.n > 1 && int32(s.le1-s.re0) < 0 && int32(s.re0-s.re1) < 1
}

// read classifies a read of bytes [a, b) of the header (from the
// options' start), as Wireshark's buffer checks do: by where it ends.
func (w *optWalk) read(_, b int) OptionsEnd {
	switch {
	case b <= len(w.opts):
		return OptionsOK
	case b <= w.reported:
		return OptionsCut
	}
	return OptionsMalformed
}

// readIn classifies a read of bytes [a, b) of the option of length l at
// off, by its dissector: the option's own buffer holds the bytes
// captured and reports its length, and bytes past the IP payload but
// inside the option are "contained" ones. (Wireshark checks a read's
// start first when it adds an item, but no dissector here reads past
// bytes it has not read.)
func (w *optWalk) readIn(off, l, _, b int) OptionsEnd {
	switch {
	case b <= min(l, len(w.opts)-off):
		return OptionsOK
	case b <= min(l, w.reported-off):
		return OptionsCut
	case b <= l:
		return OptionsContained
	}
	return OptionsMalformed
}

// optionStop is where and how the dissection of a segment's options
// ended: at offset At (from the options' start) of the option or byte
// it threw on; Overrun when it threw reading past that option's own
// length.
type optionStop struct {
	End     OptionsEnd
	At      int
	Overrun bool
}

// walkOptions walks the options of a segment that are not in one of the
// common layouts as Wireshark 4.0's dissection reads them, with the
// options' bytes, length, reported bytes and the segment's numbers in w.
// It reads the window scale, SACK blocks and SCPS capabilities into fwd
// up to where the dissection ends.
func walkOptions(w *optWalk, fwd *flow) optionStop {
	for off := 0; off < w.n; {
		if e := w.read(off, off+1); e != OptionsOK {
			return optionStop{End: e, At: off}
		}
		kind := w.opts[off]
		switch kind {
		case decode.OptEOL:
			// Wireshark reads the padding after it byte by byte, up
			// to a byte that is not zero, where it adds an item over
			// the rest ("Non-zero header padding").
			for i := off + 1; i < w.n; i++ {
				e := w.read(i, i+1)
				if e == OptionsOK && w.opts[i] != 0 {
					e = w.read(i, w.n)
				}
				if e != OptionsOK || w.opts[i] != 0 {
					return optionStop{End: e, At: off}
				}
			}
			return optionStop{}
		case decode.OptNOP:
			off++
			continue
		}
		if off+1 == w.n {
			return optionStop{} // "length byte past end of options"
		}
		if e := w.read(off+1, off+2); e != OptionsOK {
			return optionStop{End: e, At: off}
		}
		l := int(w.opts[off+1])
		if l < 2 {
			return optionStop{} // "too-short option length"
		}
		if off+l > w.n {
			// "says option goes past end of options", an item over the
			// rest of the options but the two bytes read.
			return optionStop{End: w.read(off, w.n-2), At: off}
		}
		o := decode.Option{Kind: kind, Len: l, Data: w.opts[off+2 : min(off+l, len(w.opts))]}
		dsack := false
		if kind == decode.OptSACK {
			fwd.storeSACK(o.Data, l-2)
			dsack = l < 10 && w.sack.dsack(w.ack)
		}
		for _, r := range optionReads(&o, fwd.scpsCapable, dsack) {
			e := w.readIn(off, l, r.a, r.b)
			if r.header {
				e = w.read(off+r.a, off+r.b)
			}
			if e != OptionsOK {
				return optionStop{End: e, At: off, Overrun: !r.header && r.b > l}
			}
		}
		switch {
		case kind == decode.OptSACK:
			w.sack.add(o.Data, w.sackBase)
		case kind == decode.OptWS && l == 3:
			fwd.winScale = int16(min(o.Data[0], 14))
		case kind == OptSCPS && l == 4:
			fwd.scpsCapable = true
		}
		off += l
	}
	return optionStop{}
}

// optRead is a read of an option's bytes [a, b) by its dissector, in
// the option's own buffer or, for header, in the TCP header's.
type optRead struct {
	a, b   int
	header bool
}

// Reads shared by several dissectors.
var (
	readsNone = []optRead{}
	reads16   = []optRead{{2, 4, false}}
	reads32   = []optRead{{2, 6, false}}
)

// fixedOptionLen holds the lengths of the options Wireshark 4.0 gives a
// fixed length.
var fixedOptionLen = map[byte]int{
	decode.OptMSS: 4, decode.OptWS: 3, decode.OptSACKPerm: 2, 6: 6, 7: 6,
	decode.OptTimestamp: 10, 11: 6, 12: 6, 13: 6, 19: 18, 21: 6, 22: 2, 23: 2, 27: 8, 28: 4,
}

// optionReads returns the reads, after the kind and length bytes, of
// Wireshark 4.0's dissector of option o (o.Len the length it announces,
// o.Data the bytes captured), in order. scpsCapable is true when
// the flow has offered SCPS capabilities; dsack when a SACK option
// shorter than a block gets the D-SACK check.
//
// Reads past the option's own length make the packet malformed: a
// SNACK option of its proper length 6 reads the segment's acknowledgement
// number at offset 8 of the option, a SACK option without a whole block
// reads the first block for the D-SACK check, SCPS extended capabilities may run past their option.
func optionReads(o *decode.Option, scpsCapable, dsack bool) []optRead {
	l := o.Len
	if want, ok := fixedOptionLen[o.Kind]; ok && l != want {
		// A fixed-length option of another length: the dissector
		// reports the length and reads nothing more.
		return readsNone
	}
	switch o.Kind {
	case decode.OptMSS, 28: // MSS, user timeout
		return reads16
	case decode.OptWS:
		return []optRead{{2, 3, false}}
	case decode.OptSACKPerm, 22, 23: // SACK permitted, SCPS record boundary, corruption experienced
		return readsNone
	case decode.OptSACK:
		return sackReads(l, dsack)
	case 6, 7, 11, 12, 13: // echo, echo reply, CC, CC.NEW, CC.ECHO
		return reads32
	case decode.OptTimestamp:
		return []optRead{{2, 6, false}, {6, 10, false}}
	case OptSCPS:
		if l == 4 {
			return []optRead{{2, 3, false}, {3, 4, false}}
		}
		if scpsCapable {
			return scpsReads(o)
		}
		return readsNone // "Illegal SCPS Extended Capabilities"
	case OptSNACK:
		return []optRead{{2, 4, false}, {4, 6, false}, {8, 12, false}}
	case 27: // Quick-Start
		return []optRead{{2, 3, false}, {3, 4, false}}
	case OptAccECN0, OptAccECN1:
		if (l-2)%3 != 0 || l > 11 {
			return readsNone // the length reported, nothing read
		}
		reads := make([]optRead, 0, 3)
		for a := 2; a < l; a += 3 {
			reads = append(reads, optRead{a, a + 3, false})
		}
		return reads
	case OptMPTCP:
		// MPTCP's dissector is off in the comparison, with every
		// protocol above TCP.
		return readsNone
	case OptRiverbedProbe:
		switch {
		case l < 3:
			return readsNone
		case len(o.Data) == 0:
			return []optRead{{2, 3, false}} // the version and type byte, not captured
		}
		return probeReads(o.Data[0])
	case OptRiverbedTRPY:
		if l != 16 {
			return readsNone
		}
		// Options, then the proxies' addresses and ports.
		return []optRead{{2, 4, false}, {4, 8, false}, {8, 12, false}, {12, 14, false}, {14, 16, false}}
	case 29: // TCP-AO: key IDs, then the MAC
		if l < 4 {
			return readsNone
		}
		return []optRead{{2, 3, false}, {3, 4, false}, {4, l, false}}
	case 253, 254:
		switch {
		case l < 4:
			return readsNone // shorter than an ExID
		case len(o.Data) >= 2 && o.Data[0] == ExIDAccECN0>>8 && o.Data[1]&^1 == ExIDAccECN0&0xff:
			if (l-4)%3 != 0 || l > 13 {
				// An AccECN ExID of a length the dissector does
				// not take: the ExID only.
				return reads16
			}
			reads := []optRead{{2, 4, false}}
			for a := 4; a < l; a += 3 {
				reads = append(reads, optRead{a, a + 3, false})
			}
			return reads
		}
		return []optRead{{2, 4, false}, {4, l, false}}
	}
	// Fast Open, TCP-AO, experimental and unknown options: their data
	// whole.
	return []optRead{{2, l, false}}
}

// sackReads returns the reads of a SACK option of length l: each block's
// edges, of a partial block its left edge or the bytes an expert item for
// a 1 to 3 byte remainder spans; then, when dsack, the first block for
// the D-SACK check (past the option when it holds no whole block).
func sackReads(l int, dsack bool) []optRead {
	var reads []optRead
	a := 2
	for ; a+8 <= l; a += 8 {
		reads = append(reads, optRead{a, a + 4, false}, optRead{a + 4, a + 8, false})
	}
	switch rem := l - a; {
	case rem >= 4:
		reads = append(reads, optRead{a, a + 4, false})
	case rem > 0:
		reads = append(reads, optRead{a, l, false})
	}
	if dsack {
		reads = append(reads, optRead{2, 10, false})
	}
	return reads
}

// scpsReads returns the reads of SCPS extended capabilities: each
// binding space's identifier, its length byte, then its data.
func scpsReads(o *decode.Option) []optRead {
	var reads []optRead
	for off := 2; off < o.Len; {
		reads = append(reads, optRead{off, off + 1, false}, optRead{off + 1, off + 2, false})
		if off+2 > 2+len(o.Data) || off+2 > o.Len {
			break
		}
		end := off + 2 + int(o.Data[off-1]>>4)*2
		reads = append(reads, optRead{off + 2, end, false})
		off = end
	}
	return reads
}

// probeReads returns the reads of Wireshark 4.0's dissector of a
// Riverbed probe option after its version and type byte v: version 1
// (the low bit set) keeps the type in the high nibble, version 2 in the
// bits above the low one.
func probeReads(v byte) []optRead {
	head := []optRead{{2, 3, false}, {3, 4, false}, {4, 8, false}}
	if v&1 == 1 {
		switch v >> 4 {
		case 2: // internal
			return head[:1]
		case 0, 3, 4: // query, trace, query SH: the application version
			return append(head, optRead{8, 10, false})
		case 1: // response: the proxy's address and port
			return append(head, optRead{8, 12, false}, optRead{12, 14, false})
		case 5: // response SH: the client, the proxy, its port
			return append(head, optRead{8, 12, false}, optRead{12, 16, false}, optRead{16, 18, false})
		case 6, 7, 8, 9, 10:
			return head
		}
		return head[:1] // an unknown type
	}
	switch v >> 1 {
	case 6, 7, 10: // query and response info: their flags
		return head[:2]
	case 8, 9: // query info SH and SID: flags, then an address or store ID
		return head
	}
	return head[:1]
}

// RiverbedProbePrefix returns what tshark 4.0 puts before the ports in
// Info for a Riverbed probe option dissected whole, d being its data
// after kind and length, in a segment with TCP flags. A query's prefix
// is deferred: tshark adds it after the options, so only when their
// dissection ends without an exception.
func RiverbedProbePrefix(d []byte, flags uint16) (prefix string, deferred bool) {
	if len(d) == 0 {
		return "", false
	}
	if v := d[0]; v&1 == 1 {
		switch v >> 4 {
		case 0, 4: // query, query SH
			return "S+, ", true
		case 3: // trace
			return "S#, ", true
		case 1, 5: // response, response SH
			return "SA+, ", false
		}
		return "", false
	}
	const synAck = decode.FlagSYN | decode.FlagACK
	if t := d[0] >> 1; (t == 6 || t == 8) && flags&synAck == synAck && len(d) >= 2 && d[1]&1 == 1 {
		return "SA++, ", false // the last probe's notification
	}
	return "", false
}

// SCPSBindings walks the binding spaces of SCPS extended capabilities
// as Wireshark 4.0 does: each is an identifier, a byte whose high nibble
// is the length of its data in 16-bit words, then the data. Wireshark
// shows each binding space it reads whole ("EXCAP=ID").
//
//	b := tcpanalysis.SCPSBindings{Buf: opt.Data, Len: opt.Len - 2}
//	for b.Next() { use(b.ID) }
//	if b.Malformed { ... }
type SCPSBindings struct {
	Buf []byte // the option's data captured, after kind and length
	Len int    // the length of the option's data (len(Buf) or more)
	ID  byte   // the binding space identifier Next found
	// Malformed is true when the walk ran past the option, where
	// Wireshark's dissection throws.
	Malformed bool
	off       int
	cut       bool
}

// Next advances to the next binding space, reporting false at the end of
// the option, where the capture cut it, or when the binding space runs
// past the option (then Malformed).
func (b *SCPSBindings) Next() bool {
	if b.off >= b.Len || b.Malformed || b.cut {
		return false
	}
	if !b.readTo(b.off + 2) {
		return false
	}
	id, end := b.Buf[b.off], b.off+2+int(b.Buf[b.off+1]>>4)*2
	if !b.readTo(end) {
		return false
	}
	b.ID, b.off = id, end
	return true
}

// readTo reports whether Wireshark reads the data up to end without
// throwing, and records why it throws.
func (b *SCPSBindings) readTo(end int) bool {
	switch {
	case end > b.Len:
		b.Malformed = true
	case end > len(b.Buf):
		b.cut = true
	default:
		return true
	}
	return false
}

// Read returns how many bytes of the data the walk has read: all the
// captured ones when the capture stopped it.
func (b *SCPSBindings) Read() int {
	if b.cut {
		return len(b.Buf) + 1
	}
	return b.off
}

// Stopped reports whether Wireshark's dissection of the segment stopped
// before its end: in its options, cut by the snap length or malformed,
// or before them at a bogus header length. Wireshark then shows none of
// the segment's analysis, and its taps (the conversation table, follow)
// do not see the segment.
func (r *Result) Stopped() bool { return r.OptionsEnd != OptionsOK }

// storeSACK keeps the sizes of the SACK blocks in data, an option's
// captured bytes after its kind and length, of which n belong to the
// option: each whole block up to the third, as Wireshark's SACK
// dissection stores them for bytes in flight (it stores a block once it
// has read both edges, and stops where the capture ends). A second SACK
// option in a segment counts from the first slot again: the flow keeps
// the last option's count.
func (f *flow) storeSACK(data []byte, n int) {
	f.sackN = 0 // each SACK option's blocks replace those before it
	for k := 0; 8*(k+1) <= n && 8*(k+1) <= len(data) && k < len(f.sack); k++ {
		b := data[8*k:]
		f.sack[k] = binary.BigEndian.Uint32(b[4:]) - binary.BigEndian.Uint32(b)
		f.sackN = uint8(k + 1)
	}
}
