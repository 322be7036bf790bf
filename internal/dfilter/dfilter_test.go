package dfilter

import (
	"errors"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// TestCompileErrors: a filter tcplab cannot run is an error that points
// at the offending token, never a filter matching everything.
func TestCompileErrors(t *testing.T) {
	for _, tt := range []struct {
		filter string
		offset int
		msg    string
	}{
		{"tcp.prot == 80", 0, "not a field"},
		{"tcp.port = 80", 9, "did you mean"},
		{"tcp.port == 80 &&", 17, "ends"},
		{"tcp.port == http", 12, "not a valid number"},
		{"ip.addr == example.com", 11, "not an address"},
		{"(tcp.port == 80", 15, "missing"},
		{"tcp.port in {}", 13, "empty set"},
		{"tcp.payload[0:2] == 47:45", 11, "slices"},
		{"tcp.port contains 80", 9, "contains does not apply"},
		{"tcp.analysis.retransmission == 1", 31, "no value"},
		{"", 0, "empty"},
		{"tcp.port == tcp.srcport", 12, "two fields"},
		{"tcp.port == 70000", 12, "too big"},
		{"tcp.stream in {0 1}", 17, "comma"},
		{"tcp.stream in {0,1,}", 19, "a value"},
		{"tcp.port ^^ tcp.len", 9, "xor"},
	} {
		_, err := Compile(tt.filter)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Compile(%q) = %v, want a SyntaxError", tt.filter, err)
			continue
		}
		if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("Compile(%q) = offset %d %q, want offset %d and %q", tt.filter, se.Offset, se.Msg, tt.offset, tt.msg)
		}
	}
}

// TestCompile: the forms Wireshark accepts compile.
func TestCompile(t *testing.T) {
	for _, f := range []string{
		"tcp", "tcp.port == 80", "tcp.port eq 80 and not tcp.flags.syn", "tcp.flags.syn == 1 && tcp.flags.ack == 0",
		"ip.addr == 10.0.0.0/8", "ipv6.addr == fd00::1", "tcp.stream in {0, 2..4, 7}", "tcp.stream in {0,2}",
		`tcp.payload contains "GET"`, "tcp.payload contains 47:45:54", `tcp.payload matches "^get"`,
		"frame.time_relative >= 0.5", "tcp.analysis.ack_rtt > 0.001", "!(tcp.len > 0) || tcp.port ~= 80",
		"tcp.flags.reset == True", "tcp.window_size <= 0x100", "tcp.len == -1", "tcp.flags.syn == 2",
	} {
		if _, err := Compile(f); err != nil {
			t.Errorf("Compile(%q) = %v", f, err)
		}
	}
}

// FuzzCompile: no filter text makes Compile or Match panic, and a filter
// that does not compile says where.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"tcp.port == 80", `tcp.payload contains "a\x00"`, "!(tcp.stream in {0, 2..4})", "ip.addr == 10.0.0.0/8 or ipv6", "tcp.analysis.ack_rtt > 0.5 && tcp.len ~= 3"} {
		f.Add(s)
	}
	recs := append(sampleRecords(f), cutRecord(f))
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := Compile(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("Compile(%q) = %v", s, err)
			}
			return
		}
		for _, r := range recs {
			flt.Match(r)
		}
	})
}

// TestMatchAllocs: a Record reused from packet to packet evaluates a
// filter without allocating (filtering a large capture must cost little
// over listing it).
func TestMatchAllocs(t *testing.T) {
	recs := sampleRecords(t)
	f, err := Compile(`(tcp.len >= 0 && !tcp.analysis.reused_ports) || ip.addr == 10.0.0.0/8 || tcp.stream in {1, 5..9} || tcp.payload contains "x"`)
	if err != nil {
		t.Fatal(err)
	}
	var r Record
	i := 0
	next := func() {
		src := recs[i%len(recs)]
		r.Frame, r.Time, r.P, r.R = src.Frame, src.Time, src.P, src.R
		i++
		f.Match(&r)
	}
	next() // the first call sizes the buffer
	if n := testing.AllocsPerRun(200, next); n != 0 {
		t.Errorf("Match allocates %.1f times per packet, want 0", n)
	}
}

// cutRecord returns the lab capture's first packet as a header cut after
// its sequence number (Record.Cut), its Result left empty.
func cutRecord(tb testing.TB) *Record {
	src := sampleRecords(tb)[0]
	p := *src.P
	p.TCP = p.TCP[:8]
	return &Record{Frame: src.Frame, Time: src.Time, RelNS: src.RelNS, Len: src.Len, CapLen: src.CapLen - len(src.P.TCP) + 8, Iface: -1, P: &p, R: new(tcpanalysis.Result), Cut: true}
}

// TestCutRecord: a header cut before its window has, of TCP's fields,
// tcp and the ports only (as tshark), every other field absent and
// printed empty.
func TestCutRecord(t *testing.T) {
	r := cutRecord(t)
	var scratch [][]byte
	for _, name := range Fields() {
		f, err := Compile(name)
		if err != nil {
			t.Fatal(err)
		}
		want := !strings.HasPrefix(name, "tcp") || name == "tcp" || name == "tcp.srcport" || name == "tcp.dstport" || name == "tcp.port"
		if name == "ipv6" || strings.HasPrefix(name, "ipv6.") {
			want = false // an IPv4 capture
		}
		if got := f.Match(r); got != want {
			t.Errorf("filter %q on a cut header = %v, want %v", name, got, want)
		}
		c, err := NewColumn(name)
		if err != nil {
			t.Fatal(err)
		}
		if text := c.Append(nil, r, All, []byte(","), &scratch); len(text) == 0 == want {
			t.Errorf("-e %s on a cut header printed %q", name, text)
		}
	}
}
