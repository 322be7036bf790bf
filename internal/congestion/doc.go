// Package congestion reads the phases of a TCP sender's congestion control
// from a capture of one stream: slow start (the flight roughly doubling
// each round trip), congestion avoidance (about one segment more each
// round trip), fast retransmit and recovery, retransmission timeouts with
// their back-off, zero-window stalls, and the periods limited by the
// receiver's window or by the sender itself. Each phase has its first and
// last frame and the evidence it rests on, as typed values: the words are
// the caller's (the walk-through's catalog).
//
// # Method
//
// The data are cut into rounds, one round trip each, as a sender sees
// them: a round starts with the first segment of new data after the
// previous round ended, and ends with the first ACK that acknowledges
// that segment's first byte. Each round records the new bytes sent, the
// most bytes in flight (tcp.analysis.bytes_in_flight), the smallest window
// the receiver advertised, and whether the sender went idle after it.
// Between consecutive rounds the flight grows by a factor (slow start: at
// least 1.4, allowing for delayed ACKs) or by a number of segments
// (congestion avoidance: about one, as a least-squares trend over the
// phase's rounds). One round's jump or dip amid congestion avoidance is
// noise, not a new phase. A round whose new data reaches the right edge of
// the advertised window, or that Wireshark flags as filling it, outside
// the repair of a loss, is limited by the receiver; a round after which
// the sender sat idle with nothing outstanding is limited by the sender.
//
// Retransmissions make the loss phases: after duplicate ACKs (or flagged
// tcp.analysis.fast_retransmission) a fast recovery, which lasts until an
// ACK covers everything sent before it (NewReno's recovery point); after
// the sender fell silent, resending the first unacknowledged byte, a
// timeout, whose repeats without progress are its back-off. A receiver
// advertising a zero window starts a stall that its next non-zero window
// ends.
//
// # What a capture cannot tell
//
// The rounds and the flight are the sender's: at the receiver, data and
// ACKs appear about a round trip from where the sender saw them, and the
// flight Wireshark computes there is next to nothing. The capture point
// is read from the handshake (which end waited a round trip); a capture
// near the receiver gives no growth phases, only a CannotTell phase with
// ReceiverSideCapture, though the loss and zero-window phases, which the
// packets show wherever they were captured, remain. Too few rounds, or no
// ACKs in the capture, also give CannotTell. The textbook's Reno grows by
// one segment a round trip in congestion avoidance; Linux's CUBIC often
// does not, and such a phase carries the NotReno caveat rather than being
// forced into either name.
package congestion
