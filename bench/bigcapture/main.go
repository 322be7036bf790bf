// Command bigcapture writes a large capture for the report benchmark
// (bench/report.sh): one simulated bulk transfer (package graphtest's Reno
// sender: slow start, congestion avoidance, fast recovery and timeouts)
// of about -packets packets, data and ACKs, with a loss every -loss
// segments, as a pcap file of raw IPv4 frames.
//
//	go run ./bench/bigcapture -packets 1000000 -o big.pcap
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/streamgraph/graphtest"
)

func main() {
	n := flag.Int("packets", 1000000, "about how many packets to write (a data segment and its ACK each)")
	loss := flag.Int("loss", 2000, "drop one segment in every `N` (0: none); every tenth loss also loses its retransmission")
	mss := flag.Int("mss", 100, "segment size in bytes (small keeps the file and the memory small)")
	out := flag.String("o", "big.pcap", "the capture `FILE` to write")
	flag.Parse()
	if err := run(*n, *loss, *mss, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bigcapture:", err)
		os.Exit(1)
	}
}

func run(n, loss, mss int, out string) error {
	if n < 10 || mss < 1 || mss > 1400 || loss < 0 {
		return fmt.Errorf("want -packets ≥ 10, -mss in 1..1400, -loss ≥ 0")
	}
	segs := n / 2
	cfg := graphtest.Config{Bytes: segs * mss, MSS: mss, RTT: 20 * time.Millisecond, Gap: 20 * time.Microsecond,
		RWin: 256 * mss / 128 * 128, Lose: map[uint32]int{}}
	for i := 1; loss > 0 && i*loss < segs; i++ {
		times := 1
		if i%10 == 0 {
			times = 2
		}
		cfg.Lose[uint32(1+i*loss*mss)] = times
	}
	frames := graphtest.Run(cfg)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := pcapio.NewPcapWriter(bw, pcapio.PcapOptions{Link: decode.LinkIPv4, Nanosecond: true})
	if err != nil {
		f.Close()
		return err
	}
	start := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC).UnixNano()
	for _, fr := range frames {
		if err := w.WritePacket(start+fr.Time, fr.Data, len(fr.Data)); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bigcapture: %s: %d packets\n", out, len(frames))
	return nil
}
