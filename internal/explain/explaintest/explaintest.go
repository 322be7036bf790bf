// Package explaintest builds conversations for tests from simulated
// transfers (package graphtest), through the analysis and the collector
// the walk-through reads.
package explaintest

import (
	"testing"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/streamgraph/graphtest"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Simulated returns the conversation of a simulated Reno transfer, every
// packet kept. It fails the test when a frame does not decode or the
// transfer is not one conversation.
func Simulated(tb testing.TB, cfg graphtest.Config) conversation.Conversation {
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
