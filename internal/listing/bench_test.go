package listing

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// labCapture returns an in-memory pcap of n lab exchanges (ten segments
// each) from client ports that cycle through 2000 values, so that ports
// are reused as in a long capture of the lab under load.
func labCapture(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := pcapio.NewPcapWriter(&buf, pcapio.PcapOptions{Link: decode.LinkEthernet})
	if err != nil {
		tb.Fatal(err)
	}
	ts := int64(1_700_000_000_000_000_000)
	for i := range n {
		e := endpoints{ep(fmt.Sprintf("127.0.0.1:%d", 30000+i%2000)), ep("127.0.0.1:2000")}
		a, b := uint32(i*7919+1), uint32(i*104729+7)
		for _, s := range []seg{
			{seq: a, flags: fS, win: 65495, opts: synOpts},
			{fromB: true, seq: b, ack: a + 1, flags: fS | fA, win: 65483, opts: synOpts},
			{seq: a + 1, ack: b + 1, flags: fA, win: 512},
			{seq: a + 1, ack: b + 1, flags: fA | fP, win: 512, payload: 18},
			{fromB: true, seq: b + 1, ack: a + 19, flags: fA, win: 512},
			{fromB: true, seq: b + 1, ack: a + 19, flags: fA | fP, win: 512, payload: 16},
			{seq: a + 19, ack: b + 17, flags: fA, win: 512},
			{seq: a + 19, ack: b + 17, flags: fA | fF, win: 512},
			{fromB: true, seq: b + 17, ack: a + 20, flags: fA | fF, win: 512},
			{seq: a + 20, ack: b + 18, flags: fA, win: 512},
		} {
			ts += 7000
			f := e.frame(s)
			if err := w.WritePacket(ts, f, len(f)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func benchRun(b *testing.B, opts Options) {
	data := labCapture(b, 10000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rd, err := pcapio.NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if err := Run(context.Background(), rd, io.Discard, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/packet")
}

// BenchmarkRunText is the default packet list (100,000 packets per run).
func BenchmarkRunText(b *testing.B) {
	benchRun(b, Options{Format: Text, NoConversations: true, Follow: -1})
}

// BenchmarkRunNDJSON is the ndjson output (100,000 packets per run).
func BenchmarkRunNDJSON(b *testing.B) { benchRun(b, Options{Format: NDJSON, Follow: -1}) }

func formatFixture(tb testing.TB) (*Packet, *decode.Packet) {
	e := endpoints{ep("127.0.0.1:40000"), ep("127.0.0.1:2000")}
	f := e.frame(seg{seq: 5, ack: 9, flags: fA | fP, win: 512, payload: 18, opts: []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}})
	var d decode.Packet
	if err := decode.Decode(decode.LinkEthernet, f, &d); err != nil {
		tb.Fatal(err)
	}
	var a = tcpanalysis.New()
	var r tcpanalysis.Result
	a.Analyze(1, 0, len(f), &d, &r)
	return &Packet{Number: 1, Resolution: 6, WireLen: len(f), Decoded: &d, Result: &r}, &d
}

func TestFormatAllocs(t *testing.T) {
	pk, _ := formatFixture(t)
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf = AppendLine(buf[:0], pk) }); n != 0 {
		t.Errorf("AppendLine allocates %.1f times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { buf = appendJSON(buf[:0], pk, decode.ChecksumGood) }); n != 0 {
		t.Errorf("appendJSON allocates %.1f times, want 0", n)
	}
}

func BenchmarkAppendLine(b *testing.B) {
	pk, _ := formatFixture(b)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendLine(buf[:0], pk)
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	pk, d := formatFixture(b)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		st, _ := d.TCPChecksum()
		buf = appendJSON(buf[:0], pk, st)
	}
}
