//go:build unix

package cli

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/syncbuf"
)

// owner returns the uid and gid of file.
func owner(t *testing.T, file string) (int, int) {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}

// TestGiveToInvoker: as root under sudo (SUDO_UID, SUDO_GID), the files
// tcplab writes belong to the invoking user; without them, to root.
func TestGiveToInvoker(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: run the test as root (sudo go test) to check chown under sudo")
	}
	dir := t.TempDir()
	report := filepath.Join(dir, "r.html")
	t.Setenv("SUDO_UID", "")
	t.Setenv("SUDO_GID", "")
	if _, stderr, err := runCLI(t, "analyze", "--no-list", "--html", report, labCapture); err != nil {
		t.Fatalf("analyze --html: %v\n%s", err, stderr)
	}
	if uid, gid := owner(t, report); uid != 0 || gid != 0 {
		t.Errorf("without SUDO_UID: report owned by %d:%d, want 0:0", uid, gid)
	}
	t.Setenv("SUDO_UID", "12345")
	t.Setenv("SUDO_GID", "23456")
	if _, stderr, err := runCLI(t, "analyze", "--no-list", "--html", report, labCapture); err != nil {
		t.Fatalf("analyze --html: %v\n%s", err, stderr)
	}
	if uid, gid := owner(t, report); uid != 12345 || gid != 23456 {
		t.Errorf("SUDO_UID=12345 SUDO_GID=23456: report owned by %d:%d, want 12345:23456", uid, gid)
	}
	// The helper the demo and capture use: missing files are no error.
	other := filepath.Join(dir, "c.pcapng")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := giveToInvoker(os.Getenv, other, filepath.Join(dir, "missing"), "", "-"); err != nil {
		t.Fatalf("giveToInvoker = %v", err)
	}
	if uid, gid := owner(t, other); uid != 12345 || gid != 23456 {
		t.Errorf("giveToInvoker: owned by %d:%d, want 12345:23456", uid, gid)
	}
}

// TestCaptureFileToInvoker: `sudo tcplab capture -w FILE` leaves FILE to
// the invoking user.
func TestCaptureFileToInvoker(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: run the test as root (sudo go test) to check chown under sudo")
	}
	t.Setenv("SUDO_UID", "12345")
	t.Setenv("SUDO_GID", "23456")
	addr := labPeer(t)
	_, port, _ := net.SplitHostPort(addr)
	file := filepath.Join(t.TempDir(), "sudo.pcapng")
	var stdout, stderr syncbuf.Buffer
	done := startCapture(t, t.Context(), []string{"-q", "-c", "4", "--duration", "20s", "-w", file, "port " + port}, &stdout, &stderr)
	labExchange(t, addr, 1)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("capture: %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("capture -c 4 did not stop")
	}
	if uid, gid := owner(t, file); uid != 12345 || gid != 23456 {
		t.Errorf("capture -w under sudo: %s owned by %d:%d, want 12345:23456", file, uid, gid)
	}
}
