package listing

import (
	"encoding/binary"
	"slices"
)

// The put functions write into b at index i and return the index after
// what they wrote. They store whole 4- and 8-byte words, so b must have
// room for what they write plus 8 bytes; callers reserve lineRoom bytes
// with reserve first, then write without a capacity check per number.
// A line written this way costs one capacity check instead of one per
// number and literal, and numbers below 65536 cost one table load and
// one store.

// reserve returns dst with at least n more bytes of capacity, and dst
// resliced to its capacity to write into.
func reserve(dst []byte, n int) []byte {
	dst = slices.Grow(dst, n)
	return dst[:cap(dst)]
}

// decimals returns the digit tables, building them on first use.
func decimals() *decimalTables {
	if t := smallDecimals.Load(); t != nil {
		return t
	}
	return loadDecimals()
}

// loadDecimals builds and publishes the digit tables.
func loadDecimals() *decimalTables {
	t := buildSmallDecimals()
	smallDecimals.Store(t)
	return t
}

// putSmall writes v in decimal.
func putSmall(b []byte, i int, t *decimalTables, v uint16) int {
	e := t.n[v]
	binary.LittleEndian.PutUint64(b[i:], e)
	return i + int(e>>56)
}

// put32 writes v in decimal. (It is too large to be inlined: where
// numbers are mostly below 65536, callers test that and call putSmall,
// which is inlined, or put32.)
func put32(b []byte, i int, t *decimalTables, v uint32) int {
	if v < 1<<16 {
		e := t.n[v]
		binary.LittleEndian.PutUint64(b[i:], e)
		return i + int(e>>56)
	}
	lo := v % 10000
	v /= 10000
	if v < 1<<16 { // up to 655,359,999
		e := t.n[v]
		n := i + int(e>>56)
		binary.LittleEndian.PutUint64(b[i:], e)
		binary.LittleEndian.PutUint32(b[n:], t.four[lo])
		return n + 4
	}
	mid := v % 10000
	e := t.n[v/10000]
	n := i + int(e>>56)
	binary.LittleEndian.PutUint64(b[i:], e)
	binary.LittleEndian.PutUint32(b[n:], t.four[mid])
	binary.LittleEndian.PutUint32(b[n+4:], t.four[lo])
	return n + 8
}

// spaces8 is eight spaces, as a word.
const spaces8 = 0x2020202020202020

// putSpaces writes n spaces, none when n <= 0; n is at most 16.
func putSpaces(b []byte, i int, n int) int {
	binary.LittleEndian.PutUint64(b[i:], spaces8)
	binary.LittleEndian.PutUint64(b[i+8:], spaces8)
	return i + max(n, 0)
}

// uintLen returns the number of decimal digits of v.
func uintLen(t *decimalTables, v uint32) int {
	if v < 1<<16 {
		return int(t.n[v] >> 56)
	}
	return decimalLen(uint64(v))
}

// putRight writes v right-aligned in width (at most 16).
func putRight(b []byte, i int, t *decimalTables, v uint32, width int) int {
	return put32(b, putSpaces(b, i, width-uintLen(t, v)), t, v)
}

// lit is a literal of at most 8 bytes packed in a word, its length in
// the highest byte, to be written with putLit.
type lit uint64

// mkLit packs s (at most 7 bytes) for putLit.
func mkLit(s string) lit {
	var w [8]byte
	copy(w[:7], s)
	return lit(binary.LittleEndian.Uint64(w[:])&(1<<56-1) | uint64(len(s))<<56)
}

// putLit writes l.
func putLit(b []byte, i int, l lit) int {
	binary.LittleEndian.PutUint64(b[i:], uint64(l))
	return i + int(l>>56)
}

// The literals of a packet line.
var (
	litArrow = mkLit(" " + arrow + " ")
	litAck   = mkLit(" Ack=")
	litWin   = mkLit(" Win=")
	litLen   = mkLit(" Len=")
	litUrg   = mkLit(" Urg=")
	litTSval = mkLit(" TSval=")
	litTSecr = mkLit(" TSecr=")
	litMSS   = mkLit(" MSS=")
	litWS    = mkLit(" WS=")
)
