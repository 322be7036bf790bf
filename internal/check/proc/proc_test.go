//go:build unix

package proc

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestExpand(t *testing.T) {
	got := Expand([]string{"python3", "server.py", "{port}", "--n={number}", "x{port}y"}, 2001, "42")
	want := []string{"python3", "server.py", "2001", "--n=42", "x2001y"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Expand (-want +got):\n%s", diff)
	}
	if got := Expand([]string{"{number}"}, 1, ""); got[0] != "{number}" {
		t.Errorf("Expand with no number = %q, want {number} kept", got)
	}
	if !HasPort([]string{"a", "--port={port}"}) || HasPort([]string{"a"}) {
		t.Error("HasPort is wrong")
	}
}

func TestStartEmpty(t *testing.T) {
	if _, err := Start(Spec{}); err != ErrNoCommand {
		t.Errorf("Start(empty) = %v, want ErrNoCommand", err)
	}
	if _, err := Start(Spec{Args: []string{"/nonexistent/tcplab-test-program"}}); err == nil {
		t.Error("Start(missing program) succeeded")
	}
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// TestStopKillsGroup starts a program that starts two children in the
// background (one of which ignores SIGTERM) and checks that Stop leaves
// none of them.
func TestStopKillsGroup(t *testing.T) {
	p, err := Start(Spec{Args: []string{"sh", "-c", `trap "" TERM; sleep 300 & echo $!; (trap "" TERM; sleep 300) & echo $!; wait`}})
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for end := time.Now().Add(5 * time.Second); len(pids) < 2 && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		pids = pids[:0]
		for _, f := range strings.Fields(p.Stdout()) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			pids = append(pids, n)
		}
	}
	if len(pids) < 2 {
		t.Fatalf("the program did not print its children's pids: %q", p.Stdout())
	}
	for _, pid := range append(pids, p.Pid()) {
		if !alive(pid) {
			t.Fatalf("process %d is not running before Stop", pid)
		}
	}
	p.Stop()
	e := p.Exit()
	if !e.Killed || e.Signal != "SIGKILL" {
		t.Errorf("Exit = %+v, want killed by SIGKILL (the shell ignores SIGTERM)", e)
	}
	for _, pid := range append(pids, p.Pid()) {
		if alive(pid) {
			t.Errorf("process %d survived Stop", pid)
		}
	}
	if GroupAlive(p.Pid()) {
		t.Errorf("process group %d still has processes", p.Pid())
	}
	p.Stop() // a second Stop is harmless
}

// TestExitKillsGroup: when the program exits by itself, what it left in
// the background goes too.
func TestExitKillsGroup(t *testing.T) {
	p, err := Start(Spec{Args: []string{"sh", "-c", `sleep 300 & echo $!`}})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Wait(5 * time.Second) {
		p.Stop()
		t.Fatal("the program did not exit")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(p.Stdout()))
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(2 * time.Second); alive(pid) && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	if alive(pid) {
		t.Errorf("the background child %d outlived its program", pid)
	}
	if e := p.Exit(); e.Code != 0 || e.Killed {
		t.Errorf("Exit = %+v, want status 0, not killed", e)
	}
}

func TestLimit(t *testing.T) {
	p, err := Start(Spec{Args: []string{"sleep", "300"}, Limit: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Wait(10 * time.Second) {
		p.Stop()
		t.Fatal("the time limit did not stop the program")
	}
	if e := p.Exit(); !e.TimedOut || !e.Killed {
		t.Errorf("Exit = %+v, want timed out and killed", e)
	}
}

func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		script, want string
		code         int
	}{
		{"exit 3", "exit status 3", 3},
		{"echo out; echo err >&2; exit 0", "exit status 0", 0},
		{"kill -SEGV $$", "killed by signal SIGSEGV", -1},
	} {
		t.Run(tc.script, func(t *testing.T) {
			p, err := Start(Spec{Args: []string{"sh", "-c", tc.script}, Stdin: strings.NewReader("")})
			if err != nil {
				t.Fatal(err)
			}
			if !p.Wait(10 * time.Second) {
				p.Stop()
				t.Fatal("the program did not exit")
			}
			e := p.Exit()
			if e.String() != tc.want || e.Code != tc.code || e.Killed {
				t.Errorf("Exit = %+v (%s), want %s", e, e, tc.want)
			}
		})
	}
	p, err := Start(Spec{Args: []string{"sh", "-c", "read x; echo got $x; echo oops >&2"}, Stdin: strings.NewReader("42\n")})
	if err != nil {
		t.Fatal(err)
	}
	p.Wait(10 * time.Second)
	p.Stop()
	if p.Stdout() != "got 42\n" || p.Stderr() != "oops\n" {
		t.Errorf("stdout %q, stderr %q; want \"got 42\\n\", \"oops\\n\"", p.Stdout(), p.Stderr())
	}
}

func TestBufferCap(t *testing.T) {
	var b Buffer
	big := strings.Repeat("x", MaxOutput-10)
	b.Write([]byte(big))
	if n, err := b.Write([]byte(strings.Repeat("y", 100))); n != 100 || err != nil {
		t.Errorf("Write past the cap = %d, %v; want 100, nil", n, err)
	}
	if got := len(b.String()); got != MaxOutput {
		t.Errorf("kept %d bytes, want %d", got, MaxOutput)
	}
}

func TestWaitListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p, err := Start(Spec{Args: []string{"python3", "-c", "import socket, time, sys; s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); time.sleep(0.2); s.listen(1); time.sleep(30)", strconv.Itoa(port)}})
	if err != nil {
		t.Skipf("python3: %v", err)
	}
	defer p.Stop()
	if err := WaitListening(context.Background(), p, port, 10*time.Second); err != nil {
		t.Errorf("WaitListening = %v, want nil", err)
	}
	q, err := Start(Spec{Args: []string{"sh", "-c", "exit 4"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := WaitListening(context.Background(), q, port+1, 10*time.Second); err == nil || !strings.Contains(err.Error(), "exit status 4") {
		t.Errorf("WaitListening of a program that exits = %v, want it to say exit status 4", err)
	}
}
