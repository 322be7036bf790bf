package labsheet_test

import (
	"testing"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/streamgraph/graphtest"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// simulated returns the conversation of a simulated Reno transfer.
func simulated(tb testing.TB, cfg graphtest.Config) conversation.Conversation {
	tb.Helper()
	an := tcpanalysis.New()
	col := explain.Collector{MaxPackets: 1 << 30}
	var p decode.Packet
	var r tcpanalysis.Result
	for i, f := range graphtest.Run(cfg) {
		if decode.Decode(decode.LinkIPv4, f.Data, &p) != nil {
			tb.Fatalf("frame %d does not decode", i+1)
		}
		if an.Analyze(uint32(i+1), f.Time, len(f.Data), &p, &r) {
			col.Add(uint32(i+1), f.Time, &p, &r)
		}
	}
	convs := col.Conversations(an.Streams())
	if len(convs) != 1 {
		tb.Fatalf("%d conversations, want 1", len(convs))
	}
	return convs[0]
}
