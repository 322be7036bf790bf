package listing

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// writeLink writes frames to a pcap file of link type link.
func writeLink(t *testing.T, link decode.LinkType, frames ...[]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := pcapio.NewPcapWriter(f, pcapio.PcapOptions{Link: link})
	if err != nil {
		t.Fatal(err)
	}
	for i, fr := range frames {
		if err := w.WritePacket(int64(1_700_000_000+i)*1e9, fr, len(fr)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSummarySkipped checks the counting of frames not analysed, the
// summary record (last, reasons sorted) and the text line under the
// conversation table, and that ARP and plain UDP are not counted.
func TestSummarySkipped(t *testing.T) {
	e := endpoints{ep("10.0.0.1:40000"), ep("10.0.0.2:2000")}
	syn := e.frame(seg{seq: 1, flags: fS, win: 500})
	badHL := append([]byte(nil), syn...)
	badHL[14] = 0x40
	vj := append([]byte(nil), syn...)
	binary.BigEndian.PutUint16(vj[12:], 0x8864) // PPPoE ...
	vj = append(vj[:14], append([]byte{0x11, 0, 0, 1, 0, 0, 0, 0x2d}, syn[34:]...)...)
	udp := append([]byte(nil), syn...)
	udp[14+9] = 17
	arp := append(append([]byte(nil), syn[:12]...), 0x08, 0x06)
	arp = append(arp, make([]byte, 28)...)
	file := writeLink(t, decode.LinkEthernet, syn, badHL, vj, badHL, udp, arp, syn[:14+20+10])
	var sum Summary
	out := ourOutput(t, file, Options{Format: NDJSON, Follow: -1, Summary: &sum})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := `{"type":"summary","frames":7,"packets":1,"streams":1,"skipped":{"IPv4 header length 0":2,"PPP Van Jacobson compressed TCP":1,"TCP segment shorter than 20 bytes":1}}`
	if got := lines[len(lines)-1]; got != want {
		t.Errorf("summary record:\n got %s\nwant %s", got, want)
	}
	if sum.Frames != 7 || sum.Packets != 1 || sum.Streams != 1 || sum.SkippedFrames() != 4 {
		t.Errorf("Summary = %+v", sum)
	}
	text := ourOutput(t, file, Options{Format: Text, Follow: -1})
	wantLine := "4 frames not analysed: IPv4 header length 0 2, PPP Van Jacobson compressed TCP 1, TCP segment shorter than 20 bytes 1\n"
	if !strings.HasSuffix(text, convRule+wantLine) {
		t.Errorf("text output does not end with the conversation table and %q:\n%s", wantLine, text)
	}
}

// TestSummaryNothingDecoded checks the text output of captures in which
// no TCP packet was analysed: it says so instead of an empty table.
func TestSummaryNothingDecoded(t *testing.T) {
	for _, c := range []struct {
		name string
		file string
		want string
	}{
		{"unknown link type", writeLink(t, 147, []byte{1, 2, 3}, []byte{4, 5, 6}), "No TCP packets analysed in 2 frames.\n2 frames not analysed: link type 147 (user 0) 2\n"},
		{"protected 802.11", writeLink(t, decode.LinkIEEE80211, append([]byte{0x08, 0x41}, make([]byte, 40)...)),
			"No TCP packets analysed in 1 frame.\n1 frame not analysed: link type 105 (IEEE 802.11) protected frame 1\n"},
		{"no TCP", writeLink(t, decode.LinkEthernet, append([]byte{12: 0x08, 13: 0x06}, make([]byte, 28)...)), "No TCP packets in 1 frame.\n"},
		{"empty", writeLink(t, decode.LinkEthernet), "No frames in the capture.\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ourOutput(t, c.file, Options{Format: Text, Follow: -1}); got != c.want {
				t.Errorf("text output %q, want %q", got, c.want)
			}
		})
	}
}
