package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// asTCPLabEnv makes the test binary behave as tcplab (TestMain runs Run
// with its arguments), so that check can start tcplab's own server and
// client as programs under test.
const asTCPLabEnv = "TCPLAB_CLI_TEST_AS_TCPLAB"

func TestMain(m *testing.M) {
	if os.Getenv(asTCPLabEnv) == "1" {
		err := Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		if err != nil && ExitCode(err) != 0 {
			if msg := err.Error(); msg != "" {
				os.Stderr.WriteString("tcplab: " + msg + "\n")
			}
		}
		os.Exit(ExitCode(err))
	}
	os.Exit(m.Run())
}

// tcplabCommand returns the command line that runs this test binary as
// tcplab with args.
func tcplabCommand(t *testing.T, args ...string) []string {
	t.Helper()
	t.Setenv(asTCPLabEnv, "1")
	return append([]string{os.Args[0]}, args...)
}

// checkRecord is the part of an ndjson record the tests look at.
type checkRecord struct {
	Type, ID, Status, Reason, Hint, Output string
	ExitCode                               int `json:"exit_code"`
}

// runCheckNDJSON runs tcplab check with --format ndjson and returns the
// check records by id and the exit status.
func runCheckNDJSON(t *testing.T, args ...string) (map[string]checkRecord, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	args = append([]string{"check", args[0], "--format", "ndjson", "--no-capture"}, args[1:]...)
	err := Run(ctx, args, strings.NewReader(""), &out, &errb)
	recs := map[string]checkRecord{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<22)
	summary := false
	for sc.Scan() {
		var r checkRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("record %q: %v", sc.Text(), err)
		}
		if r.Type == "summary" {
			summary = true
			if r.ExitCode != ExitCode(err) {
				t.Errorf("summary exit_code %d, but the exit status is %d", r.ExitCode, ExitCode(err))
			}
			continue
		}
		recs[r.ID] = r
	}
	if !summary {
		t.Fatalf("no summary record; err %v, stderr %s", err, errb.String())
	}
	return recs, ExitCode(err)
}

// wantStatuses checks the statuses (and reasons) of the given checks.
func wantStatuses(t *testing.T, recs map[string]checkRecord, want map[string]string, reasons map[string]string) {
	t.Helper()
	for id, st := range want {
		r, ok := recs[id]
		if !ok {
			t.Errorf("%s: no record", id)
			continue
		}
		if r.Status != st {
			t.Errorf("%s: %s (%s), want %s", id, r.Status, r.Reason, st)
		}
		if r.Status == "fail" && r.Hint == "" {
			t.Errorf("%s: failed without a hint", id)
		}
	}
	for id, part := range reasons {
		// The exception is in the reason, which quotes the last line of
		// standard error, and always in the output.
		if !strings.Contains(recs[id].Reason+recs[id].Output, part) {
			t.Errorf("%s: reason %q and output %q, want one to contain %q", id, recs[id].Reason, recs[id].Output, part)
		}
	}
}

// TestCheckServerOriginal: the lab's original server passes the in-range
// and out-of-range checks and fails the robustness and concurrency ones,
// for the reasons the lab's code shows.
func TestCheckServerOriginal(t *testing.T) {
	python, dir := seedDir(t)
	recs, code := runCheckNDJSON(t, "server", "--", python, filepath.Join(dir, "original_server.py"), "{port}")
	wantStatuses(t, recs, map[string]string{
		"start": "pass", "reply": "pass", "close": "pass", "lines": "pass", "out-of-range": "pass",
		"empty": "fail", "no-comma": "fail", "not-number": "fail", "name-commas": "fail", "junk": "fail",
		"invalid-utf8": "fail", "pieces": "fail", "reset": "fail", "idle-client": "fail", "burst": "fail",
		"half-close": "pass", "no-read": "pass",
	}, map[string]string{
		"empty":        "the server exited (exit status 0)",
		"no-comma":     "ValueError: not enough values to unpack",
		"not-number":   "ValueError: invalid literal for int()",
		"name-commas":  "ValueError: too many values to unpack",
		"invalid-utf8": "UnicodeDecodeError",
		"idle-client":  "the server serves one client at a time",
	})
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
}

// TestCheckServerTCPLab: tcplab's own server passes every check.
func TestCheckServerTCPLab(t *testing.T) {
	cmd := tcplabCommand(t, "server", "--addr", "127.0.0.1:{port}")
	recs, code := runCheckNDJSON(t, append([]string{"server", "--"}, cmd...)...)
	for id, r := range recs {
		// A loaded test machine may make the short load slow: a
		// warning, never a failure.
		if r.Status != "pass" && !(id == "latency" && r.Status == "warn") {
			t.Errorf("%s: %s (%s), want pass", id, r.Status, r.Reason)
		}
	}
	if len(recs) != 18 {
		t.Errorf("%d checks, want 18", len(recs))
	}
	if code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
}

// TestCheckClientOriginal: the original client does the exchange right
// but dies with a traceback when the server closes without replying.
func TestCheckClientOriginal(t *testing.T) {
	python, dir := seedDir(t)
	recs, code := runCheckNDJSON(t, "client", "--", python, filepath.Join(dir, "original_client.py"), "{port}")
	wantStatuses(t, recs, map[string]string{
		"connect": "pass", "request": "pass", "lines": "pass", "sum": "pass", "exit": "pass", "no-reply": "fail",
	}, map[string]string{"no-reply": "the client crashed: ValueError: not enough values to unpack"})
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
}

// TestCheckClientTCPLab: tcplab's client passes every check, and the
// text report, JUnit and HTML files come out in Traditional Chinese.
func TestCheckClientTCPLab(t *testing.T) {
	cmd := tcplabCommand(t, "client", "--addr", "127.0.0.1:{port}")
	recs, code := runCheckNDJSON(t, append([]string{"client", "--"}, cmd...)...)
	for id, r := range recs {
		if r.Status != "pass" {
			t.Errorf("%s: %s (%s), want pass", id, r.Status, r.Reason)
		}
	}
	if len(recs) != 6 || code != 0 {
		t.Errorf("%d checks, exit status %d; want 6 and 0", len(recs), code)
	}
	dir := t.TempDir()
	junit, page := filepath.Join(dir, "c.xml"), filepath.Join(dir, "c.html")
	var out, errb bytes.Buffer
	args := append([]string{"check", "client", "--lang", "zh-TW", "--no-capture", "--junit", junit, "--html", page, "--"}, cmd...)
	if err := Run(context.Background(), args, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("check client: %v\n%s%s", err, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "6 項通過，0 項失敗") {
		t.Errorf("zh-TW summary missing:\n%s", out.String())
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(x), "<testcase "); n != 6 {
		t.Errorf("JUnit has %d testcases, want 6", n)
	}
	if python, err := exec.LookPath("python3"); err == nil {
		if out, err := exec.Command(python, "-c", "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])", junit).CombinedOutput(); err != nil {
			t.Errorf("JUnit is not well-formed: %v %s", err, out)
		}
	}
	h, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(h), "通過") {
		t.Errorf("HTML report: %v, %d bytes, want it in Traditional Chinese", err, len(h))
	}
}

func TestCheckUsage(t *testing.T) {
	for _, args := range [][]string{
		{"check"},
		{"check", "nothing"},
		{"check", "server"},
		{"check", "server", "--", "python3", "server.py"},
		{"check", "server", "--addr", "10.0.0.1:2000"},
		{"check", "server", "--addr", "127.0.0.1:2000", "--", "x", "{port}"},
		{"check", "server", "--format", "xml", "--addr", "127.0.0.1:2000"},
		{"check", "server", "--only", "nosuch", "--addr", "127.0.0.1:2000"},
		{"check", "client"},
		{"check", "client", "--lang", "xx", "--", "x"},
		{"check", "client", "--bogus"},
	} {
		var out, errb bytes.Buffer
		err := Run(context.Background(), args, strings.NewReader(""), &out, &errb)
		if ExitCode(err) != 2 {
			t.Errorf("%q: exit status %d (%v), want 2", args, ExitCode(err), err)
		}
		if err != nil && strings.Contains(err.Error(), "check/") {
			t.Errorf("%q: message names an internal package: %v", args, err)
		}
	}
}

// TestDemoProgramFlags: --server-cmd and --client-cmd need {port}, a
// well-formed command line and loopback.
func TestDemoProgramFlags(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--server-cmd", "python3 server.py"},
		{"demo", "--client-cmd", "python3 'client.py {port}"},
		{"demo", "--client-cmd", "  "},
		{"demo", "--server-cmd", "python3 server.py {port}", "--impair", "loss=1%"},
		{"demo", "--server-cmd", "python3 server.py {port}", "--addr", "127.0.0.1:2000"},
		{"demo", "--server-cmd", "python3 server.py {port}", "--stack", "user"},
	} {
		var out, errb bytes.Buffer
		err := Run(context.Background(), args, strings.NewReader(""), &out, &errb)
		if ExitCode(err) != 2 {
			t.Errorf("%q: exit status %d (%v), want 2", args, ExitCode(err), err)
		}
	}
}

// TestDemoWithPrograms runs the demo with tcplab's own server and client
// as the student's programs and finds both programs' lines in its output.
func TestDemoWithPrograms(t *testing.T) {
	server := strings.Join(tcplabCommand(t, "server", "--addr", "127.0.0.1:{port}"), " ")
	client := strings.Join(tcplabCommand(t, "client", "--addr", "127.0.0.1:{port}", "--send-out-of-range"), " ")
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := Run(ctx, []string{"demo", "--no-capture", "--no-explain", "--server-cmd", server, "--client-cmd", client}, strings.NewReader(""), &out, &errb)
	if err != nil {
		t.Fatalf("demo: %v\n%s%s", err, out.String(), errb.String())
	}
	for _, want := range []string{"client program (exit status 0):", "Client_number: 42", "client program (exit status 1):", "Client number is not in the range 1 to 100"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
