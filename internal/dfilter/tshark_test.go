package dfilter_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/dfilter"
	"github.com/tcplab/tcplab/internal/difftest"
)

// tsharkCounts runs tshark's io,stat over file with filters and returns
// how many frames each matches.
func tsharkCounts(t *testing.T, file string, filters []string) []int {
	t.Helper()
	dis, err := difftest.DisableArgs()
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, 0, len(filters))
	for chunk := range slices.Chunk(filters, 60) {
		// tcplab lists TCP frames only: so does the comparison.
		wrapped := make([]string, len(chunk))
		for i, f := range chunk {
			wrapped[i] = "tcp && (" + f + ")"
		}
		arg := "io,stat,0," + strings.Join(wrapped, ",")
		var stderr bytes.Buffer
		cmd := exec.Command("tshark", append([]string{"-q", "-r", file, "-z", arg}, dis...)...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark io,stat: %v: %s", err, stderr.Bytes())
		}
		row := regexp.MustCompile(`(?m)^\|\s*[0-9.]+\s*<>\s*(?:[0-9.]+|Dur)\s*\|(.*)$`).FindSubmatch(out)
		if row == nil {
			t.Fatalf("tshark io,stat: no row in\n%s", out)
		}
		f := strings.FieldsFunc(string(row[1]), func(r rune) bool { return r == '|' || r == ' ' })
		for i := 0; i+1 < len(f); i += 2 {
			n, _ := strconv.Atoi(f[i])
			counts = append(counts, n)
		}
	}
	if len(counts) != len(filters) {
		t.Fatalf("tshark gave %d counts for %d filters", len(counts), len(filters))
	}
	return counts
}

// TestAgainstTshark compiles random filters over real captures' values
// and compares how many frames each matches with tshark's count for the
// same filter (tshark's -z io,stat, with the protocols above TCP off).
// TCPLAB_DFILTER_N sets the filters per capture (300), and
// TCPLAB_DFILTER_FILES adds captures (separated by spaces).
func TestAgainstTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("needs tshark: apt-get install tshark")
	}
	n := 300
	if s := os.Getenv("TCPLAB_DFILTER_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	files, _ := filepath.Glob(filepath.Join("..", "demo", "testdata", "*.pcap"))
	files = append(files, filepath.Join("..", "difftest", "testdata", "regress", "info-rvbd78-cut.pcap"))
	files = append(files, strings.Fields(os.Getenv("TCPLAB_DFILTER_FILES"))...)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			recs := dfilter.ReadRecords(t, file)
			if len(recs) == 0 {
				t.Skip("no TCP")
			}
			rng := rand.New(rand.NewPCG(1, uint64(len(recs))))
			filters := dfilter.Generate(rng, recs, n)
			want := tsharkCounts(t, file, filters)
			bad := 0
			for i, src := range filters {
				f, err := dfilter.Compile(src)
				if err != nil {
					t.Errorf("Compile(%q) = %v", src, err)
					continue
				}
				got := 0
				for _, r := range recs {
					if f.Match(r) {
						got++
					}
				}
				if got != want[i] {
					t.Errorf("%q: %d frames, tshark %d", src, got, want[i])
					if bad++; bad > 15 {
						t.Fatal("too many differences")
					}
				}
			}
		})
	}
}
