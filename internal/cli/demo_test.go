package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDemoUsage(t *testing.T) {
	tests := []struct {
		args []string
		err  string // substring of the error
	}{
		{[]string{"forty-two"}, `"forty-two" is not a number`},
		{[]string{"--lang", "fr"}, `--lang "fr": want en or zh-TW`},
		{[]string{"--capture-at", "middle"}, `--capture-at "middle"`},
		{[]string{"--transfer", "2MB"}, "--transfer needs --impair"},
		{[]string{"--impair", "loss=1%", "--transfer", "2XB"}, `unknown unit "XB"`},
		{[]string{"--impair", "loss=1%", "--transfer", "0"}, "at least 1 byte"},
		{[]string{"--impair", "loss=1%", "--transfer", "1MB", "42"}, "not the lab's numbers"},
		{[]string{"--impair", "loss=300%"}, "--impair"},
		{[]string{"--impair", "delay=5ms", "--addr", "127.0.0.1:2000"}, "--addr is for loopback"},
		{[]string{"-w", ""}, "give a file name, or --no-capture"},
		{[]string{"--timeout", "-1s"}, "--timeout -1s"},
		{[]string{"--bogus"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Run(t.Context(), append([]string{"demo"}, tt.args...), strings.NewReader(""), &stdout, &stderr)
			if ExitCode(err) != 2 || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("demo %q = %v (exit %d), want exit 2 with %q", tt.args, err, ExitCode(err), tt.err)
			}
			if stdout.Len() != 0 {
				t.Errorf("demo %q printed %q on stdout, want nothing", tt.args, stdout.String())
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2MB", 2_000_000, true},
		{"2mb", 2_000_000, true},
		{"500KiB", 500 << 10, true},
		{"1.5M", 1_500_000, true},
		{"100000", 100000, true},
		{"10 kB", 10_000, true},
		{"1GiB", 1 << 30, true},
		{"", 0, false},
		{"MB", 0, false},
		{"-1", 0, false},
		{"0.1", 0, false},
		{"3 parsecs", 0, false},
		{"2TB", 0, false}, // no TB unit
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v, want %d (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// runDemo runs "tcplab demo" with args in dir and returns its outputs.
func runDemoIn(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	err = Run(ctx, append([]string{"demo"}, args...), strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// skipUnlessRoot skips a test that needs root (CAP_NET_RAW, and for the
// impaired network CAP_NET_ADMIN and CAP_SYS_ADMIN).
func skipUnlessRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for the live capture (CAP_NET_RAW) and the impaired network: run the tests with sudo, as CI does")
	}
}

// TestDemoEndToEnd runs the demo as a user does and checks its output and,
// with tshark, the capture it wrote: the lab report's two conversations,
// packet by packet.
func TestDemoEndToEnd(t *testing.T) {
	skipUnlessRoot(t)
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (apt-get install tshark)")
	}
	dir := t.TempDir()
	pcap, html := filepath.Join(dir, "demo.pcapng"), filepath.Join(dir, "demo.html")
	out, errOut, err := runDemoIn(t, "-w", pcap, "--html", html)
	if err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}

	port := regexp.MustCompile(`listening on 127\.0\.0\.1:(\d+)\n`).FindStringSubmatch(out)
	serverNumber := regexp.MustCompile(`\n  Server Number: (\d+)\n`).FindStringSubmatch(out)
	if port == nil || serverNumber == nil {
		t.Fatalf("demo output lacks the listening line or the client's Server Number line:\n%s", out)
	}
	request1, request2 := "Client of Louis,42", "Client of Louis,150"
	reply := "Server of Nuk," + serverNumber[1]
	n, _ := strconv.Atoi(serverNumber[1])
	for _, want := range []string{
		// The server's and the client's lines of both cases.
		"  Client_name: Client of Louis\n  Server_name: Server of Nuk\n  Client_number: 42\n  Server_number: " + serverNumber[1] + "\n",
		fmt.Sprintf("  Sum: %d\n", 42+n),
		"  Client Name: Client of Louis\n  Server Name: Server of Nuk\n  Client Number: 42\n",
		"Case 2: the client sends 150, outside 1..100: no answer",
		"  Client number is not in the range 1 to 100. Closing connection.\n",
		"no reply: the server closed the connection without replying, as the lab\n  expects",
		// The packet list and the conversation table.
		"127.0.0.1 → 127.0.0.1    TCP 74 ",
		"[SYN, ACK] Seq=0 Ack=1",
		"TCP Conversations\n",
		// The ladders and the walk-throughs.
		"│─ SYN Seq=0",
		`"Client of Louis,42"`,
		`"Client of Louis,150"`,
		"\nHandshake\n---------\n",
		"\nClose\n-----\n",
		// How to open the files.
		"wireshark " + pcap + "\n",
		"tcp.port == " + port[1],
		"report:  " + html,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// Prose is wrapped to 80 columns: compare it with the spaces collapsed.
	if prose := strings.Join(strings.Fields(out), " "); !strings.Contains(prose, "The server closed without replying, so the client's read returned nothing") {
		t.Errorf("demo output lacks the walk-through of the out-of-range case:\n%s", out)
	}
	if strings.Contains(out, "UNEXPECTED") || strings.Contains(out, "stopped after a quiet period") {
		t.Errorf("demo output reports a problem:\n%s", out)
	}
	if b, err := os.ReadFile(html); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("HTML report %s: %v, or no SVG ladder in it", html, err)
	}

	got := tsharkConversations(t, pcap, port[1])
	L1, L2, R := len(request1), len(request2), len(reply)
	inRange := []string{
		"c>s SYN seq=0 len=0",
		"s>c SYN/ACK seq=0 ack=1 len=0",
		"c>s ACK seq=1 ack=1 len=0",
		fmt.Sprintf("c>s PSH/ACK seq=1 ack=1 len=%d %q", L1, request1),
		fmt.Sprintf("s>c ACK seq=1 ack=%d len=0", L1+1),
		fmt.Sprintf("s>c PSH/ACK seq=1 ack=%d len=%d %q", L1+1, R, reply),
	}
	// The teardown as the lab report shows it: the client acknowledges
	// the reply, the server closes first, the client closes, the server
	// acknowledges the client's FIN. The server closes right after its
	// reply, so its FIN may also overtake the client's ACK of the reply.
	teardowns := [][]string{{
		fmt.Sprintf("c>s ACK seq=%d ack=%d len=0", L1+1, R+1),
		fmt.Sprintf("s>c FIN/ACK seq=%d ack=%d len=0", R+1, L1+1),
		fmt.Sprintf("c>s FIN/ACK seq=%d ack=%d len=0", L1+1, R+2),
		fmt.Sprintf("s>c ACK seq=%d ack=%d len=0", R+2, L1+2),
	}, {
		fmt.Sprintf("s>c FIN/ACK seq=%d ack=%d len=0", R+1, L1+1),
		fmt.Sprintf("c>s ACK seq=%d ack=%d len=0", L1+1, R+2),
		fmt.Sprintf("c>s FIN/ACK seq=%d ack=%d len=0", L1+1, R+2),
		fmt.Sprintf("s>c ACK seq=%d ack=%d len=0", R+2, L1+2),
	}, {
		fmt.Sprintf("s>c FIN/ACK seq=%d ack=%d len=0", R+1, L1+1),
		fmt.Sprintf("c>s FIN/ACK seq=%d ack=%d len=0", L1+1, R+2),
		fmt.Sprintf("s>c ACK seq=%d ack=%d len=0", R+2, L1+2),
	}}
	// Out of range: handshake, request, ACK, the server's FIN without a
	// reply, the client's FIN, the last ACK.
	outOfRange := []string{
		"c>s SYN seq=0 len=0",
		"s>c SYN/ACK seq=0 ack=1 len=0",
		"c>s ACK seq=1 ack=1 len=0",
		fmt.Sprintf("c>s PSH/ACK seq=1 ack=1 len=%d %q", L2, request2),
		fmt.Sprintf("s>c ACK seq=1 ack=%d len=0", L2+1),
		fmt.Sprintf("s>c FIN/ACK seq=1 ack=%d len=0", L2+1),
		fmt.Sprintf("c>s FIN/ACK seq=%d ack=2 len=0", L2+1),
		fmt.Sprintf("s>c ACK seq=2 ack=%d len=0", L2+2),
	}
	if len(got) != 2 {
		t.Fatalf("tshark found %d conversations on port %s, want 2: %q", len(got), port[1], got)
	}
	var diffs []string
	matched := false
	for _, td := range teardowns {
		d := cmp.Diff(append(append([]string(nil), inRange...), td...), got[0])
		if d == "" {
			matched = true
			break
		}
		diffs = append(diffs, d)
	}
	if !matched {
		t.Errorf("conversation 0 (number 42) in tshark, against each teardown order (-want +got):\n%s", strings.Join(diffs, "\n"))
	}
	if d := cmp.Diff(outOfRange, got[1]); d != "" {
		t.Errorf("conversation 1 (number 150) in tshark (-want +got):\n%s", d)
	}
}

// tsharkConversations reads file with tshark and returns, per tcp.stream,
// one line per packet: direction (c>s, s>c, as seen from port), flags,
// relative seq, ack (when ACK is set), len and the payload quoted.
func tsharkConversations(t *testing.T, file, port string) [][]string {
	t.Helper()
	cmd := exec.Command("tshark", "-r", file, "-T", "fields",
		"-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.flags", "-e", "tcp.seq", "-e", "tcp.ack", "-e", "tcp.len", "-e", "tcp.payload")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v\n%s", file, err, stderr.String())
	}
	names := map[uint64]string{0x002: "SYN", 0x012: "SYN/ACK", 0x010: "ACK", 0x018: "PSH/ACK", 0x011: "FIN/ACK", 0x019: "FIN/PSH/ACK", 0x004: "RST", 0x014: "RST/ACK"}
	var convs [][]string
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(f) != 7 {
			t.Fatalf("tshark line %q: want 7 fields", line)
		}
		stream, err := strconv.Atoi(f[0])
		if err != nil || stream > 100 {
			t.Fatalf("tshark line %q: bad stream", line)
		}
		for len(convs) <= stream {
			convs = append(convs, nil)
		}
		dir := "c>s"
		if f[1] == port {
			dir = "s>c"
		}
		flags, err := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 16)
		if err != nil {
			t.Fatalf("tshark line %q: flags: %v", line, err)
		}
		name := names[flags]
		if name == "" {
			name = f[2]
		}
		s := dir + " " + name + " seq=" + f[3]
		if flags&0x010 != 0 {
			s += " ack=" + f[4]
		}
		s += " len=" + f[5]
		if f[6] != "" {
			b, err := hex.DecodeString(strings.ReplaceAll(f[6], ":", ""))
			if err != nil {
				t.Fatalf("tshark line %q: payload: %v", line, err)
			}
			s += " " + strconv.Quote(string(b))
		}
		convs[stream] = append(convs[stream], s)
	}
	return convs
}

// TestDemoChosenNumbers runs "tcplab demo 7 300 64" with the walk-through
// in Traditional Chinese and without ladders: three exchanges, two
// answered, and no capture file left behind by --no-capture.
func TestDemoChosenNumbers(t *testing.T) {
	dir := t.TempDir()
	out, errOut, err := runDemoIn(t, "--no-capture", "--seed", "3", "--html", filepath.Join(dir, "r.html"), "7", "300", "64")
	if err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out, errOut)
	}
	for _, want := range []string{
		"Case 1: the client sends 7, in 1..100",
		"Case 2: the client sends 300, outside 1..100",
		"Case 3: the client sends 64, in 1..100",
		"  Client Number: 7\n",
		"  Client Number: 64\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo 7 300 64 output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "── Packets") || strings.Contains(out, "── Files") {
		t.Errorf("demo --no-capture shows packets or files:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "r.html")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("demo --no-capture wrote a report (%v): there is nothing to report", err)
	}
}

// TestDemoLangZh checks that --lang zh-TW gives the walk-through in
// Traditional Chinese.
func TestDemoLangZh(t *testing.T) {
	skipUnlessRoot(t)
	dir := t.TempDir()
	out, errOut, err := runDemoIn(t, "-w", filepath.Join(dir, "d.pcapng"), "--html", "", "--no-ladder", "--lang", "zh-TW", "50")
	if err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "\n三向交握\n") {
		t.Errorf("demo --lang zh-TW output has no Chinese walk-through:\n%s", out)
	}
	if strings.Contains(out, "│─ SYN") || strings.Contains(out, "report:") {
		t.Errorf("demo --no-ladder --html '' shows a ladder or a report:\n%s", out)
	}
}

const demoHelperEnv = "TCPLAB_CLI_DEMO_HELPER"

// TestDemoNotPermitted runs "tcplab demo" in a child process without
// CAP_NET_RAW: the exchanges still run and succeed (exit 0), and the output
// names the missing capability and the remedy. With --impair, which needs
// CAP_NET_ADMIN too, the child fails with exit 1 and the remedy.
func TestDemoNotPermitted(t *testing.T) {
	if mode := os.Getenv(demoHelperEnv); mode != "" {
		dir, err := os.MkdirTemp("", "demo")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		args := []string{"demo", "-w", filepath.Join(dir, "d.pcapng"), "--html", filepath.Join(dir, "d.html")}
		if mode == "impair" {
			args = append(args, "--impair", "delay=1ms")
		}
		var stdout, stderr bytes.Buffer
		err = Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
		entries, _ := os.ReadDir(dir)
		fmt.Printf("EXIT %d\nERROR %v\nFILES %d\nSTDOUT %s\nSTDERR %s\n", ExitCode(err), err, len(entries), stdout.String(), stderr.String())
		return
	}
	skipUnlessRoot(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv not installed (apt-get install util-linux)")
	}
	tests := []struct {
		mode, drop string
		want       []string
	}{
		{"loopback", "-net_raw", []string{
			"EXIT 0\n", "FILES 0\n",
			"  Client Number: 42\n", "  Client number is not in the range 1 to 100. Closing connection.\n",
			"── No capture", "CAP_NET_RAW", "run tcplab as root", "sudo setcap cap_net_raw+ep ./tcplab",
			"STDERR tcplab demo: no capture: ",
		}},
		{"impair", "-net_admin", []string{"EXIT 1\n", "CAP_NET_ADMIN", "sudo"}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, setpriv, "--inh-caps=-all", "--bounding-set="+tt.drop, os.Args[0], "-test.run=^TestDemoNotPermitted$")
			cmd.Env = append(os.Environ(), demoHelperEnv+"="+tt.mode)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			for _, want := range tt.want {
				if !strings.Contains(string(out), want) {
					t.Errorf("demo (%s) without %s printed:\n%s\nwant it to contain %q", tt.mode, tt.drop, out, want)
				}
			}
		})
	}
}

// TestDemoImpairedExchanges runs the lab's two cases across the impaired
// network with a delay, capturing at the client.
func TestDemoImpairedExchanges(t *testing.T) {
	skipUnlessRoot(t)
	dir := t.TempDir()
	out, errOut, err := runDemoIn(t, "--impair", "delay=5ms,seed=7", "--capture-at", "client", "-w", filepath.Join(dir, "i.pcapng"), "--html", "", "--no-explain")
	if err != nil {
		t.Fatalf("demo --impair: %v\n%s\n%s", err, out, errOut)
	}
	for _, want := range []string{
		"impairment: delay=5ms,seed=7\n",
		"capture: " + filepath.Join(dir, "i.pcapng") + " on c0",
		"listening on 10.77.0.2:2000\n",
		"Connection from ('10.77.0.1', ",
		"  Client Number: 42\n",
		"  Client number is not in the range 1 to 100. Closing connection.\n",
		"client→server: received ",
		"10.77.0.1 → 10.77.0.2    TCP 74 ",
		"tcp.port == 2000",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo --impair output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "building the impaired network") {
		t.Errorf("demo --impair stderr %q: want the progress line", errOut)
	}
}

// TestDemoImpairedTransfer sends a small bulk transfer across a lossy
// network and checks that the demo's analysis shows the retransmissions,
// counted as tshark counts them in the same file.
func TestDemoImpairedTransfer(t *testing.T) {
	skipUnlessRoot(t)
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (apt-get install tshark)")
	}
	dir := t.TempDir()
	pcap := filepath.Join(dir, "bulk.pcapng")
	out, errOut, err := runDemoIn(t, "--impair", "loss=4%,delay=5ms,seed=11", "--transfer", "400KB", "-w", pcap, "--html", filepath.Join(dir, "bulk.html"))
	if err != nil {
		t.Fatalf("demo --transfer: %v\n%s\n%s", err, out, errOut)
	}
	for _, want := range []string{
		"── Bulk transfer: 400000 bytes from 10.77.0.1 to 10.77.0.2:5001",
		"the server read 400000 bytes in ",
		"── Expert flags: what TCP had to recover from",
		"around the first retransmission",
		"Retransmission]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo --transfer output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []struct{ label, field string }{
		{"retransmissions", "tcp.analysis.retransmission"},
		{"duplicate ACKs", "tcp.analysis.duplicate_ack"},
		{"fast retransmissions", "tcp.analysis.fast_retransmission"},
		{"out-of-order segments", "tcp.analysis.out_of_order"},
		{"window full", "tcp.analysis.window_full"},
	} {
		m := regexp.MustCompile(`\n  ` + f.label + ` +(\d+)\n`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("demo --transfer output has no %q count:\n%s", f.label, out)
			continue
		}
		tsOut, err := exec.Command("tshark", "-r", pcap, "-Y", f.field, "-T", "fields", "-e", "frame.number").Output()
		if err != nil {
			t.Fatalf("tshark -Y %s: %v", f.field, err)
		}
		if want := strconv.Itoa(strings.Count(string(tsOut), "\n")); m[1] != want {
			t.Errorf("demo counts %s %s, tshark counts %s", m[1], f.label, want)
		}
		if f.label == "retransmissions" && m[1] == "0" {
			t.Errorf("demo --transfer across loss=4%% shows no retransmission:\n%s", out)
		}
	}
}

