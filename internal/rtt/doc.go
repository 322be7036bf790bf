// Package rtt computes the round-trip-time table of the classic TCP lab from
// a conversation's segments: one SampleRTT per ACK that newly acknowledges
// data (the time from the segment to the ACK that covers it), the smoothed
// EstimatedRTT (α = 1/8), DevRTT (β = 1/4) and the retransmission timeout of
// RFC 6298, with Karn's rule (no sample from a retransmitted segment).
//
// The package is pure: Table takes the segments in capture order and
// returns the rows, with no clock and no I/O. Each side of a conversation
// has its own estimator, because each side times its own data: the client's
// first sample is its SYN answered by the server's SYN/ACK, the server's is
// its SYN/ACK answered by the client's ACK (RFC 6298 section 2 lets the
// handshake supply the first measurement).
package rtt
