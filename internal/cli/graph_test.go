package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/graphplot"
)

// TestGraph: analyze --graph KIND draws the busiest stream's graph in the
// terminal (ASCII when not a UTF-8 terminal: the test's output is not
// one), writes its points as CSV or NDJSON, and a standalone SVG.
func TestGraph(t *testing.T) {
	capture := filepath.Join("..", "demo", "testdata", "impaired_bulk.pcap")
	for _, kind := range []string{"tseq", "tcptrace", "throughput", "rtt", "window"} {
		t.Run(kind, func(t *testing.T) {
			out, _, err := runCLI(t, "analyze", "--graph", kind, capture)
			if err != nil || len(strings.Split(out, "\n")) < 5 {
				t.Fatalf("--graph %s: %v\n%s", kind, err, out)
			}
			csv, _, err := runCLI(t, "analyze", "--graph", kind, "--format", "csv", capture)
			if err != nil || !strings.HasPrefix(csv, graphplot.CSVHeader+"\n") || strings.Count(csv, "\n") < 10 {
				t.Fatalf("--graph %s --format csv: %v\n%.300s", kind, err, csv)
			}
			nd, _, err := runCLI(t, "analyze", "--graph", kind, "--format", "ndjson", capture)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(strings.TrimSpace(nd), "\n") {
				var v map[string]any
				if json.Unmarshal([]byte(line), &v) != nil {
					t.Fatalf("--format ndjson: not JSON: %q", line)
				}
			}
			svg := filepath.Join(t.TempDir(), kind+".svg")
			if _, _, err := runCLI(t, "analyze", "--graph", kind, "--svg", svg, capture); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(svg)
			if err != nil || !strings.Contains(string(b), "<svg") || strings.Contains(string(b), "http://") && strings.Contains(string(b), "href=\"http") {
				t.Errorf("--svg: %v %.200s", err, b)
			}
		})
	}
	if _, _, err := runCLI(t, "analyze", "--graph", "cwnd", capture); err == nil || !strings.Contains(err.Error(), "tseq") {
		t.Errorf("--graph cwnd = %v, want an error naming the kinds", err)
	}
	if _, _, err := runCLI(t, "analyze", "--graph", "tseq", "--stream", "9", capture); err == nil || !strings.Contains(err.Error(), "stream 9") {
		t.Errorf("--stream 9 = %v, want no such stream", err)
	}
}
