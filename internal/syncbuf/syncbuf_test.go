package syncbuf

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestBufferConcurrent writes from several goroutines while reading; the
// race detector checks the locking, and every write must be kept whole.
func TestBufferConcurrent(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				fmt.Fprintf(&b, "g%d:%d\n", g, i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	got := b.String()
	if n := strings.Count(got, "\n"); n != 400 {
		t.Fatalf("%d lines, want 400:\n%s", n, got)
	}
	for g := range 4 {
		for i := range 100 {
			if line := fmt.Sprintf("g%d:%d\n", g, i); !strings.Contains(got, line) {
				t.Errorf("line %q missing", line)
			}
		}
	}
}

func TestWaitFor(t *testing.T) {
	var b Buffer
	go func() {
		b.Write([]byte("starting\n"))
		b.Write([]byte("listening on 127.0.0.1:4000\n"))
	}()
	tests := []struct {
		re   string
		want string
	}{
		{`listening on (\S+)`, "127.0.0.1:4000"},            // the group
		{`listening on \S+`, "listening on 127.0.0.1:4000"}, // no group: the whole match
		{`(starting)|(listening)`, ""},                      // the last group, which did not take part
	}
	for _, tt := range tests {
		if got := WaitFor(t, "output", &b, regexp.MustCompile(tt.re)); got != tt.want {
			t.Errorf("WaitFor(%q) = %q, want %q", tt.re, got, tt.want)
		}
	}
}
