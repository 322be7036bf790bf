package labsheet_test

import (
	"github.com/tcplab/tcplab/internal/explain/explaintest"
	"testing"

	"github.com/tcplab/tcplab/internal/labsheet"
	"github.com/tcplab/tcplab/internal/streamgraph/graphtest"
)

// BenchmarkBuild builds the sheet of a simulated 60 MB transfer with
// losses (about 120,000 packets).
func BenchmarkBuild(b *testing.B) {
	c := explaintest.Simulated(b, graphtest.Config{Bytes: 60_000_000, Ssthresh: 200_000, Lose: map[uint32]int{1_000_001: 1, 20_000_001: 2, 40_000_001: 1}})
	b.ReportAllocs()
	b.Logf("%d packets", len(c.Packets))
	for b.Loop() {
		labsheet.Build(&c)
	}
}
