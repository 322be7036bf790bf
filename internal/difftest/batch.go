package difftest

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// Batch is one generated capture, compared.
type Batch struct {
	Seed    uint64
	Capture *Capture
	File    string
	Packets int // TCP packets tshark shows
	Diffs   []Diff
	Tshark  *Result
	Ours    *Result
}

// RunBatch generates the capture of seed with about packets frames (one
// seed in eight an option grid, GenerateOptions), writes it in dir, and
// compares tcplab's analysis with tshark's.
func RunBatch(dir string, seed uint64, packets int, skip map[string]bool) (*Batch, error) {
	var c *Capture
	if seed%8 == 7 {
		c = GenerateOptions(seed, packets)
	} else {
		c = Generate(seed, packets)
	}
	b := &Batch{Seed: seed, Capture: c, File: filepath.Join(dir, fmt.Sprintf("seed%d%s", seed, c.ext()))}
	if err := WriteFile(b.File, c, c.Frames); err != nil {
		return nil, err
	}
	diffs, want, ours, err := compareFiles(b.File, skip)
	if err != nil {
		return nil, err
	}
	b.Diffs, b.Tshark, b.Ours, b.Packets = diffs, want, ours, len(want.Packets)
	if !skip["skipped"] {
		b.Diffs = append(b.Diffs, checkSkipped(c, b.Ours)...)
	}
	return b, nil
}

// checkSkipped checks that tcplab counted as not analysed at least the
// frames the generator made so (protected 802.11 frames, NULL family 23,
// fragments of datagrams never completed): tshark names no reasons, so
// the generator's count is the reference. tcplab may count more: a frame
// the snap length cut inside its link header (an NFLOG TLV, say) carries
// no TCP that either tool can read, and a frame tshark shows as TCP
// without a tcplab record is a difference of its own.
func checkSkipped(c *Capture, ours *Result) []Diff {
	got := 0
	if ours != nil && ours.Summary["skipped"] != "" {
		got, _ = strconv.Atoi(ours.Summary["skipped"])
	}
	if got < c.Skipped {
		return []Diff{{Stream: -1, Field: "skipped", Tshark: strconv.Itoa(c.Skipped) + " (generated)", Tcplab: strconv.Itoa(got)}}
	}
	return nil
}

// compareFile runs both sides over file and compares them.
func compareFile(file string, skip map[string]bool) ([]Diff, *Result, error) {
	diffs, want, _, err := compareFiles(file, skip)
	return diffs, want, err
}

// compareFiles is compareFile, also returning tcplab's result.
func compareFiles(file string, skip map[string]bool) ([]Diff, *Result, *Result, error) {
	want, err := Tshark(file, !skip["checksum_status"])
	if err != nil {
		return nil, nil, nil, err
	}
	got, err := Tcplab(file, want.Conv != nil && !skip["conv"])
	if err != nil {
		return nil, nil, nil, err
	}
	return Compare(want, got, skip), want, got, nil
}

// ext is the file name extension of c's format.
func (c *Capture) ext() string {
	if c.Kind == Pcapng {
		return ".pcapng"
	}
	return ".pcap"
}
