package listing

import (
	"net/netip"
	"sort"
	"strconv"

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

// appendConvRow appends the table's row for s; first is the capture's
// first timestamp. It pads as tshark's printf formats do ("%-26s <->
// %-26s  %6d %-9s ...") but appends in place, without fmt.
func appendConvRow(dst []byte, s *tcpanalysis.Stream, first int64) []byte {
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
	if s.IRTT != 0 && s.Handshake() == "complete" {
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
