package tcpanalysis

import (
	"encoding/hex"
	"testing"
)

// TestWalkOptions pins how Wireshark 4.0's dissection of options ends,
// each case as tshark 4.0.17 showed it on a crafted segment: opts are the
// options announced (hex), captured and reported the bytes of them the
// frame holds and the IP payload carries.
func TestWalkOptions(t *testing.T) {
	tests := []struct {
		name               string
		opts               string
		captured, reported int
		ack                uint32
		want               optionStop
	}{
		{name: "whole", opts: "020405b4", captured: 4, reported: 4},
		{name: "kind byte past the capture", opts: "0101010101010101", captured: 4, reported: 5, want: optionStop{End: OptionsCut, At: 4}},
		{name: "kind byte past the payload", opts: "0101010101010101", captured: 4, reported: 4, want: optionStop{End: OptionsMalformed, At: 4}},
		{name: "zero padding after EOL read byte by byte", opts: "010000000000", captured: 2, reported: 3, want: optionStop{End: OptionsCut, At: 1}},
		{name: "zero padding after EOL past the payload", opts: "010000000000", captured: 2, reported: 2, want: optionStop{End: OptionsMalformed, At: 1}},
		{name: "non-zero padding: an item to the options' end", opts: "00000700000000000000", captured: 6, reported: 9, want: optionStop{End: OptionsMalformed, At: 0}},
		{name: "option past the options: an item to two bytes short of their end", opts: "63c8" + zeros(18), captured: 18, reported: 18},
		{name: "that item past the capture", opts: "63c8" + zeros(18), captured: 10, reported: 20, want: optionStop{End: OptionsCut, At: 0}},
		{name: "that item past the payload", opts: "63c8" + zeros(18), captured: 17, reported: 17, want: optionStop{End: OptionsMalformed, At: 0}},
		{name: "length byte past the options", opts: "01010163", captured: 4, reported: 4},
		{name: "fixed length, wrong: nothing read", opts: "0b07aabbccddee", captured: 4, reported: 7},
		{name: "body past the payload: contained", opts: "080aaabbccddeeff0011", captured: 5, reported: 5, want: optionStop{End: OptionsContained, At: 0}},
		{name: "body past the capture", opts: "080aaabbccddeeff0011", captured: 5, reported: 7, want: optionStop{End: OptionsCut, At: 0}},
		{name: "timestamps read in two halves", opts: "080aaabbccddeeff0011", captured: 7, reported: 9, want: optionStop{End: OptionsContained, At: 0}},
		{name: "SNACK reads past its length", opts: "1506aabbccdd0101", captured: 8, reported: 8, want: optionStop{End: OptionsMalformed, At: 0, Overrun: true}},
		{name: "SACK without a block: D-SACK check from a zero first block", opts: "05020101", captured: 4, reported: 4, ack: 1, want: optionStop{End: OptionsMalformed, At: 0, Overrun: true}},
		{name: "no D-SACK check past 2^31", opts: "05020101", captured: 4, reported: 4, ack: 1<<31 + 1},
		{name: "no D-SACK check above an earlier block", opts: "050a46db23c550b8c41d05020101", captured: 14, reported: 14, ack: 613055037},
		{name: "Riverbed probe response SH reads past 16", opts: "4c1051" + zeros(13), captured: 16, reported: 16, want: optionStop{End: OptionsMalformed, At: 0, Overrun: true}},
		{name: "Riverbed transparency of another length: nothing read", opts: "4e14" + zeros(18), captured: 3, reported: 20},
		{name: "Quick-Start reads 4 of its 8", opts: "1b08a1b2c3d4e5f6", captured: 4, reported: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := hex.DecodeString(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			w := optWalk{opts: opts[:tt.captured], n: len(opts), reported: tt.reported, ack: tt.ack}
			if got := walkOptions(&w, &flow{}); got != tt.want {
				t.Errorf("walkOptions = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func zeros(n int) string {
	b := make([]byte, 2*n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}
