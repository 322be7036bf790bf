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

// appendFlags appends tshark's list of the flags set in flags, as inside
// the brackets of the Info column: "SYN, ACK", "<None>" when no flag is
// set, with ", Reserved" when a reserved bit is set.
func appendFlags(dst []byte, flags uint16) []byte {
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
// holds their length and the writer formats them with appendFlags.
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
	return append(appendFlags(append(dst, " ["...), flags), "] Seq="...)
}

// AppendInfo appends the Info column tshark prints for a TCP segment when
// no protocol above TCP is dissected: the expert labels, the ports, the
// flags, Seq/Ack/Win/Urg/Len and the options.
func AppendInfo(dst []byte, p *decode.Packet, r *tcpanalysis.Result) []byte {
	if r.Analysis != 0 && !r.Stopped() {
		dst = appendLabels(dst, r)
	}
	t := p.TCP
	if len(t) > 20 && t.HeaderLen() > 20 {
		dst = appendRiverbed(dst, t.Options(), t.HeaderLen()-20, r)
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
	case decode.TimestampOnly(opts):
		i = putTimestamp(b, i, tb, opts[4:])
		dst = b[:i]
	case decode.LinuxSYNOptions(opts):
		// MSS, SACK_PERM, timestamp, NOP, window scale.
		i = putLit(b, i, litMSS)
		i = putSmall(b, i, tb, binary.BigEndian.Uint16(opts[2:]))
		i += copy(b[i:], " SACK_PERM")
		i = putTimestamp(b, i, tb, opts[8:])
		i = putLit(b, i, litWS)
		i = put32(b, i, tb, 1<<min(opts[19], 14))
		dst = b[:i]
	default:
		stop := -1
		if r.Stopped() {
			stop = int(r.OptionsStop)
		}
		dst = appendOptionsSCPS(b[:i], opts, t.HeaderLen()-20, r.SACKBase, r.SCPSCapable, stop, r.OptionsOverrun)
	}
	return append(dst, optionsNote[r.OptionsEnd]...)
}

// optionsNote is what tshark appends to Info for each way its
// dissection of the options can end.
var optionsNote = [...]string{
	tcpanalysis.OptionsCut:       limited,
	tcpanalysis.OptionsContained: contained,
	tcpanalysis.OptionsMalformed: malformed,
	tcpanalysis.OptionsBogus:     "",
}

// appendRiverbed appends what the dissectors of Riverbed's options put
// before the ports in Info ("TRPY, " for each transparency option, a
// probe's "S+, " and the like), in the order tshark's prepending leaves
// them: the last option's first. The options are opts as captured, n
// bytes announced; the walk is tshark's, up to an EOL, an option
// running past the options or the capture, or the option the
// dissection throws on (a transparency option prepends before it reads,
// a probe after; a probe query's prefix comes after all the options,
// when their dissection does not throw).
func appendRiverbed(dst, opts []byte, n int, r *tcpanalysis.Result) []byte {
	if decode.TimestampOnly(opts) || decode.LinuxSYNOptions(opts) {
		return dst // the common layouts hold none
	}
	var prefixes [8]string
	k, deferred := 0, ""
	for off := 0; off < n && off+1 < len(opts) && k < len(prefixes); {
		at := r.Stopped() && off == int(r.OptionsStop)
		if r.Stopped() && off > int(r.OptionsStop) || opts[off] == decode.OptEOL {
			break
		}
		if opts[off] == decode.OptNOP {
			off++
			continue
		}
		l := int(opts[off+1])
		if l < 2 || off+l > n {
			break
		}
		switch opts[off] {
		case tcpanalysis.OptRiverbedTRPY:
			prefixes[k] = "TRPY, "
			k++
		case tcpanalysis.OptMPTCP:
			// Its dissector being off, Wireshark hands the option to
			// the data dissector, a new layer, where the query's
			// data is no longer found.
			deferred = ""
		case tcpanalysis.OptRiverbedProbe:
			if !at {
				p, later := tcpanalysis.RiverbedProbePrefix(opts[off+2:min(off+l, len(opts))], r.TCPFlags)
				if later {
					deferred = p
				} else {
					prefixes[k] = p
					k++
				}
			}
		}
		off += l
	}
	if !r.Stopped() {
		dst = append(dst, deferred...)
	}
	for k--; k >= 0; k-- {
		dst = append(dst, prefixes[k]...)
	}
	return dst
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
	return appendOptionsSCPS(dst, opts, len(opts), sackBase, false, -1, false)
}

// appendOptionsSCPS appends the options tshark summarises in the Info
// column, in header order: opts are the options captured of the n bytes
// the header announces. Options with a length tshark rejects, and kinds
// it does not summarise, add nothing; the walk stops at an option that
// runs past the header, as tshark's does, and at stop (-1: none), the
// offset of the option where tshark's dissection throws: of that option
// it shows what its dissector appends before the read that throws, all
// of it when overrun (the read is past the option's own length).
// scpsCapable is true when the flow has sent SCPS capabilities before
// the segment.
func appendOptionsSCPS(dst, opts []byte, n int, sackBase uint32, scpsCapable bool, stop int, overrun bool) []byte {
	it := decode.OptionIter{Buf: opts}
	for it.Next() {
		if it.Off == stop && !overrun {
			break
		}
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
		if it.Off == stop {
			return dst
		}
	}
	if it.Err != "" && it.Off+1 < len(opts) && opts[it.Off+1] >= 2 && it.Off+int(opts[it.Off+1]) <= n {
		// The bytes at hand end inside this option: its dissector
		// ran, and added what it read before it needed bytes missing.
		dst = appendCutOption(dst, opts[it.Off:], sackBase, scpsCapable)
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
		switch {
		case l == 4 && len(d) >= 1:
			// The capabilities, then it reads the connection ID.
			dst = appendSCPS(dst, d[0], 0)
		case l != 4 && scpsCapable:
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

// appendCutInfo appends the Info column tshark prints for a TCP header
// with fewer than 16 bytes (but its ports) in the frame: the ports, then
// the snap length note, or the malformed packet note when the IP payload
// itself is that short.
func appendCutInfo(dst []byte, p *decode.Packet) []byte {
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
