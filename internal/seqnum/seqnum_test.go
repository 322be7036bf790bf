package seqnum

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompare(t *testing.T) {
	type result struct{ Less, LessEq, Greater, GreaterEq bool }
	tests := []struct {
		name string
		v, w Value
		want result
	}{
		{"equal", 7, 7, result{LessEq: true, GreaterEq: true}},
		{"one before", 6, 7, result{Less: true, LessEq: true}},
		{"one after", 8, 7, result{Greater: true, GreaterEq: true}},
		{"after across the wrap", 2, 0xffff_fffe, result{Greater: true, GreaterEq: true}},
		{"before across the wrap", 0xffff_fffe, 2, result{Less: true, LessEq: true}},
		{"2^31-1 after", 1<<31 - 1, 0, result{Greater: true, GreaterEq: true}},
		{"2^31-1 before", 0, 1<<31 - 1, result{Less: true, LessEq: true}},
		// Exactly 2^31 apart, Wireshark's LT_SEQ and GT_SEQ both hold
		// (int32(v-w) and int32(w-v) are both -2^31), whichever the order.
		{"2^31 apart", 1 << 31, 0, result{Less: true, LessEq: true, Greater: true, GreaterEq: true}},
		{"2^31 apart the other way", 0, 1 << 31, result{Less: true, LessEq: true, Greater: true, GreaterEq: true}},
		{"2^31 past a wrapped value", 5, 5 + 1<<31, result{Less: true, LessEq: true, Greater: true, GreaterEq: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := result{
				Less: tt.v.Less(tt.w), LessEq: tt.v.LessEq(tt.w),
				Greater: tt.v.Greater(tt.w), GreaterEq: tt.v.GreaterEq(tt.w),
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%d vs %d (-want +got):\n%s", tt.v, tt.w, diff)
			}
		})
	}
}

func TestArithmetic(t *testing.T) {
	tests := []struct {
		name    string
		v       Value
		s       Size
		wantAdd Value
	}{
		{"no wrap", 10, 5, 15},
		{"wraps", 0xffff_fffe, 5, 3},
		{"zero", 9, 0, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.v.Add(tt.s)
			if got != tt.wantAdd {
				t.Errorf("%d.Add(%d) = %d, want %d", tt.v, tt.s, got, tt.wantAdd)
			}
			if back := got.Sub(tt.v); back != tt.s {
				t.Errorf("%d.Sub(%d) = %d, want %d", got, tt.v, back, tt.s)
			}
		})
	}
}

func TestInRange(t *testing.T) {
	tests := []struct {
		name    string
		v, a, b Value
		want    bool
	}{
		{"at the start", 10, 10, 20, true},
		{"inside", 15, 10, 20, true},
		{"at the end", 20, 10, 20, false},
		{"before", 9, 10, 20, false},
		{"inside across the wrap", 1, 0xffff_fff0, 16, true},
		{"past the end across the wrap", 16, 0xffff_fff0, 16, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.InRange(tt.a, tt.b); got != tt.want {
				t.Errorf("%d.InRange(%d, %d) = %v, want %v", tt.v, tt.a, tt.b, got, tt.want)
			}
		})
	}
}
