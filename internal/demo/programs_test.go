package demo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// originals returns the command lines of the lab's original Python
// server and client (../shared/seed beside the repository), or skips.
func originals(t *testing.T) (server, client []string) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed (apt-get install python3): cannot run the lab's originals")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "seed"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "original_server.py")); err != nil {
		t.Skipf("the lab's originals are not beside the repository (%v)", err)
	}
	return []string{python, filepath.Join(dir, "original_server.py"), "{port}"},
		[]string{python, filepath.Join(dir, "original_client.py"), "{port}"}
}

// TestRunPrograms runs the demo's two cases with the original server,
// the original client, and both, and checks what each printed.
func TestRunPrograms(t *testing.T) {
	server, client := originals(t)
	for _, tc := range []struct {
		name           string
		server, client []string
	}{
		{"server", server, nil},
		{"client", nil, client},
		{"both", server, client},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			o, err := Run(ctx, Config{ServerCmd: tc.server, ClientCmd: tc.client})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(o.Cases) != 2 {
				t.Fatalf("%d cases, want 2", len(o.Cases))
			}
			in, out := o.Cases[0], o.Cases[1]
			if !in.Expected() || !out.Expected() {
				t.Errorf("cases not as the lab expects: %v / %v", in.Err, out.Err)
			}
			if !bytes.Contains(in.Server, []byte("Sum: ")) || !bytes.Contains(out.Server, []byte("not in the range")) {
				t.Errorf("server lines: %q / %q", in.Server, out.Server)
			}
			if tc.client != nil {
				if in.ClientExit != "exit status 0" || !bytes.Contains(in.Client, []byte("Sum: ")) {
					t.Errorf("client program in range: %s, %q", in.ClientExit, in.Client)
				}
				if out.ClientExit != "exit status 1" || !bytes.Contains(out.Client, []byte("ValueError")) {
					t.Errorf("client program out of range: %s, %q", out.ClientExit, out.Client)
				}
			} else if in.Result == nil {
				t.Error("tcplab's client got no result in range")
			}
			if tc.server != nil && !strings.HasPrefix(string(o.Listening), "listening on 127.0.0.1:") {
				t.Errorf("Listening = %q", o.Listening)
			}
		})
	}
}

// TestRunProgramsUnexpected: a client that exits 0 without a reply and a
// server that never listens are reported, not hidden.
func TestRunProgramsUnexpected(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o, err := Run(ctx, Config{ClientCmd: []string{"sh", "-c", "echo {port} {number}"}})
	if !errors.Is(err, ErrExchange) || o == nil {
		t.Fatalf("Run with a client that does nothing = %v, want ErrExchange", err)
	}
	if o.Cases[0].Expected() || o.Cases[1].Expected() {
		t.Errorf("a client that prints and exits 0 passed as expected: %v / %v", o.Cases[0].Err, o.Cases[1].Err)
	}
	if _, err := Run(ctx, Config{ServerCmd: []string{"sh", "-c", "echo no {port}; exit 3"}}); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Run with a server that exits = %v, want its exit status", err)
	}
}
