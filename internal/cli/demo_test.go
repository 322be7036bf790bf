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
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/privtest"
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
		{[]string{"--bogus"}, "unknown option -bogus"},
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

// demoRun runs "tcplab demo" with args and returns its outputs; it fails
// the test if the demo fails.
func demoRun(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := Run(ctx, append([]string{"demo"}, args...), strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("demo %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// containsAll reports each of wants that out, what the test names, does
// not contain.
func containsAll(t *testing.T, what, out string, wants []string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, out)
		}
	}
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
	pcaptest.NeedTools(t, "tshark")
	dir := t.TempDir()
	pcap, html := filepath.Join(dir, "demo.pcapng"), filepath.Join(dir, "demo.html")
	out, _ := demoRun(t, "-w", pcap, "--html", html)

	port := regexp.MustCompile(`listening on 127\.0\.0\.1:(\d+)\n`).FindStringSubmatch(out)
	serverNumber := regexp.MustCompile(`\n  Server Number: (\d+)\n`).FindStringSubmatch(out)
	if port == nil || serverNumber == nil {
		t.Fatalf("demo output lacks the listening line or the client's Server Number line:\n%s", out)
	}
	request1, request2 := "Client of Louis,42", "Client of Louis,150"
	reply := "Server of Nuk," + serverNumber[1]
	n, _ := strconv.Atoi(serverNumber[1])
	containsAll(t, "demo output", out, []string{
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
	})
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
	// Out of range: handshake, request, ACK, then the server's FIN
	// without a reply and the teardown.
	outOfRange := []string{
		"c>s SYN seq=0 len=0",
		"s>c SYN/ACK seq=0 ack=1 len=0",
		"c>s ACK seq=1 ack=1 len=0",
		fmt.Sprintf("c>s PSH/ACK seq=1 ack=1 len=%d %q", L2, request2),
		fmt.Sprintf("s>c ACK seq=1 ack=%d len=0", L2+1),
		fmt.Sprintf("s>c FIN/ACK seq=1 ack=%d len=0", L2+1),
	}
	if len(got) != 2 {
		t.Fatalf("tshark found %d conversations on port %s, want 2: %q", len(got), port[1], got)
	}
	n0 := min(len(inRange), len(got[0]))
	if d := cmp.Diff(inRange, got[0][:n0]); d != "" {
		t.Errorf("conversation 0 (number 42) in tshark, up to the reply (-want +got):\n%s", d)
	}
	if err := checkTeardown(got[0][n0:], L1+1, R+1); err != nil {
		t.Errorf("conversation 0 (number 42) in tshark: teardown: %v\n%s", err, strings.Join(got[0], "\n"))
	}
	n1 := min(len(outOfRange), len(got[1]))
	if d := cmp.Diff(outOfRange, got[1][:n1]); d != "" {
		t.Errorf("conversation 1 (number 150) in tshark, up to the server's FIN (-want +got):\n%s", d)
	}
	if err := checkTeardown(got[1][n1-1:], L2+1, 1); err != nil {
		t.Errorf("conversation 1 (number 150) in tshark: teardown: %v\n%s", err, strings.Join(got[1], "\n"))
	}
}

// checkTeardown checks the packets of a teardown after the reply, given
// each side's next sequence number (cfin for the client, sfin for the
// server): one FIN from each side at that number, every other packet a
// pure ACK, each FIN acknowledged (Ack = FIN's Seq + 1, since the FIN
// occupies one number) by the other side, the last packet an ACK of the
// later FIN, and every Seq and Ack one the exchange allows. The lab report
// shows the server closing first; both programs close right after the
// reply, so on a busy machine the client may close first, and the FINs
// may cross: all of these are correct TCP.
func checkTeardown(pkts []string, cfin, sfin int) error {
	var fin [2]int // index of each side's FIN + 1
	var acked [2]bool
	allowed := map[string]bool{}
	for _, dir := range []string{"c>s", "s>c"} {
		mySeq, peer := cfin, sfin
		if dir == "s>c" {
			mySeq, peer = sfin, cfin
		}
		for _, seq := range []int{mySeq, mySeq + 1} {
			for _, ack := range []int{peer, peer + 1} {
				allowed[fmt.Sprintf("%s ACK seq=%d ack=%d len=0", dir, seq, ack)] = true
			}
		}
		for _, ack := range []int{peer, peer + 1} {
			allowed[fmt.Sprintf("%s FIN/ACK seq=%d ack=%d len=0", dir, mySeq, ack)] = true
		}
	}
	for i, p := range pkts {
		if !allowed[p] {
			return fmt.Errorf("packet %d %q is not a teardown packet of this exchange", i+1, p)
		}
		side, peer, peerFin := 0, 1, sfin
		if strings.HasPrefix(p, "s>c") {
			side, peer, peerFin = 1, 0, cfin
		}
		if strings.Contains(p, "FIN") {
			if fin[side] != 0 {
				return fmt.Errorf("packet %d: a second FIN from the same side", i+1)
			}
			fin[side] = i + 1
		}
		if strings.HasSuffix(p, fmt.Sprintf(" ack=%d len=0", peerFin+1)) {
			if fin[peer] == 0 {
				return fmt.Errorf("packet %d acknowledges a FIN not yet sent", i+1)
			}
			acked[peer] = true
		}
	}
	switch {
	case fin[0] == 0 || fin[1] == 0:
		return errors.New("want a FIN from each side")
	case !acked[0] || !acked[1]:
		return errors.New("want each FIN acknowledged by the other side")
	case len(pkts) > 0 && strings.Contains(pkts[len(pkts)-1], "FIN"):
		return errors.New("the last packet is a FIN: its ACK is missing")
	}
	return nil
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
	out, _ := demoRun(t, "--no-capture", "--seed", "3", "--html", filepath.Join(dir, "r.html"), "7", "300", "64")
	containsAll(t, "demo 7 300 64 output", out, []string{
		"Case 1: the client sends 7, in 1..100",
		"Case 2: the client sends 300, outside 1..100",
		"Case 3: the client sends 64, in 1..100",
		"  Client Number: 7\n",
		"  Client Number: 64\n",
	})
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
	out, _ := demoRun(t, "-w", filepath.Join(dir, "d.pcapng"), "--html", "", "--no-ladder", "--lang", "zh-TW", "50")
	if !strings.Contains(out, "\n三向交握\n") {
		t.Errorf("demo --lang zh-TW output has no Chinese walk-through:\n%s", out)
	}
	// The demo's own headings are in Chinese too; the lab's programs
	// print their lines as the originals do.
	containsAll(t, "demo --lang zh-TW output", out, []string{"── 案例 1：用戶端送出 50，在 1..100 之內", "\n伺服器：\n", "\n用戶端（127.0.0.1:", "── 封包：在 lo 上擷取 ", "── 案例 1（數字 50）：", "── 檔案 ", "用 Wireshark 開啟：", "  Client Number: 50\n", "Connection from ('127.0.0.1', "})
	for _, english := range []string{"── Case", "\nserver:\n", "\nclient (", "── Packets", "── Files", "Open it in Wireshark", "Without Wireshark", "(the lab's port)", "ladder and walk-through", "tcplab demo: the lab's"} {
		if strings.Contains(out, english) {
			t.Errorf("demo --lang zh-TW output has the English %q:\n%s", english, out)
		}
	}
	if strings.Contains(out, "│─ SYN") || strings.Contains(out, "report:") || strings.Contains(out, "報告：") {
		t.Errorf("demo --no-ladder --html '' shows a ladder or a report:\n%s", out)
	}
}

// TestDemoNotPermitted runs "tcplab demo" in a child process without
// CAP_NET_RAW: the exchanges still run and succeed (exit 0), and the output
// names the missing capability and the remedy. With --impair, which needs
// CAP_NET_ADMIN too, the child fails with exit 1 and the remedy.
func TestDemoNotPermitted(t *testing.T) {
	if mode := privtest.Mode(); mode != "" {
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
			out, err := privtest.Rerun(ctx, t, tt.drop, "TestDemoNotPermitted", tt.mode)
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			containsAll(t, fmt.Sprintf("demo (%s) without %s", tt.mode, tt.drop), string(out), tt.want)
		})
	}
}

// TestDemoImpairedExchanges runs the lab's two cases across the impaired
// network with a delay, capturing at the client.
func TestDemoImpairedExchanges(t *testing.T) {
	skipUnlessRoot(t)
	dir := t.TempDir()
	out, errOut := demoRun(t, "--impair", "delay=5ms,seed=7", "--capture-at", "client", "-w", filepath.Join(dir, "i.pcapng"), "--html", "", "--no-explain")
	containsAll(t, "demo --impair output", out, []string{
		"impairment: delay=5ms,seed=7\n",
		"capture: " + filepath.Join(dir, "i.pcapng") + " on c0",
		"listening on 10.77.0.2:2000\n",
		"Connection from ('10.77.0.1', ",
		"  Client Number: 42\n",
		"  Client number is not in the range 1 to 100. Closing connection.\n",
		"client→server: received ",
		"10.77.0.1 → 10.77.0.2    TCP 74 ",
		"tcp.port == 2000",
	})
	if !strings.Contains(errOut, "building the impaired network") {
		t.Errorf("demo --impair stderr %q: want the progress line", errOut)
	}
}

// TestDemoImpairedTransfer sends a small bulk transfer across a lossy
// network and checks that the demo's analysis shows the retransmissions,
// counted as tshark counts them in the same file.
func TestDemoImpairedTransfer(t *testing.T) {
	skipUnlessRoot(t)
	pcaptest.NeedTools(t, "tshark")
	// As under sudo: the files go to the invoking user.
	t.Setenv("SUDO_UID", "12345")
	t.Setenv("SUDO_GID", "23456")
	dir := t.TempDir()
	pcap := filepath.Join(dir, "bulk.pcapng")
	report := filepath.Join(dir, "bulk.html")
	out, _ := demoRun(t, "--impair", "loss=4%,delay=5ms,seed=11", "--transfer", "400KB", "-w", pcap, "--html", report)
	containsAll(t, "demo --transfer output", out, []string{
		"── Bulk transfer: 400000 bytes from 10.77.0.1 to 10.77.0.2:5001",
		"the server read 400000 bytes in ",
		"── Expert flags: what TCP had to recover from",
		"around the first retransmission",
		"Retransmission]",
	})
	// Wrapped text: compare with single spaces.
	containsAll(t, "demo --transfer output", strings.Join(strings.Fields(out), " "), []string{
		"400000 distinct payload bytes (each byte counted once)",
		"one frame may carry several flags",
		"The sender's kernel retransmitted ",
		// Captured at both ends by default: the ladder's lanes have
		// their own clocks, the flagged frames their ground truth.
		"No. at client",
		"What really happened (the bridge's log):",
	})
	// Each line counts the frames whose Info column shows the flag:
	// tshark's field, less the fast and spurious retransmissions that
	// tshark also marks as retransmissions.
	retransmitted := 0
	for _, f := range []struct{ label, filter string }{
		{"retransmissions (not fast)", "tcp.analysis.retransmission && !tcp.analysis.fast_retransmission && !tcp.analysis.spurious_retransmission"},
		{"duplicate ACKs", "tcp.analysis.duplicate_ack"},
		{"fast retransmissions", "tcp.analysis.fast_retransmission"},
		{"out-of-order segments", "tcp.analysis.out_of_order"},
		{"window full", "tcp.analysis.window_full"},
	} {
		m := regexp.MustCompile(`\n  ` + regexp.QuoteMeta(f.label) + ` +(\d+)\n`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("demo --transfer output has no %q count:\n%s", f.label, out)
			continue
		}
		tsOut, err := exec.Command("tshark", "-r", pcap, "-Y", f.filter, "-T", "fields", "-e", "frame.number").Output()
		if err != nil {
			t.Fatalf("tshark -Y %s: %v", f.filter, err)
		}
		if want := strconv.Itoa(strings.Count(string(tsOut), "\n")); m[1] != want {
			t.Errorf("demo counts %s %s, tshark counts %s", m[1], f.label, want)
		}
		if strings.Contains(f.label, "retransmissions") {
			n, _ := strconv.Atoi(m[1])
			retransmitted += n
		}
	}
	if retransmitted == 0 {
		t.Errorf("demo --transfer across loss=4%% shows no retransmission:\n%s", out)
	}
	for _, f := range []string{pcap, filepath.Join(dir, "bulk-client.pcapng"), report} {
		if uid, gid := owner(t, f); uid != 12345 || gid != 23456 {
			t.Errorf("demo under sudo: %s owned by %d:%d, want 12345:23456", f, uid, gid)
		}
	}
}

// TestCheckTeardown checks the teardown checker on the orders TCP allows
// and on broken teardowns, so that the end-to-end test can fail.
func TestCheckTeardown(t *testing.T) {
	// The client's next number is 19, the server's 17 (after 18 and 16
	// bytes of data).
	tests := []struct {
		name string
		pkts []string
		ok   bool
	}{
		{"server closes first, as in the lab report", []string{"c>s ACK seq=19 ack=17 len=0", "s>c FIN/ACK seq=17 ack=19 len=0", "c>s FIN/ACK seq=19 ack=18 len=0", "s>c ACK seq=18 ack=20 len=0"}, true},
		{"client closes first", []string{"c>s ACK seq=19 ack=17 len=0", "c>s FIN/ACK seq=19 ack=17 len=0", "s>c FIN/ACK seq=17 ack=20 len=0", "c>s ACK seq=20 ack=18 len=0"}, true},
		{"FINs cross", []string{"c>s FIN/ACK seq=19 ack=17 len=0", "s>c FIN/ACK seq=17 ack=19 len=0", "s>c ACK seq=18 ack=20 len=0", "c>s ACK seq=20 ack=18 len=0"}, true},
		{"final ACK missing", []string{"s>c FIN/ACK seq=17 ack=19 len=0", "c>s FIN/ACK seq=19 ack=18 len=0"}, false},
		{"client FIN never sent", []string{"s>c FIN/ACK seq=17 ack=19 len=0", "c>s ACK seq=19 ack=18 len=0"}, false},
		{"wrong ack", []string{"s>c FIN/ACK seq=17 ack=19 len=0", "c>s FIN/ACK seq=19 ack=19 len=0", "s>c ACK seq=18 ack=20 len=0"}, false},
		{"data in the teardown", []string{"s>c FIN/ACK seq=17 ack=19 len=0", "c>s FIN/ACK seq=19 ack=18 len=3", "s>c ACK seq=18 ack=20 len=0"}, false},
		{"reset", []string{"s>c FIN/ACK seq=17 ack=19 len=0", "c>s RST seq=19 len=0"}, false},
		{"two FINs from one side", []string{"s>c FIN/ACK seq=17 ack=19 len=0", "s>c FIN/ACK seq=17 ack=19 len=0", "c>s FIN/ACK seq=19 ack=18 len=0", "s>c ACK seq=18 ack=20 len=0"}, false},
	}
	for _, tt := range tests {
		err := checkTeardown(tt.pkts, 19, 17)
		if (err == nil) != tt.ok {
			t.Errorf("%s: checkTeardown = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

// TestDemoInterrupted cancels a long impaired transfer: the demo returns
// promptly with the interruption as its error, and the network it built is
// gone.
func TestDemoInterrupted(t *testing.T) {
	skipUnlessRoot(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(1500*time.Millisecond, cancel)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	err := Run(ctx, []string{"demo", "--impair", "rate=2mbit,delay=5ms", "--transfer", "100MB", "-w", filepath.Join(dir, "x.pcapng"), "--html", ""}, strings.NewReader(""), &stdout, &stderr)
	if err == nil || ExitCode(err) != 1 {
		t.Errorf("interrupted demo = %v (exit %d), want an error with exit 1", err, ExitCode(err))
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("interrupted demo took %v to return", d)
	}
	out, lerr := exec.Command("ip", "netns", "list").Output()
	if lerr != nil {
		t.Fatalf("ip netns list: %v", lerr)
	}
	if mine := fmt.Sprintf("tcplab-%d-", os.Getpid()); strings.Contains(string(out), mine) {
		t.Errorf("namespaces left after the interrupted demo:\n%s", out)
	}
}

// TestCommandLine checks the command line the report records: it reads
// back as the same arguments in a POSIX shell.
func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "tcplab demo"},
		{[]string{"--impair", "loss=2%,delay=10ms", "--transfer", "2MB"}, "tcplab demo --impair 'loss=2%,delay=10ms' --transfer 2MB"},
		{[]string{"-w", "it's.pcapng", ""}, `tcplab demo -w 'it'\''s.pcapng' ''`},
	} {
		if got := commandLine("demo", tc.args); got != tc.want {
			t.Errorf("commandLine(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}
