package listing

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// arrow is the separator tshark puts between ports in the Info column and
// between the Source and Destination columns (U+2192).
const arrow = "\u2192"

// flagNames are tshark's names for the TCP flag bits, from bit 0 (FIN)
// up; bit 8 is the former NS bit, "AE" (accurate ECN) in tshark 4.0.
var flagNames = [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"}

// AppendFlags appends tshark's list of the flags set in flags, as inside
// the brackets of the Info column: "SYN, ACK", "<None>" when no flag is
// set, with ", Reserved" when a reserved bit is set.
func AppendFlags(dst []byte, flags uint16) []byte {
	start := len(dst)
	dst = AppendFlagNames(dst, flags, ", ")
	if flags&0x0e00 != 0 {
		if len(dst) > start {
			dst = append(dst, ", "...)
		}
		dst = append(dst, "Reserved"...)
	}
	if len(dst) == start {
		dst = append(dst, "<None>"...)
	}
	return dst
}

// AppendFlagNames appends the names of the flags set in flags, from FIN
// up, joined by sep ("SYN, ACK" with sep ", "); the reserved bits have no
// name, and nothing is appended when no named flag is set.
func AppendFlagNames(dst []byte, flags uint16, sep string) []byte {
	start := len(dst)
	for i, name := range flagNames {
		if flags&(1<<i) != 0 {
			if len(dst) > start {
				dst = append(dst, sep...)
			}
			dst = append(dst, name...)
		}
	}
	return dst
}

// flagText is the Info column's text for one value of the 12 flag bits,
// from the flags' opening bracket to "Seq=": " [SYN, ACK] Seq=". Texts
// longer than b (flags no real segment combines) are left empty: n
// holds their length and the writer formats them with AppendFlags.
type flagText struct {
	b [32]byte
	n uint8
}

// flagTexts returns the flagText of each value of the 12 flag bits. The
// table is built on first use behind an atomic pointer (callers racing
// to build it build the same one), which costs less per packet than
// sync.OnceValue's call.
func flagTexts() *[1 << 12]flagText {
	if t := flagTextTable.Load(); t != nil {
		return t
	}
	return buildFlagTexts()
}

// buildFlagTexts builds and publishes the table flagTexts returns.
func buildFlagTexts() *[1 << 12]flagText {
	t := new([1 << 12]flagText)
	var buf []byte
	for f := range t {
		buf = appendFlagText(buf[:0], uint16(f))
		t[f].n = uint8(len(buf))
		if len(buf) <= len(t[f].b) {
			copy(t[f].b[:], buf)
		}
	}
	flagTextTable.Store(t)
	return t
}

var flagTextTable atomic.Pointer[[1 << 12]flagText]

// appendFlagText appends the Info column's text for flags from the
// opening bracket to "Seq=".
func appendFlagText(dst []byte, flags uint16) []byte {
	return append(AppendFlags(append(dst, " ["...), flags), "] Seq="...)
}

// AppendInfo appends the Info column tshark prints for a TCP segment when
// no protocol above TCP is dissected: the expert labels, the ports, the
// flags, Seq/Ack/Win/Urg/Len and the options.
func AppendInfo(dst []byte, p *decode.Packet, r *tcpanalysis.Result) []byte {
	if r.Analysis != 0 && !r.Stopped() {
		dst = appendLabels(dst, r)
	}
	t := p.TCP
	if len(t) > 20 && t.HeaderLen() > 20 && hasTRPY(t.Options(), t.HeaderLen()-20, r) {
		dst = append(dst, "TRPY, "...)
	}
	tb := decimals()
	b := reserve(dst, lineRoom)
	i := len(dst)
	i = putSmall(b, i, tb, t.SrcPort())
	i = putLit(b, i, litArrow)
	i = putSmall(b, i, tb, t.DstPort())
	if ft := &flagTexts()[r.TCPFlags&0xfff]; int(ft.n) <= len(ft.b) && !r.ACE {
		*(*[32]byte)(b[i:]) = ft.b
		i += int(ft.n)
	} else if r.ACE {
		b = appendACEFlagText(b[:i], r.TCPFlags&0xfff)
		i = len(b)
		b = reserve(b, lineRoom)
	} else {
		b = appendFlagText(b[:i], r.TCPFlags&0xfff)
		i = len(b)
		b = reserve(b, lineRoom)
	}
	if v := r.Seq; v < 1<<16 {
		i = putSmall(b, i, tb, uint16(v))
	} else {
		i = put32(b, i, tb, v)
	}
	if r.TCPFlags&decode.FlagACK != 0 {
		i = putLit(b, i, litAck)
		if v := r.Ack; v < 1<<16 {
			i = putSmall(b, i, tb, uint16(v))
		} else {
			i = put32(b, i, tb, v)
		}
	}
	i = putLit(b, i, litWin)
	if v := r.Win; v < 1<<16 {
		i = putSmall(b, i, tb, uint16(v))
	} else {
		i = put32(b, i, tb, v)
	}
	if r.BogusHeaderLen {
		dst = append(b[:i], ", bogus TCP header length ("...)
		dst = appendUint(dst, uint64(t.HeaderLen()))
		return append(dst, ", must be at least 20)"...)
	}
	if r.HeaderCut {
		// tshark stopped reading at the checksum or urgent pointer.
		return append(b[:i], headerNote(p)...)
	}
	if r.TCPFlags&decode.FlagURG != 0 {
		i = putLit(b, i, litUrg)
		i = putSmall(b, i, tb, t.UrgentPointer())
	}
	if r.HaveLen {
		i = putLit(b, i, litLen)
		if v := r.Len; v < 1<<16 {
			i = putSmall(b, i, tb, uint16(v))
		} else {
			i = put32(b, i, tb, v)
		}
	}
	switch opts := t.Options(); {
	case tcpanalysis.TimestampOnly(opts):
		i = putTimestamp(b, i, tb, opts[4:])
		dst = b[:i]
	case tcpanalysis.LinuxSYNOptions(opts):
		// MSS, SACK_PERM, timestamp, NOP, window scale.
		i = putLit(b, i, litMSS)
		i = putSmall(b, i, tb, binary.BigEndian.Uint16(opts[2:]))
		i += copy(b[i:], " SACK_PERM")
		i = putTimestamp(b, i, tb, opts[8:])
		i = putLit(b, i, litWS)
		i = put32(b, i, tb, 1<<min(opts[19], 14))
		dst = b[:i]
	default:
		malformedAt := -1
		if r.OptionsMalformed {
			malformedAt = int(r.MalformedAt)
		}
		dst = appendOptionsSCPS(b[:i], opts, t.HeaderLen()-20, r.SACKBase, r.SCPSCapable, malformedAt)
	}
	if r.OptionsTruncated {
		// tshark's dissection stopped where the capture cut the
		// options, or where the IP payload ends before them.
		dst = appendCutSCPS(dst, t.Options())
		if p.SegmentLen < t.HeaderLen() {
			dst = append(dst, optionsNote(t.Options(), p.SegmentLen-20, t.HeaderLen()-20)...)
		} else {
			dst = append(dst, "[Packet size limited during capture]"...)
		}
	}
	return dst
}

// optRiverbedTRPY is the Riverbed transparency option, whose dissection
// makes tshark put "TRPY, " before the ports in Info.
const optRiverbedTRPY = 78

// hasTRPY reports whether tshark's walk of the options (opts as
// captured, n bytes announced) reaches a Riverbed transparency option: a
// kind and length read, the length at least 2 and within the options,
// before an EOL, an option running past the options or the capture, or
// the option its dissection throws on.
func hasTRPY(opts []byte, n int, r *tcpanalysis.Result) bool {
	if tcpanalysis.TimestampOnly(opts) || tcpanalysis.LinuxSYNOptions(opts) {
		return false // the common layouts hold none
	}
	for off := 0; off < n && off < len(opts); {
		if r.OptionsMalformed && off >= int(r.MalformedAt) {
			return false
		}
		switch opts[off] {
		case decode.OptEOL:
			return false
		case decode.OptNOP:
			off++
			continue
		}
		if off+1 >= len(opts) {
			return false
		}
		l := int(opts[off+1])
		if l < 2 || off+l > n {
			return false
		}
		if opts[off] == optRiverbedTRPY {
			return true
		}
		off += l
	}
	return false
}

// appendCutSCPS appends what tshark shows of an SCPS capabilities option
// that the capture (or the IP payload) cuts after its capabilities byte:
// it names the capabilities, then throws reading the connection ID.
func appendCutSCPS(dst, opts []byte) []byte {
	it := decode.OptionIter{Buf: opts}
	for it.Next() {
	}
	if it.Err == "" || it.Off+2 >= len(opts) || opts[it.Off] != tcpanalysis.OptSCPS || opts[it.Off+1] != 4 {
		return dst
	}
	return appendSCPS(dst, opts[it.Off+2], 0)
}

// putTimestamp writes the timestamp option's values, whose 8 bytes
// start d.
func putTimestamp(b []byte, i int, t *decimalTables, d []byte) int {
	i = putLit(b, i, litTSval)
	i = put32(b, i, t, binary.BigEndian.Uint32(d))
	i = putLit(b, i, litTSecr)
	return put32(b, i, t, binary.BigEndian.Uint32(d[4:]))
}

// appendLabels appends the expert labels of r, in tshark's order.
func appendLabels(dst []byte, r *tcpanalysis.Result) []byte {
	for _, f := range tcpanalysis.InfoOrder {
		if r.Analysis&f == 0 {
			continue
		}
		dst = append(dst, '[')
		dst = append(dst, f.Label()...)
		if f == tcpanalysis.DuplicateAck {
			dst = append(dst, ' ')
			dst = appendUint(dst, uint64(r.DupAckOf))
			dst = append(dst, '#')
			dst = appendUint(dst, uint64(r.DupAckNum))
		}
		dst = append(dst, "] "...)
	}
	return dst
}

// appendOptions appends the options tshark summarises in the Info column,
// in header order, for whole options of a flow that has sent no SCPS
// capabilities.
func appendOptions(dst, opts []byte, sackBase uint32) []byte {
	return appendOptionsSCPS(dst, opts, len(opts), sackBase, false, -1)
}

// appendOptionsSCPS appends the options tshark summarises in the Info
// column, in header order: opts are the options captured of the n bytes
// the header announces. Options with a length tshark rejects, and kinds
// it does not summarise, add nothing; the walk stops at an option that
// runs past the header, as tshark's does, and at malformedAt (-1: none),
// the offset of the option where tshark's dissection throws, with
// "[Malformed Packet]" (tcpanalysis.OptionReads). scpsCapable is true
// when the flow has sent SCPS capabilities before the segment.
func appendOptionsSCPS(dst, opts []byte, n int, sackBase uint32, scpsCapable bool, malformedAt int) []byte {
	it := decode.OptionIter{Buf: opts}
	for it.Next() {
		o := it.Opt
		d := o.Data
		switch o.Kind {
		case decode.OptMSS:
			if o.Len == 4 {
				dst = append(dst, " MSS="...)
				dst = appendUint(dst, uint64(binary.BigEndian.Uint16(d)))
			}
		case decode.OptWS:
			if o.Len == 3 {
				dst = append(dst, " WS="...)
				dst = appendUint(dst, 1<<min(d[0], 14))
			}
		case decode.OptSACKPerm:
			dst = append(dst, " SACK_PERM"...)
		case decode.OptSACK:
			dst = appendSACK(dst, d, sackBase)
		case decode.OptTimestamp:
			if o.Len == 10 {
				dst = append(dst, " TSval="...)
				dst = appendUint(dst, uint64(binary.BigEndian.Uint32(d)))
				dst = append(dst, " TSecr="...)
				dst = appendUint(dst, uint64(binary.BigEndian.Uint32(d[4:])))
			}
		case 6, 7: // echo and echo reply (RFC 1072)
			if o.Len == 6 {
				dst = append(dst, " ECHO="...)
				dst = appendUint(dst, uint64(binary.BigEndian.Uint32(d)))
			}
		case 11, 12, 13: // CC, CC.NEW, CC.ECHO (RFC 1644)
			if o.Len == 6 {
				dst = append(dst, " CC="...)
				dst = appendUint(dst, uint64(binary.BigEndian.Uint32(d)))
			}
		case 19: // MD5 signature (RFC 2385), of any length
			dst = append(dst, " MD5"...)
		case tcpanalysis.OptSCPS:
			if o.Len == 4 {
				scpsCapable = true
				dst = appendSCPS(dst, d[0], d[1])
			} else if scpsCapable {
				dst = appendEXCAP(dst, d, len(d))
			}
		case 27: // Quick-Start (RFC 4782)
			if o.Len == 8 {
				dst = appendQS(dst, d[0])
			}
		case 28: // user timeout (RFC 5482)
			if o.Len == 4 {
				dst = append(dst, " USER_TO="...)
				dst = appendUint(dst, uint64(binary.BigEndian.Uint16(d)&0x7fff))
			}
		case 29: // TCP-AO (RFC 5925): tshark appends it without a space
			dst = append(dst, "TCP AO"...)
		case 34: // TCP Fast Open (RFC 7413)
			dst = appendTFO(dst, o.Len)
		case tcpanalysis.OptAccECN0, tcpanalysis.OptAccECN1:
			dst = appendAccECN(dst, o.Kind == tcpanalysis.OptAccECN1, d)
		case 253, 254: // experimental (RFC 6994), with a 16-bit ExID
			if len(d) >= 2 {
				switch exid := binary.BigEndian.Uint16(d); exid {
				case 0xf989: // Fast Open before its kind was assigned
					dst = appendTFO(dst, o.Len-2)
				case tcpanalysis.ExIDAccECN0, tcpanalysis.ExIDAccECN1: // AccECN before its kinds were assigned
					dst = appendAccECN(dst, exid == tcpanalysis.ExIDAccECN1, d[2:])
				default:
					dst = append(dst, " ExID="...)
					dst = appendHexUpper(dst, exid)
				}
			}
		}
		if it.Off == malformedAt {
			return append(dst, malformed...)
		}
	}
	if it.Err != "" && it.Off+1 < len(opts) && opts[it.Off+1] >= 2 && it.Off+int(opts[it.Off+1]) <= n {
		// The capture cut this option.
		dst = appendCutOption(dst, opts[it.Off:], sackBase, scpsCapable)
		if it.Off == malformedAt {
			dst = append(dst, malformed...)
		}
	}
	return dst
}

// appendCutOption appends what tshark summarises of an option the
// capture cut, o being the bytes captured from its kind: what the
// dissectors append to Info before they read the bytes missing (TCP-AO,
// MD5 and SACK_PERM: their name; SACK and AccECN: the blocks or counters
// captured whole;
// Quick-Start: the rate, once its byte is captured; SCPS extended
// capabilities: the binding spaces captured whole).
func appendCutOption(dst, o []byte, sackBase uint32, scpsCapable bool) []byte {
	l, d := int(o[1]), o[2:]
	switch o[0] {
	case decode.OptSACK:
		dst = appendSACK(dst, d, sackBase)
	case 19:
		dst = append(dst, " MD5"...)
	case tcpanalysis.OptSCPS:
		if l != 4 && scpsCapable {
			dst = appendEXCAP(dst, d, l-2)
		}
	case 27:
		if l == 8 && len(d) >= 1 {
			dst = appendQS(dst, d[0])
		}
	case 29:
		dst = append(dst, "TCP AO"...)
	case tcpanalysis.OptAccECN0, tcpanalysis.OptAccECN1:
		if (l-2)%3 == 0 && l <= 11 && len(d) >= 3 {
			dst = appendAccECN(dst, o[0] == tcpanalysis.OptAccECN1, d[:len(d)/3*3])
		}
	case 253, 254:
		if len(d) >= 5 && (l-4)%3 == 0 && l <= 13 {
			if x := binary.BigEndian.Uint16(d); x == tcpanalysis.ExIDAccECN0 || x == tcpanalysis.ExIDAccECN1 {
				dst = appendAccECN(dst, x == tcpanalysis.ExIDAccECN1, d[2:2+(len(d)-2)/3*3])
			}
		}
	case decode.OptSACKPerm:
		dst = append(dst, " SACK_PERM"...)
	}
	return dst
}

// appendSACK appends the SACK blocks whole in d, relative to sackBase.
func appendSACK(dst, d []byte, sackBase uint32) []byte {
	for ; len(d) >= 8; d = d[8:] {
		dst = append(dst, " SLE="...)
		dst = appendUint(dst, uint64(binary.BigEndian.Uint32(d)-sackBase))
		dst = append(dst, " SRE="...)
		dst = appendUint(dst, uint64(binary.BigEndian.Uint32(d[4:])-sackBase))
	}
	return dst
}

// appendEXCAP appends the binding spaces of SCPS extended capabilities
// that tshark reads whole, d being the data captured of the n bytes the
// option holds after its kind and length.
func appendEXCAP(dst, d []byte, n int) []byte {
	bs := tcpanalysis.SCPSBindings{Buf: d, Len: n}
	for bs.Next() {
		dst = append(dst, " EXCAP="...)
		dst = appendUint(dst, uint64(bs.ID))
	}
	return dst
}

// appendQS appends tshark's summary of a Quick-Start option whose
// function and rate byte is fr.
func appendQS(dst []byte, fr byte) []byte {
	return append(append(dst, " QSresp="...), qsRates[fr&0x0f]...)
}

// malformed is what tshark appends to Info when a dissector throws on a
// malformed packet.
const malformed = "[Malformed Packet]"

// qsRates are tshark's texts for the rate nibble of a Quick-Start option:
// 40 kbit/s times two to the power of the nibble (RFC 4782 section
// 4.1), 0 for 0. tshark shows it for the function nibble's every value,
// as "QSresp".
var qsRates = [16]string{
	"0 bit/s", "80 Kbit/s", "160 Kbit/s", "320 Kbit/s", "640 Kbit/s",
	"1.28 Mbit/s", "2.56 Mbit/s", "5.12 Mbit/s", "10.24 Mbit/s", "20.48 Mbit/s",
	"40.96 Mbit/s", "81.92 Mbit/s", "163.84 Mbit/s", "327.68 Mbit/s", "655.36 Mbit/s",
	"1.31072 Gbit/s",
}

// scpsCapabilities are tshark's names for the bits of the SCPS
// capabilities vector, from the high bit down; the three low bits share
// one name.
var scpsCapabilities = [...]struct {
	mask byte
	name string
}{
	{0x80, "BETS"}, {0x40, "SNACK1"}, {0x20, "SNACK2"}, {0x10, "COMP"}, {0x08, "NLTS"}, {0x07, "RESERVED"},
}

// appendSCPS appends tshark's summary of an SCPS capabilities option:
// the names of the capability bits set, in brackets, then the connection
// ID unless it is 0.
func appendSCPS(dst []byte, vector, connID byte) []byte {
	if vector != 0 {
		dst = append(dst, " SCPS["...)
		first := true
		for _, c := range scpsCapabilities {
			if vector&c.mask == 0 {
				continue
			}
			if !first {
				dst = append(dst, ", "...)
			}
			first = false
			dst = append(dst, c.name...)
		}
		dst = append(dst, ']')
	}
	if connID != 0 {
		dst = append(dst, " Connection ID="...)
		dst = appendUint(dst, uint64(connID))
	}
	return dst
}

// appendAccECN appends tshark's summary of an AccECN option whose data
// after the kind and length (and ExID) is d: its name when it holds no
// counter, its 24-bit counters when it holds one, two or three of them
// (order 1 starts with EE1B), nothing for any other length.
func appendAccECN(dst []byte, order1 bool, d []byte) []byte {
	names := &accECNNames[0]
	if order1 {
		names = &accECNNames[1]
	}
	switch len(d) {
	case 0:
		return append(dst, " AccECN"...)
	case 3, 6, 9:
		for i := 0; i < len(d); i += 3 {
			dst = append(dst, names[i/3]...)
			dst = appendUint(dst, uint64(d[i])<<16|uint64(d[i+1])<<8|uint64(d[i+2]))
		}
	}
	return dst
}

// accECNNames are the labels of the AccECN options' counters, in the
// order of kind 172 (order 0) and of kind 174 (order 1).
var accECNNames = [2][3]string{{" EE0B=", " ECEB=", " EE1B="}, {" EE1B=", " ECEB=", " EE0B="}}

// appendHexUpper appends v in upper-case hexadecimal without leading
// zeros, as tshark prints an experimental option's ExID.
func appendHexUpper(dst []byte, v uint16) []byte {
	const digits = "0123456789ABCDEF"
	started := false
	for shift := 12; shift >= 0; shift -= 4 {
		n := v >> uint(shift) & 0xf
		if n != 0 || started || shift == 0 {
			started = true
			dst = append(dst, digits[n])
		}
	}
	return dst
}

// appendTFO appends tshark's summary of a Fast Open option of length n:
// a cookie request when it holds no cookie, a cookie otherwise.
func appendTFO(dst []byte, n int) []byte {
	if n == 2 {
		return append(dst, " TFO=R"...)
	}
	return append(dst, " TFO=C"...)
}

// AppendCutInfo appends the Info column tshark prints for a TCP header
// with fewer than 16 bytes (but its ports) in the frame: the ports, then
// the snap length note, or the malformed packet note when the IP payload
// itself is that short.
func AppendCutInfo(dst []byte, p *decode.Packet) []byte {
	t := p.TCP
	dst = appendUint(dst, uint64(binary.BigEndian.Uint16(t)))
	dst = append(dst, " "+arrow+" "...)
	dst = appendUint(dst, uint64(binary.BigEndian.Uint16(t[2:])))
	return append(dst, headerNote(p)...)
}

// Where tshark's dissection of a TCP header throws, the first read past
// the bytes the frame holds decides what it appends to Info: past the
// capture but not the IP payload, the snap length cut the packet; past
// the IP payload as well, the packet is malformed (in the words of a
// contained item when the read is an option's body).
const (
	limited   = "[Packet size limited during capture]"
	contained = "[Malformed Packet: length of contained item exceeds length of containing item]"
)

// headerNote is the note for a TCP header of which the frame holds fewer
// than the 20 fixed bytes: tshark reads the sequence and acknowledgment
// numbers 4 bytes at a time, the data offset's byte alone, then the
// 2-byte fields.
func headerNote(p *decode.Packet) string {
	n := len(p.TCP)
	end := n&^1 + 2
	switch {
	case n < 12:
		end = n&^3 + 4
	case n == 12:
		end = 13
	}
	if end <= p.SegmentLen {
		return limited
	}
	return malformed
}

// optionsNote is the note for options that run past the IP payload:
// opts are the option bytes the frame holds, rest the IP payload's bytes
// after the fixed header, n the options' length the header announces.
// tshark's walk throws reading the next kind byte, an option's length
// byte, the rest of the header after an EOL, or the body of an option
// longer than the bytes left; an option running past the n bytes of
// options ends the walk unread, and the options item itself (n bytes)
// then throws.
func optionsNote(opts []byte, rest, n int) string {
	it := decode.OptionIter{Buf: opts}
	eol := false
	for it.Next() {
		eol = eol || it.Opt.Kind == decode.OptEOL
	}
	end, note := len(opts)+1, malformed
	switch {
	case eol:
		return malformed
	case it.Err == "":
	case it.Off+1 >= len(opts):
		end = it.Off + 2
	case it.Off+int(opts[it.Off+1]) > n:
		end = n
	case itemOnly(opts[it.Off], int(opts[it.Off+1])):
		end = n
	case opts[it.Off+1] >= 2:
		end, note = it.Off+bodyReadEnd(opts[it.Off], int(opts[it.Off+1]), len(opts)-it.Off), contained
	}
	if end <= rest {
		return limited
	}
	return note
}

// fixedOptionLen holds the lengths of the options tshark 4.0's table
// gives a fixed length.
var fixedOptionLen = map[byte]int{
	decode.OptMSS: 4, decode.OptWS: 3, decode.OptSACKPerm: 2, 6: 6, 7: 6,
	decode.OptTimestamp: 10, 11: 6, 12: 6, 13: 6, 19: 18, 20: 4, 21: 6, 27: 8, 28: 4,
}

// itemOnly reports whether tshark reads no part of an option of kind
// and length l before adding the option's item, which spans the whole
// option in the header: an option of a fixed length announcing another
// length (dissected as bogus), an AccECN option of a length it does not
// read, MPTCP options, and the Riverbed options (76, 78). When
// that item runs past the IP payload, the packet is plainly malformed.
func itemOnly(kind byte, l int) bool {
	if want, ok := fixedOptionLen[kind]; ok {
		return l != want
	}
	switch kind {
	case tcpanalysis.OptAccECN0, tcpanalysis.OptAccECN1:
		return l != 2 && l != 5 && l != 8 && l != 11
	}
	// MPTCP's options are dissected by the MPTCP protocol, which the
	// comparison with tshark turns off with every protocol above TCP.
	return kind == 30 || kind == 76 || kind == 78
}

// bodyReadEnd returns the end, from the option's start, of the read in
// which tshark's dissector of an option of kind and length l first
// misses a byte, have bytes of the option being in the frame: it reads
// MSS, window scale, timestamps, SACK edges and AccECN counters field by
// field, other options whole.
func bodyReadEnd(kind byte, l, have int) int {
	w := l - 2
	switch kind {
	case decode.OptMSS:
		w = 2
	case decode.OptWS:
		w = 1
	case decode.OptTimestamp, decode.OptSACK:
		w = 4
	case tcpanalysis.OptAccECN0, tcpanalysis.OptAccECN1:
		w = 3
	}
	if w <= 0 {
		return l
	}
	return min(2+((have-2)/w+1)*w, l)
}

// appendACEFlagText appends the Info column's text for flags from the
// opening bracket to "Seq=" when tshark shows AE, CWR and ECE as the
// AccECN ACE counter: the other flags, then the counter, then
// "Reserved" ("[, ACE=0]" when no other flag is set).
func appendACEFlagText(dst []byte, flags uint16) []byte {
	dst = append(dst, " ["...)
	dst = AppendFlagNames(dst, flags&0x3f, ", ")
	dst = append(dst, ", ACE="...)
	dst = append(dst, '0'+byte(flags>>6&7))
	if flags&0x0e00 != 0 {
		dst = append(dst, ", Reserved"...)
	}
	return append(dst, "] Seq="...)
}
