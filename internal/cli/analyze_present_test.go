package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// labCapture is a real loopback capture of the lab's in-range exchange
// (the Python originals), kept by the explanation's tests.
var labCapture = filepath.Join("..", "explain", "testdata", "lab_in_range.pcap")

func TestAnalyzeLadderExplainHTML(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report.html")
	out, stderr, err := runCLI(t, "analyze", "--no-list", "--ladder", "--explain", "--html", report, labCapture)
	if err != nil {
		t.Fatalf("analyze --ladder --explain --html: %v\n%s", err, stderr)
	}
	containsAll(t, "output", out, []string{
		"Conversation 0: 127.0.0.1:39334 ↔ 127.0.0.1:24817",
		"127.0.0.1:39334            ", // one lane per ip:port, both on 127.0.0.1
		"│─ SYN Seq=0 Win=65495 Len=0",
		`"Client of Louis,100"`,
		"Handshake",
		"Ack = 1 + 19 = 20",
	})
	if strings.Contains(out, "TCP Conversations") || strings.Contains(out, "[SYN]") {
		t.Errorf("--no-list printed the packet list or the conversation table:\n%s", out)
	}
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(strings.ToLower(string(html)), "<!doctype html>") || strings.Count(string(html), "<svg") < 1 {
		t.Errorf("report is not an HTML page with an SVG ladder: %.200s", html)
	}
	// The lab's exchange carries data both ways: the five stream graphs
	// of each direction, from the segments the analysis gathered.
	if n := strings.Count(string(html), `<figure class="graph"`); n != 10 {
		t.Errorf("report has %d stream graphs, want 10 (five kinds, two directions)", n)
	}
	if !strings.Contains(stderr, report) {
		t.Errorf("stderr %q does not say where the report went", stderr)
	}
}

func TestAnalyzeLadderWithList(t *testing.T) {
	out, _, err := runCLI(t, "analyze", "--ladder", "--ascii", "--raw", labCapture)
	if err != nil {
		t.Fatal(err)
	}
	list := strings.Index(out, "[SYN]")
	conv := strings.Index(out, "TCP Conversations")
	lane := strings.Index(out, "|- SYN Seq=")
	if list < 0 || conv < 0 || lane < 0 || !(list < conv && conv < lane) {
		t.Errorf("want the packet list, the conversation table, then the ASCII ladder; got:\n%s", out)
	}
	if strings.Contains(out, "│") {
		t.Errorf("--ascii output has box-drawing characters:\n%s", out)
	}
	if strings.Contains(out[lane:], "Seq=0 Win") {
		t.Errorf("--raw ladder shows relative Seq=0:\n%s", out[lane:])
	}
}

func TestAnalyzeExplainZhTW(t *testing.T) {
	out, _, err := runCLI(t, "analyze", "--no-list", "--explain", "--lang", "zh-TW", labCapture)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "三向交握") || !strings.Contains(out, "1 + 19 = 20") {
		t.Errorf("zh-TW walk-through lacks the handshake heading or the arithmetic:\n%s", out)
	}
}

func TestAnalyzePresentCorrupt(t *testing.T) {
	data, err := os.ReadFile(labCapture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(path, data[:len(data)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "analyze", "--no-list", "--ladder", path)
	if ExitCode(err) != 1 || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("truncated file: %v, want exit 1 naming the offset", err)
	}
	if !strings.Contains(out, "SYN Seq=0") {
		t.Errorf("nothing drawn before the error:\n%s", out)
	}
}

func TestAnalyzePresentUsage(t *testing.T) {
	for _, args := range [][]string{
		{"analyze", "--no-list", labCapture},
		{"analyze", "--ladder", "-"},
		{"analyze", "--explain", "--lang", "klingon", labCapture},
	} {
		_, _, err := runCLI(t, args...)
		if ExitCode(err) != 2 {
			t.Errorf("Run(%q) = %v (exit %d), want a usage error", args, err, ExitCode(err))
		}
	}
}

// ladderFrame matches a ladder arrow's first line: the frame number and
// time before the first lane.
var ladderFrame = regexp.MustCompile(`(?m)^ +(\d+) \d+\.\d+ +[│|]`)

// ladderFrames returns the frame numbers of a ladder's arrows.
func ladderFrames(out string) []string {
	var frames []string
	for _, m := range ladderFrame.FindAllStringSubmatch(out, -1) {
		frames = append(frames, m[1])
	}
	return frames
}

// TestAnalyzePresentFilter: -Y and -c reach --ladder, --explain and
// --html. The ladder draws the frames tshark's -Y passes (or the first
// -c frames), the output says how many of how many it shows, and the
// walk-through explains the whole conversation (the analysis sees every
// packet).
func TestAnalyzePresentFilter(t *testing.T) {
	const filter = "tcp.len > 0 || tcp.flags.fin == 1"
	want := []string{"4", "6", "8", "9"} // the lab's two data segments and two FINs
	if _, err := exec.LookPath("tshark"); err == nil {
		out, err := exec.Command("tshark", "-r", labCapture, "-Y", filter, "-T", "fields", "-e", "frame.number").Output()
		if err != nil {
			t.Fatal(err)
		}
		want = strings.Fields(string(out))
	}
	report := filepath.Join(t.TempDir(), "report.html")
	out, _, err := runCLI(t, "analyze", "--no-list", "--ladder", "--explain", "--html", report, "-Y", filter, labCapture)
	if err != nil {
		t.Fatalf("analyze -Y --ladder --explain --html: %v", err)
	}
	if diff := cmp.Diff(want, ladderFrames(out)); diff != "" {
		t.Errorf("ladder frames with -Y %q (-tshark +tcplab):\n%s\n%s", filter, diff, out)
	}
	note := `display filter "tcp.len > 0 || tcp.flags.fin == 1": 4 of 10 TCP packets shown (the analysis saw all 10; the walk-through explains their whole conversations)`
	containsAll(t, "output", out, []string{note, "The client is 127.0.0.1:39334: it sent the first SYN", "10 packets (frames 1 to 10)"})
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "4 of 10 TCP packets shown") {
		t.Errorf("the report does not say how many packets it shows")
	}

	out, _, err = runCLI(t, "analyze", "--no-list", "--ladder", "-c", "3", labCapture)
	if err != nil {
		t.Fatalf("analyze -c 3 --ladder: %v", err)
	}
	if diff := cmp.Diff([]string{"1", "2", "3"}, ladderFrames(out)); diff != "" {
		t.Errorf("ladder frames with -c 3 (-want +got):\n%s\n%s", diff, out)
	}
	containsAll(t, "output", out, []string{"the first 3 frames read (-c 3)"})
}
