package difftest

import (
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

// TestShiftPorts checks that shifting ports moves the innermost TCP
// segment's ports and keeps good checksums good, whatever the link type
// and encapsulation the generator chose.
func TestShiftPorts(t *testing.T) {
	for _, seed := range []uint64{7, 8, 9, 10} {
		c := Generate(seed, 300)
		checked := 0
		for _, f := range c.Frames[:50] {
			if f.Orig != len(f.Data) {
				continue // a cut frame's checksum is not verified
			}
			var before, after decode.Packet
			if decode.Decode(c.Link, f.Data, &before) != nil || before.Proto != decode.ProtoTCP || len(before.TCP) < 20 {
				continue
			}
			sport, dport := before.TCP.SrcPort(), before.TCP.DstPort()
			st, _ := before.TCPChecksum()
			wasGood := st == decode.ChecksumGood
			g := shiftPorts(c.Link, f.Data, 9)
			if err := decode.Decode(c.Link, g, &after); err != nil {
				t.Fatalf("seed %d: shifted frame does not decode: %v", seed, err)
			}
			if after.TCP.SrcPort()-sport != 9 || after.TCP.DstPort()-dport != 9 {
				t.Fatalf("seed %d: ports %d→%d, %d→%d; want each 9 more", seed, sport, after.TCP.SrcPort(), dport, after.TCP.DstPort())
			}
			if st, _ := after.TCPChecksum(); wasGood && st != decode.ChecksumGood {
				t.Fatalf("seed %d: checksum wrong after the shift: %x", seed, g)
			}
			checked++
		}
		if checked == 0 {
			t.Fatalf("seed %d: no frame checked", seed)
		}
	}
}
