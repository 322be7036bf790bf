package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// bulkCapture is a real lossy bulk transfer through the impaired
// network, kept by the explanation's tests.
var bulkCapture = filepath.Join("..", "explain", "testdata", "impaired_bulk.pcap")

func TestAnalyzeLabSheet(t *testing.T) {
	out, _, err := runCLI(t, "analyze", "--lab-sheet", "--lang", "en", bulkCapture)
	if err != nil {
		t.Fatalf("analyze --lab-sheet: %v", err)
	}
	containsAll(t, "lab sheet", out, []string{
		"Lab sheet: conversation 0 (183 packets)",
		"Client: 10.77.0.1, port 39598. It sent the first SYN (frame 1).",
		"flags 0x012",
		"10. Slow start",
		"Slow start starts at frame 4",
	})
	out, _, err = runCLI(t, "analyze", "--lab-sheet", "--lang", "zh-TW", "--stream", "0", labCapture)
	if err != nil {
		t.Fatalf("analyze --lab-sheet --lang zh-TW: %v", err)
	}
	containsAll(t, "zh-TW lab sheet", out, []string{"實驗報告：連線 0", "用戶端：127.0.0.1，埠 39334"})

	out, _, err = runCLI(t, "analyze", "--lab-sheet", "--format", "ndjson", bulkCapture)
	if err != nil {
		t.Fatalf("analyze --lab-sheet --format ndjson: %v", err)
	}
	var rec struct {
		Type     string
		Segments []struct{ Frame int }
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.Type != "lab_sheet" || len(rec.Segments) != 6 || strings.Count(out, "\n") != 1 {
		t.Errorf("--format ndjson: %v, %+v: want one lab_sheet record with six segments:\n%s", err, rec, out)
	}
}

func TestAnalyzeLabSheetErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--lab-sheet", "-"}, 2, "give a file, not standard input"},
		{[]string{"--lab-sheet", "--explain", labCapture}, 2, "--lab-sheet goes with --stream, --format and --lang only"},
		{[]string{"--lab-sheet", "-Y", "tcp", labCapture}, 2, "--lab-sheet goes with"},
		{[]string{"--lab-sheet", "--format", "csv", labCapture}, 2, `--format "csv"`},
		{[]string{"--lab-sheet", "--stream", "0,1", labCapture}, 2, "want one stream number"},
		{[]string{"--lab-sheet", "--stream", "5", labCapture}, 1, "stream 5: no such TCP conversation"},
		{[]string{"--lab-sheet", "--lang", "xx", labCapture}, 2, "--lang"},
		{[]string{"--lab-sheet", filepath.Join(t.TempDir(), "missing.pcap")}, 1, "no such file"},
	} {
		_, _, err := runCLI(t, append([]string{"analyze"}, tc.args...)...)
		if err == nil || ExitCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "labsheet:") {
			t.Errorf("analyze %q: %v (exit %d), want exit %d and %q, naming no package", tc.args, err, ExitCode(err), tc.code, tc.want)
		}
	}
}
