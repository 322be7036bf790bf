package render

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/streamgraph"
)

// graphProbeJS checks the stream graphs of a loaded report: each shown
// graph's series drawn; then, on the tseq graph of the section with the
// most points, a scripted wheel zoom, a hover over one point and a click
// on it. It reports what each did.
const graphProbeJS = `(function () {
  function nums(s) { return s ? s.split(" ").map(Number) : []; }
  var boxes = document.querySelectorAll("details.graphs-box");
  var out = {shut: Array.prototype.filter.call(boxes, function (d) { return !d.open; }).length};
  boxes.forEach(function (d) { d.open = true; });
  out.graphs = [];
  out.page = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  document.querySelectorAll(".graphs:not([hidden]) figure.graph > svg").forEach(function (svg) {
    // A series is drawn when its path has marks that reach into the
    // plot (a lone dot has an empty box: its round cap is what shows).
    // The receive window may run wholly above the plot, clipped: the
    // plot's range follows the data, not a window far beyond it.
    var drawn = 0, series = svg.querySelectorAll("g.data path[data-f]"), r = nums(svg.getAttribute("data-plot"));
    series.forEach(function (p) {
      var b = p.getBBox();
      if (/[0-9]/.test(p.getAttribute("d")) && b.x <= r[0] + r[2] + 4 && b.x + b.width >= r[0] - 4 && b.y <= r[1] + r[3] + 4 &&
          (b.y + b.height >= r[1] - 6 || p.getAttribute("data-series") === "rwin")) { drawn++; }
    });
    out.graphs.push({conv: svg.closest("section").id, kind: svg.getAttribute("data-graph"), series: series.length, drawn: drawn,
      width: svg.getBoundingClientRect().width});
  });
  var best = null, most = -1;
  document.querySelectorAll('.graphs:not([hidden]) figure[data-kind="tseq"] > svg').forEach(function (svg) {
    var n = nums(svg.querySelector("path[data-f]").getAttribute("data-f")).length;
    if (n > most) { most = n; best = svg; }
  });
  if (!best) { return JSON.stringify(out); }
  var svg = best, p = nums(svg.getAttribute("data-plot")), X = nums(svg.getAttribute("data-x")), Y = nums(svg.getAttribute("data-y"));
  function screen(x, y) {
    var pt = svg.createSVGPoint(); pt.x = x; pt.y = y;
    return pt.matrixTransform(svg.getScreenCTM());
  }
  function ticks() { return Array.prototype.map.call(svg.querySelectorAll("g.ticks text"), function (t) { return t.textContent; }).join("|"); }
  out.conv = svg.closest("section").id;
  out.ticksBefore = ticks();
  var c = screen(p[0] + p[2] / 2, p[1] + p[3] / 2);
  svg.dispatchEvent(new WheelEvent("wheel", {clientX: c.x, clientY: c.y, deltaY: -120, bubbles: true, cancelable: true}));
  out.view = svg.getAttribute("data-view");
  out.x = X;
  out.ticksAfter = ticks();
  svg.dispatchEvent(new MouseEvent("dblclick", {bubbles: true}));
  out.viewReset = svg.getAttribute("data-view");
  svg.focus();
  svg.dispatchEvent(new KeyboardEvent("keydown", {key: "+", bubbles: true, cancelable: true}));
  svg.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true, cancelable: true}));
  out.viewKeys = svg.getAttribute("data-view");
  svg.dispatchEvent(new KeyboardEvent("keydown", {key: "0", bubbles: true, cancelable: true}));
  out.viewKeysReset = svg.getAttribute("data-view");

  var path = svg.querySelector("path[data-f]"), f = nums(path.getAttribute("data-f")), t = nums(path.getAttribute("data-t")), v = nums(path.getAttribute("data-v"));
  var k = Math.floor(f.length / 2);
  var q = screen(p[0] + (t[k] / 1e6 - X[0]) / (X[1] - X[0]) * p[2], p[1] + p[3] - (v[k] - Y[0]) / (Y[1] - Y[0]) * p[3]);
  out.frame = f[k];
  svg.dispatchEvent(new PointerEvent("pointermove", {clientX: q.x, clientY: q.y, bubbles: true}));
  var tip = document.getElementById("graph-tip");
  out.tip = tip && !tip.hidden ? tip.textContent : "";
  svg.dispatchEvent(new PointerEvent("pointerdown", {clientX: q.x, clientY: q.y, button: 0, bubbles: true}));
  svg.dispatchEvent(new PointerEvent("pointerup", {clientX: q.x, clientY: q.y, button: 0, bubbles: true}));
  var panel = document.getElementById("details"), sec = svg.closest("section");
  out.panel = panel.hidden ? "" : panel.querySelector("pre").textContent;
  var arrow = sec.querySelector('svg.ladder g.arrow[data-frame="' + f[k] + '"]');
  out.arrowSelected = !!arrow && arrow.classList.contains("selected");
  out.arrowDetail = arrow ? arrow.getAttribute("data-detail") : "";
  var row = arrow && document.getElementById(arrow.getAttribute("data-row"));
  out.rowSelected = !!row && row.classList.contains("selected");
  return JSON.stringify(out);
})()`

type graphProbe struct {
	Shut   int // graph sections closed when the page opened
	Page   float64
	Graphs []struct {
		Conv, Kind    string
		Series, Drawn int
		Width         float64
	}
	Conv                    string
	TicksBefore, TicksAfter string
	View, ViewReset         string
	ViewKeys, ViewKeysReset string
	X                       []float64
	Frame                   int
	Tip, Panel, ArrowDetail string
	ArrowSelected           bool
	RowSelected             bool
}

// TestReportGraphsInBrowser opens reports with stream graphs in headless
// chromium, offline, at desktop width and at 400 px: no console error,
// every graph drawn, the page never scrolls sideways, a scripted zoom
// narrows the visible range and redraws the ticks (a double click
// restores it; so do + and → and 0 from the keyboard), a hover names the
// packet under the pointer, and a click
// opens its details with its arrow and row in the ladder, or, for a
// packet outside the ladder's window, says so. A short exchange's graphs
// are closed when the page opens, a transfer's open.
func TestReportGraphsInBrowser(t *testing.T) {
	c := startChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dir := t.TempDir()
	sample := filepath.Join(dir, "sample.html")
	if err := os.WriteFile(sample, sampleReport(t, i18n.English), 0o644); err != nil {
		t.Fatal(err)
	}
	// A transfer whose ladder shows a window of 100 of its packets.
	big := filepath.Join(dir, "big.html")
	conv, segs := bulk(t, 8000, 8000)
	var buf bytes.Buffer
	if err := Report(&buf, []conversation.Conversation{conv}, ReportOptions{Lang: i18n.English, MaxArrows: 100,
		Segments: func(int) []streamgraph.Segment { return segs }}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path    string
		width   int
		convs   int  // sections with graphs shown
		shut    int  // of them closed when the page opens
		outside bool // the clicked packet is outside the ladder's window
	}{
		{sample, 1100, len(fixture.All()), len(fixture.All()), false},
		{sample, 400, len(fixture.All()), len(fixture.All()), false},
		{big, 1100, 1, 0, true},
	} {
		t.Run(fmt.Sprintf("%s at %d px", filepath.Base(tt.path), tt.width), func(t *testing.T) {
			res, err := c.loadAt(ctx, tt.path, 3000, tt.width)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Errors {
				t.Errorf("console error: %s", e)
			}
			for _, u := range res.Requests {
				t.Errorf("network request: %s", u)
			}
			raw, err := c.eval(ctx, res, graphProbeJS)
			if err != nil {
				t.Fatal(err)
			}
			var got graphProbe
			if err := json.Unmarshal([]byte(raw), &got); err != nil {
				t.Fatalf("probe %q: %v", raw, err)
			}
			if got.Shut != tt.shut {
				t.Errorf("%d graph sections closed when the page opened, want %d", got.Shut, tt.shut)
			}
			checkGraphProbe(t, &got, tt.width, tt.convs, tt.outside)
		})
	}
}

func checkGraphProbe(t *testing.T, got *graphProbe, width, convs int, outside bool) {
	t.Helper()
	if got.Page > 0 {
		t.Errorf("the page scrolls sideways by %v px", got.Page)
	}
	if len(got.Graphs) != 5*convs {
		t.Errorf("%d graphs shown, want 5 for each of %d conversations", len(got.Graphs), convs)
	}
	for _, g := range got.Graphs {
		if g.Series == 0 || g.Drawn != g.Series {
			t.Errorf("%s %s: %d of %d series drawn", g.Conv, g.Kind, g.Drawn, g.Series)
		}
		// Readable: never shrunk below 90 % of its 400-pixel design.
		if g.Width < 0.9*graphWidth*min(1, float64(width-30)/graphWidth) || g.Width > float64(width) {
			t.Errorf("%s %s: %v px wide in a %d px window", g.Conv, g.Kind, g.Width, width)
		}
	}
	var view [4]float64
	if _, err := fmt.Sscan(got.View, &view[0], &view[1], &view[2], &view[3]); err != nil || len(got.X) != 2 {
		t.Fatalf("after the wheel zoom, data-view = %q (%v)", got.View, err)
	}
	if !(view[0] > got.X[0] && view[1] < got.X[1]) {
		t.Errorf("zoomed time range %v..%v, want inside %v", view[0], view[1], got.X)
	}
	if got.TicksAfter == got.TicksBefore {
		t.Errorf("the zoom left the tick labels as they were: %s", got.TicksAfter)
	}
	if !strings.HasPrefix(got.ViewReset, fmt.Sprint(got.X[0])+" "+fmt.Sprint(got.X[1])+" ") {
		t.Errorf("after a double click, data-view = %q, want the whole range %v", got.ViewReset, got.X)
	}
	var keys [4]float64
	if _, err := fmt.Sscan(got.ViewKeys, &keys[0], &keys[1], &keys[2], &keys[3]); err != nil {
		t.Errorf("after + and →, data-view = %q (%v)", got.ViewKeys, err)
	} else if span := keys[1] - keys[0]; math.Abs(span-(got.X[1]-got.X[0])/2) > 1e-9*got.X[1] || keys[0] < got.X[0]+span/2+span/40 {
		t.Errorf("after + and →, the time range is %v..%v; want half of %v, moved right of its middle half", keys[0], keys[1], got.X)
	}
	if got.ViewKeysReset != got.ViewReset {
		t.Errorf("after 0, data-view = %q, want %q", got.ViewKeysReset, got.ViewReset)
	}
	if want := fmt.Sprintf("Frame %d · ", got.Frame); !strings.HasPrefix(got.Tip, want) {
		t.Errorf("hover: tooltip %q, want it to start %q", got.Tip, want)
	}
	if outside {
		if got.ArrowDetail != "" || !strings.Contains(got.Panel, fmt.Sprintf("Frame %d is outside the window", got.Frame)) {
			t.Errorf("click outside the ladder's window: panel %q", got.Panel)
		}
		return
	}
	if got.ArrowDetail == "" || got.Panel != got.ArrowDetail || !got.ArrowSelected || !got.RowSelected {
		t.Errorf("click on frame %d: panel %q, arrow selected %v, row selected %v; want the arrow's details %q",
			got.Frame, got.Panel, got.ArrowSelected, got.RowSelected, got.ArrowDetail)
	}
}
