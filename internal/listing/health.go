package listing

import (
	"net/netip"

	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// appendHealthJSON appends the stream record's health keys (see
// docs/analysis-json.md): for each direction of data, c2s then s2c, the
// bytes sent again, the RTT of its ACKs (when there is one), the time
// its receiver's window stayed at zero and the most bytes in flight;
// then Zeek's history.
func appendHealthJSON(dst []byte, s *tcpanalysis.Stream) []byte {
	h := s.Health
	if h == nil {
		return dst
	}
	for d, dir := range [2]string{"c2s", "s2c"} {
		dst = append(dst, `,"retrans_`...)
		dst = append(dst, dir...)
		dst = append(dst, `":`...)
		dst = appendUint(dst, h.RetransBytes[d])
	}
	for d, dir := range [2]string{"c2s", "s2c"} {
		rtt := h.RTT[d]
		if rtt.N == 0 {
			continue
		}
		for _, kv := range [3]struct {
			key string
			ns  int64
		}{{"min", rtt.Min}, {"avg", rtt.Avg()}, {"max", rtt.Max}} {
			dst = append(dst, `,"rtt_`...)
			dst = append(dst, kv.key...)
			dst = append(dst, '_')
			dst = append(dst, dir...)
			dst = append(dst, `":`...)
			dst = AppendTime(dst, kv.ns, 9)
		}
		dst = append(dst, `,"rtt_samples_`...)
		dst = append(dst, dir...)
		dst = append(dst, `":`...)
		dst = appendUint(dst, rtt.N)
	}
	for d, dir := range [2]string{"c2s", "s2c"} {
		dst = append(dst, `,"zero_window_`...)
		dst = append(dst, dir...)
		dst = append(dst, `":`...)
		dst = AppendTime(dst, s.ZeroWindow(d), 9)
	}
	for d, dir := range [2]string{"c2s", "s2c"} {
		dst = append(dst, `,"max_in_flight_`...)
		dst = append(dst, dir...)
		dst = append(dst, `":`...)
		dst = appendUint(dst, uint64(h.MaxInFlight[d]))
	}
	var scratch [64]byte
	if hist := s.AppendHistory(scratch[:0]); len(hist) != 0 {
		dst = append(dst, `,"history":`...)
		dst = appendJSONString(dst, hist)
	}
	return dst
}

// healthTitle is the health table's title.
const healthTitle = "TCP Conversation Health (each direction's data)\n"

// healthHeads are the health table's column heads, lined up with
// appendHealthRow's fields: each group of columns starts with a space in
// a row, a bar in the heads.
var healthHeads = func() string {
	pad := func(s string, w int) string { return string(appendPad(nil, []byte(s), w, true)) }
	center := func(s string, w int) string {
		l := (w - len(s)) / 2
		return string(appendPad(appendSpaces(nil, l), []byte(s), w-l, false))
	}
	blank := string(appendSpaces(nil, 56))
	return blank + "|" + center("Payload bytes", 23) + "|" + center("ACK RTT (s)", 33) + "|" + center("Zero window", 14) + "|" + center("Max bytes", 12) + "|\n" +
		blank + "|" + pad("Distinct", 11) + " " + pad("Resent", 10) + " |" + pad("Min", 10) + " " + pad("Avg", 10) + " " + pad("Max", 10) + " |" + pad("(s)", 13) + " |" + pad("in flight", 11) + " | History\n"
}()

// appendHealthHeader appends the health table's title and heads (under
// the conversation table's closing rule).
func appendHealthHeader(dst []byte) []byte {
	dst = append(dst, healthTitle...)
	return append(dst, healthHeads...)
}

// appendHealthRows appends the health table's two rows for s, one for
// each direction of data, in the conversation table's order of its
// endpoints (the one its tap saw first, then the other); the history
// ends the first.
func appendHealthRows(dst []byte, s *tcpanalysis.Stream) []byte {
	a, b := s.Client, s.Server
	first := 0 // the direction from a to b
	if s.TapFirst != s.Client {
		a, b, first = b, a, 1
	}
	dst = appendHealthRow(dst, s, a, b, first)
	end := len(dst) - 1                                // the first row's newline
	dst = s.AppendHistory(append(dst[:end], "   "...)) // under " | History"
	if len(dst) == end+3 {
		dst = dst[:end] // no history
	}
	dst = append(dst, '\n')
	return appendHealthRow(dst, s, b, a, 1-first)
}

// noHealth stands for the health of a stream that has none.
var noHealth tcpanalysis.Health

// appendHealthRow appends the row of direction d (0 client→server) of
// s, from src to dst.
func appendHealthRow(dst []byte, s *tcpanalysis.Stream, from, to netip.AddrPort, d int) []byte {
	var scratch [64]byte
	h := s.Health
	if h == nil {
		h = &noHealth
	}
	dst = appendPad(dst, appendConvAddr(scratch[:0], from), 26, false)
	dst = append(dst, " -> "...)
	dst = appendPad(dst, appendConvAddr(scratch[:0], to), 26, false)
	bytes := s.BytesC2S
	if d == 1 {
		bytes = s.BytesS2C
	}
	dst = appendUintRight(append(dst, ' '), bytes, 11)
	dst = appendUintRight(append(dst, ' '), h.RetransBytes[d], 10)
	dst = append(dst, ' ')
	rtt := h.RTT[d]
	for _, ns := range [3]int64{rtt.Min, rtt.Avg(), rtt.Max} {
		v := append(scratch[:0], '-')
		if rtt.N != 0 {
			v = AppendTime(scratch[:0], ns, 6)
		}
		dst = appendPad(append(dst, ' '), v, 10, true)
	}
	dst = appendPad(append(dst, "  "...), AppendTime(scratch[:0], s.ZeroWindow(d), 6), 13, true)
	dst = appendUintRight(append(dst, "  "...), uint64(h.MaxInFlight[d]), 11)
	return append(dst, '\n')
}
