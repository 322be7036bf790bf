package difftest

import (
	"slices"
	"strconv"
	"strings"
)

// Record holds one packet's (or stream's) contract fields, by the
// contract's names, each normalized to a string so that tshark's and
// tcplab's compare as text: integers in decimal, times in nanoseconds,
// the analysis flags sorted and comma-separated. A field a side does not
// show is absent.
type Record map[string]string

// Result is one side's analysis of a capture.
type Result struct {
	Packets map[int]Record // by frame number
	Streams map[int]Record // by stream index: the stream fields compared (irtt)
	// Conv holds the lines of the conversation table (tshark -z conv,tcp),
	// nil when not read.
	Conv []string
	// Summary holds the summary record's counts (frames, packets,
	// streams); for tshark, counted from its lines.
	Summary Record
}

// AnalysisFlags are the contract's expert flags, as tcp.analysis.* names.
var AnalysisFlags = []string{
	"retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order",
	"lost_segment", "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe",
	"zero_window_probe_ack", "window_full", "window_update", "keep_alive", "keep_alive_ack",
	"reused_ports",
}

// PacketFields are the packet fields compared, in the order differences
// are reported.
var PacketFields = []string{
	"time", "src", "dst", "sport", "dport", "stream", "flags", "seq", "ack", "seq_raw", "ack_raw",
	"len", "win_raw", "win", "win_scale", "checksum", "checksum_status", "analysis",
	"dup_ack_of", "dup_ack_num", "acks_frame", "ack_rtt", "bytes_in_flight", "push_bytes_sent", "info",
}

// timeFields hold seconds: compared in nanoseconds.
var timeFields = map[string]bool{"time": true, "ack_rtt": true, "irtt": true}

// nanos turns decimal seconds into nanoseconds, as text; s unchanged when
// it is not a number.
func nanos(s string) string {
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	if err1 != nil || err2 != nil || len(frac) > 9 {
		return s
	}
	ns := w*1e9 + f
	if neg {
		ns = -ns
	}
	return strconv.FormatInt(ns, 10)
}

// decimal turns a number tshark may print in hex (0x...) into decimal.
func decimal(s string) string {
	if !strings.HasPrefix(s, "0x") {
		return s
	}
	n, err := strconv.ParseUint(s[2:], 16, 64)
	if err != nil {
		return s
	}
	return strconv.FormatUint(n, 10)
}

// joinFlags sorts flag names and joins them with commas.
func joinFlags(names []string) string {
	slices.Sort(names)
	return strings.Join(names, ",")
}
