package listing

import (
	"fmt"
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
// first timestamp.
func appendConvRow(dst []byte, s *tcpanalysis.Stream, first int64) []byte {
	txF, txB, rxF, rxB := s.PacketsC2S, s.FrameBytesC2S, s.PacketsS2C, s.FrameBytesS2C
	a, b := s.Client, s.Server
	if s.TapFirst != s.Client {
		txF, txB, rxF, rxB = rxF, rxB, txF, txB
		a, b = b, a
	}
	dst = fmt.Appendf(dst, "%-26s <-> %-26s  %6d %-9s  %6d %-9s  %6d %-9s  ",
		convAddr(a.Addr().String(), a.Port()), convAddr(b.Addr().String(), b.Port()),
		rxF, formatSize(rxB), txF, formatSize(txB), rxF+txF, formatSize(rxB+txB))
	start := s.TapFirstTime - first
	stop := s.TapLastTime - first
	dst = fmt.Appendf(dst, "%14.9f   %12.4f", nsToSec(start), nsToSec(stop)-nsToSec(start))
	irtt := "-"
	if s.IRTT != 0 && s.Handshake() == "complete" {
		irtt = strconv.FormatFloat(float64(s.IRTT)/1e9, 'f', 6, 64)
	}
	return fmt.Appendf(dst, "   %-6s %12s\n", s.State(), irtt)
}

// convAddr joins an address and a port as tshark's conversation table
// does: with a colon, IPv6 addresses without brackets.
func convAddr(addr string, port uint16) string {
	return addr + ":" + strconv.FormatUint(uint64(port), 10)
}

// nsToSec converts as Wireshark's nstime_to_sec does: whole seconds plus
// the nanoseconds divided by 1e9, so that differences round alike.
func nsToSec(ns int64) float64 {
	secs, frac := ns/1e9, ns%1e9
	return float64(secs) + float64(frac)/1e9
}

// formatSize formats a byte count as Wireshark's format_size does with
// SI prefixes: "287 bytes", then "kB", "MB", "GB", "TB" once the count
// reaches ten of the unit (truncated, not rounded).
func formatSize(n uint64) string {
	const k = 1000
	switch {
	case n/k/k/k/k >= 10:
		return strconv.FormatUint(n/k/k/k/k, 10) + " TB"
	case n/k/k/k >= 10:
		return strconv.FormatUint(n/k/k/k, 10) + " GB"
	case n/k/k >= 10:
		return strconv.FormatUint(n/k/k, 10) + " MB"
	case n/k >= 10:
		return strconv.FormatUint(n/k, 10) + " kB"
	}
	return strconv.FormatUint(n, 10) + " bytes"
}
