package tcpanalysis

import (
	"encoding/binary"

	"github.com/tcplab/tcplab/internal/decode"
)

// Option kinds of the SCPS transport protocol (CCSDS 714.0-B-2), which
// Wireshark 4.0 dissects with state kept per flow.
const (
	OptSCPS  = 20 // SCPS capabilities (section 3.2.3) or extended capabilities (3.2.5)
	OptSNACK = 21 // selective negative acknowledgement (section 3.5)
)

// How Wireshark's dissection of a segment's options ends.
const (
	optsOK        = iota // no exception
	optsCut              // it read past the bytes captured ("[Packet size limited during capture]")
	optsMalformed        // it read past an option's own length ("[Malformed Packet]")
	optsBogus            // it stopped at a data offset below 5 words, before the options
)

// walkOptions walks the options of a segment that are not in one of the
// common layouts as Wireshark 4.0's dissectors read them: opts are the
// bytes captured of the n the header announces, ack is the segment's
// acknowledgement number as Wireshark's tcph holds it (relative with the
// ACK flag, raw without). It reads the window scale and SCPS capabilities
// into fwd, and returns how the dissection ends and, when it throws on a
// malformed option, that option's offset.
func walkOptions(opts []byte, n int, fwd *flow, ack uint32) (end, at int) {
	for off := 0; off < n; {
		if off >= len(opts) {
			return optsCut, off // the next kind byte was not captured
		}
		kind := opts[off]
		if kind == decode.OptEOL {
			// The rest is padding, which Wireshark shows whole.
			if n > len(opts) {
				return optsCut, off
			}
			return optsOK, 0
		}
		if kind == decode.OptNOP {
			off++
			continue
		}
		if off+1 >= len(opts) {
			return optsCut, off
		}
		l := int(opts[off+1])
		if l < 2 || off+l > n {
			return optsOK, off // Wireshark stops the walk without reading on
		}
		o := decode.Option{Kind: kind, Len: l, Data: opts[off+2 : min(off+l, len(opts))]}
		if kind == decode.OptSACK {
			fwd.storeSACK(o.Data, l-2)
		}
		// Wireshark reads r bytes, then throws on a malformed option
		// (reading past its length); a read of bytes not captured
		// before that stops it with the snap length note.
		switch r, malformed := OptionReads(&o, fwd.scpsCapable, ack); {
		case r > 2+len(o.Data):
			return optsCut, off
		case malformed:
			return optsMalformed, off
		}
		switch {
		case kind == decode.OptWS && l == 3:
			fwd.winScale = int16(min(o.Data[0], 14))
		case kind == OptSCPS && l == 4:
			fwd.scpsCapable = true
		}
		off += l
	}
	return optsOK, 0
}

// OptionReads returns how many bytes of option o, from its kind byte,
// Wireshark 4.0's dissector reads before it ends or throws, and whether
// it then throws on a malformed option (reading past the option's own
// length). o.Len is the length the option announces; o.Data may hold
// fewer bytes when the capture cut the option. scpsCapable is true when
// the flow has offered SCPS capabilities; ack is as for walkOptions.
//
// The malformed options: a SNACK option of its proper length 6 (the
// dissector reads the segment's acknowledgement number at offset 8 of
// the option), a SACK option without a whole block when ack is at most
// 2^31 (the D-SACK check reads the first block), and SCPS extended
// capabilities whose binding spaces run past the option.
func OptionReads(o *decode.Option, scpsCapable bool, ack uint32) (n int, malformed bool) {
	l := o.Len
	switch o.Kind {
	case decode.OptMSS, 28: // MSS, user timeout
		if l == 4 {
			return 4, false
		}
	case decode.OptWS:
		if l == 3 {
			return 3, false
		}
	case decode.OptSACKPerm:
		return 2, false
	case decode.OptSACK:
		// The blocks whole; of a partial block, its left edge, or the
		// bytes an expert item for a 1 to 3 byte remainder spans.
		n = 2 + (l-2)/8*8
		switch rem := (l - 2) % 8; {
		case rem >= 4:
			n += 4
		case rem > 0:
			n += rem
		}
		return n, l < 10 && int32(ack) >= 0
	case 6, 7, 11, 12, 13: // echo, echo reply, CC, CC.NEW, CC.ECHO
		if l == 6 {
			return 6, false
		}
	case decode.OptTimestamp:
		if l == 10 {
			return 10, false
		}
	case 19: // MD5
		if l == 18 {
			return 18, false
		}
	case OptSCPS:
		if l == 4 {
			return 4, false
		}
		if scpsCapable {
			b := SCPSBindings{Buf: o.Data, Len: l - 2}
			for b.Next() {
			}
			return 2 + b.Read(), b.Malformed
		}
	case OptSNACK:
		if l == 6 {
			return 6, true
		}
	case 27: // Quick-Start
		if l == 8 {
			return 4, false
		}
	case 29: // TCP-AO
		if l >= 4 {
			return l, false
		}
	case OptAccECN0, OptAccECN1:
		if (l-2)%3 == 0 && l <= 11 {
			return l, false
		}
	case 253, 254:
		// An AccECN ExID of a length the dissector does not take: the
		// ExID only.
		if l >= 4 && len(o.Data) >= 2 && o.Data[0] == ExIDAccECN0>>8 && o.Data[1]&^1 == ExIDAccECN0&0xff && ((l-4)%3 != 0 || l > 13) {
			return 4, false
		}
		return l, false
	default:
		// Fast Open, experimental and unknown options show their data
		// whole; MPTCP and the rest read at most that much.
		return l, false
	}
	return 2, false
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
// in its options, cut by the snap length (OptionsTruncated) or throwing
// on a malformed option (OptionsMalformed), or before them at a bogus
// header length (BogusHeaderLen): it then shows none of the
// segment's analysis, and its taps (the conversation table, follow) do
// not see the segment.
func (r *Result) Stopped() bool { return r.OptionsTruncated || r.OptionsMalformed || r.BogusHeaderLen }

// storeSACK keeps the sizes of the SACK blocks in data, an option's
// captured bytes after its kind and length, of which n belong to the
// option: each whole block up to the third, as Wireshark's SACK
// dissection stores them for bytes in flight (it stores a block once it
// has read both edges, and stops where the capture ends).
func (f *flow) storeSACK(data []byte, n int) {
	for k := 0; 8*(k+1) <= n && 8*(k+1) <= len(data) && k < len(f.sack); k++ {
		b := data[8*k:]
		f.sack[k] = binary.BigEndian.Uint32(b[4:]) - binary.BigEndian.Uint32(b)
		f.sackN = uint8(k + 1)
	}
}
