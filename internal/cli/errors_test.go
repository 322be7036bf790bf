package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// packageName matches an internal package's name used as an error prefix.
var packageName = regexp.MustCompile(`(?:^|[^\w-])(afpacket|capfilter|decode|difftest|explain|i18n|impair|labproto|listing|netlab|pcapio|plainlog|render|report|seqnum|sockstate|tcpanalysis|tcptest):`)

// TestErrorsForUser runs failing commands through Run and checks what
// main prints: one line that starts "tcplab:" and names no internal
// package (issue 12).
func TestErrorsForUser(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCapture, []byte("not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "no", "such", "dir")
	for _, args := range [][]string{
		{"analyze", filepath.Join(dir, "missing.pcap")},
		{"analyze", notCapture},
		{"analyze", "--html", filepath.Join(missing, "r.html"), labCapture},
		{"analyze", "--explain", "--html", filepath.Join(missing, "r.html"), labCapture},
		{"analyze", "--lang", "klingon", labCapture},
		{"capture", "-i", "lo", "-c", "1", "-w", filepath.Join(dir, "c.pcapng"), "tcp porrt 5"},
		{"capture", "-i", "lo", "-c", "1", "-w", filepath.Join(dir, "c.pcapng"), "tcp port 99999"},
		{"demo", "--impair", "loss=500%"},
		{"demo", "--impair", "bogus=1"},
		{"client", "abc"},
		{"client", "--name", "a,b", "42"},
		{"server", "--addr", "999.1.1.1:5"},
		{"nosuch"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, _, err := runCLI(t, args...)
			if err == nil {
				t.Fatalf("Run(%q) = nil, want an error", args)
			}
			var s silentError
			if errors.As(err, &s) {
				return // it printed its own diagnosis
			}
			line := fmt.Sprintf("tcplab: %v", err) // as main prints it
			if strings.HasPrefix(line, "tcplab: tcplab") || strings.Contains(line, "\n") {
				t.Errorf("Run(%q): main would print %q, want one line with one tcplab: prefix", args, line)
			}
			if m := packageName.FindString(line); m != "" {
				t.Errorf("Run(%q): main would print %q, which names the internal package %q", args, line, m)
			}
		})
	}
}

func TestUserMessage(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`capture: capfilter: at offset 4, "porrt": host names are not resolved`, `capture: filter: at offset 4, "porrt": host names are not resolved`},
		{`analyze: --html: render: report: open /x/r.html: no such file or directory`, `analyze: --html: open /x/r.html: no such file or directory`},
		{`demo: --impair: impair: term "bogus=1" at offset 0: unknown name`, `demo: --impair: term "bogus=1" at offset 0: unknown name`},
		{`labproto: name "a,b" contains a comma`, `name "a,b" contains a comma`},
		{`reading (pcapio: block at offset 24: truncated)`, `reading (capture file: block at offset 24: truncated)`},
		{`the report: fine`, `the report: fine`},
	} {
		if got := userMessage(errors.New(tc.in)); got != tc.want {
			t.Errorf("userMessage(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
