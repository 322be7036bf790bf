package difftest

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
)

// TestDdmin checks that delta debugging ends with exactly the frames a
// failure needs.
func TestDdmin(t *testing.T) {
	var frames []Frame
	for i := range 100 {
		frames = append(frames, Frame{TS: int64(i)})
	}
	need := []int64{3, 40, 41, 97}
	fails := func(fs []Frame) (bool, error) {
		for _, n := range need {
			if !slices.ContainsFunc(fs, func(f Frame) bool { return f.TS == n }) {
				return false, nil
			}
		}
		return true, nil
	}
	first := func(cands [][]Frame) (int, error) {
		for i, c := range cands {
			if ok, _ := fails(c); ok {
				return i, nil
			}
		}
		return -1, nil
	}
	checks := 0
	got, err := ddmin(frames, first, &checks)
	if err != nil {
		t.Fatal(err)
	}
	var ts []int64
	for _, f := range got {
		ts = append(ts, f.TS)
	}
	if !slices.Equal(ts, need) {
		t.Errorf("ddmin kept %v, want %v (%d checks)", ts, need, checks)
	}
}

// TestCompareKinds checks the comparer's differences and their kinds.
func TestCompareKinds(t *testing.T) {
	want := &Result{Packets: map[int]Record{
		1: {"stream": "0", "analysis": "duplicate_ack,window_update", "dup_ack_num": "2", "info": "a"},
		2: {"stream": "0", "info": "b"},
	}, Streams: map[int]Record{0: {"irtt": "5000"}}}
	got := &Result{Packets: map[int]Record{
		1: {"stream": "0", "analysis": "ack_lost_segment,duplicate_ack", "dup_ack_num": "1", "info": "a"},
		3: {"stream": "0", "info": "c"},
	}, Streams: map[int]Record{0: {}}}
	var kinds []string
	for _, d := range Compare(want, got, ParseSkip("dup_ack_num")) {
		kinds = append(kinds, d.Kind())
	}
	wantKinds := []string{"analysis tshark+window_update tcplab+ack_lost_segment", "packet", "packet", "irtt"}
	if !slices.Equal(kinds, wantKinds) {
		t.Errorf("kinds %q, want %q", kinds, wantKinds)
	}
	if n := len(Compare(want, got, ParseSkip("analysis,dup_ack_num,irtt"))); n != 2 {
		t.Errorf("with analysis, dup_ack_num and irtt skipped: %d differences, want 2 (the packets)", n)
	}
}

// TestNanos checks the time normalization.
func TestNanos(t *testing.T) {
	for in, want := range map[string]string{"0.000252589": "252589", "1.5": "1500000000", "0.000253": "253000", "-0.25": "-250000000", "x": "x"} {
		if got := nanos(in); got != want {
			t.Errorf("nanos(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestShiftPorts checks that shifting ports keeps good checksums good.
func TestShiftPorts(t *testing.T) {
	c := Generate(7, 300)
	for _, f := range c.Frames[:50] {
		g := shiftPorts(c.Link, f.Data, 9)
		off := map[decode.LinkType]int{decode.LinkEthernet: 14, decode.LinkLinuxSLL2: 20}[c.Link]
		var src, dst []byte
		if g[off]>>4 == 4 {
			src, dst, off = g[off+12:off+16], g[off+16:off+20], off+20
		} else {
			src, dst, off = g[off+8:off+24], g[off+24:off+40], off+40
		}
		if f.Orig != len(f.Data) {
			continue
		}
		seg := g[off:]
		sum := sum16(seg, sum16(dst, sum16(src, 6+uint32(len(seg)))))
		if fold(sum) != 0 && fold(sum16(f.Data[off:], sum16(dst, sum16(src, 6+uint32(len(seg)))))) == 0 {
			t.Fatalf("checksum wrong after the shift: %x", g)
		}
		if binary.BigEndian.Uint16(g[off:])-binary.BigEndian.Uint16(f.Data[off:]) != 9 {
			t.Fatalf("source port not shifted")
		}
	}
}
