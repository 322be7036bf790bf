// Package tcpanalysis computes, for every TCP segment of a capture, what
// Wireshark 4.0's TCP dissector computes: the conversation index
// (tcp.stream, with a new index when a SYN reuses a conversation's ports),
// relative sequence and acknowledgement numbers, the window after scaling
// and its scale factor, and the expert analysis flags (retransmissions,
// out-of-order segments, lost and ACKed-unseen segments, duplicate ACKs,
// zero windows and their probes, full windows, window updates,
// keep-alives and reused ports) with the same heuristics, thresholds and
// precedence.
//
// The analysis is one streaming pass in file order, like tshark's default
// single pass: Analyzer.Analyze takes one decoded packet at a time and
// keeps only per-conversation state, so memory is bounded by the number
// of conversations, not by the size of the capture. It does not allocate
// per packet once a conversation exists.
//
// Each conversation is also summarised (Stream): client and server,
// frames, packets and payload bytes each way, initial RTT, how much of
// the handshake and the close was captured, and Zeek's conn_state. An
// Analyzer whose health is on (SetHealth) also keeps each conversation's
// Health: resent bytes, ACK RTT, zero-window time and bytes in flight each
// way, and Zeek's conn.log history; off, it costs neither time nor memory.
package tcpanalysis
