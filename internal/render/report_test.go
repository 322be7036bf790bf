package render

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/i18n"
)

// sampleReport renders the three fixture conversations.
func sampleReport(t testing.TB, lang i18n.Lang) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Report(&buf, fixture.All(), ReportOptions{Lang: lang, Title: "tcplab sample report"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var externalRef = regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:|//|file:)|url\(\s*['"]?(https?:|//)|@import`)

func TestReportSelfContained(t *testing.T) {
	for _, lang := range i18n.Langs {
		html := sampleReport(t, lang)
		if m := externalRef.Find(html); m != nil {
			t.Errorf("%s: report refers to something outside the file: %q", lang, m)
		}
		s := string(html)
		for _, c := range fixture.All() {
			if !strings.Contains(s, `id="conv-`+itoa(c.Stream)+`"`) {
				t.Errorf("%s: conversation %d has no section", lang, c.Stream)
			}
		}
		if got, want := strings.Count(s, `<g class="arrow`), 10+9+27; got != want {
			t.Errorf("%s: %d arrows, want %d (one per packet)", lang, got, want)
		}
	}
}

// layout lays out c as Report does with its default options.
func layout(t *testing.T, c *conversation.Conversation, lang i18n.Lang) convData {
	t.Helper()
	cd, err := layoutConversation(c, lang, ReportOptions{MaxArrows: 1000, MaxParas: 1000, MaxTableRows: 500, MaxGraphPoints: 500})
	if err != nil {
		t.Fatalf("layoutConversation(stream %d): %v", c.Stream, err)
	}
	return cd
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestReportPicksInteresting(t *testing.T) {
	var buf bytes.Buffer
	if err := Report(&buf, fixture.All(), ReportOptions{MaxDiagrams: 1}); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if !strings.Contains(s, `id="conv-2"`) || strings.Contains(s, `id="conv-0"`) {
		t.Errorf("MaxDiagrams 1 should draw only the impaired conversation (stream 2)")
	}
	buf.Reset()
	if err := Report(&buf, fixture.All(), ReportOptions{Selected: []int{1}}); err != nil {
		t.Fatal(err)
	}
	s = buf.String()
	if !strings.Contains(s, `id="conv-1"`) || strings.Contains(s, `id="conv-2"`) {
		t.Errorf("Selected [1] should draw only stream 1")
	}
	if !strings.Contains(s, `<a href="#conv-1">1</a>`) {
		t.Errorf("summary row of a drawn conversation should link to it")
	}
}

func TestReportArrowCap(t *testing.T) {
	var buf bytes.Buffer
	if err := Report(&buf, []conversation.Conversation{fixture.Impaired()}, ReportOptions{MaxArrows: 5}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), `<g class="arrow`); got != 5 {
		t.Errorf("MaxArrows 5: %d arrows drawn", got)
	}
	// The conversation carries data: its graphs cover what the ladder
	// leaves out, and the note says so.
	if !strings.Contains(buf.String(), "its first 5 of 27 packets. The stream graphs above cover all of it.") {
		t.Errorf("capped diagram does not say so")
	}
}

// TestWriteSample refreshes docs/sample-report.html with -update.
func TestWriteSample(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite docs/sample-report.html")
	}
	path := filepath.Join("..", "..", "docs", "sample-report.html")
	if err := os.WriteFile(path, sampleReport(t, i18n.English), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReportTimedArrows: with both ends' times, an arrow runs from the
// send time down to the receive time; with one capture point, every arrow
// drops the same fixed slant.
func TestReportTimedArrows(t *testing.T) {
	c := fixture.LabInRange()
	c.SinglePoint = false
	for i := range c.Packets {
		c.Packets[i].Arrival = c.Packets[i].Time + time.Duration(i+1)*10*time.Microsecond
	}
	got := layout(t, &c, i18n.English)
	if got.SlantNote != i18n.Msg(i18n.English, "report.slant.both") {
		t.Errorf("slant note = %q", got.SlantNote)
	}
	drop0 := got.Arrows[0].Y2 - got.Arrows[0].Y1
	drop9 := got.Arrows[9].Y2 - got.Arrows[9].Y1
	if !(drop0 > 0 && drop9 > drop0) {
		t.Errorf("timed arrows drop %v and %v, want growing drops (travel time grows with i)", drop0, drop9)
	}
	single := layout(t, func() *conversation.Conversation { c := fixture.LabInRange(); return &c }(), i18n.English)
	for _, a := range single.Arrows {
		if a.Y2-a.Y1 != slant {
			t.Errorf("single capture point: frame %d drops %v, want %v", a.Frame, a.Y2-a.Y1, slant)
		}
	}
}

func TestReportSkipsSummaryOnly(t *testing.T) {
	convs := fixture.All()
	convs[2].Summarize()
	convs[2].Packets = nil // the most interesting, but only its summary was kept
	var buf bytes.Buffer
	if err := Report(&buf, convs, ReportOptions{MaxDiagrams: 1}); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if strings.Contains(s, `id="conv-2"`) || !strings.Contains(s, `id="conv-0"`) {
		t.Errorf("a conversation without packets was drawn, or the next one was not")
	}
	if !strings.Contains(s, "<td>10.0.0.1:41000</td>") {
		t.Errorf("the summary-only conversation is missing from the table")
	}
}

// asciiWord finds English words of three or more letters: the labels a
// zh-TW report must not leave untranslated. Wireshark's own names (flags,
// expert labels, Seq/Ack/Len, option names) are removed before the check.
var asciiWord = regexp.MustCompile(`[A-Za-z]{3,}`)

// digits lists the runs of digits in s, in order.
var digits = regexp.MustCompile(`[0-9]+`)

// TestReportDetailsFollowLanguage: the click panel, the packet table's
// window and checksum cells and the summary's handshake and close values
// are in the report's language, with the same numbers as in English.
func TestReportDetailsFollowLanguage(t *testing.T) {
	keep := regexp.MustCompile(`\[TCP [^\]]*\]|SYN|ACK|FIN|RST|PSH|MSS|SACK_PERM|TSval|TSecr|Seq|Ack|Len|Info|TCP|Win`)
	for _, mk := range []func() conversation.Conversation{fixture.LabInRange, fixture.LabOutOfRange, fixture.Impaired} {
		c := mk()
		c.Summarize()
		en := layout(t, &c, i18n.English)
		zh := layout(t, &c, i18n.TraditionalChinese)
		for i := range en.Arrows {
			e, z := en.Arrows[i].Detail, zh.Arrows[i].Detail
			if p := textPayload(&c.Packets[i]); p != "" {
				e, z = strings.ReplaceAll(e, p, ""), strings.ReplaceAll(z, p, "")
			}
			if info := c.Packets[i].Info; info != "" {
				e, z = strings.ReplaceAll(e, info, ""), strings.ReplaceAll(z, info, "")
			}
			if w := asciiWord.FindAllString(keep.ReplaceAllString(z, ""), -1); len(w) > 0 {
				t.Errorf("stream %d frame %d: zh-TW details keep English words %q:\n%s", c.Stream, en.Arrows[i].Frame, w, z)
			}
			if diff := cmp.Diff(digits.FindAllString(e, -1), digits.FindAllString(z, -1)); diff != "" {
				t.Errorf("stream %d frame %d: numbers differ between en and zh-TW details (-en +zh):\n%s", c.Stream, en.Arrows[i].Frame, diff)
			}
		}
		for i := range zh.Packets {
			for _, cell := range []string{zh.Packets[i].Win, zh.Packets[i].Checksum} {
				if w := asciiWord.FindAllString(keep.ReplaceAllString(cell, ""), -1); len(w) > 0 {
					t.Errorf("stream %d frame %d: zh-TW packet table cell %q keeps English words %q", c.Stream, zh.Packets[i].Frame, cell, w)
				}
			}
		}
		if w := asciiWord.FindAllString(keep.ReplaceAllString(zh.Summary, ""), -1); len(w) > 0 {
			t.Errorf("stream %d: zh-TW conversation summary %q keeps English words %q", c.Stream, zh.Summary, w)
		}
	}
	html := string(sampleReport(t, i18n.TraditionalChinese))
	for _, english := range []string{`aria-label="close"`, "<td>complete</td>", "<td>fin</td>", "<td>rst</td>"} {
		if strings.Contains(html, english) {
			t.Errorf("zh-TW report contains %s", english)
		}
	}
}

// TestDetailNextSeq: the next sequence number counts the SYN and the FIN,
// each of which occupies one sequence number, as tshark's tcp.nxtseq does
// (frames 1, 2, 3, 4, 8 and 9 of the lab capture: 1 1 1 20 18 21).
func TestDetailNextSeq(t *testing.T) {
	c := fixture.LabInRange()
	want := map[int]string{1: "next Seq=1", 2: "next Seq=1", 3: "next Seq=1", 4: "next Seq=20", 8: "next Seq=18", 9: "next Seq=21"}
	for i := range c.Packets {
		s := &c.Packets[i]
		w, ok := want[s.Frame]
		if !ok {
			continue
		}
		if got := detail(&c, s, i18n.English); !strings.Contains(got, w) {
			t.Errorf("detail(frame %d) = %q, want %q", s.Frame, got, w)
		}
	}
}

// TestWriteReportFile writes the report to a file, and checks that a file
// that cannot be created is an error naming it, and that a write error on
// a device returns the error without removing the device.
func TestWriteReportFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.html")
	if err := WriteReportFile(path, fixture.All(), ReportOptions{Title: "t"}); err != nil {
		t.Fatalf("WriteReportFile(%s) = %v", path, err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := Report(&want, fixture.All(), ReportOptions{Title: "t"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("WriteReportFile wrote %d bytes, Report %d: they differ", len(got), want.Len())
	}
	missing := filepath.Join(t.TempDir(), "no-such-dir", "r.html")
	if err := WriteReportFile(missing, fixture.All(), ReportOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WriteReportFile(%s) = %v, want os.ErrNotExist", missing, err)
	}
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full for the write error: %v", err)
	}
	// Through a link, so that a regression removes the link, not the
	// machine's /dev/full.
	full := filepath.Join(t.TempDir(), "full")
	if err := os.Symlink("/dev/full", full); err != nil {
		t.Fatal(err)
	}
	if err := WriteReportFile(full, fixture.All(), ReportOptions{}); err == nil || !strings.Contains(err.Error(), full) {
		t.Errorf("WriteReportFile(%s) = %v, want an error naming it", full, err)
	}
	if _, err := os.Lstat(full); err != nil {
		t.Errorf("WriteReportFile removed the device (its link) after the write error: %v", err)
	}
}

// TestReportJoinedGolden draws the ladder of a conversation captured at
// both ends: slanted arrows with the measured delay, a lost segment's
// arrow ending with a cross halfway between the lanes, a held-back one
// marked, a network copy with an arrow of its own. The SVG is compared
// with testdata/report_joined.svg.golden.
func TestReportJoinedGolden(t *testing.T) {
	c := fixture.Joined()
	var buf bytes.Buffer
	if err := Report(&buf, []conversation.Conversation{c}, ReportOptions{Lang: i18n.English, Title: "joined"}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	i := strings.Index(html, "<svg class=\"ladder\"")
	j := i + strings.Index(html[max(i, 0):], "</svg>")
	if i < 0 || j < i {
		t.Fatal("no ladder in the report")
	}
	svg := html[i : j+len("</svg>")]
	for _, want := range []string{`<path class="cross"`, `<line class="copy"`, `class="arrow data reordered"`, `class="arrow data lost"`,
		"✕ lost by the network", "held back: 25.00 ms", "a network copy: 10.46 ms"} {
		if !strings.Contains(svg, want) {
			t.Errorf("ladder lacks %q", want)
		}
	}
	got := layout(t, &c, i18n.English)
	for _, a := range got.Arrows {
		switch a.Frame {
		case 6:
			if mid := float64(laneLeft+laneRight) / 2; a.X2 != mid || a.Head != "" {
				t.Errorf("lost frame 6 ends at x %v with head %q, want %v and none", a.X2, a.Head, mid)
			}
		case 7:
			// Held back 25 ms where frame 5 took the typical 10: on the
			// time axis (the typical delay is delayRows rows) it drops
			// 15 ms more, whatever both were spread by the burst.
			d5 := got.Arrows[4].Y2 - got.Arrows[4].Y1
			extra := 15 * float64(delayRows*rowHeight) / (float64(typicalDelay(c.Packets)) / float64(time.Millisecond))
			if more := a.Y2 - a.Y1 - d5; more < 0.95*extra || more > 1.05*extra {
				t.Errorf("held-back frame 7 drops %v, frame 5 %v: want %v more", a.Y2-a.Y1, d5, extra)
			}
		}
	}
	golden(t, "report_joined.svg", []byte(svg+"\n"))
}

// TestReportRunGolden checks the run's record in the report (the facts,
// the printed lines, a table with its notes) against a golden file.
func TestReportRunGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Report(&buf, fixture.All()[:1], ReportOptions{Lang: i18n.English, Title: "run", Run: runFixture()}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	i, j := strings.Index(html, `<section id="run">`), strings.Index(html, `<section id="summary">`)
	if i < 0 || j < i {
		t.Fatal("no run section before the summary")
	}
	golden(t, "report_run.html", []byte(html[i:j]))
}

// TestReportLabSheet: each conversation drawn in detail carries its lab
// sheet (package labsheet), in the report's language.
func TestReportLabSheet(t *testing.T) {
	for _, lang := range i18n.Langs {
		html := string(sampleReport(t, lang))
		for _, c := range fixture.All() {
			if id := fmt.Sprintf(`id="lab-sheet-%d"`, c.Stream); !strings.Contains(html, id) {
				t.Errorf("%s: no lab sheet %s", lang, id)
			}
		}
		if n := strings.Count(html, `class="lab-sheet-box"`); n != len(fixture.All()) {
			t.Errorf("%s: %d lab sheet boxes, want %d", lang, n, len(fixture.All()))
		}
		if !strings.Contains(html, template.HTMLEscapeString(i18n.Msg(lang, "report.labsheet"))) {
			t.Errorf("%s: no lab sheet heading", lang)
		}
	}
}
