package packets

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tcplab/tcplab/internal/decode"
)

// Summary is what a Source counted, with what its consumer printed: the
// JSON contract's summary record.
type Summary struct {
	Frames uint64 // frames read
	// Packets and Streams are the consumer's to count: the listing's
	// TCP packets printed (ndjson packet records, packet list lines) and
	// conversations printed (ndjson stream records, table rows).
	Packets uint64
	Streams uint64
	// Analysed counts the TCP packets analysed, printed or not.
	Analysed uint64
	// Skipped counts the frames that may carry TCP but were not decoded,
	// by a short reason ("link type 105 (IEEE 802.11) protected frame",
	// "IPv4 header length 0").
	Skipped map[string]uint64
}

// Reasons under which frames are counted that decode does not name.
const (
	reasonTCPCut         = "TCP header cut by the snap length"
	reasonFragCut        = "IP fragment cut by the snap length"
	reasonFragIncomplete = "IP fragments of a datagram never completed"
	reasonFragEvicted    = "IP fragments evicted (reassembly memory limit)"
)

func (s *Summary) skip(reason string, n uint64) {
	if n == 0 {
		return
	}
	if s.Skipped == nil {
		s.Skipped = map[string]uint64{}
	}
	s.Skipped[reason] += n
}

// skipErr counts a frame the decoder returned err for.
func (s *Summary) skipErr(err error) { s.skip(decode.SkipReason(err), 1) }

// SkippedFrames is the number of frames not analysed, all reasons
// together.
func (s *Summary) SkippedFrames() uint64 {
	var n uint64
	for _, c := range s.Skipped {
		n += c
	}
	return n
}

// Reasons returns the reasons frames were skipped for, in sorted order.
func (s *Summary) Reasons() []string {
	r := make([]string, 0, len(s.Skipped))
	for k := range s.Skipped {
		r = append(r, k)
	}
	slices.Sort(r)
	return r
}

// SkippedText says which frames were not analysed and why, as the text
// output and the command's standard error print it: "33 frames not
// analysed: VXLAN 33"; "" when none was skipped.
func (s *Summary) SkippedText() string {
	n := s.SkippedFrames()
	if n == 0 {
		return ""
	}
	if n == 1 {
		return "1 frame not analysed: " + s.SkippedList()
	}
	return fmt.Sprintf("%d frames not analysed: %s", n, s.SkippedList())
}

// SkippedList lists the reasons frames were not analysed, each with its
// count, in sorted order: "IPv4 header length 0 2, VXLAN 33"; "" when
// none was skipped. The reasons are the decoder's technical names, the
// same in every language.
func (s *Summary) SkippedList() string {
	var b strings.Builder
	for i, r := range s.Reasons() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", r, s.Skipped[r])
	}
	return b.String()
}
