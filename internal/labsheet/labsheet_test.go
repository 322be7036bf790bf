package labsheet_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/labsheet"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/streamgraph/graphtest"
	"github.com/tcplab/tcplab/internal/textwrap"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// captures are the real captures the sheet is read from: a lossy bulk
// transfer through the impaired network and the lab's two exchanges.
var captures = []string{
	"../explain/testdata/impaired_bulk.pcap",
	"../explain/testdata/lab_in_range.pcap",
	"../explain/testdata/lab_out_of_range.pcap",
}

// simulatedCaptures write simulated Reno transfers, where what the sender
// did is known, to pcap files in dir.
func simulatedCaptures(t *testing.T, dir string) []string {
	t.Helper()
	zw := struct{ At, For time.Duration }{200 * time.Millisecond, 500 * time.Millisecond}
	cfgs := map[string]graphtest.Config{
		"reno":        {Bytes: 300_000, Ssthresh: 40_000},
		"timeout":     {Bytes: 200_000, Lose: map[uint32]int{100_001: 3}},
		"zero_window": {Bytes: 150_000, RWin: 16_000, ZeroWindow: zw},
		"at_receiver": {Bytes: 200_000, Lose: map[uint32]int{100_001: 1}, AtReceiver: true},
	}
	var out []string
	for _, name := range []string{"reno", "timeout", "zero_window", "at_receiver"} {
		file := filepath.Join(dir, name+".pcap")
		f, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		w, err := pcapio.NewPcapWriter(f, pcapio.PcapOptions{Link: decode.LinkIPv4, Nanosecond: true})
		if err != nil {
			t.Fatal(err)
		}
		base := int64(1_700_000_000) * int64(time.Second)
		for _, fr := range graphtest.Run(cfgs[name]) {
			if err := w.WritePacket(base+fr.Time, fr.Data, len(fr.Data)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		out = append(out, file)
	}
	return out
}

func readSheet(t *testing.T, file string, stream int) *labsheet.Sheet {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, _, err := labsheet.Read(f, stream)
	if err != nil {
		t.Fatalf("Read(%s, %d): %v", file, stream, err)
	}
	return s
}

// TestGolden writes the sheets of the real captures and two simulated
// ones as text in every language, as JSON and as HTML.
func TestGolden(t *testing.T) {
	files := append([]string{}, captures...)
	sims := simulatedCaptures(t, t.TempDir())
	files = append(files, sims[0], sims[1], sims[3])
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".pcap")
		s := readSheet(t, file, -1)
		for _, lang := range i18n.Langs {
			t.Run(name+"/"+string(lang), func(t *testing.T) {
				var buf bytes.Buffer
				if err := labsheet.WriteText(&buf, s, lang, 80); err != nil {
					t.Fatal(err)
				}
				for i, line := range strings.Split(buf.String(), "\n") {
					if n := textwrap.Width(line); n > 80 {
						t.Errorf("line %d is %d columns wide: %q", i+1, n, line)
					}
				}
				fixture.Golden(t, "sheet_"+name+"."+string(lang), buf.Bytes(), *update)
			})
		}
		t.Run(name+"/json", func(t *testing.T) {
			var buf bytes.Buffer
			if err := labsheet.WriteJSON(&buf, s); err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 1 || !bytes.HasPrefix(buf.Bytes(), []byte(`{"type":"lab_sheet","stream":`)) {
				t.Errorf("JSON: %d lines, starting %.40q: want one line starting with type and stream", n, buf.String())
			}
			var back map[string]any
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatalf("the JSON does not parse: %v", err)
			}
			fixture.Golden(t, "sheet_"+name+".json", buf.Bytes(), *update)
		})
	}
	t.Run("html", func(t *testing.T) {
		s := readSheet(t, captures[0], -1)
		for _, lang := range i18n.Langs {
			var buf bytes.Buffer
			if err := labsheet.WriteHTML(&buf, s, lang); err != nil {
				t.Fatal(err)
			}
			// Well-formed: every element closed, nothing unescaped.
			dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
			for {
				_, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: the HTML section is not well-formed: %v", lang, err)
				}
			}
			if n := strings.Count(buf.String(), "<h3>"); n != 10 {
				t.Errorf("%s: %d questions, want 10", lang, n)
			}
			fixture.Golden(t, "sheet_impaired_bulk."+string(lang)+".html", buf.Bytes(), *update)
		}
	})
}

// TestReadErrors: no conversation, a stream that is not there, not a
// capture.
func TestReadErrors(t *testing.T) {
	f, err := os.Open(captures[1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, _, err := labsheet.Read(f, 7); !errors.Is(err, labsheet.ErrNoConversation) {
		t.Errorf("Read(stream 7 of a one-stream capture) = %v, want ErrNoConversation", err)
	}
	if s, _, err := labsheet.Read(bytes.NewReader([]byte("not a capture at all")), -1); s != nil || err == nil {
		t.Errorf("Read(not a capture) = %v, %v: want an error", s, err)
	}
	var empty bytes.Buffer
	w, err := pcapio.NewPcapWriter(&empty, pcapio.PcapOptions{Link: decode.LinkIPv4})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if s, _, err := labsheet.Read(bytes.NewReader(empty.Bytes()), -1); s != nil || !errors.Is(err, labsheet.ErrNoConversation) {
		t.Errorf("Read(an empty capture) = %v, %v: want ErrNoConversation", s, err)
	}
}
