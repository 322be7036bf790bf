package difftest

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

var (
	flagSeeds   = flag.Int("difftest.seeds", 10, "TestDifferential: how many seeds (captures of -difftest.size frames)")
	flagSeed    = flag.Uint64("difftest.seed", 1, "the first seed")
	flagSize    = flag.Int("difftest.size", 2000, "frames per generated capture")
	flagSkip    = flag.String("difftest.skip", "", "contract fields not compared, comma-separated (e.g. acks_frame,ack_rtt,bytes_in_flight,push_bytes_sent,irtt)")
	flagShow    = flag.Int("difftest.show", 10, "differences shown per capture")
	flagPackets = flag.Int("difftest.packets", 0, "TestSoak: compare until this many TCP packets (0: TestSoak skips)")
	flagReport  = flag.String("difftest.report", "", "shrink differences and write them under this directory, by kind")
	flagRegress = flag.String("difftest.regress", "", "shrink differences and write them to this directory as regression captures (testdata/regress)")
	flagPerKind = flag.Int("difftest.perkind", 1, "shrunk captures written per kind of difference")
)

// needTshark skips the test in -short or without tshark.
func needTshark(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("the differential tests run tshark: not in -short")
	}
	pcaptest.NeedTools(t, "tshark")
}

// run compares seeds until stop says so, shrinks new kinds of difference
// when asked, and reports.
type run struct {
	t        *testing.T
	skip     map[string]bool
	dir      string
	packets  int
	diffs    int // differing fields
	frames   int // differing packets
	kinds    map[string]int
	first    []Diff // the first differences, to show
	shrunk   []string
	progress bool
	checked  map[string]bool // kinds: whether a kept capture still shows them
}

func newRun(t *testing.T) *run {
	return &run{t: t, skip: ParseSkip(*flagSkip), dir: t.TempDir(), kinds: map[string]int{}, checked: map[string]bool{}}
}

// seed runs one seed.
func (r *run) seed(seed uint64) {
	t := r.t
	b, err := RunBatch(r.dir, seed, *flagSize, r.skip)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(b.File)
	r.packets += b.Packets
	r.diffs += len(b.Diffs)
	for _, d := range Primary(b.Diffs) {
		r.frames++
		if len(r.first) < *flagShow {
			r.first = append(r.first, d)
			t.Errorf("seed %d: %v", seed, d)
		}
		r.kinds[d.Kind()]++
		if r.kinds[d.Kind()] <= *flagPerKind && (*flagReport != "" || *flagRegress != "") && !r.known(d.Kind()) {
			r.shrink(b, d)
		}
	}
	if r.progress {
		fmt.Fprintf(os.Stderr, "difftest: seed %d: %d packets compared, %d differing packets (%d kinds)\n", seed, r.packets, r.frames, len(r.kinds))
	}
}

// known reports whether a capture of kind is already kept in the
// regression directory (or, without one, in the report directory) and
// still shows that kind of difference: one fixed since, a new capture is
// worth shrinking.
func (r *run) known(kind string) bool {
	if v, ok := r.checked[kind]; ok {
		return v
	}
	dir := *flagRegress
	if dir == "" {
		dir = filepath.Join(*flagReport, Slug(kind))
	}
	files, _ := filepath.Glob(filepath.Join(dir, Slug(kind)+"-seed*.pcap"))
	r.checked[kind] = false
	for _, f := range files {
		diffs, _, err := compareFile(f, r.skip)
		if err != nil {
			r.t.Fatal(err)
		}
		if slices.ContainsFunc(diffs, func(d Diff) bool { return d.Kind() == kind }) {
			r.checked[kind] = true
		}
	}
	return r.checked[kind]
}

// shrink reduces d's conversation and saves it.
func (r *run) shrink(b *Batch, d Diff) {
	start := time.Now()
	small, diffs, err := Shrink(r.dir, b.Capture, d, r.skip)
	if err != nil {
		r.t.Logf("seed %d: %v", b.Seed, err)
		return
	}
	name := fmt.Sprintf("%s-seed%d-f%d", Slug(d.Kind()), b.Seed, d.Frame)
	if *flagRegress != "" {
		if err := SaveRegression(*flagRegress, name, small, diffs, d, b.Seed); err != nil {
			r.t.Fatal(err)
		}
		r.shrunk = append(r.shrunk, filepath.Join(*flagRegress, name+".pcap"))
	}
	if *flagReport != "" {
		file, err := SaveReport(*flagReport, name, small, diffs, d, b.Seed)
		if err != nil {
			r.t.Fatal(err)
		}
		r.shrunk = append(r.shrunk, file)
	}
	r.t.Logf("seed %d: %s shrunk to %d frames in %v", b.Seed, d.Kind(), len(small.Frames), time.Since(start).Round(time.Second))
}

// summary logs the totals and the kinds of difference.
func (r *run) summary(elapsed time.Duration) string {
	var kinds []string
	for k, n := range r.kinds {
		kinds = append(kinds, fmt.Sprintf("%6d  %s", n, k))
	}
	slices.Sort(kinds)
	s := fmt.Sprintf("%d packets compared in %v (%.0f a minute), %d differing packets, %d differing fields, %d kinds",
		r.packets, elapsed.Round(time.Second), float64(r.packets)/elapsed.Minutes(), r.frames, r.diffs, len(r.kinds))
	if len(kinds) > 0 {
		s += ":\n" + strings.Join(kinds, "\n")
	}
	if len(r.shrunk) > 0 {
		s += "\nshrunk captures:\n  " + strings.Join(r.shrunk, "\n  ")
	}
	return s
}

// TestDifferential compares tcplab with tshark on -difftest.seeds
// generated captures.
func TestDifferential(t *testing.T) {
	needTshark(t)
	r := newRun(t)
	start := time.Now()
	for seed := *flagSeed; seed < *flagSeed+uint64(*flagSeeds); seed++ {
		r.seed(seed)
	}
	t.Log(r.summary(time.Since(start)))
}

// TestSoak compares seed after seed until -difftest.packets TCP packets
// have been compared, printing progress on stderr (scripts/difftest).
func TestSoak(t *testing.T) {
	if *flagPackets <= 0 {
		t.Skip("TestSoak runs with -difftest.packets N (scripts/difftest)")
	}
	needTshark(t)
	r := newRun(t)
	r.progress = true
	if *flagReport != "" {
		moved, err := MoveFixed(*flagReport, r.skip)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range moved {
			fmt.Fprintf(os.Stderr, "difftest: fixed since, moved to %s/fixed: %s\n", *flagReport, m)
		}
	}
	start := time.Now()
	for seed := *flagSeed; r.packets < *flagPackets; seed++ {
		r.seed(seed)
	}
	fmt.Fprintf(os.Stderr, "difftest: %s\n", r.summary(time.Since(start)))
	if *flagReport != "" {
		if err := WriteIndex(*flagReport); err != nil {
			t.Error(err)
		}
	}
}

// TestRegressions compares every capture in testdata/regress: each a
// difference once found, shrunk.
func TestRegressions(t *testing.T) {
	needTshark(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "regress", "*.pcap"))
	compareEach(t, files)
}

// TestFiles compares the captures named in TCPLAB_DIFF_FILES (separated
// by spaces) with the oracle, as the soak compares its own.
func TestFiles(t *testing.T) {
	files := strings.Fields(os.Getenv("TCPLAB_DIFF_FILES"))
	if len(files) == 0 {
		t.Skip("set TCPLAB_DIFF_FILES to compare captures of your own")
	}
	needTshark(t)
	compareEach(t, files)
}

// compareEach compares each of files with the oracle in a subtest.
func compareEach(t *testing.T, files []string) {
	skip := ParseSkip(*flagSkip)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".pcap"), func(t *testing.T) {
			diffs, _, err := compareFile(f, skip)
			if err != nil {
				t.Fatal(err)
			}
			if len(diffs) == 0 {
				return
			}
			what, _ := os.ReadFile(strings.TrimSuffix(f, ".pcap") + ".txt")
			t.Errorf("%s: still differs (found as: %s)", f, strings.TrimSpace(string(what)))
			for i, d := range diffs {
				if i == *flagShow {
					break
				}
				t.Errorf("%v", d)
			}
		})
	}
}

// externalCaptures are Go modules that ship TCP captures made by other
// people's tools and networks (gopacket's test data: an EtherNet/IP and
// CIP capture of about 26,000 request/response packets, Modbus, Linux
// SLL with an oversized address, loopback), each with the glob of its
// captures.
var externalCaptures = []struct{ module, glob string }{
	{"github.com/gopacket/gopacket@v1.7.7", "layers/testdata/*.pcap*"},
	{"github.com/gopacket/gopacket@v1.7.7", "pcap/test_*.pcap"},
}

// TestExternalCaptures compares the captures of externalCaptures with
// the oracle. It downloads the modules with the go command (into the
// module cache) and skips when that fails, as offline.
func TestExternalCaptures(t *testing.T) {
	needTshark(t)
	var files []string
	for _, ec := range externalCaptures {
		out, err := exec.Command("go", "mod", "download", "-json", ec.module).Output()
		var m struct{ Dir, Error string }
		if err != nil || json.Unmarshal(out, &m) != nil || m.Dir == "" {
			t.Skipf("go mod download %s: %v %s", ec.module, err, m.Error)
		}
		found, _ := filepath.Glob(filepath.Join(m.Dir, ec.glob))
		files = append(files, found...)
	}
	if len(files) < 5 {
		t.Fatalf("%d captures found, want the seven of gopacket's test data", len(files))
	}
	compareEach(t, files)
}
