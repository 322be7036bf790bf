package rtt

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/seqnum"
)

const us = time.Microsecond

// seg builds a segment; dir 0 is the client.
func seg(frame int, t time.Duration, dir int, flags string, seq, ack uint32, n int) Segment {
	s := Segment{Frame: frame, Time: t, Dir: dir, Seq: seqnum.Value(seq), Ack: seqnum.Value(ack), Len: n}
	for _, f := range flags {
		switch f {
		case 'S':
			s.SYN = true
		case 'F':
			s.FIN = true
		case 'A':
			s.ACK = true
		case 'R':
			s.Retransmission = true
		}
	}
	return s
}

func TestTable(t *testing.T) {
	tests := []struct {
		name string
		segs []Segment
		want []Row
	}{
		{
			// The lab's in-range exchange: handshake, 19-byte request,
			// 16-byte reply, the server closes first.
			name: "lab exchange",
			segs: []Segment{
				seg(1, 0, 0, "S", 0, 0, 0),
				seg(2, 50*us, 1, "SA", 0, 1, 0),
				seg(3, 100*us, 0, "A", 1, 1, 0),
				seg(4, 1000*us, 0, "A", 1, 1, 19),
				seg(5, 1090*us, 1, "A", 1, 20, 0),
				seg(6, 2000*us, 1, "A", 1, 20, 16),
				seg(7, 2040*us, 0, "A", 20, 17, 0),
				seg(8, 2100*us, 1, "FA", 17, 20, 0),
				seg(9, 2150*us, 0, "A", 20, 18, 0),
				seg(10, 3000*us, 0, "FA", 20, 18, 0),
				seg(11, 3050*us, 1, "A", 18, 21, 0),
			},
			want: []Row{
				{AckFrame: 2, AckTime: 50 * us, Ack: 1, Sender: 0, Frames: []int{1}, SampleFrame: 1, Sample: 50 * us, Handshake: true,
					Estimated: 50 * us, Dev: 25 * us, RTO: time.Second, LinuxRTO: 200*time.Millisecond + 50*us, Valid: true},
				{AckFrame: 3, AckTime: 100 * us, Ack: 1, Sender: 1, Frames: []int{2}, SampleFrame: 2, Sample: 50 * us, Handshake: true,
					Estimated: 50 * us, Dev: 25 * us, RTO: time.Second, LinuxRTO: 200*time.Millisecond + 50*us, Valid: true},
				// dev = 3/4·25 + 1/4·|50−90| = 28.75; est = 7/8·50 + 1/8·90 = 55.
				{AckFrame: 5, AckTime: 1090 * us, Ack: 20, Sender: 0, Frames: []int{4}, SampleFrame: 4, Sample: 90 * us,
					Estimated: 55 * us, Dev: 28750 * time.Nanosecond, RTO: time.Second, LinuxRTO: 200*time.Millisecond + 55*us, Valid: true},
				// dev = 3/4·25 + 1/4·|50−40| = 21.25; est = 7/8·50 + 1/8·40 = 48.75.
				{AckFrame: 7, AckTime: 2040 * us, Ack: 17, Sender: 1, Frames: []int{6}, SampleFrame: 6, Sample: 40 * us,
					Estimated: 48750 * time.Nanosecond, Dev: 21250 * time.Nanosecond, RTO: time.Second, LinuxRTO: 200*time.Millisecond + 48750*time.Nanosecond, Valid: true},
				// dev = 3/4·21.25 + 1/4·|48.75−50| = 16.25; est = 42.65625 + 6.25, rounded once to the ns.
				{AckFrame: 9, AckTime: 2150 * us, Ack: 18, Sender: 1, Frames: []int{8}, SampleFrame: 8, Sample: 50 * us,
					Estimated: 48906 * time.Nanosecond, Dev: 16250 * time.Nanosecond, RTO: time.Second, LinuxRTO: 200*time.Millisecond + 48906*time.Nanosecond, Valid: true},
				// dev = 3/4·28.75 + 1/4·|55−50| = 22.8125; est = 48.125 + 6.25.
				{AckFrame: 11, AckTime: 3050 * us, Ack: 21, Sender: 0, Frames: []int{10}, SampleFrame: 10, Sample: 50 * us,
					Estimated: 54375 * time.Nanosecond, Dev: 22813 * time.Nanosecond, RTO: time.Second, LinuxRTO: 200*time.Millisecond + 54375*time.Nanosecond, Valid: true},
			},
		},
		{
			// Karn: the ACK covers a segment sent twice, so no sample, and
			// the estimate from the handshake stays.
			name: "karn",
			segs: []Segment{
				seg(1, 0, 0, "S", 0, 0, 0),
				seg(2, 10*us, 1, "SA", 0, 1, 0),
				seg(3, 20*us, 0, "A", 1, 1, 100),
				seg(4, 300*time.Millisecond, 0, "A", 1, 1, 100),
				seg(5, 300*time.Millisecond+10*us, 1, "A", 1, 101, 0),
			},
			want: []Row{
				{AckFrame: 2, AckTime: 10 * us, Ack: 1, Sender: 0, Frames: []int{1}, SampleFrame: 1, Sample: 10 * us, Handshake: true,
					Estimated: 10 * us, Dev: 5 * us, RTO: time.Second, LinuxRTO: 200*time.Millisecond + 10*us, Valid: true},
				// The first data segment carries the ACK of the SYN/ACK.
				{AckFrame: 3, AckTime: 20 * us, Ack: 1, Sender: 1, Frames: []int{2}, SampleFrame: 2, Sample: 10 * us, Handshake: true,
					Estimated: 10 * us, Dev: 5 * us, RTO: time.Second, LinuxRTO: 200*time.Millisecond + 10*us, Valid: true},
				{AckFrame: 5, AckTime: 300*time.Millisecond + 10*us, Ack: 101, Sender: 0, Frames: []int{3, 4}, Karn: true,
					Estimated: 10 * us, Dev: 5 * us, RTO: time.Second, LinuxRTO: 200*time.Millisecond + 10*us, Valid: true},
			},
		},
		{
			// The analysis flagged a retransmission whose original the
			// capture missed: still no sample, and no estimate yet.
			name: "flagged retransmission without handshake",
			segs: []Segment{
				seg(7, 0, 0, "AR", 1000, 1, 10),
				seg(8, 5*us, 1, "A", 1, 1010, 0),
			},
			want: []Row{
				{AckFrame: 8, AckTime: 5 * us, Ack: 1010, Sender: 0, Frames: []int{7}, Karn: true},
			},
		},
		{
			// A cumulative ACK covers two segments: the sample is timed from
			// the last one; a duplicate ACK and a partial ACK add no row.
			name: "cumulative, duplicate and partial ACKs",
			segs: []Segment{
				seg(1, 0, 0, "A", 1, 1, 100),
				seg(2, 10*us, 0, "A", 101, 1, 100),
				seg(3, 40*us, 1, "A", 1, 201, 0),
				seg(4, 50*us, 1, "A", 1, 201, 0),
				seg(5, 60*us, 0, "A", 201, 1, 100),
				seg(6, 90*us, 1, "A", 1, 250, 0),
				seg(7, 2*time.Second, 1, "A", 1, 301, 0),
			},
			want: []Row{
				{AckFrame: 3, AckTime: 40 * us, Ack: 201, Sender: 0, Frames: []int{1, 2}, SampleFrame: 2, Sample: 30 * us,
					Estimated: 30 * us, Dev: 15 * us, RTO: time.Second, LinuxRTO: 200*time.Millisecond + 30*us, Valid: true},
				// A sample R = 2 s − 60 µs = 1999940 µs lifts the RTO above the
				// 1 s floor: dev = 3/4·15 + 1/4·|30 − 1999940| = 11.25 + 499977.5 µs,
				// est = 7/8·30 + 1/8·1999940 = 26.25 + 249992.5 µs,
				// RTO = 250018.75 + 4·499988.75 = 2249973.75 µs.
				{AckFrame: 7, AckTime: 2 * time.Second, Ack: 301, Sender: 0, Frames: []int{5}, SampleFrame: 5, Sample: 1999940 * us,
					Estimated: 250018750 * time.Nanosecond, Dev: 499988750 * time.Nanosecond,
					RTO: 2249973750 * time.Nanosecond, LinuxRTO: 2249973750 * time.Nanosecond, Valid: true},
			},
		},
		{
			// Raw sequence numbers wrapping past 2^32.
			name: "wraparound",
			segs: []Segment{
				seg(1, 0, 0, "A", 0xffffff00, 5, 0x200),
				seg(2, 7*us, 1, "A", 5, 0x100, 0),
			},
			want: []Row{
				{AckFrame: 2, AckTime: 7 * us, Ack: 0x100, Sender: 0, Frames: []int{1}, SampleFrame: 1, Sample: 7 * us,
					Estimated: 7 * us, Dev: 3500 * time.Nanosecond, RTO: time.Second, LinuxRTO: 200*time.Millisecond + 7*us, Valid: true},
			},
		},
		{
			// A clock that ran backwards and a bogus direction: no sample,
			// no panic.
			name: "backwards clock and bad direction",
			segs: []Segment{
				seg(1, 50*us, 0, "A", 1, 1, 10),
				seg(2, 10*us, 1, "A", 1, 11, 0),
				{Frame: 3, Dir: 7, ACK: true, Ack: 99},
			},
			want: []Row{
				{AckFrame: 2, AckTime: 10 * us, Ack: 11, Sender: 0, Frames: []int{1}},
			},
		},
		{name: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Table(tt.segs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Table() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRTO(t *testing.T) {
	tests := []struct {
		srtt, rttvar, want, linux time.Duration
	}{
		{50 * us, 25 * us, time.Second, 200*time.Millisecond + 50*us},                        // loopback: both floors apply
		{100 * time.Millisecond, 50 * time.Millisecond, time.Second, 300 * time.Millisecond}, // 4·RTTVAR = 200 ms exactly
		{400 * time.Millisecond, 200 * time.Millisecond, 1200 * time.Millisecond, 1200 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := RTO(tt.srtt, tt.rttvar); got != tt.want {
			t.Errorf("RTO(%v, %v) = %v, want %v", tt.srtt, tt.rttvar, got, tt.want)
		}
		if got := LinuxRTO(tt.srtt, tt.rttvar); got != tt.linux {
			t.Errorf("LinuxRTO(%v, %v) = %v, want %v", tt.srtt, tt.rttvar, got, tt.linux)
		}
	}
}

func BenchmarkTable(b *testing.B) {
	segs := make([]Segment, 0, 2000)
	for i := range 1000 {
		t := time.Duration(i) * 100 * us
		segs = append(segs, seg(2*i+1, t, 0, "A", uint32(1+1448*i), 1, 1448), seg(2*i+2, t+40*us, 1, "A", 1, uint32(1+1448*(i+1)), 0))
	}
	b.ReportAllocs()
	for b.Loop() {
		Table(segs)
	}
}
