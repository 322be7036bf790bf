package render

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/conversation/fixture"
)

// TestJoinedLadderInBrowser loads the report of a conversation captured
// at both ends (fixture.Joined: a delayed transfer with a loss, a copy
// and a held-back segment) in headless chromium: it renders with no
// console error and no request, one arrow per packet plus the copy's,
// and its screenshot is the README's picture of the slanted ladder
// (docs/img/joined-ladder.png, rewritten with -update).
func TestJoinedLadderInBrowser(t *testing.T) {
	c := startChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conv := fixture.Joined()
	var buf bytes.Buffer
	if err := Report(&buf, []conversation.Conversation{conv}, ReportOptions{Title: "two capture points, one ladder"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "joined.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := c.loadAt(ctx, path, 1700, 900)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Errorf("console error: %s", e)
	}
	for _, u := range res.Requests {
		t.Errorf("network request: %s", u)
	}
	if len(res.Convs) != 1 || res.Convs[0].SVGs != 1 || res.Convs[0].Arrows < len(conv.Packets) {
		t.Fatalf("rendered %+v, want one conversation with one SVG and at least %d arrows", res.Convs, len(conv.Packets))
	}
	if !bytes.HasPrefix(res.PNG, []byte("\x89PNG")) {
		t.Fatal("screenshot is not a PNG")
	}
	if *update {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "img", "joined-ladder.png"), res.PNG, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
