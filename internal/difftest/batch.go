package difftest

import (
	"fmt"
	"path/filepath"
)

// Batch is one generated capture, compared.
type Batch struct {
	Seed    uint64
	Capture *Capture
	File    string
	Packets int // TCP packets tshark shows
	Diffs   []Diff
	Tshark  *Result
}

// RunBatch generates the capture of seed with about packets frames,
// writes it in dir, and compares tcplab's analysis with tshark's.
func RunBatch(dir string, seed uint64, packets int, skip map[string]bool) (*Batch, error) {
	c := Generate(seed, packets)
	b := &Batch{Seed: seed, Capture: c, File: filepath.Join(dir, fmt.Sprintf("seed%d%s", seed, c.ext()))}
	if err := WriteFile(b.File, c, c.Frames); err != nil {
		return nil, err
	}
	diffs, want, err := compareFile(b.File, skip)
	if err != nil {
		return nil, err
	}
	b.Diffs, b.Tshark, b.Packets = diffs, want, len(want.Packets)
	return b, nil
}

// compareFile runs both sides over file and compares them.
func compareFile(file string, skip map[string]bool) ([]Diff, *Result, error) {
	want, err := Tshark(file, !skip["checksum_status"])
	if err != nil {
		return nil, nil, err
	}
	got, err := Tcplab(file, want.Conv != nil && !skip["conv"])
	if err != nil {
		return nil, nil, err
	}
	return Compare(want, got, skip), want, nil
}

// ext is the file name extension of c's format.
func (c *Capture) ext() string {
	if c.Kind == Pcapng {
		return ".pcapng"
	}
	return ".pcap"
}
