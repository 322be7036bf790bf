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

// TestAnalyzeExplainSkipped: --ladder and --explain say first which frames
// were not analysed, in the language asked for, and say so when no
// conversation is left to show.
func TestAnalyzeExplainSkipped(t *testing.T) {
	syn := rawTCP(40000, 2000, 100, 0, decode.FlagSYN, 65535, "")
	bad := append([]byte(nil), syn...)
	bad[0] = 0x43 // header length 12
	path := writeFrames(t, decode.LinkRaw, syn, bad, bad)
	for _, tt := range []struct{ lang, want string }{
		{"en", "2 frames not analysed: IPv4 header length 12 2\n\n"},
		{"zh-TW", "2 個封包未經分析：IPv4 header length 12 2\n\n"},
	} {
		out, _, err := runCLI(t, "analyze", "--no-list", "--ladder", "--explain", "--lang", tt.lang, path)
		if err != nil {
			t.Fatalf("analyze --explain --lang %s: %v", tt.lang, err)
		}
		if !strings.HasPrefix(out, tt.want) {
			t.Errorf("--lang %s: output starts %q, want %q", tt.lang, out[:min(len(out), 80)], tt.want)
		}
	}
	only := writeFrames(t, decode.LinkRaw, bad)
	out, _, err := runCLI(t, "analyze", "--no-list", "--explain", only)
	if err != nil {
		t.Fatalf("analyze --no-list --explain: %v", err)
	}
	if want := "1 frame not analysed: IPv4 header length 12 1\n\nNo TCP conversation to show (frames read: 1).\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}
