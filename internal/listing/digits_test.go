package listing

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
)

// TestAppendUint compares appendUint with strconv around every power of
// ten and at the extremes, appending to a buffer with and without room.
func TestAppendUint(t *testing.T) {
	for v := uint64(1<<32 - 1<<17); v < 1<<32+1<<10; v++ {
		if got, want := string(appendUint(nil, v)), strconv.FormatUint(v, 10); got != want {
			t.Fatalf("appendUint(%d) = %q, want %q", v, got, want)
		}
	}
	for v := uint64(1); v < 1<<32; v = v*3 + 1 {
		for _, w := range []uint64{v - 1, v, v + 1, v / 10000 * 10000, v/10000*10000 - 1} {
			if got, want := string(appendUint(nil, w)), strconv.FormatUint(w, 10); got != want {
				t.Fatalf("appendUint(%d) = %q, want %q", w, got, want)
			}
		}
	}
	for v := range uint64(1 << 17) {
		if got, want := string(appendUint(nil, v)), strconv.FormatUint(v, 10); got != want {
			t.Fatalf("appendUint(%d) = %q, want %q", v, got, want)
		}
	}
	vals := []uint64{0, 1, 9, math.MaxUint32, math.MaxUint64, math.MaxUint64 - 1}
	for _, p := range pow10 {
		vals = append(vals, p-1, p, p+1, p*9/10*10+9)
	}
	for _, v := range vals {
		want := "x" + strconv.FormatUint(v, 10)
		if got := string(appendUint([]byte("x"), v)); got != want {
			t.Errorf("appendUint(%d) = %q, want %q", v, got, want)
		}
		if got := string(appendUint(append(make([]byte, 0, 64), 'x'), v)); got != want {
			t.Errorf("appendUint(%d), with room = %q, want %q", v, got, want)
		}
		if got, want := decimalLen(v), len(strconv.FormatUint(v, 10)); got != want {
			t.Errorf("decimalLen(%d) = %d, want %d", v, got, want)
		}
		if got, want := string(appendUintRight(nil, v, 8)), strconv.FormatUint(v, 10); len(got) != max(8, len(want)) || got[len(got)-len(want):] != want {
			t.Errorf("appendUintRight(%d, 8) = %q", v, got)
		}
	}
	if got := string(appendSpaces(nil, 40)); len(got) != 40 {
		t.Errorf("appendSpaces(40) appended %d bytes", len(got))
	}
}

// FuzzAppendUint checks appendUint against strconv on any value.
func FuzzAppendUint(f *testing.F) {
	f.Add(uint64(0))              // the single-digit path
	f.Add(uint64(99))             // two digits
	f.Add(uint64(math.MaxUint64)) // twenty digits
	f.Add(uint64(10_000_000_000)) // a power of ten
	f.Fuzz(func(t *testing.T, v uint64) {
		if got, want := string(appendUint(nil, v)), strconv.FormatUint(v, 10); got != want {
			t.Errorf("appendUint(%d) = %q, want %q", v, got, want)
		}
	})
}

func BenchmarkAppendUint(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendUint(buf[:0], 1234567890)
	}
}

func BenchmarkStrconvAppendUint(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = strconv.AppendUint(buf[:0], 1234567890, 10)
	}
}

// refAppendTime is AppendTime as written before it wrote digits in
// place: the reference for TestAppendTimeDigits.
func refAppendTime(dst []byte, ns int64, digits int) []byte {
	digits = max(0, min(digits, 9))
	if ns < 0 {
		dst = append(dst, '-')
		ns = -ns
	}
	dst = strconv.AppendInt(dst, ns/1e9, 10)
	if digits == 0 {
		return dst
	}
	dst = append(dst, '.')
	frac := ns % 1e9
	for i := 9; i > digits; i-- {
		frac /= 10
	}
	var buf [9]byte
	for i := digits - 1; i >= 0; i-- {
		buf[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(dst, buf[:digits]...)
}

// TestAppendTimeDigits compares AppendTime and timeLen with the
// reference for every resolution on times around whole seconds, before
// the first frame, and large.
func TestAppendTimeDigits(t *testing.T) {
	for _, ns := range []int64{0, 1, 999_999_999, 1e9, 1e9 + 1, 12_345_678_901, -1, -1_500_000_000, math.MaxInt64, 86400e9 * 365} {
		for digits := -1; digits <= 10; digits++ {
			want := string(refAppendTime(nil, ns, digits))
			if got := string(AppendTime(nil, ns, digits)); got != want {
				t.Errorf("AppendTime(%d, %d) = %q, want %q", ns, digits, got, want)
			}
			if got := timeLen(ns, digits); got != len(want) {
				t.Errorf("timeLen(%d, %d) = %d, want %d", ns, digits, got, len(want))
			}
		}
	}
}

// TestAppendAddrPad compares the IPv4 shortcut with appendPad over
// netip's text, for octets of every width, and an IPv6 address.
func TestAppendAddrPad(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "1.22.133.4", "255.255.255.255", "127.0.0.1", "::1", "2001:db8::1:2:3:4"} {
		a := netip.MustParseAddr(s)
		for _, right := range []bool{false, true} {
			want := string(appendPad([]byte("x"), []byte(a.String()), 12, right))
			if got := string(appendAddrPad([]byte("x"), a, 12, right)); got != want {
				t.Errorf("appendAddrPad(%s, 12, %v) = %q, want %q", s, right, got, want)
			}
		}
	}
}

// TestPut32 compares put32 with strconv around every power of ten, at
// the extremes and on random values.
func TestPut32(t *testing.T) {
	tb := decimals()
	b := make([]byte, 32)
	check := func(v uint32) {
		t.Helper()
		n := put32(b, 1, tb, v)
		if got, want := string(b[1:n]), strconv.FormatUint(uint64(v), 10); got != want {
			t.Fatalf("put32(%d) = %q, want %q", v, got, want)
		}
	}
	for p := uint64(1); p <= 1e10; p *= 10 {
		for _, v := range []uint64{p - 1, p, p + 1, 2*p - 1, 9*p + p - 1} {
			if v < 1<<32 {
				check(uint32(v))
			}
		}
	}
	for v := range uint32(1 << 20) {
		check(v)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 1_000_000 {
		check(rng.Uint32())
		check(rng.Uint32N(1e8))
	}
	check(1<<32 - 1)
}
