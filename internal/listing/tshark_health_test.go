package listing_test

import (
	"path/filepath"
	"testing"

	"github.com/tcplab/tcplab/internal/listing"
)

// TestHealthAgainstTshark: the health of each stream record (RTT,
// bytes in flight, zero-window time, distinct and resent bytes) is what
// tshark's ack_rtt, bytes_in_flight, window, flags, seq and len give,
// on the demo's (real loopback and netlab captures), the regression and
// generated captures. The live captures of the parity tests (netlab's
// impaired networks, zero windows) are compared too (compareWithTshark).
func TestHealthAgainstTshark(t *testing.T) {
	needTshark(t)
	for _, file := range fieldCaptures(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Logf("%d streams", listing.CompareHealth(t, file))
		})
	}
}
