package tcpanalysis

import "github.com/tcplab/tcplab/internal/decode"

// Option kinds of the SCPS transport protocol (CCSDS 714.0-B-2), which
// Wireshark 4.0 dissects with state kept per flow.
const (
	OptSCPS  = 20 // SCPS capabilities (section 3.2.3) or extended capabilities (3.2.5)
	OptSNACK = 21 // selective negative acknowledgement (section 3.5)
)

// walkOptions walks the options of a segment that are not in one of the
// common layouts: it reads the window scale and SCPS capabilities into
// fwd, and reports whether Wireshark's dissection of the options throws
// (OptionMalformed), where it stops reading them.
func walkOptions(opts []byte, fwd *flow) bool {
	it := decode.OptionIter{Buf: opts}
	for it.Next() {
		o := &it.Opt
		switch o.Kind {
		case decode.OptWS:
			if o.Len == 3 {
				fwd.winScale = int16(min(o.Data[0], 14))
			}
		case OptSCPS:
			if o.Len == 4 {
				fwd.scpsCapable = true
			}
		}
		if OptionMalformed(o, fwd.scpsCapable) {
			return true
		}
	}
	return false
}

// OptionMalformed reports whether Wireshark 4.0's dissection of option o
// throws, which ends the dissection of the segment: a SNACK option of
// its proper length 6 always does (the dissector reads the segment's
// acknowledgement number at offset 8 of the 6-byte option), and an SCPS
// option other than the 4-byte capabilities one does when scpsCapable
// (the flow offered SCPS capabilities, so it is read as extended
// capabilities) and its binding spaces run past the option.
func OptionMalformed(o *decode.Option, scpsCapable bool) bool {
	switch o.Kind {
	case OptSNACK:
		return o.Len == 6
	case OptSCPS:
		if o.Len != 4 && scpsCapable {
			b := SCPSBindings{Buf: o.Data}
			for b.Next() {
			}
			return b.Malformed
		}
	}
	return false
}

// SCPSBindings walks the binding spaces of SCPS extended capabilities
// as Wireshark 4.0 does: each is an identifier, a byte whose high nibble
// is the length of its data in 16-bit words, then the data. Wireshark
// shows each binding space whose data fits in the option ("EXCAP=ID").
//
//	b := tcpanalysis.SCPSBindings{Buf: opt.Data}
//	for b.Next() { use(b.ID) }
//	if b.Malformed { ... }
type SCPSBindings struct {
	Buf []byte // the option's data, after kind and length
	ID  byte   // the binding space identifier Next found
	// Malformed is true when the walk ran past the option, where
	// Wireshark's dissection throws.
	Malformed bool
	off       int
}

// Next advances to the next binding space, reporting false at the end of
// the option or when the binding space runs past it (then Malformed).
func (b *SCPSBindings) Next() bool {
	if b.off >= len(b.Buf) || b.Malformed {
		return false
	}
	if b.off+1 >= len(b.Buf) {
		b.Malformed = true
		return false
	}
	id := b.Buf[b.off]
	b.off += 2 + int(b.Buf[b.off+1]>>4)*2
	if b.off > len(b.Buf) {
		b.Malformed = true
		return false
	}
	b.ID = id
	return true
}

// Stopped reports whether Wireshark's dissection of the segment stopped
// in its options, cut by the snap length (OptionsTruncated) or throwing
// on a malformed option (OptionsMalformed): it then shows none of the
// segment's analysis, and its taps (the conversation table, follow) do
// not see the segment.
func (r *Result) Stopped() bool { return r.OptionsTruncated || r.OptionsMalformed }

// cutUnread reports whether options cut by the capture (opts, of the n
// bytes the header announces) lack only bytes that Wireshark 4.0 never
// reads: the last option is a Quick-Start option ending the header, whose
// dissector reads only its first 4 bytes (kind, length, function and
// rate, TTL difference), and those were captured.
func cutUnread(opts []byte, n int) bool {
	it := decode.OptionIter{Buf: opts}
	for it.Next() {
	}
	return it.Err != "" && it.Off+4 <= len(opts) && opts[it.Off] == 27 && opts[it.Off+1] == 8 && it.Off+8 == n
}
