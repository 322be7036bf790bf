package listing

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"strconv"
	"sync/atomic"
)

// digitPairs holds "00" to "99", for writing two digits at a time.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// pow10 holds the powers of ten that fit in a uint64.
var pow10 = [...]uint64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// decimalLen returns the number of decimal digits of v (1 for 0).
func decimalLen(v uint64) int {
	n := bits.Len64(v|1)*1233>>12 + 1 // 1233/4096 is just above log10(2)
	if n > 1 && v < pow10[n-1] {
		n--
	}
	return n
}

// appendUint appends v in decimal. Numbers below 65536 (ports, lengths,
// windows, most relative sequence numbers) come from a table of their
// digits, stored with one 8-byte write; 32-bit numbers (frame numbers,
// timestamps) from that table and groups of four digits from a second
// one; larger ones from strconv. (Writing the digits in place with
// strconv's method measured more instructions, not fewer.) Its body is
// put32's with a capacity check, written out so that a number costs one
// call, not two: appendUint is too large to be inlined.
func appendUint(dst []byte, v uint64) []byte {
	if v > 1<<32-1 {
		return strconv.AppendUint(dst, v, 10)
	}
	t := decimals()
	l := len(dst)
	if cap(dst)-l < 16 {
		dst = slices.Grow(dst, 16)
	}
	dst = dst[:l+16]
	w := uint32(v)
	if w < 1<<16 {
		e := t.n[w]
		binary.LittleEndian.PutUint64(dst[l:], e)
		return dst[:l+int(e>>56)]
	}
	lo := w % 10000
	w /= 10000
	if w < 1<<16 { // up to 655,359,999
		e := t.n[w]
		n := int(e >> 56)
		binary.LittleEndian.PutUint64(dst[l:], e)
		binary.LittleEndian.PutUint32(dst[l+n:], t.four[lo])
		return dst[:l+n+4]
	}
	mid := w % 10000
	e := t.n[w/10000]
	n := int(e >> 56)
	binary.LittleEndian.PutUint64(dst[l:], e)
	binary.LittleEndian.PutUint32(dst[l+n:], t.four[mid])
	binary.LittleEndian.PutUint32(dst[l+n+4:], t.four[lo])
	return dst[:l+n+8]
}

// decimalTables holds, in n, the decimal digits of every number below
// 65536, each packed in a uint64: the digits from the lowest byte up, the
// count in the highest; in four, the four digits, with leading zeros, of
// every number below 10000. smallDecimals points to them once decimals
// has built them, on first use (callers racing to build them build the
// same tables); an atomic load costs less than sync.OnceValue's call on
// each number.
var smallDecimals atomic.Pointer[decimalTables]

type decimalTables struct {
	n    [1 << 16]uint64
	four [10000]uint32
}

// buildSmallDecimals returns the tables smallDecimals holds: the four
// digits of every number below 10000 first, then every number below
// 65536 from its four low digits and its fifth.
func buildSmallDecimals() *decimalTables {
	t := new(decimalTables)
	for i := range uint32(len(t.four)) {
		t.four[i] = ('0' + i/1000) | ('0'+i/100%10)<<8 | ('0'+i/10%10)<<16 | ('0'+i%10)<<24
	}
	for i := range len(t.n) {
		lo := uint64(t.four[i%10000])
		var e uint64
		switch {
		case i >= 10000:
			e = 5<<56 | lo<<8 | uint64('0'+i/10000)
		case i >= 1000:
			e = 4<<56 | lo
		case i >= 100:
			e = 3<<56 | lo>>8
		case i >= 10:
			e = 2<<56 | lo>>16
		default:
			e = 1<<56 | lo>>24
		}
		t.n[i] = e
	}
	return t
}

// putDigits writes v's decimal digits into b, which is exactly as long
// as v has digits.
func putDigits(b []byte, v uint64) {
	i := len(b)
	for v > 1<<32-1 && i >= 2 {
		q := v / 100
		r := (v - q*100) * 2
		i -= 2
		b[i], b[i+1] = digitPairs[r], digitPairs[r+1]
		v = q
	}
	// The rest in 32 bits, whose division by 100 is cheaper.
	w := uint32(v)
	for w >= 100 && i >= 2 {
		q := w / 100
		r := (w - q*100) * 2
		i -= 2
		b[i], b[i+1] = digitPairs[r], digitPairs[r+1]
		w = q
	}
	switch {
	case i >= 2 && w >= 10:
		b[i-2], b[i-1] = digitPairs[w*2], digitPairs[w*2+1]
	case i >= 1:
		b[i-1] = byte('0' + w%10)
	}
}

// appendSpaces appends n spaces (none when n <= 0).
func appendSpaces(dst []byte, n int) []byte {
	const spaces = "                                "
	for n > 0 {
		k := min(n, len(spaces))
		dst = append(dst, spaces[:k]...)
		n -= k
	}
	return dst
}

// appendUintRight appends v in decimal, right-aligned in a field of at
// least width bytes.
func appendUintRight(dst []byte, v uint64, width int) []byte {
	dst = appendSpaces(dst, width-decimalLen(v))
	return appendUint(dst, v)
}
