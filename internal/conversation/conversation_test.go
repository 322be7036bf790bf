package conversation_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

const (
	syn = decode.FlagSYN
	ack = decode.FlagACK
	fin = decode.FlagFIN
	rst = decode.FlagRST
	c   = conversation.Client
	s   = conversation.Server
)

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		packets []conversation.Segment
		want    conversation.Summary
	}{
		{
			name: "handshake, data resent, FIN both ways",
			packets: []conversation.Segment{
				{Frame: 1, From: c, Flags: syn},
				{Frame: 2, From: s, Flags: syn | ack, Time: time.Millisecond},
				{Frame: 3, From: c, Flags: ack, Seq: 1},
				{Frame: 4, From: c, Flags: ack, Seq: 1, Len: 10},
				{Frame: 5, From: c, Flags: ack, Seq: 1, Len: 10, Analysis: tcpanalysis.Retransmission},
				{Frame: 6, From: c, Flags: ack, Seq: 6, Len: 10, Analysis: tcpanalysis.Retransmission},
				{Frame: 7, From: s, Flags: ack, Seq: 1, Len: 3},
				{Frame: 8, From: c, Flags: fin | ack, Seq: 16},
				{Frame: 9, From: s, Flags: fin | ack, Seq: 4, Time: 2 * time.Millisecond},
			},
			want: conversation.Summary{Packets: 9, BytesC2S: 15, BytesS2C: 3, End: 2 * time.Millisecond,
				Handshake: "complete", Close: "fin", Flagged: 2},
		},
		{
			name: "SYN unanswered",
			packets: []conversation.Segment{
				{Frame: 1, From: c, Flags: syn},
				{Frame: 2, From: c, Flags: syn, Time: time.Second, Analysis: tcpanalysis.Retransmission},
			},
			want: conversation.Summary{Packets: 2, End: time.Second, Handshake: "partial", Close: "open", Flagged: 1},
		},
		{
			name: "no handshake, one FIN, then a reset",
			packets: []conversation.Segment{
				{Frame: 7, From: c, Flags: ack | fin, Seq: 1},
				{Frame: 8, From: s, Flags: rst},
			},
			want: conversation.Summary{Packets: 2, Handshake: "none", Close: "rst"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conv := conversation.Conversation{Packets: tc.packets}
			conv.Summarize()
			if diff := cmp.Diff(tc.want, conv.Summary); diff != "" {
				t.Errorf("Summarize() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDistinctBytes: each byte of sequence space counts once, across the
// 32-bit wrap of relative numbers.
func TestDistinctBytes(t *testing.T) {
	packets := []conversation.Segment{
		{From: c, Seq: 4294967000, Len: 200},
		{From: c, Seq: 4294967200, Len: 200}, // wraps past 2^32
		{From: c, Seq: 4294967100, Len: 50},  // resent, inside the first
		{From: s, Seq: 1, Len: 5},
		{From: 7, Seq: 1, Len: 5}, // no side: ignored
	}
	if got, want := conversation.DistinctBytes(packets), [2]int64{400, 5}; got != want {
		t.Errorf("DistinctBytes() = %v, want %v", got, want)
	}
}
