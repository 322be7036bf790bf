package explain_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// labWithSkipped returns lab_in_range.pcap (Ethernet) with two frames
// added after its ten that may carry TCP but are not analysed: a copy of
// frame 4 whose IPv4 header claims 12 bytes, and a copy whose IPv4 header
// says more fragments follow (none does).
func labWithSkipped(t *testing.T) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "lab_in_range.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := pcapio.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := pcapio.NewPcapWriter(&buf, pcapio.PcapOptions{Link: 1})
	if err != nil {
		t.Fatal(err)
	}
	var frame4 []byte
	var last int64
	for n := 1; ; n++ {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 4 {
			frame4 = append([]byte(nil), rec.Data...)
		}
		last = rec.Timestamp
		if err := w.WritePacket(rec.Timestamp, rec.Data, rec.OrigLen); err != nil {
			t.Fatal(err)
		}
	}
	shortHeader := append([]byte(nil), frame4...)
	shortHeader[14] = 0x43 // IPv4, header length 3 words
	fragment := append([]byte(nil), frame4...)
	fragment[14+4], fragment[14+6] = 0x77, 0x20 // another ID; more fragments
	for i, fr := range [][]byte{shortHeader, fragment} {
		if err := w.WritePacket(last+int64(i+1)*1000, fr, len(fr)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReadSkipsAsListing: Read analyses and skips exactly the frames the
// listing does, counts the skipped ones by the same reasons, and the
// walk-through says so in both languages.
func TestReadSkipsAsListing(t *testing.T) {
	data := labWithSkipped(t)
	rd, err := pcapio.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var sum packets.Summary
	if err := listing.Run(context.Background(), rd, io.Discard, listing.Options{Format: listing.NDJSON, Follow: -1, Summary: &sum}); err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{"IPv4 header length 12": 1, "IP fragments of a datagram never completed": 1}
	if diff := cmp.Diff(want, sum.Skipped); diff != "" {
		t.Fatalf("listing's skipped frames (-want +got):\n%s", diff)
	}
	c, err := explain.Read(bytes.NewReader(data), explain.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sum.Skipped, c.Summary.Skipped); diff != "" {
		t.Errorf("Read's skipped frames differ from the listing's (-listing +Read):\n%s", diff)
	}
	if c.Summary.Frames != sum.Frames || c.Summary.Analysed != sum.Analysed {
		t.Errorf("Read counted %d frames, %d analysed; the listing %d, %d", c.Summary.Frames, c.Summary.Analysed, sum.Frames, sum.Analysed)
	}
	if len(c.Conversations) != 1 || len(c.Conversations[0].Packets) != 10 {
		t.Fatalf("Read = %d conversations, want 1 with the 10 packets", len(c.Conversations))
	}
	for lang, line := range map[i18n.Lang]string{
		i18n.English:            "2 frames of the capture were not analysed: IP fragments of a datagram never completed 1, IPv4 header length 12 1.",
		i18n.TraditionalChinese: "擷取檔中有 2 個封包未經分析：IP fragments of a datagram never completed 1, IPv4 header length 12 1。",
	} {
		if got, want := explain.NotAnalysed(lang, &c.Summary), i18n.Msg(lang, "notanalysed", "n", 2, "reasons", sum.SkippedList()); got != want {
			t.Errorf("NotAnalysed(%s) = %q, want %q", lang, got, want)
		}
		var buf bytes.Buffer
		if err := explain.Explain(&c.Conversations[0], explain.Options{Lang: lang, Skipped: &c.Summary}).WriteText(&buf, 1000); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), line) {
			t.Errorf("%s walk-through does not say which frames were not analysed (%q):\n%s", lang, line, buf.String())
		}
	}
	// Without skipped frames, nothing is said.
	clean := &packets.Summary{Frames: 10}
	if got := explain.NotAnalysed(i18n.English, clean); got != "" {
		t.Errorf("NotAnalysed(no skipped frames) = %q, want \"\"", got)
	}
	var buf bytes.Buffer
	explain.Explain(&c.Conversations[0], explain.Options{Skipped: clean}).WriteText(&buf, 1000)
	if strings.Contains(buf.String(), "not analysed") {
		t.Errorf("walk-through mentions frames not analysed when there are none:\n%s", buf.String())
	}
}
