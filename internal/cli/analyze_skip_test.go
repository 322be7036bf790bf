package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// writeFrames writes a pcap file of link type link holding frames.
func writeFrames(t *testing.T, link decode.LinkType, frames ...[]byte) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapio.NewPcapWriter(&buf, pcapio.PcapOptions{Link: link})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WritePacket(int64(1_700_000_000+i)*1e9, f, len(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "f.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAnalyzeSkipped checks the standard error line naming the frames not
// analysed (exit status 0), and that a capture none of whose frames
// decodes is an error (exit status 1) that names no internal package.
func TestAnalyzeSkipped(t *testing.T) {
	syn := rawTCP(40000, 2000, 100, 0, decode.FlagSYN, 65535, "")
	bad := append([]byte(nil), syn...)
	bad[0] = 0x43 // header length 12
	path := writeFrames(t, decode.LinkRaw, syn, bad, bad)
	for _, format := range []string{"text", "ndjson"} {
		out, errOut, err := runCLI(t, "analyze", "--format", format, path)
		if err != nil {
			t.Fatalf("analyze --format %s: %v", format, err)
		}
		if want := "tcplab: 2 frames not analysed: IPv4 header length 12 2\n"; errOut != want {
			t.Errorf("--format %s: stderr %q, want %q", format, errOut, want)
		}
		if format == "ndjson" && !strings.HasSuffix(out, `"skipped":{"IPv4 header length 12":2}}`+"\n") {
			t.Errorf("ndjson does not end with the summary: %s", out)
		}
	}

	unknown := writeFrames(t, 147, []byte{1, 2, 3})
	out, _, err := runCLI(t, "analyze", unknown)
	if err == nil || ExitCode(err) != 1 {
		t.Fatalf("analyze of an unsupported link type: %v (exit %d), want exit 1", err, ExitCode(err))
	}
	if msg := err.Error(); !strings.Contains(msg, "link type 147") || strings.Contains(msg, "decode:") || strings.Contains(msg, "listing:") {
		t.Errorf("error %q: want the link type, no package name", msg)
	}
	if !strings.Contains(out, "No TCP packets analysed in 1 frames") {
		t.Errorf("stdout %q does not say nothing was analysed", out)
	}

	garbage := filepath.Join(t.TempDir(), "garbage.pcap")
	os.WriteFile(garbage, []byte("not a capture file at all"), 0o644)
	if _, _, err := runCLI(t, "analyze", garbage); err == nil || ExitCode(err) != 1 {
		t.Errorf("analyze of a file that is no capture: %v (exit %d), want exit 1", err, ExitCode(err))
	}
}
