package listing_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/dfilter"
	"github.com/tcplab/tcplab/internal/difftest"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// needTshark skips when tshark is missing or in -short.
func needTshark(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs tshark: not in -short")
	}
	pcaptest.NeedTools(t, "tshark")
}

// tshark runs tshark with the protocols above TCP off and returns what it
// prints.
func tshark(t *testing.T, args ...string) string {
	t.Helper()
	dis, err := difftest.DisableArgs()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("tshark", append(args, dis...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %q: %v: %s", args, err, stderr.Bytes())
	}
	return string(out)
}

// tcplab runs the listing over file with opts and returns what it
// prints.
func tcplab(t *testing.T, file string, opts listing.Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := listing.Run(context.Background(), pcaptest.Open(t, file), &buf, opts); err != nil {
		t.Fatalf("Run(%s): %v", file, err)
	}
	return buf.String()
}

// fieldCaptures returns the captures the fields are compared on: the
// demo's, the regression captures, and generated ones (seeds whose link
// types carry no tunnel: tcplab's fields are the innermost headers'),
// written to a temporary directory.
func fieldCaptures(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "demo", "testdata", "*.pcap"))
	regress, _ := filepath.Glob(filepath.Join("..", "difftest", "testdata", "regress", "*.pcap"))
	files = append(files, regress...)
	dir := t.TempDir()
	for _, seed := range []uint64{1, 3, 4, 5, 6, 8} {
		c := difftest.Generate(seed, 600)
		name := filepath.Join(dir, fmt.Sprintf("seed%d.pcap", seed))
		if err := difftest.WriteFile(name, c, c.Frames); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	return append(files, strings.Fields(os.Getenv("TCPLAB_FILTER_FILES"))...)
}

// TestFieldsAgainstTshark: -T fields prints every field tcplab knows
// exactly as tshark prints it, packet by packet, on real, regression and
// generated captures. Frames in a tunnel (two IP layers) are left out:
// tcplab's fields are the innermost headers', tshark prints every
// layer's.
func TestFieldsAgainstTshark(t *testing.T) {
	needTshark(t)
	names := dfilter.Fields()
	fields, err := listing.NewFields(names)
	if err != nil {
		t.Fatal(err)
	}
	num := slices.Index(names, "frame.number")
	args := []string{"-T", "fields", "-Y", "tcp", "-e", "frame.protocols"}
	for _, n := range names {
		args = append(args, "-e", n)
	}
	for _, file := range fieldCaptures(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want := map[string][]string{}
			for line := range strings.SplitSeq(strings.TrimSuffix(tshark(t, append([]string{"-r", file}, args...)...), "\n"), "\n") {
				f := strings.Split(line, "\t")
				if len(f) != len(names)+1 {
					t.Fatalf("tshark line with %d fields, want %d: %q", len(f), len(names)+1, line)
				}
				protos := f[0]
				if strings.Count(":"+protos+":", ":ip:")+strings.Count(":"+protos+":", ":ipv6:") > 1 || strings.Count(protos, ":tcp") > 1 {
					continue // a tunnel
				}
				want[f[num+1]] = f[1:]
			}
			out := tcplab(t, file, listing.Options{Follow: -1, Fields: fields})
			bad, compared := 0, 0
			for line := range strings.SplitSeq(strings.TrimSuffix(out, "\n"), "\n") {
				g := strings.Split(line, "\t")
				w, ok := want[g[num]]
				if !ok {
					continue
				}
				compared++
				for i := range w {
					if i < len(g) && g[i] != w[i] {
						t.Errorf("frame %s: %s: tshark %q, tcplab %q", g[num], fields.Columns[i].Name(), w[i], g[i])
						if bad++; bad > 20 {
							t.Fatal("too many differences")
						}
					}
				}
			}
			if compared == 0 && len(want) > 0 {
				t.Errorf("no frame compared of tshark's %d", len(want))
			}
			t.Logf("%d packets, %d fields each", compared, len(names))
		})
	}
}

// TestFieldsOptionsAgainstTshark: -E's header, separator, quote,
// occurrence and aggregator print as tshark's, with -Y and -c.
func TestFieldsOptionsAgainstTshark(t *testing.T) {
	needTshark(t)
	file := filepath.Join("..", "demo", "testdata", "impaired_bulk.pcap")
	for _, opts := range [][]string{
		{"header=y"},
		{"header=y", "separator=,", "quote=d"},
		{"separator=/s", "quote=s", "occurrence=f"},
		{"occurrence=l", "aggregator=/s"},
		{"aggregator=;", "separator=|", "header=y", "quote=n"},
	} {
		t.Run(strings.Join(opts, " "), func(t *testing.T) {
			names := []string{"frame.number", "ip.addr", "tcp.port", "tcp.analysis.duplicate_ack", "tcp.analysis.ack_rtt", "tcp.options.sack", "tcp.payload"}
			f, err := listing.NewFields(names)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"-r", file, "-T", "fields", "-c", "120", "-Y", "tcp.analysis.flags || tcp.len < 100"}
			for _, o := range opts {
				if err := f.SetOption(o); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-E", o)
			}
			for _, n := range names {
				args = append(args, "-e", n)
			}
			flt, err := dfilter.Compile("tcp.analysis.flags || tcp.len < 100")
			if err != nil {
				t.Fatal(err)
			}
			want := tshark(t, args...)
			got := tcplab(t, file, listing.Options{Follow: -1, Fields: f, Filter: flt, MaxFrames: 120})
			if got != want {
				t.Errorf("-E %s:\ntshark:\n%s\ntcplab:\n%s", opts, want, got)
			}
		})
	}
}
