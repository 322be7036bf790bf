package listing

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

const convRule = "================================================================================\n"

// AppendConversations appends a table like `tshark -q -z conv,tcp`, with
// two more columns: the conversation's Zeek conn_state and its initial
// RTT in seconds ("-" unless the whole handshake was captured). Rows are
// sorted by total frames, most first, then by stream index, as tshark
// sorts them. first is the capture's first timestamp; sel, when not
// empty, limits the rows and is shown as the filter.
func AppendConversations(dst []byte, streams []*tcpanalysis.Stream, first int64, sel *Selector) []byte {
	dst = appendConvHeader(dst, sel)
	rows := make([]*tcpanalysis.Stream, 0, len(streams))
	for _, s := range streams {
		if s.Tap > 0 && sel.MatchStream(s) {
			rows = append(rows, s)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Tap > rows[j].Tap })
	for _, s := range rows {
		dst = appendConvRow(dst, s, first)
	}
	return append(dst, convRule...)
}

// appendConvHeader appends the table's title, filter and column heads.
func appendConvHeader(dst []byte, sel *Selector) []byte {
	dst = append(dst, convRule...)
	dst = append(dst, "TCP Conversations\nFilter:"...)
	if sel.Empty() {
		dst = append(dst, "<No Filter>"...)
	} else {
		dst = append(dst, sel.String()...)
	}
	dst = append(dst, '\n')
	dst = append(dst, "                                                           |       <-      | |       ->      | |     Total     |    Relative    |   Duration   | State  |    iRTT    |\n"...)
	return append(dst, "                                                           | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |        |            |\n"...)
}

// appendTsharkConvHeader appends the header of tshark's table, without
// the State and iRTT columns.
func appendTsharkConvHeader(dst []byte, sel *Selector) []byte {
	start := len(dst)
	dst = appendConvHeader(dst, sel)
	h := strings.Replace(string(dst[start:]), "| State  |    iRTT    |\n", "|\n", 1)
	h = strings.Replace(h, "|        |            |\n", "|\n", 1)
	return append(dst[:start], h...)
}

// tsharkConvRow cuts the State and iRTT columns off a row of the table
// (appendConvRow): tshark's row ends with the duration.
func tsharkConvRow(row []byte) []byte {
	row = bytes.TrimRight(row, "\n")
	row = row[:bytes.LastIndexByte(row, ' ')] // iRTT
	row = bytes.TrimRight(row, " ")
	row = row[:bytes.LastIndexByte(row, ' ')] // State
	row = bytes.TrimRight(row, " ")
	return append(row, '\n')
}

// appendConvRow appends the table's row for s; first is the capture's
// first timestamp. It pads as tshark's printf formats do ("%-26s <->
// %-26s  %6d %-9s ...") but writes in place, without fmt: rows between
// IPv4 endpoints whose times print from integers (see exactSecs) with
// the put functions into reserved room, any other with
// appendConvRowSlow.
func appendConvRow(dst []byte, s *tcpanalysis.Stream, first int64) []byte {
	txF, txB, rxF, rxB := s.PacketsC2S, s.FrameBytesC2S, s.PacketsS2C, s.FrameBytesS2C
	a, b := s.Client, s.Server
	if s.TapFirst != s.Client {
		txF, txB, rxF, rxB = rxF, rxB, txF, txB
		a, b = b, a
	}
	start := s.TapFirstTime - first
	stop := s.TapLastTime - first
	d := stop - start
	irtt := s.IRTT != 0
	if !a.Addr().Is4() || !b.Addr().Is4() || txF > 1<<31 || rxF > 1<<31 ||
		start < 0 || stop >= exactSecs || d < 0 || d%100_000 == 50_000 ||
		irtt && (s.IRTT < 0 || s.IRTT >= exactSecs || s.IRTT%1000 == 500) {
		return appendConvRowSlow(dst, s, first)
	}
	t := decimals()
	buf := reserve(dst, 256)
	i := len(dst)
	i = putConvAddr(buf, i, t, a)
	i = putLit(buf, i, litConv)
	i = putConvAddr(buf, i, t, b)
	for _, c := range [3][2]uint64{{rxF, rxB}, {txF, txB}, {rxF + txF, rxB + txB}} {
		buf[i], buf[i+1] = ' ', ' '
		i = putRight(buf, i+2, t, uint32(c[0]), 6)
		buf[i] = ' '
		i = putSize(buf, i+1, t, c[1])
	}
	buf[i], buf[i+1] = ' ', ' '
	i += 2
	// Start, "%14.9f".
	secs, frac := uint32(start/1e9), uint32(start%1e9)
	i = putSpaces(buf, i, 14-(uintLen(t, secs)+10))
	i = put32(buf, i, t, secs)
	buf[i] = '.'
	buf[i+1] = byte('0' + frac/1e8)
	binary.LittleEndian.PutUint32(buf[i+2:], t.four[frac%1e8/1e4])
	binary.LittleEndian.PutUint32(buf[i+6:], t.four[frac%1e4])
	i += 10
	// Duration, "%12.4f", rounded to 100 µs.
	v := uint64(d+50_000) / 100_000
	secs = uint32(v / 1e4)
	i = putSpaces(buf, i, 3+12-(uintLen(t, secs)+5))
	i = put32(buf, i, t, secs)
	buf[i] = '.'
	binary.LittleEndian.PutUint32(buf[i+1:], t.four[v%1e4])
	i += 5
	// State, "%-6s".
	st := s.State()
	binary.LittleEndian.PutUint32(buf[i:], spaces8&(1<<32-1))
	n := copy(buf[i+3:], st)
	binary.LittleEndian.PutUint64(buf[i+3+n:], spaces8)
	i += 3 + max(n, 6)
	buf[i] = ' '
	i++
	// iRTT, "%12s", rounded to 1 µs.
	if irtt {
		v := uint64(s.IRTT+500) / 1000
		secs := uint32(v / 1e6)
		frac := uint32(v % 1e6)
		i = putSpaces(buf, i, 12-(uintLen(t, secs)+7))
		i = put32(buf, i, t, secs)
		buf[i] = '.'
		binary.LittleEndian.PutUint32(buf[i+1:], t.four[frac/1e4]>>16)
		binary.LittleEndian.PutUint32(buf[i+3:], t.four[frac%1e4])
		i += 7
	} else {
		i = putSpaces(buf, i, 11)
		buf[i] = '-'
		i++
	}
	buf[i] = '\n'
	return buf[:i+1]
}

var litConv = mkLit(" <-> ")

// putConvAddr writes an IPv4 address and port as appendConvAddr
// appends them, left-aligned in 26.
func putConvAddr(b []byte, i int, t *decimalTables, ap netip.AddrPort) int {
	end := i + 26
	for k, o := range ap.Addr().As4() {
		if k > 0 {
			b[i] = '.'
			i++
		}
		i = putSmall(b, i, t, uint16(o))
	}
	b[i] = ':'
	i = putSmall(b, i+1, t, ap.Port())
	// At least 9 bytes written ("0.0.0.0:0"): 17 spaces at most.
	binary.LittleEndian.PutUint64(b[i:], spaces8)
	binary.LittleEndian.PutUint64(b[i+8:], spaces8)
	binary.LittleEndian.PutUint64(b[i+16:], spaces8)
	return max(i, end)
}

// putSize writes a byte count as appendSize appends it, left-aligned in
// 9.
func putSize(b []byte, i int, t *decimalTables, n uint64) int {
	end := i + 9
	const k = 1000
	unit := litBytes
	switch {
	case n/k/k/k/k >= 10:
		n, unit = n/k/k/k/k, litTB
	case n/k/k/k >= 10:
		n, unit = n/k/k/k, litGB
	case n/k/k >= 10:
		n, unit = n/k/k, litMB
	case n/k >= 10:
		n, unit = n/k, litKB
	}
	i = put32(b, i, t, uint32(n)) // below 10,000, or 18,446,745 TB at most
	i = putLit(b, i, unit)
	// At least 4 bytes written ("0 kB"): 5 spaces at most.
	binary.LittleEndian.PutUint64(b[i:], spaces8)
	return max(i, end)
}

var (
	litBytes = mkLit(" bytes")
	litKB    = mkLit(" kB")
	litMB    = mkLit(" MB")
	litGB    = mkLit(" GB")
	litTB    = mkLit(" TB")
)

// appendConvRowSlow appends what appendConvRow does, for any row.
func appendConvRowSlow(dst []byte, s *tcpanalysis.Stream, first int64) []byte {
	txF, txB, rxF, rxB := s.PacketsC2S, s.FrameBytesC2S, s.PacketsS2C, s.FrameBytesS2C
	a, b := s.Client, s.Server
	if s.TapFirst != s.Client {
		txF, txB, rxF, rxB = rxF, rxB, txF, txB
		a, b = b, a
	}
	var scratch [64]byte
	dst = appendPad(dst, appendConvAddr(scratch[:0], a), 26, false)
	dst = append(dst, " <-> "...)
	dst = appendPad(dst, appendConvAddr(scratch[:0], b), 26, false)
	for _, c := range [3][2]uint64{{rxF, rxB}, {txF, txB}, {rxF + txF, rxB + txB}} {
		dst = append(dst, "  "...)
		dst = appendPad(dst, strconv.AppendUint(scratch[:0], c[0], 10), 6, true)
		dst = append(dst, ' ')
		dst = appendPad(dst, appendSize(scratch[:0], c[1]), 9, false)
	}
	dst = append(dst, "  "...)
	start := s.TapFirstTime - first
	stop := s.TapLastTime - first
	dst = appendPad(dst, appendStart(scratch[:0], start), 14, true)
	dst = append(dst, "   "...)
	dst = appendPad(dst, appendDuration(scratch[:0], start, stop), 12, true)
	dst = append(dst, "   "...)
	dst = appendPad(dst, []byte(s.State()), 6, false)
	dst = append(dst, ' ')
	irtt := append(scratch[:0], '-')
	if s.IRTT != 0 {
		irtt = appendIRTT(scratch[:0], s.IRTT)
	}
	dst = appendPad(dst, irtt, 12, true)
	return append(dst, '\n')
}

// appendConvAddr appends an address and a port as tshark's conversation
// table joins them: with a colon, IPv6 addresses without brackets.
func appendConvAddr(dst []byte, ap netip.AddrPort) []byte {
	dst = ap.Addr().AppendTo(dst)
	dst = append(dst, ':')
	return strconv.AppendUint(dst, uint64(ap.Port()), 10)
}

// exactSecs bounds the times, in nanoseconds, whose nsToSec value is
// within 0.4 ns of the exact time: below 2^20 s the float64 sum's
// rounding error is at most 2^-33 s, so that rounding it to a whole
// number of nanoseconds, or to coarser units away from a tie, gives
// the same digits as rounding the exact time. The conversation table's
// times are then formatted from integers, as strconv.AppendFloat would
// print the floats.
const exactSecs = 1 << 20 * 1e9

// appendStart appends nsToSec(ns) as "%.9f" does.
func appendStart(dst []byte, ns int64) []byte {
	if ns < 0 || ns >= exactSecs {
		return strconv.AppendFloat(dst, nsToSec(ns), 'f', 9, 64)
	}
	return appendFixed(dst, uint64(ns), 9)
}

// appendDuration appends nsToSec(stop)-nsToSec(start) as "%.4f" does.
func appendDuration(dst []byte, start, stop int64) []byte {
	d := stop - start
	if start < 0 || stop >= exactSecs || d < 0 || d%100_000 == 50_000 {
		return strconv.AppendFloat(dst, nsToSec(stop)-nsToSec(start), 'f', 4, 64)
	}
	return appendFixed(dst, uint64(d+50_000)/100_000, 4)
}

// appendIRTT appends float64(ns)/1e9 as "%.6f" does.
func appendIRTT(dst []byte, ns int64) []byte {
	if ns < 0 || ns >= exactSecs || ns%1000 == 500 {
		return strconv.AppendFloat(dst, float64(ns)/1e9, 'f', 6, 64)
	}
	return appendFixed(dst, uint64(ns+500)/1000, 6)
}

// appendFixed appends v/10^digits with digits fraction digits (1 to 9).
func appendFixed(dst []byte, v uint64, digits int) []byte {
	p := pow10[digits]
	dst = appendUint(dst, v/p)
	dst = append(dst, '.')
	frac := v % p
	l := len(dst)
	dst = append(dst, "000000000"[:digits]...)
	var fb [24]byte
	fd := appendUint(fb[:0], frac)
	copy(dst[l+digits-len(fd):], fd)
	return dst
}

// nsToSec converts as Wireshark's nstime_to_sec does: whole seconds plus
// the nanoseconds divided by 1e9, so that differences round alike.
func nsToSec(ns int64) float64 {
	secs, frac := ns/1e9, ns%1e9
	return float64(secs) + float64(frac)/1e9
}

// formatSize formats a byte count as appendSize does.
func formatSize(n uint64) string { return string(appendSize(nil, n)) }

// appendSize appends a byte count as Wireshark's format_size formats it
// with SI prefixes: "287 bytes", then "kB", "MB", "GB", "TB" once the
// count reaches ten of the unit (truncated, not rounded).
func appendSize(dst []byte, n uint64) []byte {
	const k = 1000
	unit := " bytes"
	switch {
	case n/k/k/k/k >= 10:
		n, unit = n/k/k/k/k, " TB"
	case n/k/k/k >= 10:
		n, unit = n/k/k/k, " GB"
	case n/k/k >= 10:
		n, unit = n/k/k, " MB"
	case n/k >= 10:
		n, unit = n/k, " kB"
	}
	dst = strconv.AppendUint(dst, n, 10)
	return append(dst, unit...)
}
