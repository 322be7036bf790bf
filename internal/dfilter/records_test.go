package dfilter

import (
	"path/filepath"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// ReadRecords reads a capture's TCP packets through the analysis, for
// the external tests.
var ReadRecords = records

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
		out = append(out, &Record{Frame: uint32(i + 1), Time: float64(rec.Timestamp-t0) / 1e9, RelNS: rec.Timestamp - t0, Len: rec.OrigLen, CapLen: len(rec.Data), P: p, R: r})
	}
	return out
}

// sampleRecords returns the analysed packets of a small lab capture.
func sampleRecords(tb testing.TB) []*Record {
	return records(tb, filepath.Join("..", "demo", "testdata", "lab_in_range.pcap"))
}
