package difftest

import (
	"flag"
	"testing"

	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

var (
	flagSeeds = flag.Int("difftest.seeds", 10, "TestDifferential: how many seeds (captures of -difftest.size frames)")
	flagSeed  = flag.Uint64("difftest.seed", 1, "the first seed")
	flagSize  = flag.Int("difftest.size", 2000, "frames per generated capture")
	flagSkip  = flag.String("difftest.skip", "", "contract fields not compared, comma-separated (e.g. acks_frame,ack_rtt,bytes_in_flight,push_bytes_sent,irtt)")
	flagShow  = flag.Int("difftest.show", 10, "differences shown per capture")
)

// needTshark skips the test in -short or without tshark.
func needTshark(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("the differential tests run tshark: not in -short")
	}
	pcaptest.NeedTools(t, "tshark")
}

// TestDifferential compares tcplab with tshark on -difftest.seeds
// generated captures.
func TestDifferential(t *testing.T) {
	needTshark(t)
	skip := ParseSkip(*flagSkip)
	dir := t.TempDir()
	packets, diffs := 0, 0
	for seed := *flagSeed; seed < *flagSeed+uint64(*flagSeeds); seed++ {
		b, err := RunBatch(dir, seed, *flagSize, skip)
		if err != nil {
			t.Fatal(err)
		}
		packets += b.Packets
		diffs += len(b.Diffs)
		for i, d := range b.Diffs {
			if i == *flagShow {
				t.Errorf("seed %d: ... %d differences in all", seed, len(b.Diffs))
				break
			}
			t.Errorf("seed %d: %v", seed, d)
		}
	}
	t.Logf("%d packets compared, %d differences", packets, diffs)
}
