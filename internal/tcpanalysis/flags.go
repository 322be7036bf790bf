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

var flagNames = [numFlags]string{
	"retransmission",
	"fast_retransmission",
	"spurious_retransmission",
	"out_of_order",
	"lost_segment",
	"ack_lost_segment",
	"duplicate_ack",
	"zero_window",
	"zero_window_probe",
	"zero_window_probe_ack",
	"window_full",
	"window_update",
	"keep_alive",
	"keep_alive_ack",
	"reused_ports",
}

// Name returns the tcp.analysis field name of a single flag (without the
// "tcp.analysis." prefix), or "" when f is not exactly one known flag.
func (f Flags) Name() string {
	for i := range numFlags {
		if f == 1<<i {
			return flagNames[i]
		}
	}
	return ""
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

// labels are the flags' labels in Wireshark's Info column, without the
// brackets, in the contract's order.
var labels = [numFlags]string{
	"TCP Retransmission",
	"TCP Fast Retransmission",
	"TCP Spurious Retransmission",
	"TCP Out-Of-Order",
	"TCP Previous segment not captured",
	"TCP ACKed unseen segment",
	"TCP Dup ACK",
	"TCP ZeroWindow",
	"TCP ZeroWindowProbe",
	"TCP ZeroWindowProbeAck",
	"TCP Window Full",
	"TCP Window Update",
	"TCP Keep-Alive",
	"TCP Keep-Alive ACK",
	"TCP Port numbers reused",
}

// Label returns the label Wireshark shows for a single flag in the Info
// column, without the brackets ("TCP Retransmission"), or "" when f is
// not exactly one known flag. The duplicate ACK's label is "TCP Dup ACK";
// Wireshark follows it with the numbers ("TCP Dup ACK 5#1"), which the
// caller adds.
func (f Flags) Label() string {
	for i := range numFlags {
		if f == 1<<i {
			return labels[i]
		}
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
