package graphplot

import (
	"io"
	"testing"

	"github.com/tcplab/tcplab/internal/streamgraph"
)

// million is a tcptrace-like graph of a 1,000,000-segment transfer: a bar
// per segment (one in 500 a retransmission) and an ACK step per two.
func million() streamgraph.Graph {
	const n = 1_000_000
	bars := make([]streamgraph.Point, n)
	acks := make([]streamgraph.Point, 0, n/2)
	for i := range n {
		t := int64(i) * 12_000 // 1448 bytes at about 1 Gbit/s
		seq := int64(i) * 1448
		p := streamgraph.Point{Frame: uint32(2*i + 1), T: t, V: seq, V2: seq + 1448}
		if i%500 == 499 {
			p.Mark = streamgraph.MarkRetransmission
		}
		bars[i] = p
		if i%2 == 1 {
			a := seq + 1448 - 50*1448
			acks = append(acks, streamgraph.Point{Frame: uint32(2*i + 2), T: t + 40_000_000, V: a, V2: a})
		}
	}
	return streamgraph.Graph{Kind: streamgraph.TCPTrace, Dir: streamgraph.ClientToServer, Series: []streamgraph.Series{
		{Name: streamgraph.Segments, Style: streamgraph.Bars, Points: bars},
		{Name: streamgraph.Acks, Style: streamgraph.Steps, Points: acks},
	}}
}

// countingWriter counts the bytes written.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func BenchmarkReduce1M(b *testing.B) {
	g := million()
	b.ReportAllocs()
	for b.Loop() {
		streamgraph.Reduce(g, 1600)
	}
}

func BenchmarkSVG1M(b *testing.B) {
	g := million()
	var c countingWriter
	b.ReportAllocs()
	for b.Loop() {
		c.n = 0
		if err := WriteSVG(&c, g, SVGOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.n), "bytes/svg")
}

func BenchmarkTerminal1M(b *testing.B) {
	g := million()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteTerminal(io.Discard, g, TermOptions{Color: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCSV1M(b *testing.B) {
	g := million()
	var c countingWriter
	b.ReportAllocs()
	for b.Loop() {
		c.n = 0
		if err := WriteCSV(&c, g); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.n), "bytes/csv")
}
