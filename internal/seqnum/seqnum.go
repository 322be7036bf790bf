// Package seqnum implements TCP's 32-bit sequence-number arithmetic
// (RFC 9293 section 3.4): values compare modulo 2^32, so "less" means
// "precedes within half the number space". The comparisons are
// Wireshark's LT_SEQ, LE_SEQ, GT_SEQ and GE_SEQ (packet-tcp.h), so that
// analyses built on them agree with tshark's: at a distance of exactly
// 2^31, v both precedes and follows w.
package seqnum

// Value is a TCP sequence or acknowledgement number.
type Value uint32

// Size is a distance between two sequence numbers.
type Size uint32

// Less reports whether v precedes w modulo 2^32.
func (v Value) Less(w Value) bool { return int32(v-w) < 0 }

// LessEq reports whether v precedes or equals w modulo 2^32.
func (v Value) LessEq(w Value) bool { return int32(v-w) <= 0 }

// Greater reports whether v follows w modulo 2^32: whether w precedes
// v, as Wireshark's GT_SEQ computes it. It holds, as Less does, when v
// and w are exactly 2^31 apart.
func (v Value) Greater(w Value) bool { return int32(w-v) < 0 }

// GreaterEq reports whether v follows or equals w modulo 2^32: whether
// w precedes or equals v, as Wireshark's GE_SEQ computes it. It holds,
// as LessEq does, when v and w are exactly 2^31 apart.
func (v Value) GreaterEq(w Value) bool { return int32(w-v) <= 0 }

// Add returns v advanced by s, wrapping modulo 2^32.
func (v Value) Add(s Size) Value { return v + Value(s) }

// Sub returns the distance from w to v (v - w modulo 2^32).
func (v Value) Sub(w Value) Size { return Size(v - w) }

// InRange reports whether v lies in the half-open window [a, b).
func (v Value) InRange(a, b Value) bool { return a.LessEq(v) && v.Less(b) }
