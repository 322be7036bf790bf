package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/check"
	"github.com/tcplab/tcplab/internal/i18n"
)

// sample is a report with one check of each status; reasons hold the
// characters XML and HTML must escape, and a control character.
func sample() *check.Report {
	return &check.Report{
		Kind: "server", Target: "python3 server.py {port}", Lang: i18n.English,
		Started: time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC), Took: 1500 * time.Millisecond,
		Results: []check.Result{
			{ID: "reply", Title: "in range: the reply", Status: check.Pass, Reason: `1, 42 and 100 were answered with "<name>,<1..100>"`, Took: time.Millisecond},
			{ID: "no-comma", Title: "no comma", Status: check.Fail, Reason: "after a request without a comma: the server exited (exit status 1): ValueError & <oops>",
				Hint: "Check the request.", Details: []string{`sent "Client of Louis 42" → closed`}, Output: "Traceback\x00\n", Took: time.Second},
			{ID: "latency", Title: "latency", Status: check.Warn, Reason: "p99 1010 ms, slow"},
			{ID: "lines", Title: "printed lines", Status: check.Skip, Reason: "not checked"},
		},
	}
}

// TestJUnitValidates writes the JUnit XML and reads it back with
// Python's XML parser: well-formed, one testcase per check, the failure
// carrying its reason, the skipped one marked.
func TestJUnitValidates(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed (apt-get install python3): cannot validate the XML")
	}
	var b bytes.Buffer
	if err := JUnit(&b, sample()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
for s in root.iter("testsuite"):
    print("suite", s.get("name"), s.get("tests"), s.get("failures"), s.get("skipped"))
for c in root.iter("testcase"):
    f = c.find("failure")
    k = c.find("skipped")
    print("case", c.get("name"), "|", "failure: " + f.get("message") if f is not None else "skipped" if k is not None else "ok")
`
	out, err := exec.Command(python, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 could not parse the JUnit XML: %v\n%s\n%s", err, out, b.String())
	}
	want := `suite tcplab check server 4 1 1
case reply: in range: the reply | ok
case no-comma: no comma | failure: after a request without a comma: the server exited (exit status 1): ValueError & <oops>
case latency: latency | ok
case lines: printed lines | skipped
`
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("JUnit as python3 reads it (-want +got):\n%s", diff)
	}
}

func TestNDJSON(t *testing.T) {
	var b bytes.Buffer
	if err := NDJSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	all := b.String()
	sc := bufio.NewScanner(&b)
	var types, statuses []string
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		types = append(types, rec["type"].(string))
		if rec["type"] == "check" {
			statuses = append(statuses, rec["status"].(string))
			if _, ok := rec["packets"].([]any); !ok {
				t.Errorf("%s: packets is %v, want a list", rec["id"], rec["packets"])
			}
		} else if rec["failed"] != 1.0 || rec["exit_code"] != 1.0 || rec["checks"] != 4.0 {
			t.Errorf("summary %v: want failed 1, exit_code 1, checks 4", rec)
		}
	}
	if diff := cmp.Diff([]string{"check", "check", "check", "check", "summary"}, types); diff != "" {
		t.Errorf("record types (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"pass", "fail", "warn", "skip"}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	// The key order is the contract's.
	first := strings.SplitN(all, "\n", 2)[0]
	if !strings.HasPrefix(first, `{"type":"check","kind":"server","id":"reply","title":`) {
		t.Errorf("first record %s: keys out of order", first)
	}
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, sample(), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"tcplab check server: python3 server.py {port}\n",
		"  FAIL  no comma             after a request without a comma",
		"        → Check the request.\n",
		`          sent "Client of Louis 42" → closed`,
		"1 passed, 1 failed, 1 warned, 1 skipped (1.5 s)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("text output lacks %q:\n%s", want, got)
		}
	}
	b.Reset()
	rep := sample()
	rep.Lang = i18n.TraditionalChinese
	Text(&b, rep, TextOptions{})
	if !strings.Contains(b.String(), "失敗") || !strings.Contains(b.String(), "1 項通過") {
		t.Errorf("zh-TW text output:\n%s", b.String())
	}
}

func TestHTML(t *testing.T) {
	rep := sample()
	rep.Results[1].Packets = &check.Packets{List: []string{"1 0.000000 127.0.0.1 → 127.0.0.1 TCP 5 → 6 [SYN]"}, Ladder: "ladder", PCAPNG: []byte{1, 2, 3}}
	var b bytes.Buffer
	if err := HTML(&b, rep); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		`<details id="no-comma" class="fail" open>`,
		"ValueError &amp; &lt;oops&gt;",
		"[SYN]",
		`href="data:application/octet-stream;base64,AQID"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(got, "<oops>") {
		t.Error("HTML does not escape a reason")
	}
}
