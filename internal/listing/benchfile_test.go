package listing

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/tcplab/tcplab/internal/pcapio"
)

// BenchmarkRunFile runs the default packet list and conversation table
// over the capture named by TCPLAB_BENCH_CAPTURE (for example the bench
// script's main file), as `tcplab analyze FILE` does, so that a CPU
// profile shows where a real capture's time goes. It skips without the
// variable.
func BenchmarkRunFile(b *testing.B) {
	name := os.Getenv("TCPLAB_BENCH_CAPTURE")
	if name == "" {
		b.Skip("set TCPLAB_BENCH_CAPTURE to a capture file (bench/analyze.sh records one)")
	}
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		rd, err := pcapio.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		if err := Run(context.Background(), rd, io.Discard, Options{Format: Text, Follow: -1}); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
