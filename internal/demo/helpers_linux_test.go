package demo

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tcplab/tcplab/internal/impair"
)

// impairedTransfer runs a 300,000-byte transfer across the impaired
// network of spec, captured into a file of the test's as cfg says
// (CaptureAt, CapturePeer), and returns the outcome. It skips without root
// or the ip command, and fails the test when the run fails.
func impairedTransfer(t *testing.T, spec string, cfg Config) *Outcome {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for the network namespaces: run the tests with sudo, as CI does")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command")
	}
	s, err := impair.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Impair, cfg.Transfer = &s, 300_000
	cfg.Capture = filepath.Join(t.TempDir(), "transfer.pcapng")
	out, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
