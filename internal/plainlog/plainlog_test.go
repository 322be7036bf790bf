package plainlog

import (
	"bytes"
	"log/slog"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNew(t *testing.T) {
	var buf bytes.Buffer
	logger := New(&buf)
	logger.Debug("hidden")
	logger.With("server", "Server of Nuk").WithGroup("conn").Warn("closed connection",
		"peer", "127.0.0.1:5", "reason", `bad "x"`, "n", 3, "empty", "", slog.Group("g", "a", 1))
	got := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} `).ReplaceAllString(buf.String(), "TIME ")
	want := `TIME WARN closed connection server="Server of Nuk" conn.peer=127.0.0.1:5 conn.reason="bad \"x\"" conn.n=3 conn.empty="" conn.g.a=1` + "\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plain log line (-want +got):\n%s", diff)
	}
}
