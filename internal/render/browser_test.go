package render

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/conversation/fixture"
	"github.com/tcplab/tcplab/internal/i18n"
)

// chromiumPath is Debian's chromium, which scripts/setup installs.
const chromiumPath = "/usr/bin/chromium"

// cdp is a minimal Chrome DevTools Protocol client over
// --remote-debugging-pipe: chromium reads commands from its fd 3 and
// writes replies and events to its fd 4, each a JSON object ended by a NUL
// byte. It needs no dependency and opens no port.
type cdp struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	mu     sync.Mutex
	nextID int
	wait   map[int]chan cdpMsg
	events chan cdpMsg
	done   chan struct{}
	stderr bytes.Buffer
}

type cdpMsg struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func startChromium(t *testing.T) *cdp {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("chromium not installed (%v): run scripts/setup, which installs Debian's chromium", err)
	}
	// Pipes: we write to cmdW (its fd 3) and read from outR (its fd 4).
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &cdp{wait: map[int]chan cdpMsg{}, events: make(chan cdpMsg, 1024), done: make(chan struct{})}
	c.cmd = exec.Command(chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--disable-default-apps", "--mute-audio", "--hide-scrollbars",
		// No name resolves and no proxy answers: nothing can leave the machine.
		"--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	c.cmd.ExtraFiles = []*os.File{cmdR, outW}
	c.cmd.Stderr = &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	cmdR.Close()
	outW.Close()
	c.in = cmdW
	go c.read(outR)
	t.Cleanup(func() { c.close() })
	return c
}

func (c *cdp) read(r io.ReadCloser) {
	defer close(c.done)
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		b, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m cdpMsg
		if json.Unmarshal(b[:len(b)-1], &m) != nil {
			continue
		}
		if m.ID != 0 {
			c.mu.Lock()
			ch := c.wait[m.ID]
			delete(c.wait, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		select {
		case c.events <- m:
		default: // a flood of events: keep reading replies
		}
	}
}

// call sends a command (to the browser when session is "") and waits for
// its reply.
func (c *cdp) call(ctx context.Context, session, method string, params any, result any) error {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan cdpMsg, 1)
	c.wait[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := c.in.Write(append(b, 0)); err != nil {
		return fmt.Errorf("cdp: %s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("cdp: %s: %s", method, m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-c.done:
		return fmt.Errorf("cdp: %s: chromium exited: %s", method, lastLines(c.stderr.String(), 5))
	case <-ctx.Done():
		return fmt.Errorf("cdp: %s: %w", method, ctx.Err())
	}
}

func (c *cdp) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.call(ctx, "", "Browser.close", nil, nil)
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// pageResult is what loading a page showed.
type pageResult struct {
	Errors   []string // console errors, uncaught exceptions, error log entries
	Requests []string // every URL requested other than the page itself
	Convs    []struct {
		ID     string `json:"id"`
		SVGs   int    `json:"svgs"`
		Arrows int    `json:"arrows"`
		Rows   int    `json:"rows"`
	}
	DetailShown string // the details panel's text after clicking the first arrow
	PNG         []byte
	session     string // the tab's CDP session, for eval and printToPDF
}

const probeJS = `(function () {
  var convs = Array.prototype.map.call(document.querySelectorAll("section.conv"), function (s) {
    return {id: s.id, svgs: s.querySelectorAll("svg.ladder").length,
      arrows: s.querySelectorAll("svg.ladder g.arrow").length,
      rows: s.querySelectorAll("table.packets tbody tr").length};
  });
  var g = document.querySelector("svg.ladder g.arrow"), shown = "";
  if (g) {
    g.dispatchEvent(new MouseEvent("click", {bubbles: true}));
    var p = document.getElementById("details");
    if (p && !p.hidden) { shown = p.querySelector("pre").textContent; }
  }
  return JSON.stringify({convs: convs, shown: shown});
})()`

// load opens path in a new tab with the network emulated offline, waits
// for the load event, probes the page and takes a full-page screenshot.
func (c *cdp) load(ctx context.Context, path string, maxHeight float64) (*pageResult, error) {
	return c.loadAt(ctx, path, maxHeight, 1100)
}

// loadAt is load in a window width CSS pixels wide.
func (c *cdp) loadAt(ctx context.Context, path string, maxHeight float64, width int) (*pageResult, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	pageURL := (&url.URL{Scheme: "file", Path: abs}).String()
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := c.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := c.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		return nil, err
	}
	s := att.SessionID
	for _, m := range []string{"Runtime.enable", "Log.enable", "Network.enable", "Page.enable"} {
		if err := c.call(ctx, s, m, nil, nil); err != nil {
			return nil, err
		}
	}
	if err := c.call(ctx, s, "Network.emulateNetworkConditions", map[string]any{
		"offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}, nil); err != nil {
		return nil, err
	}
	if err := c.call(ctx, s, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		return nil, err
	}
	if err := c.call(ctx, s, "Page.navigate", map[string]any{"url": pageURL}, nil); err != nil {
		return nil, err
	}
	res := &pageResult{session: s}
	event := func(m cdpMsg) bool { // reports the load event
		if m.SessionID != s {
			return false
		}
		switch m.Method {
		case "Page.loadEventFired":
			return true
		case "Network.requestWillBeSent":
			var p struct {
				Request struct {
					URL string `json:"url"`
				} `json:"request"`
			}
			json.Unmarshal(m.Params, &p)
			if p.Request.URL != pageURL && !strings.HasPrefix(p.Request.URL, "data:") {
				res.Requests = append(res.Requests, p.Request.URL)
			}
		case "Runtime.consoleAPICalled":
			var p struct {
				Type string `json:"type"`
				Args []struct {
					Value       any    `json:"value"`
					Description string `json:"description"`
				} `json:"args"`
			}
			json.Unmarshal(m.Params, &p)
			if p.Type == "error" || p.Type == "assert" {
				var parts []string
				for _, a := range p.Args {
					parts = append(parts, fmt.Sprint(a.Value)+a.Description)
				}
				res.Errors = append(res.Errors, "console."+p.Type+": "+strings.Join(parts, " "))
			}
		case "Runtime.exceptionThrown":
			var p struct {
				Details struct {
					Text      string `json:"text"`
					Exception struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			}
			json.Unmarshal(m.Params, &p)
			res.Errors = append(res.Errors, "exception: "+p.Details.Text+" "+p.Details.Exception.Description)
		case "Log.entryAdded":
			var p struct {
				Entry struct {
					Level, Text, URL string
				} `json:"entry"`
			}
			json.Unmarshal(m.Params, &p)
			if p.Entry.Level == "error" {
				res.Errors = append(res.Errors, "log: "+p.Entry.Text+" "+p.Entry.URL)
			}
		}
		return false
	}
	loaded := false
	for !loaded {
		select {
		case m := <-c.events:
			loaded = event(m)
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the page to load: %w", ctx.Err())
		}
	}
	var eval struct {
		Result struct {
			Value string `json:"value"`
		} `json:"result"`
	}
	if err := c.call(ctx, s, "Runtime.evaluate", map[string]any{"expression": probeJS, "returnByValue": true}, &eval); err != nil {
		return nil, err
	}
	var probe struct {
		Convs json.RawMessage `json:"convs"`
		Shown string          `json:"shown"`
	}
	if err := json.Unmarshal([]byte(eval.Result.Value), &probe); err != nil {
		return nil, fmt.Errorf("probe result %q: %w", eval.Result.Value, err)
	}
	if err := json.Unmarshal(probe.Convs, &res.Convs); err != nil {
		return nil, err
	}
	res.DetailShown = probe.Shown
	var metrics struct {
		Content struct {
			Width, Height float64
		} `json:"cssContentSize"`
	}
	if err := c.call(ctx, s, "Page.getLayoutMetrics", nil, &metrics); err != nil {
		return nil, err
	}
	var shot struct {
		Data string `json:"data"`
	}
	if err := c.call(ctx, s, "Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": metrics.Content.Width, "height": min(metrics.Content.Height, maxHeight), "scale": 1},
	}, &shot); err != nil {
		return nil, err
	}
	if res.PNG, err = base64.StdEncoding.DecodeString(shot.Data); err != nil {
		return nil, err
	}
	// Events that arrived after the load event.
	for {
		select {
		case m := <-c.events:
			event(m)
			continue
		default:
		}
		break
	}
	return res, nil
}

// eval evaluates expr, which returns a string, in the page of res.
func (c *cdp) eval(ctx context.Context, res *pageResult, expr string) (string, error) {
	var eval struct {
		Result struct {
			Value string `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := c.call(ctx, res.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &eval); err != nil {
		return "", err
	}
	if eval.Exception != nil {
		return "", fmt.Errorf("evaluating the probe: %s", eval.Exception.Text)
	}
	return eval.Result.Value, nil
}

// TestReportInBrowser loads the sample report from disk in headless
// chromium, offline, and checks that it renders with no console error and
// no request, that every conversation has its SVG with one arrow per
// packet, and that clicking an arrow shows the packet's fields. The
// screenshot is saved in the test's temporary directory, and in
// docs/img/sample-report.png with -update.
func TestReportInBrowser(t *testing.T) {
	c := startChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	for _, lang := range i18n.Langs {
		t.Run(string(lang), func(t *testing.T) {
			path := filepath.Join(dir, "report-"+string(lang)+".html")
			if err := os.WriteFile(path, sampleReport(t, lang), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := c.load(ctx, path, 16000)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Errors {
				t.Errorf("console error: %s", e)
			}
			for _, u := range res.Requests {
				t.Errorf("network request: %s", u)
			}
			convs := fixture.All()
			if len(res.Convs) != len(convs) {
				t.Fatalf("%d conversation sections rendered, want %d", len(res.Convs), len(convs))
			}
			for i, got := range res.Convs {
				want := len(convs[i].Packets)
				if got.ID != fmt.Sprintf("conv-%d", convs[i].Stream) || got.SVGs != 1 || got.Arrows != want || got.Rows != want {
					t.Errorf("section %s: %d SVGs, %d arrows, %d table rows; want conv-%d with 1 SVG, %d arrows and rows",
						got.ID, got.SVGs, got.Arrows, got.Rows, convs[i].Stream, want)
				}
			}
			if !strings.Contains(res.DetailShown, i18n.Msg(lang, "detail.frame", "frame", 1, "time", "0.000000")) {
				t.Errorf("clicking the first arrow showed %q, want its fields", res.DetailShown)
			}
			if !bytes.HasPrefix(res.PNG, []byte("\x89PNG")) {
				t.Fatalf("screenshot is not a PNG")
			}
			shot := filepath.Join(dir, "report-"+string(lang)+".png")
			if err := os.WriteFile(shot, res.PNG, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s (%d bytes)", shot, len(res.PNG))
			if *update && lang == i18n.English {
				// The README's picture: the top of the page (the
				// summary, the first ladder and its packet table).
				top, err := c.load(ctx, path, 1450)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Join("..", "..", "docs", "img"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("..", "..", "docs", "img", "sample-report.png"), top.PNG, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	// The checks can fail: a page with an external image and a console
	// error must be caught.
	t.Run("detects requests and errors", func(t *testing.T) {
		path := filepath.Join(dir, "bad.html")
		bad := `<!DOCTYPE html><html><body><img src="http://example.invalid/x.png"><script>console.error("boom")</script></body></html>`
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := c.load(ctx, path, 16000)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Requests) == 0 {
			t.Errorf("the external image was not seen as a request")
		}
		found := false
		for _, e := range res.Errors {
			found = found || strings.Contains(e, "boom")
		}
		if !found {
			t.Errorf("console.error not seen; errors: %q", res.Errors)
		}
	})
}
