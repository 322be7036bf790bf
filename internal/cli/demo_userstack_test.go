package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// TestDemoUserStack runs `tcplab demo --stack user` in-process, with no
// privilege: the lab's exchanges, then an impaired bulk transfer, each
// captured at both hosts and written with its report. tshark reads the
// captures without a complaint.
func TestDemoUserStack(t *testing.T) {
	dir := t.TempDir()
	file, report := filepath.Join(dir, "u.pcapng"), filepath.Join(dir, "u.html")
	out, errOut := demoRun(t, "--stack", "user", "-w", file, "--html", report, "--no-explain")
	containsAll(t, "demo --stack user output", out, []string{
		"on a user-space TCP/IP stack", "Whose TCP: gVisor's netstack", "Reno",
		"Connection from ('10.77.0.1', ", "listening on 10.77.0.2:2000", "u-client.pcapng",
		"│─ SYN", "── Packets: ",
	})
	containsAll(t, "demo --stack user progress", errOut, []string{"user-space TCP/IP stack"})
	for _, f := range []string{file, filepath.Join(dir, "u-client.pcapng")} {
		rows := pcaptest.Tshark(t, f, "-T", "fields", "-e", "tcp.flags.str")
		if len(rows) < 18 {
			t.Errorf("%s: %d frames, want the two conversations whole (18 or more)", f, len(rows))
		}
	}
	if b, err := os.ReadFile(report); err != nil || !bytes.Contains(b, []byte("netstack")) {
		t.Errorf("report %s: %v; want it to say whose TCP it was", report, err)
	}

	bulk := filepath.Join(dir, "b.pcapng")
	out, _ = demoRun(t, "--stack", "user", "-w", bulk, "--html", "", "--impair", "loss=5%,delay=20ms,seed=4", "--transfer", "1MB")
	containsAll(t, "demo --stack user --transfer output", out, []string{
		"Bulk transfer: 1000000 bytes", "the sender's stack (gVisor's netstack): smoothed RTT",
		"lost by the bridge", "retransmitted by the client's stack",
	})
	if strings.Contains(out, "TCP_INFO") {
		t.Errorf("the user stack's output names TCP_INFO:\n%s", out)
	}
	if rows := pcaptest.Tshark(t, bulk, "-Y", "tcp.analysis.retransmission", "-T", "fields", "-e", "frame.number"); len(rows) == 0 {
		t.Errorf("%s: tshark flags no retransmission", bulk)
	}
}

// TestDemoStackUsage checks --stack's usage errors.
func TestDemoStackUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"--stack", "bsd"}, `--stack "bsd": want kernel or user`},
		{[]string{"--stack", "user", "--addr", "127.0.0.1:2000"}, "--addr is for loopback"},
	} {
		var stdout, stderr bytes.Buffer
		err := Run(t.Context(), append([]string{"demo"}, tt.args...), strings.NewReader(""), &stdout, &stderr)
		if ExitCode(err) != 2 || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("demo %q = %v (exit %d), want exit 2 with %q", tt.args, err, ExitCode(err), tt.err)
		}
	}
}

// TestSwitchStack checks when the demo goes on with the user-space stack
// by itself: only with no --stack, where the kernel's way cannot capture.
func TestSwitchStack(t *testing.T) {
	cases := []struct {
		stack string
		tried bool
		goos  string
		want  bool
	}{
		{"", false, "linux", false},  // privileged, or namespaces not needed or not tried
		{"", true, "linux", true},    // namespaces refused
		{"", false, "darwin", true},  // no namespaces at all
		{"", false, "windows", true}, // likewise
		{"kernel", true, "linux", false},
		{"kernel", false, "windows", false},
		{"", true, "linux", false}, // a student's program: the machine's TCP
	}
	for i, tt := range cases {
		f := &demoFlags{stack: tt.stack}
		if i == len(cases)-1 {
			f.serverCmd = "python3 server.py {port}"
		}
		if got := f.switchStack(tt.tried, tt.goos); got != tt.want {
			t.Errorf("--stack %q, tried %v, on %s: switchStack = %v, want %v", tt.stack, tt.tried, tt.goos, got, tt.want)
		}
	}
}
