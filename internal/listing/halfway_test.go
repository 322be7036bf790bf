package listing

import (
	"fmt"
	"testing"
)

// TestParityHalfway compares with tshark ACKs about 2^31 past the data
// sent (where the sequence comparisons change sign), each repeated
// three times and followed by the same segment sent again three times
// within microseconds: the retransmission checks (spurious, fast,
// out-of-order, plain) then race the thresholds at their edges.
func TestParityHalfway(t *testing.T) {
	needTshark(t)
	e := endpoints{ep("10.0.9.1:43000"), ep("10.0.9.2:5555")}
	a, b := uint32(1001), uint32(5001)
	s := []seg{
		{at: 0, seq: 1000, flags: fS, win: 65535},
		{at: 10, fromB: true, seq: 5000, ack: a, flags: fS | fA, win: 65535},
		{at: 20, seq: a, ack: b, flags: fA, win: 65535},
		{at: 30, seq: a, ack: b, flags: fA | fP, win: 65535, payload: 100},
		{at: 40, fromB: true, seq: b, ack: 1000 + 1<<31 - 1, flags: fA, win: 65535},
		{at: 41, seq: a, ack: b, flags: fA | fP, win: 65535, payload: 100},
		{at: 42, seq: a, ack: b, flags: fA | fP, win: 65535, payload: 100},
		{at: 43, seq: a, ack: b, flags: fA | fP, win: 65535, payload: 100},
	}
	convs, all := []endpoints{e}, [][]seg{s}
	for i, ackRel := range []uint32{1<<31 - 1, 1 << 31, 1<<31 + 1, 1<<31 - 2, 1<<32 - 1} {
		e := endpoints{ep(fmt.Sprintf("10.0.9.1:%d", 43001+i)), ep("10.0.9.2:5555")}
		s := []seg{
			{at: 0, seq: 1000, flags: fS, win: 65535},
			{at: 10, fromB: true, seq: 5000, ack: a, flags: fS | fA, win: 65535},
			{at: 20, seq: a, ack: b, flags: fA, win: 65535},
			{at: 30, seq: a, ack: b, flags: fA | fP, win: 65535, payload: 100},
			{at: 40, fromB: true, seq: b, ack: 1000 + ackRel, flags: fA, win: 65535},
			{at: 41, fromB: true, seq: b, ack: 1000 + ackRel, flags: fA, win: 65535},
			{at: 42, fromB: true, seq: b, ack: 1000 + ackRel, flags: fA, win: 65535},
			{at: 43, seq: a, ack: b, flags: fA | fP, win: 65535, payload: 100},
			{at: 44, seq: a, ack: b, flags: fA | fP, win: 65535, payload: 100},
			{at: 45, seq: a, ack: b, flags: fA | fP, win: 65535, payload: 100},
			{at: 46, seq: 1000 + ackRel, ack: b, flags: fA | fP, win: 65535, payload: 100},
			{at: 47, seq: 1000 + ackRel, ack: b, flags: fA | fP, win: 65535, payload: 100},
		}
		convs, all = append(convs, e), append(all, s)
	}
	compareWithTshark(t, writeCrafted(t, convs, all))
}
