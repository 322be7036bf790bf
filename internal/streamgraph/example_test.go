package streamgraph_test

import (
	"io"
	"log"
	"os"

	"github.com/tcplab/tcplab/internal/congestion"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/graphplot"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/streamgraph"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Graphing the busiest stream of a capture: the analysis loop of package
// tcpanalysis feeds a Collector, with each frame's time taken from the
// capture's first frame (tshark's frame.time_relative); Build computes a
// graph, package graphplot draws it, package congestion reads its phases.
func Example() {
	f, err := os.Open("lab.pcapng")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	rd, err := pcapio.NewReader(f)
	if err != nil {
		log.Fatal(err)
	}
	an := tcpanalysis.New()
	var c streamgraph.Collector
	var p decode.Packet
	var r tcpanalysis.Result
	var t0 int64
	for frame := uint32(1); ; frame++ {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		if frame == 1 {
			t0 = rec.Timestamp
		}
		decode.Decode(rec.Link, rec.Data, &p)
		if an.Analyze(frame, rec.Timestamp, rec.OrigLen, &p, &r) {
			c.Add(rec.Timestamp-t0, &p, &r)
		}
	}
	n, ok := c.Busiest()
	if !ok {
		log.Fatal("no TCP stream")
	}
	segs := c.Stream(n)
	g, err := streamgraph.Build(segs, streamgraph.TCPTrace, streamgraph.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if err := graphplot.WriteTerminal(os.Stdout, g, graphplot.TermFromEnv(os.Getenv, true)); err != nil {
		log.Fatal(err)
	}
	for _, ph := range congestion.Detect(segs, g.Dir).Phases {
		log.Println(ph.Kind, ph.Start, ph.End, ph.Evidence.Reason)
	}
}
