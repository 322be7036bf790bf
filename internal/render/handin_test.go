package render

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
)

// runFixture is the record of a demo run, as package demo makes it.
func runFixture() *RunRecord {
	return &RunRecord{
		Heading: "The run",
		Facts: []Fact{{"command", "tcplab demo --impair 'loss=2%,delay=10ms,seed=42' --transfer 2MB"},
			{"date", "2026-12-06 01:20:33 UTC"}, {"tcplab version", "tcplab (devel) (commit 0123abcd4567) go1.26.8"}},
		Sections: []RunSection{
			{Heading: "Case 1: the client sends 42", Text: "server:\n  Connection from ('10.77.0.1', 41234)\n  Sum: 139\nclient (10.77.0.1:41234):\n  Sum: 139"},
			{Heading: "Reconciliation", Paras: []string{"Each table follows one direction's segments."},
				Tables: []RunTable{{Title: "client → server", Header: [3]string{"segments", "count", "why"},
					Rows: []RunRow{{"sent by the client", 1407, ""}, {"lost by the bridge", 20, "The bridge's loss model dropped these."}}}}},
		},
	}
}

// handInReport writes the report to hand in: the run's record, the
// two-clock ladder and a long ladder of an impaired transfer.
func handInReport(t *testing.T, path string, lang i18n.Lang) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "explain", "testdata", "impaired_bulk.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bulk, err := explain.ReadCapture(f, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	convs := append([]conversation.Conversation{fixture.Joined()}, bulk...)
	convs[1].Stream = 1
	var b bytes.Buffer
	if err := Report(&b, convs, ReportOptions{Lang: lang, Title: "tcplab demo: imp.pcapng", MaxArrows: 150, Run: runFixture()}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// layoutJS checks the page's layout and returns what it found as JSON:
// whether the page itself scrolls sideways, each ladder's box, the
// details panel's place after a click on an arrow, and the standalone
// SVG of the first ladder read back by the browser's XML parser.
const layoutJS = `(function () {
  var out = {pageOverflow: document.documentElement.scrollWidth - window.innerWidth, boxes: [], save: 0};
  document.querySelectorAll(".ladder-box").forEach(function (b) {
    var r = b.getBoundingClientRect();
    out.boxes.push({left: r.left, right: r.right, scrolls: b.scrollWidth > b.clientWidth, svgWidth: b.querySelector("svg.ladder").getBoundingClientRect().width});
  });
  var g = document.querySelectorAll("svg.ladder g.arrow")[3];
  g.dispatchEvent(new MouseEvent("click", {bubbles: true}));
  var p = document.getElementById("details"), box = g.closest(".ladder-box");
  var pr = p.getBoundingClientRect(), br = box.getBoundingClientRect();
  out.panel = {hidden: p.hidden, overlaps: !(pr.top >= br.bottom || pr.bottom <= br.top || pr.left >= br.right || pr.right <= br.left)};
  out.save = document.querySelectorAll("button.save-svg").length;
  var svg = document.querySelector("svg.ladder");
  var doc = new DOMParser().parseFromString(window.tcplabStandaloneSVG(svg), "image/svg+xml");
  out.svg = {error: doc.getElementsByTagName("parsererror").length, root: doc.documentElement.localName,
    arrows: doc.querySelectorAll("g.arrow").length, want: svg.querySelectorAll("g.arrow").length,
    styled: (doc.querySelector("style") || {}).textContent.indexOf("g.data line") >= 0};
  out.text = document.body.textContent.indexOf("Sum: 139") >= 0 && document.body.textContent.indexOf("tcplab version") >= 0;
  return JSON.stringify(out);
})()`

// printJS checks the print layout (with print media emulated): the long
// ladder is hidden and drawn in slices that together cover it, each
// short enough for an A4 page (1100 units of an 800-wide ladder are
// 967 CSS px at the page's 703 px width, under its 1016).
//
// The page makes its slices when it is about to be printed: emulated
// print media alone fires no beforeprint, so the probe fires it, as the
// browser does before printing.
const printJS = `(function () {
  window.dispatchEvent(new Event("beforeprint"));
  var out = {sliced: []};
  document.querySelectorAll(".ladder-box").forEach(function (b) {
    var svg = b.querySelector("svg.ladder"), slices = b.querySelectorAll("svg.ladder-slice");
    var cover = 0, maxH = 0, shown = 0;
    slices.forEach(function (s) {
      var vb = s.viewBox.baseVal; cover = Math.max(cover, vb.y + vb.height); maxH = Math.max(maxH, vb.height);
      if (getComputedStyle(s).display !== "none") { shown++; }
    });
    out.sliced.push({height: svg.viewBox.baseVal.height, slices: slices.length, shown: shown, cover: cover, maxH: maxH,
      ladderShown: getComputedStyle(svg).display !== "none", tools: getComputedStyle(document.querySelector("p.tools")).display});
  });
  return JSON.stringify(out);
})()`

// TestReportHandIn opens the report to hand in in headless chromium,
// offline, at 400 px and at desktop width: the page never scrolls
// sideways (the ladder scrolls in its own box), the details panel opens
// beside no lane, each ladder saves as a standalone SVG that parses, the
// run's record is there, nothing logs an error; printed (print media
// emulated, then printed to PDF on A4) a long ladder is drawn in slices
// that fit a page and cover it all.
func TestReportHandIn(t *testing.T) {
	c := startChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dir := t.TempDir()
	for _, lang := range i18n.Langs {
		path := filepath.Join(dir, "handin-"+string(lang)+".html")
		handInReport(t, path, lang)
		for _, width := range []int{400, 1280} {
			res, err := c.loadAt(ctx, path, 3000, width)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Errors {
				t.Errorf("%s at %d px: console error: %s", lang, width, e)
			}
			for _, u := range res.Requests {
				t.Errorf("%s at %d px: network request: %s", lang, width, u)
			}
			os.WriteFile(filepath.Join(dir, "handin-"+string(lang)+"-"+itoa(width)+".png"), res.PNG, 0o644)
			raw, err := c.eval(ctx, res, layoutJS)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				PageOverflow float64
				Boxes        []struct {
					Left, Right, SvgWidth float64
					Scrolls               bool
				}
				Panel struct{ Hidden, Overlaps bool }
				Save  int
				SVG   struct {
					Error, Arrows, Want int
					Root                string
					Styled              bool
				}
				Text bool
			}
			if err := json.Unmarshal([]byte(raw), &got); err != nil {
				t.Fatalf("layout probe %q: %v", raw, err)
			}
			if got.PageOverflow > 0 {
				t.Errorf("%s at %d px: the page scrolls sideways by %v px", lang, width, got.PageOverflow)
			}
			if len(got.Boxes) != 2 || got.Save != 2 {
				t.Fatalf("%s at %d px: %d ladders and %d save buttons, want 2 of each", lang, width, len(got.Boxes), got.Save)
			}
			for i, b := range got.Boxes {
				if b.Right > float64(width) || b.Left < 0 {
					t.Errorf("%s at %d px: ladder %d's box spans %v to %v px", lang, width, i, b.Left, b.Right)
				}
				if width == 400 && !b.Scrolls {
					t.Errorf("%s at 400 px: ladder %d (%v px wide) does not scroll in its box", lang, i, b.SvgWidth)
				}
			}
			if got.Panel.Hidden || got.Panel.Overlaps {
				t.Errorf("%s at %d px: details panel hidden %v, over the ladder %v", lang, width, got.Panel.Hidden, got.Panel.Overlaps)
			}
			if got.SVG.Error != 0 || got.SVG.Root != "svg" || got.SVG.Arrows != got.SVG.Want || got.SVG.Want == 0 || !got.SVG.Styled {
				t.Errorf("%s: standalone SVG: %+v", lang, got.SVG)
			}
			if !got.Text {
				t.Errorf("%s: the run's record (the programs' lines, the version) is missing", lang)
			}
			if width != 1280 {
				continue
			}
			if err := c.call(ctx, res.session, "Emulation.setEmulatedMedia", map[string]any{"media": "print"}, nil); err != nil {
				t.Fatal(err)
			}
			raw, err = c.eval(ctx, res, printJS)
			if err != nil {
				t.Fatal(err)
			}
			var pr struct {
				Sliced []struct {
					Height, Cover, MaxH float64
					Slices, Shown       int
					LadderShown         bool
					Tools               string
				}
			}
			if err := json.Unmarshal([]byte(raw), &pr); err != nil {
				t.Fatalf("print probe %q: %v", raw, err)
			}
			long := 0
			for i, s := range pr.Sliced {
				if s.Tools != "none" {
					t.Errorf("%s: printed, the save button shows", lang)
				}
				if s.Height <= 1100 {
					if s.Slices != 0 || !s.LadderShown {
						t.Errorf("%s: ladder %d (%v high) printed in %d slices, shown %v", lang, i, s.Height, s.Slices, s.LadderShown)
					}
					continue
				}
				long++
				if s.LadderShown || s.Shown != s.Slices || s.Slices < 2 || s.Cover < s.Height || s.MaxH > 1100 {
					t.Errorf("%s: long ladder %d printed: %+v; want it hidden, and slices at most 1100 high covering it", lang, i, s)
				}
			}
			if long == 0 {
				t.Errorf("%s: no ladder long enough to need slices: the print check sees nothing", lang)
			}
			var pdf struct {
				Data string `json:"data"`
			}
			if err := c.call(ctx, res.session, "Page.printToPDF", map[string]any{"paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": true}, &pdf); err != nil {
				t.Fatal(err)
			}
			b, err := base64.StdEncoding.DecodeString(pdf.Data)
			if err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
				t.Fatalf("%s: printToPDF gave no PDF (%v)", lang, err)
			}
			pages := strings.Count(string(b), "/Type /Page\n") + strings.Count(string(b), "/Type /Page\r") + strings.Count(string(b), "/Type /Page>>") + strings.Count(string(b), "/Type /Page ")
			os.WriteFile(filepath.Join(dir, "handin-"+string(lang)+".pdf"), b, 0o644)
			t.Logf("%s: %d-byte PDF, %d page objects", lang, len(b), pages)
		}
	}
}
