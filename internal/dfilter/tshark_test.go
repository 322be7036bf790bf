package dfilter

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/difftest"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// records reads file's TCP packets through the analysis.
func records(t testing.TB, file string) []*Record {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, file)
	an := tcpanalysis.New()
	var out []*Record
	var t0 int64
	for i, rec := range recs {
		if i == 0 {
			t0 = rec.Timestamp
		}
		p := new(decode.Packet)
		if decode.DecodeWire(rec.Link, rec.Data, rec.OrigLen, p) != nil || len(p.TCP) < 4 {
			continue
		}
		r := new(tcpanalysis.Result)
		if !an.Analyze(uint32(i+1), rec.Timestamp, rec.OrigLen, p, r) {
			continue
		}
		out = append(out, &Record{Frame: uint32(i + 1), Time: float64(rec.Timestamp-t0) / 1e9, Len: rec.OrigLen, P: p, R: r})
	}
	return out
}

// genFilters returns n random filters over the fields, with values drawn
// from recs so that many match something.
func genFilters(rng *rand.Rand, recs []*Record, n int) []string {
	pick := func() *Record { return recs[rng.IntN(len(recs))] }
	num := func(name string) string {
		var buf [4]Value
		vs := fieldByName[name].get(pick(), buf[:0])
		if len(vs) == 0 || rng.IntN(5) == 0 {
			switch fieldByName[name].kind {
			case KindAddr:
				if strings.HasPrefix(name, "ipv6") {
					return "fd00::1"
				}
				return "10.1.2.3"
			case KindFloat:
				return strconv.FormatFloat(rng.Float64(), 'f', 3, 64)
			}
			return strconv.Itoa(rng.IntN(min(3000, int(fieldByName[name].max)+1)))
		}
		switch v := vs[rng.IntN(len(vs))]; v.kind {
		case KindFloat:
			return strconv.FormatFloat(v.F, 'f', -1, 64)
		case KindAddr:
			if rng.IntN(3) == 0 && v.A.Addr().Is4() {
				return v.A.Addr().String() + "/" + strconv.Itoa(8+rng.IntN(25))
			}
			return v.A.Addr().String()
		default:
			return strconv.FormatUint(v.U, 10)
		}
	}
	ops := []string{"==", "!=", "<", ">", "<=", ">=", "~=", "eq", "ne", "gt", "le"}
	var valued, bare []string
	for _, name := range Fields() {
		switch fieldByName[name].kind {
		case KindNone:
			bare = append(bare, name)
		case KindBytes:
		default:
			valued = append(valued, name)
		}
	}
	atom := func() string {
		switch rng.IntN(10) {
		case 0, 1:
			return bare[rng.IntN(len(bare))]
		case 2:
			f := valued[rng.IntN(len(valued))]
			if fieldByName[f].kind == KindAddr || fieldByName[f].kind == KindFloat {
				return f + " == " + num(f)
			}
			// io,stat splits its argument at commas: one range only.
			return fmt.Sprintf("%s in {%s..%s}", f, num(f), num(f))
		case 3:
			words := []string{"GET", "a", "x", "\\x00", "ab", "Client", "server"}
			if rng.IntN(2) == 0 {
				pats := []string{"client", "(?-i)client", "^[a-z]+ of", "[0-9][0-9]+$", "of.*[0-9]"}
				return fmt.Sprintf(`tcp.payload matches "%s"`, pats[rng.IntN(len(pats))])
			}
			return fmt.Sprintf(`tcp.payload contains "%s"`, words[rng.IntN(len(words))])
		default:
			f := valued[rng.IntN(len(valued))]
			op := ops[rng.IntN(len(ops))]
			if fieldByName[f].kind == KindAddr && op != "==" && op != "!=" && op != "~=" {
				op = "=="
			}
			return f + " " + op + " " + num(f)
		}
	}
	out := make([]string, n)
	for i := range out {
		s := atom()
		for range rng.IntN(3) {
			switch rng.IntN(4) {
			case 0:
				s = "!(" + s + ")"
			case 1:
				s = s + " && " + atom()
			case 2:
				s = "(" + s + ") || " + atom()
			default:
				s = "not " + atom() + " and " + s
			}
		}
		out[i] = s
	}
	return out
}

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
			recs := records(t, file)
			if len(recs) == 0 {
				t.Skip("no TCP")
			}
			rng := rand.New(rand.NewPCG(1, uint64(len(recs))))
			filters := genFilters(rng, recs, n)
			want := tsharkCounts(t, file, filters)
			bad := 0
			for i, src := range filters {
				f, err := Compile(src)
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

// sampleRecords returns the analysed packets of a small lab capture.
func sampleRecords(tb testing.TB) []*Record {
	return records(tb, filepath.Join("..", "demo", "testdata", "lab_in_range.pcap"))
}
