package difftest

import (
	"bytes"
	"flag"
	"path/filepath"
	"testing"
)

var dumpDir = flag.String("difftest.dump", "", "write the generated capture of -difftest.seed to this directory")

// TestGenerateDeterministic checks that a seed always gives the same
// bytes.
func TestGenerateDeterministic(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		var a, b bytes.Buffer
		c1, c2 := Generate(seed, 2000), Generate(seed, 2000)
		if err := Write(&a, c1, c1.Frames); err != nil {
			t.Fatal(err)
		}
		if err := Write(&b, c2, c2.Frames); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("seed %d: two runs differ (%d and %d bytes)", seed, a.Len(), b.Len())
		}
		if len(c1.Frames) < 500 {
			t.Errorf("seed %d: %d frames, want about 2000", seed, len(c1.Frames))
		}
		if *dumpDir != "" {
			if err := WriteFile(filepath.Join(*dumpDir, "gen"+string(rune('0'+seed))+".pcap"), c1, c1.Frames); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("seed %d: %d frames, kind %d, link %d, snap %d", seed, len(c1.Frames), c1.Kind, c1.Link, c1.Snap)
	}
}
