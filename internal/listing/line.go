package listing

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Packet is what the writers need of one TCP segment: its frame, its
// decoded headers and its analysis.
type Packet struct {
	Number uint32
	// RelTime is the time since the file's first frame in nanoseconds;
	// Resolution the number of fraction digits tshark prints for it (the
	// file's or interface's timestamp resolution).
	RelTime    int64
	Resolution int
	WireLen    int // the frame's length on the wire (frame.len)
	Decoded    *decode.Packet
	Result     *tcpanalysis.Result

	// addrs, when set, remembers the last addresses' padded columns.
	addrs *addrColumns
}

// addrColumns remembers the padded Source and Destination columns of the
// last addresses shown: a capture's packets mostly repeat a few
// addresses, so most lines copy them instead of formatting them.
type addrColumns struct {
	src, dst netip.Addr
	valid    bool
	// text holds the Source column, the arrow, the Destination column
	// and the Protocol column with its spaces (" TCP "); n is its
	// length, or -1 when it does not fit (then appendColumnsSlow
	// formats the line).
	n    int
	text [96]byte
}

// set makes c hold the columns of src and dst.
func (c *addrColumns) set(src, dst netip.Addr) {
	c.src, c.dst, c.valid = src, dst, true
	t := c.appendAddrColumns(c.text[:0:len(c.text)], src, dst)
	t = append(t, " TCP "...)
	c.n = len(t)
	if len(t) > len(c.text) {
		c.n = -1 // t grew into a new array
	}
}

// appendAddrColumns appends the padded Source and Destination columns
// of src and dstAddr, with the arrow between them.
func (c *addrColumns) appendAddrColumns(dst []byte, src, dstAddr netip.Addr) []byte {
	dst = appendAddrPad(dst, src, 12, true)
	dst = append(dst, " "+arrow+" "...)
	return appendAddrPad(dst, dstAddr, 12, false)
}

// AppendTime appends ns nanoseconds as seconds with digits fraction
// digits (0 to 9), truncating as tshark does.
func AppendTime(dst []byte, ns int64, digits int) []byte {
	digits = max(0, min(digits, 9))
	if ns < 0 {
		dst = append(dst, '-')
		ns = -ns
	}
	if secs := ns / 1e9; secs >= 0 {
		dst = appendUint(dst, uint64(secs))
	} else {
		dst = strconv.AppendInt(dst, secs, 10) // only for math.MinInt64
	}
	if digits == 0 {
		return dst
	}
	dst = append(dst, '.')
	frac := ns % 1e9
	if frac < 0 {
		frac = -frac
	}
	frac /= int64(pow10[9-digits])
	l := len(dst)
	dst = append(dst, "000000000"[:digits]...)
	putDigits(dst[l+digits-decimalLen(uint64(frac)):], uint64(frac))
	return dst
}

// timeLen returns the length of AppendTime's text for ns and digits.
func timeLen(ns int64, digits int) int {
	digits = max(0, min(digits, 9))
	n := 0
	if ns < 0 {
		n++
		ns = -ns
	}
	if secs := ns / 1e9; secs >= 0 {
		n += decimalLen(uint64(secs))
	} else {
		n += len(strconv.FormatInt(secs, 10))
	}
	if digits > 0 {
		n += 1 + digits
	}
	return n
}

// appendPad appends s right-aligned (right true) or left-aligned in a
// field of at least width bytes, as tshark pads its columns.
func appendPad(dst []byte, s []byte, width int, right bool) []byte {
	if right {
		return append(appendSpaces(dst, width-len(s)), s...)
	}
	return appendSpaces(append(dst, s...), width-len(s))
}

// appendAddrPad appends a padded as appendPad does, without a scratch
// copy for IPv4 addresses.
func appendAddrPad(dst []byte, a netip.Addr, width int, right bool) []byte {
	if !a.Is4() {
		var scratch [64]byte
		return appendPad(dst, a.AppendTo(scratch[:0]), width, right)
	}
	b := a.As4()
	n := 3
	for _, o := range b {
		n += octetLen(o)
	}
	if right {
		dst = appendSpaces(dst, width-n)
	}
	for i, o := range b {
		if i > 0 {
			dst = append(dst, '.')
		}
		switch {
		case o >= 100:
			dst = append(dst, '0'+o/100, '0'+o/10%10, '0'+o%10)
		case o >= 10:
			dst = append(dst, '0'+o/10, '0'+o%10)
		default:
			dst = append(dst, '0'+o)
		}
	}
	if !right {
		dst = appendSpaces(dst, width-n)
	}
	return dst
}

// octetLen returns the number of decimal digits of o.
func octetLen(o byte) int {
	switch {
	case o >= 100:
		return 3
	case o >= 10:
		return 2
	}
	return 1
}

// lineRoom is the room the fast writers of a packet line reserve: more
// than its columns before Info take on the fast path (at most 11 bytes
// for the number, 16 for the time, 96 for the addresses and protocol, 11
// for the length) or its Info column after the expert labels (at most
// 15 for the ports, 32 for the flags, 4 × 15 for Seq, Ack, Win and Len,
// 10 for Urg, 63 for the options on the fast paths), plus the 8 bytes
// of slack the put functions need.
const lineRoom = 512

// appendColumns appends the columns before Info: the number
// right-aligned in 5, the time in 10, the source in 12, the destination
// left-aligned in 12, "TCP" and the length. addrs, when not nil,
// remembers the last addresses' columns.
func appendColumns(dst []byte, number uint32, relTime int64, digits int, p *decode.Packet, wireLen int, addrs *addrColumns) []byte {
	if relTime < 0 || relTime >= 1<<16*1e9 || digits != 9 && digits != 6 && digits != 3 || uint64(wireLen) > 1<<32-1 {
		return appendColumnsSlow(dst, number, relTime, digits, p, wireLen)
	}
	if addrs == nil {
		return appendColumnsFresh(dst, number, relTime, digits, p, wireLen)
	}
	if !addrs.valid || addrs.src != p.Src || addrs.dst != p.Dst {
		addrs.set(p.Src, p.Dst)
	}
	if addrs.n < 0 {
		return appendColumnsSlow(dst, number, relTime, digits, p, wireLen)
	}
	t := decimals()
	b := reserve(dst, lineRoom)
	i := len(dst)
	// The number, right-aligned in 5.
	if number < 10000 {
		binary.LittleEndian.PutUint64(b[i:], spaces8)
		i += 5 - int(t.n[number]>>56)
	}
	i = put32(b, i, t, number)
	b[i] = ' '
	i++
	// The time, right-aligned in 10: whole seconds (below 65536 here),
	// then digits fraction digits, truncated.
	secs := uint32(relTime / 1e9)
	frac := uint32(relTime - int64(secs)*1e9)
	es := t.n[secs]
	if pad := 10 - (int(es>>56) + 1 + digits); pad > 0 {
		binary.LittleEndian.PutUint64(b[i:], spaces8)
		i += pad
	}
	binary.LittleEndian.PutUint64(b[i:], es)
	i += int(es >> 56)
	b[i] = '.'
	i++
	switch digits {
	case 9:
		r := frac % 1e8
		b[i] = byte('0' + frac/1e8)
		binary.LittleEndian.PutUint32(b[i+1:], t.four[r/1e4])
		binary.LittleEndian.PutUint32(b[i+5:], t.four[r%1e4])
		i += 9
	case 6:
		v := frac / 1e3
		binary.LittleEndian.PutUint32(b[i:], t.four[v/1e4]>>16)
		binary.LittleEndian.PutUint32(b[i+2:], t.four[v%1e4])
		i += 6
	default: // 3
		binary.LittleEndian.PutUint32(b[i:], t.four[frac/1e6]>>8)
		i += 3
	}
	b[i] = ' '
	i++
	// Source, destination and protocol.
	if n := addrs.n; n <= 48 {
		*(*[48]byte)(b[i:]) = [48]byte(addrs.text[:48])
		i += n
	} else {
		i += copy(b[i:], addrs.text[:n])
	}
	if wireLen < 1<<16 {
		i = putSmall(b, i, t, uint16(wireLen))
	} else {
		i = put32(b, i, t, uint32(wireLen))
	}
	b[i] = ' '
	return b[:i+1]
}

// appendColumnsFresh appends what appendColumns does, with no addresses
// remembered.
func appendColumnsFresh(dst []byte, number uint32, relTime int64, digits int, p *decode.Packet, wireLen int) []byte {
	var addrs addrColumns
	return appendColumns(dst, number, relTime, digits, p, wireLen, &addrs)
}

// appendColumnsSlow appends what appendColumns does, for any time,
// resolution, length and addresses.
func appendColumnsSlow(dst []byte, number uint32, relTime int64, digits int, p *decode.Packet, wireLen int) []byte {
	dst = appendUintRight(dst, uint64(number), 5)
	dst = append(dst, ' ')
	dst = appendSpaces(dst, 10-timeLen(relTime, digits))
	dst = AppendTime(dst, relTime, digits)
	dst = append(dst, ' ')
	dst = (*addrColumns)(nil).appendAddrColumns(dst, p.Src, p.Dst)
	dst = append(dst, " TCP "...)
	if wireLen >= 0 {
		dst = appendUint(dst, uint64(wireLen))
	} else {
		dst = strconv.AppendInt(dst, int64(wireLen), 10)
	}
	return append(dst, ' ')
}

// AppendLine appends the line `tshark -r FILE` prints for the segment,
// with its default columns (No., Time, Source, Destination, Protocol,
// Length, Info) and its padding: the number right-aligned in 5, the time
// in 10, the source in 12, the destination left-aligned in 12, and the
// arrow between source and destination. The line ends with '\n'.
func AppendLine(dst []byte, pk *Packet) []byte {
	return appendLine(dst, pk.Number, pk.RelTime, pk.Resolution, pk.WireLen, pk.Decoded, pk.Result, pk.addrs)
}

// appendLine is AppendLine with the Packet's fields as arguments.
func appendLine(dst []byte, number uint32, relTime int64, digits, wireLen int, p *decode.Packet, r *tcpanalysis.Result, addrs *addrColumns) []byte {
	dst = appendColumns(dst, number, relTime, digits, p, wireLen, addrs)
	dst = AppendInfo(dst, p, r)
	return append(dst, '\n')
}

// appendJSON appends the contract's `packet` record for the segment, with
// its keys in the contract's order, and a final '\n'. status is the
// checksum's status.
func appendJSON(dst []byte, pk *Packet, status decode.ChecksumStatus) []byte {
	p, r := pk.Decoded, pk.Result
	dst = append(dst, `{"type":"packet","frame":`...)
	dst = appendUint(dst, uint64(pk.Number))
	dst = append(dst, `,"time":`...)
	dst = AppendTime(dst, pk.RelTime, pk.Resolution)
	dst = append(dst, `,"src":"`...)
	dst = p.Src.AppendTo(dst)
	dst = append(dst, `","dst":"`...)
	dst = p.Dst.AppendTo(dst)
	dst = append(dst, `","sport":`...)
	dst = appendUint(dst, uint64(p.TCP.SrcPort()))
	dst = append(dst, `,"dport":`...)
	dst = appendUint(dst, uint64(p.TCP.DstPort()))
	dst = append(dst, `,"stream":`...)
	dst = appendUint(dst, uint64(r.Stream))
	// At a bogus header length tshark shows no flags, ack, window or
	// checksum field.
	bogus := r.BogusHeaderLen
	if !bogus {
		dst = append(dst, `,"flags":`...)
		dst = appendUint(dst, uint64(r.TCPFlags))
	}
	dst = append(dst, `,"seq":`...)
	dst = appendUint(dst, uint64(r.Seq))
	hasAck := r.TCPFlags&decode.FlagACK != 0 && !bogus
	if hasAck {
		dst = append(dst, `,"ack":`...)
		dst = appendUint(dst, uint64(r.Ack))
	}
	dst = append(dst, `,"seq_raw":`...)
	dst = appendUint(dst, uint64(r.SeqRaw))
	if hasAck {
		dst = append(dst, `,"ack_raw":`...)
		dst = appendUint(dst, uint64(r.AckRaw))
	}
	if r.HaveLen {
		dst = append(dst, `,"len":`...)
		dst = appendUint(dst, uint64(r.Len))
	}
	if !bogus {
		dst = append(dst, `,"win_raw":`...)
		dst = appendUint(dst, uint64(r.WinRaw))
		dst = append(dst, `,"win":`...)
		dst = appendUint(dst, uint64(r.Win))
	}
	if r.HasWinScale && !bogus {
		dst = append(dst, `,"win_scale":`...)
		dst = strconv.AppendInt(dst, int64(r.WinScale), 10)
	}
	if len(p.TCP) >= 18 && !bogus && p.SegmentLen >= 18 {
		dst = append(dst, `,"checksum":`...)
		dst = appendUint(dst, uint64(binary.BigEndian.Uint16(p.TCP[16:])))
	}
	dst = append(dst, `,"checksum_status":"`...)
	dst = append(dst, status.String()...)
	dst = append(dst, '"')
	if fl := ExpertFields(r); fl != 0 {
		dst = append(dst, `,"analysis":[`...)
		first := true
		for f := tcpanalysis.Flags(1); f != 0 && f <= fl; f <<= 1 {
			if fl&f == 0 {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, '"')
			dst = append(dst, f.Name()...)
			dst = append(dst, '"')
		}
		dst = append(dst, ']')
		if fl&tcpanalysis.DuplicateAck != 0 {
			dst = append(dst, `,"dup_ack_of":`...)
			dst = appendUint(dst, uint64(r.DupAckOf))
			dst = append(dst, `,"dup_ack_num":`...)
			dst = appendUint(dst, uint64(r.DupAckNum))
		}
	}
	if !r.Stopped() {
		dst = appendSeqAckFields(dst, r)
	}
	dst = append(dst, `,"info":`...)
	var info [1024]byte // room for the labels and lineRoom
	dst = appendJSONString(dst, AppendInfo(info[:0], p, r))
	return append(dst, "}\n"...)
}

// appendSeqAckFields appends the values of tshark's [SEQ/ACK analysis]
// tree that it shows for the segment: the frame this ACK acknowledges
// and the time it took, the bytes in flight and the bytes pushed.
func appendSeqAckFields(dst []byte, r *tcpanalysis.Result) []byte {
	if r.AckedFrame != 0 {
		dst = append(dst, `,"acks_frame":`...)
		dst = appendUint(dst, uint64(r.AckedFrame))
		if r.AckRTT != 0 {
			dst = append(dst, `,"ack_rtt":`...)
			dst = AppendTime(dst, r.AckRTT, 9)
		}
	}
	if r.BytesInFlight != 0 {
		dst = append(dst, `,"bytes_in_flight":`...)
		dst = appendUint(dst, uint64(r.BytesInFlight))
	}
	if r.PushBytesSent != 0 {
		dst = append(dst, `,"push_bytes_sent":`...)
		dst = appendUint(dst, uint64(r.PushBytesSent))
	}
	return dst
}

// ExpertFields returns the tcp.analysis.* fields tshark shows for the
// segment: its flags, plus the plain retransmission flag that tshark adds
// to fast and spurious retransmissions; none when tshark stopped before
// printing its analysis (options cut by the snap length, or an option
// its dissector throws on).
func ExpertFields(r *tcpanalysis.Result) tcpanalysis.Flags {
	if r.Stopped() {
		return 0
	}
	fl := r.Analysis
	if fl&(tcpanalysis.FastRetransmission|tcpanalysis.SpuriousRetransmission) != 0 {
		fl |= tcpanalysis.Retransmission
	}
	return fl
}

// appendJSONString appends s as a JSON string.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// appendStreamJSON appends the contract's `stream` record for s and a
// final '\n', with its health keys when health is set.
func appendStreamJSON(dst []byte, s *tcpanalysis.Stream, digits int, health bool) []byte {
	dst = append(dst, `{"type":"stream","stream":`...)
	dst = appendUint(dst, uint64(s.Index))
	dst = append(dst, `,"client":"`...)
	dst = appendAddrPort(dst, s.Client)
	dst = append(dst, `","server":"`...)
	dst = appendAddrPort(dst, s.Server)
	dst = append(dst, `","first_frame":`...)
	dst = appendUint(dst, uint64(s.FirstFrame))
	dst = append(dst, `,"last_frame":`...)
	dst = appendUint(dst, uint64(s.LastFrame))
	dst = append(dst, `,"packets":`...)
	dst = appendUint(dst, s.Packets)
	dst = append(dst, `,"bytes_c2s":`...)
	dst = appendUint(dst, s.BytesC2S)
	dst = append(dst, `,"bytes_s2c":`...)
	dst = appendUint(dst, s.BytesS2C)
	hs := s.Handshake()
	if s.IRTT != 0 {
		dst = append(dst, `,"irtt":`...)
		dst = AppendTime(dst, s.IRTT, max(digits, 6))
	}
	dst = append(dst, `,"handshake":"`...)
	dst = append(dst, hs...)
	dst = append(dst, `","close":"`...)
	dst = append(dst, s.Close()...)
	dst = append(dst, `","state":"`...)
	dst = append(dst, s.State()...)
	dst = append(dst, '"')
	if health {
		dst = appendHealthJSON(dst, s)
	}
	return append(dst, "}\n"...)
}

// appendAddrPort appends "ip:port", with the IPv6 address in brackets.
func appendAddrPort(dst []byte, ap netip.AddrPort) []byte {
	return ap.AppendTo(dst)
}
