package listing

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/dfilter"
	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// filterCaptures are the captures the tshark-option tests run over: the
// demo's, regression captures with expert flags, and, with
// TCPLAB_FILTER_FILES, any others (separated by spaces).
func filterCaptures(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "demo", "testdata", "*.pcap"))
	for _, f := range []string{
		"analysis-tshark_ack_lost_segment-tshark_fast_retransmission-seed30-f605.pcap",
		"dup_ack_num-seed1015-f1605.pcap",
		"conv-seed4025-f0.pcap",
	} {
		files = append(files, filepath.Join("..", "difftest", "testdata", "regress", f))
	}
	return append(files, strings.Fields(os.Getenv("TCPLAB_FILTER_FILES"))...)
}

// filterRecords returns the analysed packets of file as display filters
// read them.
func filterRecords(t *testing.T, file string) []*dfilter.Record {
	t.Helper()
	src := packets.NewSource(packets.Options{})
	var recs []*dfilter.Record
	for pk := range src.Read(context.Background(), pcaptest.Open(t, file)) {
		cp := *pk
		r := new(dfilter.Record)
		fillRecord(r, &cp)
		recs = append(recs, r)
	}
	return recs
}

// TestDisplayFilterAgainstTshark: for random filters over each capture's
// values, `tcplab analyze -Y F` prints exactly the packet lines `tshark
// -r FILE -Y F` prints (tshark's TCP lines, with the protocols above
// TCP off). TCPLAB_FILTER_N sets the random filters per capture (4).
func TestDisplayFilterAgainstTshark(t *testing.T) {
	needTshark(t)
	n := 4
	if s := os.Getenv("TCPLAB_FILTER_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, file := range filterCaptures(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			recs := filterRecords(t, file)
			rng := rand.New(rand.NewPCG(2, uint64(len(recs))))
			filters := append([]string{"tcp.analysis.flags", "tcp.analysis.retransmission || tcp.analysis.duplicate_ack", "tcp.len > 0 && tcp.stream in {0, 2}"},
				dfilter.Generate(rng, recs, n)...)
			matched := 0
			for _, src := range filters {
				f, err := dfilter.Compile(src)
				if err != nil {
					t.Fatalf("Compile(%q) = %v", src, err)
				}
				args := append([]string{"-r", file, "-Y", "tcp && (" + src + ")"}, tsharkDisableArgs(t)...)
				out, err := exec.Command("tshark", args...).Output()
				if err != nil {
					t.Fatalf("tshark -Y %q: %v", src, err)
				}
				want := string(out)
				got := ourOutput(t, file, Options{Format: Text, NoConversations: true, Follow: -1, Filter: f})
				got = withoutSkipLine(got)
				if got != want {
					t.Errorf("-Y %q:\ntshark:\n%s\ntcplab:\n%s", src, want, got)
				}
				if want != "" {
					matched++
				}
			}
			t.Logf("%d filters, %d selecting some packets", len(filters), matched)
		})
	}
}
