package listing

import (
	"strconv"

	"github.com/tcplab/tcplab/internal/packets"
)

// Summary is what Run counted: the contract's summary record. The source
// of packets counts the frames read, analysed and skipped; Run's output
// the packets and conversations it printed.
type Summary = packets.Summary

// appendSummaryJSON appends the summary record (the contract's last
// ndjson record) and a newline, reasons in sorted order.
func appendSummaryJSON(b []byte, s *Summary) []byte {
	b = append(b, `{"type":"summary","frames":`...)
	b = strconv.AppendUint(b, s.Frames, 10)
	b = append(b, `,"packets":`...)
	b = strconv.AppendUint(b, s.Packets, 10)
	b = append(b, `,"streams":`...)
	b = strconv.AppendUint(b, s.Streams, 10)
	b = append(b, `,"skipped":{`...)
	for i, r := range s.Reasons() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, []byte(r))
		b = append(b, ':')
		b = strconv.AppendUint(b, s.Skipped[r], 10)
	}
	return append(b, "}}\n"...)
}
