package demo

import (
	"bufio"
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/client"
	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/groundtruth"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/render"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// labOutcome is a loopback run of the lab's two cases, with the analysis
// of the two captures in testdata (their ports differ from a real run's,
// which records both conversations to one server port).
func labOutcome(t *testing.T) (*Outcome, *Analysis) {
	t.Helper()
	o := &Outcome{
		Server:    netip.MustParseAddrPort("127.0.0.1:24817"),
		Listening: []byte("listening on 127.0.0.1:24817\n"),
		Cases: []Case{
			{Number: "42", InRange: true,
				Server: []byte("Connection from ('127.0.0.1', 39334)\nClient_name: Client of Louis\nServer_name: Server of Nuk\nClient number: 42\nServer number: 8\nSum: 50\n"),
				Result: &client.Result{Local: netip.MustParseAddrPort("127.0.0.1:39334"), ClientName: "Client of Louis", ServerName: "Server of Nuk", ClientNumber: "42", ServerNumber: "8", Sum: 50}},
			{Number: "150",
				Server: []byte("Connection from ('127.0.0.1', 42756)\nClient number is not in the range 1 to 100. Closing connection.\n"),
				Err:    &client.Error{Op: "read reply from", Kind: client.ErrNoReply}},
		},
		Capture: &Capture{File: "tcplab-demo.pcapng", Interface: "lo", Filter: "tcp port 24817", Stats: capture.Stats{Captured: 20, Received: 20}, Complete: true},
	}
	a, err := Analyze(filepath.Join("testdata", "lab_in_range.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Analyze(filepath.Join("testdata", "lab_out_of_range.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	a.Lines = append(a.Lines, b.Lines...)
	a.Flagged = append(a.Flagged, b.Flagged...)
	b.Convs[0].Stream = 1
	a.Convs = append(a.Convs, b.Convs...)
	return o, a
}

// bulkOutcome is a bulk transfer across the impaired network, with the
// analysis of impaired_bulk.pcap, and a capture that ended on a quiet
// period.
func bulkOutcome(t *testing.T) (*Outcome, *Analysis) {
	t.Helper()
	spec, err := impair.Parse("loss=3%,delay=10ms,seed=7")
	if err != nil {
		t.Fatal(err)
	}
	o := &Outcome{
		Server: netip.AddrPortFrom(netlab.ServerAddr, DefaultBulkPort),
		Bulk:   &netlab.BulkResult{Sent: 150000, Received: 150000, Elapsed: 1234 * time.Millisecond, RTT: 21370 * time.Microsecond, Retransmits: 6},
		Network: &Network{Spec: spec, CaptureAt: netlab.Server, Stats: netlab.Stats{
			C2S: netlab.DirectionStats{Stats: impair.Stats{Received: 120, Forwarded: 116, DroppedLoss: 4}},
			S2C: netlab.DirectionStats{Stats: impair.Stats{Received: 80, Forwarded: 78, DroppedLoss: 2}, KernelDrops: 1},
		}},
		Capture: &Capture{File: "bulk.pcapng", Interface: netlab.ServerIf, Filter: "tcp port 5001", Stats: capture.Stats{Captured: 194, Received: 194}},
	}
	return o, bulk(t)
}

// golden compares got with testdata/name.golden (see fixture.Golden).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	fixture.Golden(t, name, got, *update)
}

// TestWriteGolden checks the whole output of the lab's two cases and of an
// impaired bulk transfer, in both languages, against golden files.
func TestWriteGolden(t *testing.T) {
	for _, sc := range []struct {
		name    string
		outcome func(*testing.T) (*Outcome, *Analysis)
		report  string
	}{
		{"lab", labOutcome, "tcplab-demo.html"},
		{"bulk", bulkOutcome, ""},
	} {
		for _, lang := range i18n.Langs {
			t.Run(sc.name+"."+string(lang), func(t *testing.T) {
				o, a := sc.outcome(t)
				var b bytes.Buffer
				if err := Write(&b, o, a, Presentation{Lang: lang, Report: sc.report, MaxLines: 10, MaxArrows: 20}); err != nil {
					t.Fatal(err)
				}
				golden(t, "write_"+sc.name+"."+string(lang), b.Bytes())
			})
		}
	}
}

// englishFragments returns the literal text between the placeholders of
// every English message of the demo ("demo.*") that has a word of at
// least three letters in it.
func englishFragments(t *testing.T) []string {
	t.Helper()
	var out []string
	word := regexp.MustCompile(`[A-Za-z]{3,}`)
	for _, id := range i18n.MessageIDs() {
		if !strings.HasPrefix(id, "demo.") {
			continue
		}
		for _, frag := range regexp.MustCompile(`\{[a-z]+\}`).Split(i18n.Msg(i18n.English, id), -1) {
			frag = strings.TrimSpace(frag)
			if word.MatchString(frag) {
				out = append(out, frag)
			}
		}
	}
	if len(out) < 40 {
		t.Fatalf("only %d English fragments of demo messages: the catalog lookup is broken", len(out))
	}
	return out
}

// TestWriteChineseHasNoEnglish checks that a zh-TW run prints none of the
// demo's English headings and sentences, for the lab's cases, the impaired
// bulk transfer and a run without capture, while the lab's programs'
// output stays as they print it.
func TestWriteChineseHasNoEnglish(t *testing.T) {
	frags := englishFragments(t)
	lab, labA := labOutcome(t)
	bulkO, bulkA := bulkOutcome(t)
	noCap, _ := labOutcome(t)
	noCap.Capture = nil
	noCap.CaptureErr = &capture.PermissionError{Interface: "lo", Err: os.ErrPermission}
	unexpected, _ := labOutcome(t)
	unexpected.Capture = nil
	unexpected.Cases[1].Err = nil
	unexpected.Cases[1].Result = unexpected.Cases[0].Result
	unexpected.Cases[0].Server = nil
	for _, run := range []struct {
		name string
		o    *Outcome
		a    *Analysis
	}{
		{"lab", lab, labA}, {"bulk", bulkO, bulkA}, {"no capture", noCap, nil}, {"unexpected", unexpected, nil},
	} {
		var en, zh bytes.Buffer
		for _, w := range []struct {
			lang i18n.Lang
			buf  *bytes.Buffer
		}{{i18n.English, &en}, {i18n.TraditionalChinese, &zh}} {
			if err := Write(w.buf, run.o, run.a, Presentation{Lang: w.lang, Report: "r.html", MaxArrows: 20}); err != nil {
				t.Fatal(err)
			}
		}
		// The packet list and the conversation table are tshark's,
		// in every language: leave them out of the check.
		own := zh.String()
		if run.a != nil {
			own = strings.ReplaceAll(own, string(run.a.Conversations), "")
			for _, l := range run.a.Lines {
				own = strings.ReplaceAll(own, string(l), "")
			}
		}
		found := 0
		for _, f := range frags {
			if strings.Contains(en.String(), f) {
				found++
			}
			if strings.Contains(own, f) {
				t.Errorf("%s: zh-TW output has the English %q:\n%s", run.name, f, zh.String())
			}
		}
		if found < 5 {
			t.Errorf("%s: the English output has only %d of the demo's English fragments: the check sees nothing", run.name, found)
		}
		// The lab's programs print the same lines in both languages.
		for _, c := range run.o.Cases {
			for l := range strings.Lines(string(c.Server)) {
				if !strings.Contains(zh.String(), "  "+l) {
					t.Errorf("%s: zh-TW output lacks the server's line %q", run.name, l)
				}
			}
			if c.Result != nil && !bytes.Contains(zh.Bytes(), []byte("  Client Number: "+c.Result.ClientNumber+"\n")) {
				t.Errorf("%s: zh-TW output lacks the client's lines", run.name)
			}
		}
	}
}

// TestDirectionStats checks that the English bridge counters read as
// netlab prints them.
func TestDirectionStats(t *testing.T) {
	p := &printer{lang: i18n.English}
	for _, d := range []netlab.DirectionStats{
		{Stats: impair.Stats{Received: 10, Forwarded: 8, DroppedLoss: 1, DroppedQueue: 2, DroppedLimit: 3, Duplicated: 4, Reordered: 5, Marked: 6}},
		{Stats: impair.Stats{Received: 1}, WriteErrors: 2, Oversize: 3, KernelDrops: 4},
	} {
		if got, want := directionStats(p, &d), d.String(); got != want {
			t.Errorf("directionStats(%+v) = %q, want netlab's %q", d, got, want)
		}
	}
}

// reconFixture is a bulk transfer's reconciliation, captured at both
// ends: the kernel's count read before the close, a loss, a queue drop,
// copies and hold-backs, a segment the server's capture missed.
func reconFixture() []Reconciliation {
	return []Reconciliation{
		{C2S: true,
			Bridge: groundtruth.Count{Sent: 1407, Lost: 20, QueueDrops: 1, Duplicated: 3, Reordered: 2, Delivered: 1389},
			Client: &groundtruth.Sight{Captured: 1407, Flagged: 21, Resent: 9, OutOfOrder: 12},
			Server: &groundtruth.Sight{Captured: 1388, Flagged: 44, Resent: 11, OutOfOrder: 12},
			Kernel: &netlab.BulkResult{SegsOut: 1405, Retransmits: 21}},
		{Bridge: groundtruth.Count{Sent: 692, Lost: 17, Delivered: 675},
			Client: &groundtruth.Sight{Captured: 675, Flagged: 55},
			Server: &groundtruth.Sight{Captured: 692, Flagged: 50}},
	}
}

// TestReconGolden checks the terminal's reconciliation tables in both
// languages against golden files.
func TestReconGolden(t *testing.T) {
	for _, lang := range i18n.Langs {
		t.Run(string(lang), func(t *testing.T) {
			var b bytes.Buffer
			p := &printer{Writer: bufio.NewWriter(&b), lang: lang}
			for _, r := range reconFixture() {
				writeRecon(p, &r)
			}
			p.Flush()
			golden(t, "recon."+string(lang), b.Bytes())
		})
	}
}

// TestRecordGolden checks the run's record in the HTML report against
// golden files, in both languages: for the lab's two cases (the
// programs' lines, Sum among them, the command line, the date, the
// version) and for a bulk transfer (TCP_INFO, the bridge's counters, the
// expert flags).
func TestRecordGolden(t *testing.T) {
	meta := RunMeta{Command: "tcplab demo --impair 'loss=3%,delay=10ms,seed=7'", Version: "tcplab (devel) (commit 0123abcd4567) go1.26.8",
		Date: time.Date(2026, 12, 6, 1, 20, 33, 0, time.UTC)}
	for _, sc := range []struct {
		name    string
		outcome func(*testing.T) (*Outcome, *Analysis)
	}{{"lab", labOutcome}, {"bulk", bulkOutcome}} {
		for _, lang := range i18n.Langs {
			t.Run(sc.name+"."+string(lang), func(t *testing.T) {
				o, a := sc.outcome(t)
				rec := Record(o, a, lang, meta)
				var b bytes.Buffer
				if err := render.Report(&b, a.Convs[:1], render.ReportOptions{Lang: lang, Run: rec}); err != nil {
					t.Fatal(err)
				}
				html := b.String()
				i, j := strings.Index(html, `<section id="run">`), strings.Index(html, `<section id="summary">`)
				if i < 0 || j < i {
					t.Fatal("no run section before the summary")
				}
				golden(t, "record_"+sc.name+"."+string(lang)+".html", []byte(html[i:j]))
				for _, c := range o.Cases {
					if c.Result != nil && !strings.Contains(html, "Sum: "+strconv.FormatInt(c.Result.Sum, 10)) {
						t.Errorf("the record lacks the client's Sum line")
					}
				}
			})
		}
	}
}

// TestRecordHasReconciliation checks that the record holds the
// reconciliation tables the terminal shows, line for line, notes
// included, and none without the bridge's log.
func TestRecordHasReconciliation(t *testing.T) {
	rs := reconFixture()
	for _, lang := range i18n.Langs {
		sec := reconSection(rs, lang)
		if len(sec.Tables) != len(rs) {
			t.Fatalf("%s: %d tables, want %d", lang, len(sec.Tables), len(rs))
		}
		for i, tb := range sec.Tables {
			want := rs[i].Rows(lang)
			var got []ReconRow
			for _, r := range tb.Rows {
				got = append(got, ReconRow(r))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: table %q (-want +got):\n%s", lang, tb.Title, diff)
			}
		}
	}
	o, a := bulkOutcome(t)
	for _, s := range Record(o, a, i18n.English, RunMeta{}).Sections {
		if len(s.Tables) > 0 {
			t.Errorf("section %q has tables without the bridge's log", s.Heading)
		}
	}
}
