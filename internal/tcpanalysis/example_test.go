package tcpanalysis_test

import (
	"fmt"
	"io"
	"log"
	"os"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Analysing a capture file: decode each frame into a reused Packet, then
// let the Analyzer fill a reused Result. A ladder diagram or an
// explanation reads Result (per segment) and Stream (per conversation).
func Example() {
	f, err := os.Open("lab.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	rd, err := pcapio.NewReader(f)
	if err != nil {
		log.Fatal(err)
	}
	a := tcpanalysis.New()
	var p decode.Packet
	var r tcpanalysis.Result
	for frame := uint32(1); ; frame++ {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err) // names the byte offset of the bad record
		}
		decode.Decode(rec.Link, rec.Data, &p)
		if !a.Analyze(frame, rec.Timestamp, rec.OrigLen, &p, &r) {
			continue // not a TCP segment
		}
		dir := "client → server"
		if r.FromServer {
			dir = "server → client"
		}
		fmt.Printf("%d stream %d %s seq=%d ack=%d len=%d flags=%v\n", r.Frame, r.Stream, dir, r.Seq, r.Ack, r.Len, r.Analysis)
	}
	for _, s := range a.Streams() {
		fmt.Println(s.Index, s.Client, s.Server, s.Handshake(), s.Close(), s.State(), s.IRTT)
	}
}
