package render

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
)

// FuzzCapture runs a capture file through the explanation chain: the
// adapter from the analysis engine, the walk-through in both languages and
// the terminal ladder; the HTML report too for small results (its template
// is slow enough to stall the fuzzer's minimization otherwise, and it
// draws from the same model). None of it may panic, whatever the bytes.
func FuzzCapture(f *testing.F) {
	for _, name := range []string{"lab_in_range.pcap", "lab_out_of_range.pcap"} {
		data, err := os.ReadFile(filepath.Join("..", "explain", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)                  // a real lab capture on loopback
		f.Add(data[:len(data)-7])    // cut inside the last record
		f.Add(data[:24+16+40])       // one record cut inside its TCP header
		mangled := bytes.Clone(data) // flags of the first segment set to everything
		mangled[24+16+14+20+13] = 0xff
		f.Add(mangled)
	}
	f.Add([]byte{})                       // empty file
	f.Add([]byte("not a capture at all")) // no magic number
	f.Fuzz(func(t *testing.T, data []byte) {
		convs, _ := explain.ReadCapture(bytes.NewReader(data), nil, 500)
		for i := range convs {
			for _, lang := range i18n.Langs {
				w := explain.Explain(&convs[i], explain.Options{Lang: lang})
				if err := w.WriteText(&bytes.Buffer{}, 80); err != nil {
					t.Fatal(err)
				}
			}
			if err := Ladder(&bytes.Buffer{}, &convs[i], LadderOptions{Raw: i%2 == 0}); err != nil {
				t.Fatal(err)
			}
		}
		if len(data)%8 == 0 {
			if err := Report(&bytes.Buffer{}, convs, ReportOptions{MaxArrows: 20}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
