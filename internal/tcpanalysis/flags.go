package tcpanalysis

// Flags is a set of Wireshark expert analysis flags (tcp.analysis.*) for
// one segment.
type Flags uint32

// The analysis flags, in the order the JSON contract lists them.
const (
	Retransmission         Flags = 1 << iota // tcp.analysis.retransmission
	FastRetransmission                       // tcp.analysis.fast_retransmission
	SpuriousRetransmission                   // tcp.analysis.spurious_retransmission
	OutOfOrder                               // tcp.analysis.out_of_order
	LostSegment                              // tcp.analysis.lost_segment: previous segment not captured
	AckLostSegment                           // tcp.analysis.ack_lost_segment: ACKed unseen segment
	DuplicateAck                             // tcp.analysis.duplicate_ack
	ZeroWindow                               // tcp.analysis.zero_window
	ZeroWindowProbe                          // tcp.analysis.zero_window_probe
	ZeroWindowProbeAck                       // tcp.analysis.zero_window_probe_ack
	WindowFull                               // tcp.analysis.window_full
	WindowUpdate                             // tcp.analysis.window_update
	KeepAlive                                // tcp.analysis.keep_alive
	KeepAliveAck                             // tcp.analysis.keep_alive_ack
	ReusedPorts                              // tcp.analysis.reused_ports
	numFlags               = iota
)

// flagText holds each flag's tcp.analysis field name and the label
// Wireshark shows for it in the Info column (without the brackets), in
// the contract's order.
var flagText = [numFlags]struct{ name, label string }{
	{"retransmission", "TCP Retransmission"},
	{"fast_retransmission", "TCP Fast Retransmission"},
	{"spurious_retransmission", "TCP Spurious Retransmission"},
	{"out_of_order", "TCP Out-Of-Order"},
	{"lost_segment", "TCP Previous segment not captured"},
	{"ack_lost_segment", "TCP ACKed unseen segment"},
	{"duplicate_ack", "TCP Dup ACK"},
	{"zero_window", "TCP ZeroWindow"},
	{"zero_window_probe", "TCP ZeroWindowProbe"},
	{"zero_window_probe_ack", "TCP ZeroWindowProbeAck"},
	{"window_full", "TCP Window Full"},
	{"window_update", "TCP Window Update"},
	{"keep_alive", "TCP Keep-Alive"},
	{"keep_alive_ack", "TCP Keep-Alive ACK"},
	{"reused_ports", "TCP Port numbers reused"},
}

// Name returns the tcp.analysis field name of a single flag (without the
// "tcp.analysis." prefix), or "" when f is not exactly one known flag.
func (f Flags) Name() string {
	if i := f.index(); i >= 0 {
		return flagText[i].name
	}
	return ""
}

// index returns the position of the single flag f in the contract's
// order, or -1 when f is not exactly one known flag.
func (f Flags) index() int {
	for i := range numFlags {
		if f == 1<<i {
			return i
		}
	}
	return -1
}

// Each calls fn for every flag set in f, in the contract's order.
func (f Flags) Each(fn func(Flags)) {
	for i := range numFlags {
		if f&(1<<i) != 0 {
			fn(1 << i)
		}
	}
}

// Retransmitted reports whether f marks the segment as any kind of
// retransmission (plain, fast or spurious): its payload was sent before.
func (f Flags) Retransmitted() bool {
	return f&(Retransmission|FastRetransmission|SpuriousRetransmission) != 0
}

// InfoOrder lists the flags in the order their bracketed labels appear at
// the start of Wireshark's Info column. Wireshark prepends each label in
// turn (reused ports first, zero window probe ACK last), so the label
// prepended last comes first.
var InfoOrder = [...]Flags{
	ZeroWindowProbeAck,
	ZeroWindow,
	ZeroWindowProbe,
	DuplicateAck,
	KeepAliveAck,
	KeepAlive,
	WindowFull,
	WindowUpdate,
	AckLostSegment,
	LostSegment,
	OutOfOrder,
	SpuriousRetransmission,
	FastRetransmission,
	Retransmission,
	ReusedPorts,
}

// Label returns the label Wireshark shows for a single flag in the Info
// column, without the brackets ("TCP Retransmission"), or "" when f is
// not exactly one known flag. The duplicate ACK's label is "TCP Dup ACK";
// Wireshark follows it with the numbers ("TCP Dup ACK 5#1"), which the
// caller adds.
func (f Flags) Label() string {
	if i := f.index(); i >= 0 {
		return flagText[i].label
	}
	return ""
}

// String returns the names of the flags in f, separated by commas, or ""
// when f is empty.
func (f Flags) String() string {
	var b []byte
	f.Each(func(g Flags) {
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, g.Name()...)
	})
	return string(b)
}
