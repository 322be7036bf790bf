package check

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/i18n"
)

// results maps a report's results by id.
func results(rep *Report) map[string]Result {
	m := map[string]Result{}
	for _, r := range rep.Results {
		m[r.ID] = r
	}
	return m
}

// TestWrongServer feeds deliberately wrong servers to the checks: each
// fault is reported by the check that should catch it, with its reason,
// and the other in-range checks pass.
func TestWrongServer(t *testing.T) {
	for _, tc := range []struct {
		fault, id, reason string
	}{
		{"good", "", ""},
		{"wrong-sum", "lines", "for 1 the server printed Sum: 59, but 1 + 57 = 58"},
		{"no-close", "close", "the connection of 1 was still open 2s after the reply"},
		{"newline", "reply", `ends with a newline`},
		{"answers-oor", "out-of-range", `0 was answered with "Server of Nuk,57"`},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rep, err := CheckServer(ctx, ServerConfig{Command: fakeCommand(t, tc.fault), Only: []string{"start", "in-range", "out-of-range"}, Lang: i18n.English})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rep.Results {
				want := Pass
				if r.ID == tc.id {
					want = Fail
				}
				if r.Status != want {
					t.Errorf("%s: %s (%s), want %s", r.ID, r.Status, r.Reason, want)
				}
				if r.ID == tc.id && (!strings.Contains(r.Reason, tc.reason) || r.Hint == "") {
					t.Errorf("%s: reason %q, hint %q; want the reason to contain %q and a hint", r.ID, r.Reason, r.Hint, tc.reason)
				}
			}
			if len(rep.Results) != 5 {
				t.Errorf("%d results, want 5 (start, reply, close, lines, out-of-range)", len(rep.Results))
			}
			if want := map[bool]int{true: 0, false: 1}[tc.id == ""]; rep.ExitCode() != want {
				t.Errorf("ExitCode = %d, want %d", rep.ExitCode(), want)
			}
		})
	}
}

// TestCheckServerLeavesNothing runs a server that starts a child in the
// background and checks that the child is gone when CheckServer returns.
func TestCheckServerLeavesNothing(t *testing.T) {
	pidFile := t.TempDir() + "/pid"
	t.Setenv(fakeEnv, "good")
	cmd := []string{"sh", "-c", `sleep 300 & echo $! > ` + pidFile + `; exec "$0" -test.run='^$' "$1"`, os.Args[0], "{port}"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := CheckServer(ctx, ServerConfig{Command: cmd, Only: []string{"start", "in-range"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := results(rep)["reply"]; r.Status != Pass {
		t.Fatalf("reply: %s: %s", r.Status, r.Reason)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(2 * time.Second); running(pid) && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	if running(pid) {
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
		t.Errorf("the server's background child %d outlived the check", pid)
	}
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}

func TestLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:2000": true, "[::1]:2000": true, "localhost:2000": true, "127.1.2.3:80": true,
		"10.0.0.1:2000": false, "example.com:80": false, "127.0.0.1": false, "127.0.0.1:99999": false,
	} {
		if err := loopbackOnly(addr); (err == nil) != ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
	if _, err := CheckServer(context.Background(), ServerConfig{Addr: "10.1.2.3:2000"}); err == nil {
		t.Error("CheckServer accepted a non-loopback address")
	}
}

func TestParseLines(t *testing.T) {
	got := parseLines("Connection from ('127.0.0.1', 5)\nClient_name: A, B\nserver name:  S \nSUM: 3\nSum: 9\n")
	want := map[string]string{"connectionfrom('127.0.0.1', 5)": "", "clientname": "A, B", "servername": "S", "sum": "3"}
	for k, v := range want {
		if k[0] == 'c' && strings.HasPrefix(k, "connection") {
			continue
		}
		if got[k] != v {
			t.Errorf("parseLines: %s = %q, want %q", k, got[k], v)
		}
	}
}

// TestServerThatDoesNotStart: start fails with the program's last line,
// and every other check is skipped without starting it again.
func TestServerThatDoesNotStart(t *testing.T) {
	marks := t.TempDir() + "/starts"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := CheckServer(ctx, ServerConfig{Command: []string{"sh", "-c", `echo x >> "$0"; echo "cannot bind {port}" >&2; exit 2`, marks}, Lang: i18n.English})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		want := Skip
		if r.ID == "start" {
			want = Fail
		}
		if r.Status != want {
			t.Errorf("%s: %s (%s), want %s", r.ID, r.Status, r.Reason, want)
		}
	}
	if r := rep.Results[0]; !strings.Contains(r.Reason, "exit status 2") || !strings.Contains(r.Reason, "cannot bind") {
		t.Errorf("start reason %q, want the exit status and the program's last line", r.Reason)
	}
	if b, err := os.ReadFile(marks); err != nil || strings.Count(string(b), "x") != 1 {
		t.Errorf("the program was started %q times (%v), want once", b, err)
	}
}
