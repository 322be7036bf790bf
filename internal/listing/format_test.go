package listing

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAppendTime(t *testing.T) {
	tests := []struct {
		ns     int64
		digits int
		want   string
	}{
		{0, 6, "0.000000"},
		{12_000, 6, "0.000012"},
		{1_234_567_891, 9, "1.234567891"},
		{1_234_567_891, 6, "1.234567"}, // truncated, not rounded
		{1_999_999_999, 3, "1.999"},
		{-10_000, 6, "-0.000010"},
		{5_000_000_000, 0, "5"},
		{42, 12, "0.000000042"}, // more digits than nanoseconds: 9
	}
	for _, tc := range tests {
		if got := string(AppendTime(nil, tc.ns, tc.digits)); got != tc.want {
			t.Errorf("AppendTime(%d, %d) = %q, want %q", tc.ns, tc.digits, got, tc.want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		n    uint64
		want string
	}{
		{0, "0 bytes"},
		{9999, "9999 bytes"},
		{10000, "10 kB"},
		{51_999, "51 kB"},
		{10_000_000, "10 MB"},
		{9_999_999_999, "9999 MB"},
		{12_000_000_000, "12 GB"},
		{20_000_000_000_000, "20 TB"},
	}
	for _, tc := range tests {
		if got := formatSize(tc.n); got != tc.want {
			t.Errorf("formatSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestAppendFlags(t *testing.T) {
	tests := []struct {
		flags uint16
		want  string
	}{
		{0x002, "SYN"},
		{0x012, "SYN, ACK"},
		{0x0c2, "SYN, ECE, CWR"},
		{0x1ff, "FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE"},
		{0xe10, "ACK, Reserved"},
		{0x000, "<None>"},
		{0x800, "Reserved"},
	}
	for _, tc := range tests {
		if got := string(appendFlags(nil, tc.flags)); got != tc.want {
			t.Errorf("appendFlags(%#x) = %q, want %q", tc.flags, got, tc.want)
		}
	}
}

func TestParseSelector(t *testing.T) {
	tests := []struct {
		expr    string
		want    string // canonical form
		wantErr bool
	}{
		{"", "", false},
		{"port 2000", "port 2000", false},
		{"stream 1,stream 2 host ::1", "stream 1 stream 2 host ::1", false},
		{"127.0.0.1:2000", "127.0.0.1:2000", false},
		{"[::ffff:10.0.0.1]:80 host ::ffff:10.0.0.2", "host 10.0.0.2 10.0.0.1:80", false},
		{"port", "", true},
		{"port 65536", "", true},
		{"host nowhere", "", true},
		{"stream x", "", true},
		{"2000", "", true},
	}
	for _, tc := range tests {
		s, err := ParseSelector(tc.expr)
		if tc.wantErr {
			if !errors.Is(err, ErrSelector) {
				t.Errorf("ParseSelector(%q) = %v, want an error wrapping ErrSelector", tc.expr, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSelector(%q): %v", tc.expr, err)
			continue
		}
		if diff := cmp.Diff(tc.want, s.String()); diff != "" {
			t.Errorf("ParseSelector(%q) (-want +got):\n%s", tc.expr, diff)
		}
	}
}

// TestSpill stores more records than spillMemory holds, so that some go
// to the temporary file, and reads them back in both orders.
func TestSpill(t *testing.T) {
	var s spill
	defer s.close()
	const n = 10000
	rec := make([]byte, 1000)
	for i := n - 1; i >= 0; i-- { // streams end out of order
		copy(rec, fmt.Sprintf("%08d", i))
		if err := s.put(uint32(i), uint64(i%3), rec); err != nil {
			t.Fatal(err)
		}
	}
	if s.file == nil {
		t.Fatal("no record went to the temporary file")
	}
	var out bytes.Buffer
	if err := s.writeTo(&out, false); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if got, want := string(out.Bytes()[i*1000:i*1000+8]), fmt.Sprintf("%08d", i); got != want {
			t.Fatalf("record %d starts %q, want %q", i, got, want)
		}
	}
	out.Reset()
	if err := s.writeTo(&out, true); err != nil {
		t.Fatal(err)
	}
	// Most frames first (tap 2, then 1, then 0), stream order within.
	if got := string(out.Bytes()[:8]); got != "00000002" {
		t.Errorf("first row by frames = %q, want 00000002", got)
	}
}
