package difftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteIndex checks the index of a report directory.
func TestWriteIndex(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "dup_ack_num")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	txt := "kind: dup_ack_num\nshrunk\n\ndifferences (tshark 4.0 vs tcplab):\n  frame 4: dup_ack_num: tshark 2, tcplab 1\n"
	if err := os.WriteFile(filepath.Join(sub, "a.txt"), []byte(txt), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(dir); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "INDEX.txt"))
	if !strings.Contains(string(got), "dup_ack_num\n  frame 4: dup_ack_num: tshark 2, tcplab 1\n  "+filepath.Join(sub, "a.pcap")) {
		t.Errorf("index:\n%s", got)
	}
}
