package listing

import (
	"encoding/binary"
	"strconv"
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
	for i, name := range flagNames {
		if flags&(1<<i) != 0 {
			if len(dst) > start {
				dst = append(dst, ", "...)
			}
			dst = append(dst, name...)
		}
	}
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

// flagTexts returns, for each value of the 12 flag bits, the Info
// column's text from the flags' opening bracket to "Seq=": " [SYN, ACK]
// Seq=". The table is built on first use behind an atomic pointer
// (callers racing to build it build the same one), which costs less per
// packet than sync.OnceValue's call.
func flagTexts() *[1 << 12]string {
	t := flagTextTable.Load()
	if t == nil {
		t = new([1 << 12]string)
		var buf []byte
		for f := range t {
			buf = append(AppendFlags(append(buf[:0], " ["...), uint16(f)), "] Seq="...)
			t[f] = string(buf)
		}
		flagTextTable.Store(t)
	}
	return t
}

var flagTextTable atomic.Pointer[[1 << 12]string]

// AppendInfo appends the Info column tshark prints for a TCP segment when
// no protocol above TCP is dissected: the expert labels, the ports, the
// flags, Seq/Ack/Win/Urg/Len and the options.
func AppendInfo(dst []byte, p *decode.Packet, r *tcpanalysis.Result) []byte {
	if !r.OptionsTruncated && r.Analysis != 0 {
		for _, f := range tcpanalysis.InfoOrder {
			if r.Analysis&f == 0 {
				continue
			}
			if f == tcpanalysis.DuplicateAck {
				dst = append(dst, "[TCP Dup ACK "...)
				dst = appendUint(dst, uint64(r.DupAckOf))
				dst = append(dst, '#')
				dst = appendUint(dst, uint64(r.DupAckNum))
				dst = append(dst, "] "...)
				continue
			}
			dst = append(dst, f.InfoLabel()...)
			dst = append(dst, ' ')
		}
	}
	t := p.TCP
	dst = appendUint(dst, uint64(t.SrcPort()))
	dst = append(dst, " "+arrow+" "...)
	dst = appendUint(dst, uint64(t.DstPort()))
	dst = append(dst, flagTexts()[r.TCPFlags&0xfff]...)
	dst = appendUint(dst, uint64(r.Seq))
	if r.TCPFlags&decode.FlagACK != 0 {
		dst = append(dst, " Ack="...)
		dst = appendUint(dst, uint64(r.Ack))
	}
	dst = append(dst, " Win="...)
	dst = appendUint(dst, uint64(r.Win))
	if r.HeaderCut {
		// tshark stopped reading at the checksum or urgent pointer.
		return append(dst, "[Packet size limited during capture]"...)
	}
	if r.TCPFlags&decode.FlagURG != 0 {
		dst = append(dst, " Urg="...)
		dst = appendUint(dst, uint64(t.UrgentPointer()))
	}
	if r.HaveLen {
		dst = append(dst, " Len="...)
		dst = appendUint(dst, uint64(r.Len))
	}
	dst = appendOptions(dst, t.Options(), r.SACKBase)
	if r.OptionsTruncated {
		dst = append(dst, "[Packet size limited during capture]"...)
	}
	return dst
}

// appendOptions appends the options tshark summarises in the Info column,
// in header order. Options with a length tshark rejects, and kinds it
// does not summarise, add nothing; the walk stops at a malformed option
// as tshark's does.
func appendOptions(dst, opts []byte, sackBase uint32) []byte {
	if tcpanalysis.TimestampOnly(opts) {
		dst = append(dst, " TSval="...)
		dst = appendUint(dst, uint64(binary.BigEndian.Uint32(opts[4:])))
		dst = append(dst, " TSecr="...)
		return appendUint(dst, uint64(binary.BigEndian.Uint32(opts[8:])))
	}
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
			for len(d) >= 8 {
				dst = append(dst, " SLE="...)
				dst = appendUint(dst, uint64(binary.BigEndian.Uint32(d)-sackBase))
				dst = append(dst, " SRE="...)
				dst = appendUint(dst, uint64(binary.BigEndian.Uint32(d[4:])-sackBase))
				d = d[8:]
			}
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
		case 19: // MD5 signature (RFC 2385)
			if o.Len == 18 {
				dst = append(dst, " MD5"...)
			}
		case 28: // user timeout (RFC 5482)
			if o.Len == 4 {
				dst = append(dst, " USER_TO="...)
				dst = appendUint(dst, uint64(binary.BigEndian.Uint16(d)&0x7fff))
			}
		case 34: // TCP Fast Open (RFC 7413)
			dst = appendTFO(dst, o.Len)
		case 253, 254: // experimental (RFC 6994), with a 16-bit ExID
			if len(d) >= 2 {
				exid := binary.BigEndian.Uint16(d)
				if exid == 0xf989 { // Fast Open before its kind was assigned
					dst = appendTFO(dst, o.Len-2)
					continue
				}
				dst = append(dst, " ExID="...)
				dst = strconv.AppendUint(dst, uint64(exid), 16)
			}
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
// captured with fewer than 16 bytes (but its ports): the ports, then the
// snap length note.
func AppendCutInfo(dst []byte, t decode.TCP) []byte {
	dst = appendUint(dst, uint64(binary.BigEndian.Uint16(t)))
	dst = append(dst, " "+arrow+" "...)
	dst = appendUint(dst, uint64(binary.BigEndian.Uint16(t[2:])))
	return append(dst, "[Packet size limited during capture]"...)
}
