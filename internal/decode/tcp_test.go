package decode

import (
	"slices"
	"testing"
)

// TestOptionLayouts checks the shortcuts' tests of Linux's option
// layouts: true for the layout whatever the values, false when any byte
// of its kinds and lengths differs or the length does.
func TestOptionLayouts(t *testing.T) {
	tests := []struct {
		name   string
		fn     func([]byte) bool
		opts   []byte
		layout []int // offsets of the kind and length bytes
	}{
		{"TimestampOnly", TimestampOnly, []byte{1, 1, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 7}, []int{0, 1, 2, 3}},
		{"LinuxSYNOptions", LinuxSYNOptions, []byte{2, 4, 0xff, 0xd7, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7}, []int{0, 1, 4, 5, 6, 7, 16, 17, 18}},
	}
	for _, tc := range tests {
		if !tc.fn(tc.opts) {
			t.Errorf("%s(%v) = false, want true", tc.name, tc.opts)
		}
		if tc.fn(tc.opts[:len(tc.opts)-1]) || tc.fn(append(slices.Clone(tc.opts), 0)) {
			t.Errorf("%s is true for %d or %d bytes", tc.name, len(tc.opts)-1, len(tc.opts)+1)
		}
		for i := range tc.opts {
			b := slices.Clone(tc.opts)
			b[i] ^= 0x10
			if got, want := tc.fn(b), !slices.Contains(tc.layout, i); got != want {
				t.Errorf("%s(%v), byte %d changed, = %v, want %v", tc.name, b, i, got, want)
			}
		}
	}
}
