package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// plainUser creates a system user for the test (removed at its end) and a
// working directory it owns, and returns its ids and the directory. It
// skips without root or useradd, and when this kernel refuses user
// namespaces to unprivileged users (then the demo's fallback is what a
// user meets, tested elsewhere).
func plainUser(t *testing.T) (uid, gid uint32, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a plain user for the test (run the tests as root, as CI does)")
	}
	for _, tool := range []string{"useradd", "userdel", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	name := fmt.Sprintf("tcplabt%d", rand.IntN(1e6))
	if out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	idOf := func(flag string) uint32 {
		out, err := exec.Command("id", flag, name).Output()
		if err != nil {
			t.Fatal(err)
		}
		v, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		return uint32(v)
	}
	uid, gid = idOf("-u"), idOf("-g")
	dir, err := os.MkdirTemp("", "tcplab-plain-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		t.Fatal(err)
	}
	// Does this kernel give the user namespaces at all?
	probe := exec.Command("unshare", "--user", "--map-root-user", "--net", "--mount", "true")
	probe.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, NoSetGroups: true}}
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("this kernel refuses user namespaces to a plain user (%v: %s): the demo then says why", err, bytes.TrimSpace(out))
	}
	return uid, gid, dir
}

// asUser returns the command running bin with args as uid:gid in dir,
// with no capability and a plain environment.
func asUser(ctx context.Context, bin string, uid, gid uint32, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir, "LANG=C.UTF-8"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, NoSetGroups: true}}
	return cmd
}

// TestDemoAsPlainUser runs the real binary as a plain user the test
// creates: the lab and the impaired transfer run in tcplab's own user
// namespace, capture, and write files the user owns; no sudo.
func TestDemoAsPlainUser(t *testing.T) {
	uid, gid, dir := plainUser(t)
	binDir, err := os.MkdirTemp("", "tcplab-bin-") // t.TempDir's parent is not the user's to enter
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin, err := buildTCPLab(binDir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		files map[string]int // capture files and their fewest packets
		want  []string
	}{
		{"lab", []string{"demo", "-w", "lab.pcapng", "--html", "lab.html"}, map[string]int{"lab.pcapng": 18},
			[]string{"  Sum: ", "── Packets: "}},
		{"impaired transfer", []string{"demo", "--impair", "loss=5%,delay=20ms", "--transfer", "1MB", "-w", "imp.pcapng", "--html", "imp.html"},
			map[string]int{"imp.pcapng": 500, "imp-client.pcapng": 500}, []string{"the server read 1000000 bytes", "TCP_INFO"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			var stdout, stderr bytes.Buffer
			cmd := asUser(ctx, bin, uid, gid, dir, tt.args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("tcplab %s as a plain user: %v\nstderr:\n%s\nstdout:\n%s", strings.Join(tt.args, " "), err, stderr.String(), stdout.String())
			}
			if !strings.Contains(stderr.String(), "namespaces of its own") {
				t.Errorf("stderr does not say the lab ran in its own namespaces:\n%s", stderr.String())
			}
			containsAll(t, "demo as a plain user", stdout.String(), tt.want)
			for file, least := range tt.files {
				path := filepath.Join(dir, file)
				st, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if s := st.Sys().(*syscall.Stat_t); s.Uid != uid || s.Gid != gid {
					t.Errorf("%s belongs to %d:%d, want the user's %d:%d", file, s.Uid, s.Gid, uid, gid)
				}
				if recs, _ := pcaptest.ReadAll(t, path); len(recs) < least {
					t.Errorf("%s holds %d packets, want at least %d", file, len(recs), least)
				}
			}
		})
	}
	t.Run("kill -9 leaves nothing", func(t *testing.T) { killLeavesNothing(t, bin, uid, gid, dir) })
}

// killLeavesNothing starts a long impaired transfer as the plain user,
// kills tcplab with SIGKILL in the middle of it, and checks that no
// process of the user remains and no network namespace was left in /run.
func killLeavesNothing(t *testing.T, bin string, uid, gid uint32, dir string) {
	before, _ := os.ReadDir("/run/netns")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := asUser(ctx, bin, uid, gid, dir, "demo", "--impair", "delay=20ms,rate=8mbit", "--transfer", "100MB", "-w", "kill.pcapng", "--html", "")
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sending := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "sending 100000000 bytes") {
				sending <- true
			}
		}
	}()
	select {
	case <-sending:
	case <-ctx.Done():
		t.Fatal("the transfer did not start")
	}
	time.Sleep(time.Second) // the transfer, its captures and the bridge are running
	if n := len(userProcesses(uid)); n < 2 {
		t.Errorf("%d processes of the user while the transfer runs, want tcplab and its child in the namespaces at least", n)
	}
	cmd.Process.Kill()
	cmd.Wait()
	pw.Close()
	deadline := time.Now().Add(10 * time.Second)
	for len(userProcesses(uid)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if left := userProcesses(uid); len(left) > 0 {
		t.Errorf("after kill -9, processes of the user remain: %v", left)
	}
	after, _ := os.ReadDir("/run/netns")
	if len(after) > len(before) {
		t.Errorf("after kill -9, /run/netns has %d entries, %d before", len(after), len(before))
	}
}

// userProcesses returns the command names of the live processes whose
// real user is uid (zombies, already dead, are not counted).
func userProcesses(uid uint32) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		var name, state string
		var ruid uint64 = 1 << 40
		for line := range strings.SplitSeq(string(b), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) >= 2 && f[0] == "Name:":
				name = f[1]
			case len(f) >= 2 && f[0] == "State:":
				state = f[1]
			case len(f) >= 2 && f[0] == "Uid:":
				ruid, _ = strconv.ParseUint(f[1], 10, 32)
			}
		}
		if ruid == uint64(uid) && state != "Z" {
			found = append(found, e.Name()+" "+name)
		}
	}
	return found
}

// TestDemoSwitchesStackWhenRefused: where the kernel refuses user
// namespaces, a plain user's demo says which switch refuses them and runs
// the lab on tcplab's user-space stack instead, captured. The refusal is
// made for this test alone: user.max_user_namespaces is a limit of each
// user namespace, so the test runs tcplab as a plain user inside one
// whose limit is 0, with every capability dropped.
func TestDemoSwitchesStackWhenRefused(t *testing.T) {
	uid, gid, dir := plainUser(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv not installed (apt-get install util-linux)")
	}
	binDir, err := os.MkdirTemp("", "tcplab-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin, err := buildTCPLab(binDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	script := `echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --inh-caps=-all --bounding-set=-all "$0" demo -w sw.pcapng --html ""`
	cmd := asUser(ctx, "unshare", uid, gid, dir, "--user", "--map-root-user", "sh", "-c", script, bin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo where user namespaces are refused: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	containsAll(t, "the refusal and the switch (stderr)", stderr.String(), []string{
		"user namespaces refused: the sysctl user.max_user_namespaces is 0",
		"user-space TCP/IP stack instead",
	})
	containsAll(t, "the demo on netstack", stdout.String(), []string{"Whose TCP: gVisor's netstack", "  Sum: ", "── Packets: "})
	if recs, _ := pcaptest.ReadAll(t, filepath.Join(dir, "sw.pcapng")); len(recs) < 18 {
		t.Errorf("the capture holds %d packets, want the lab's two exchanges (18 or more)", len(recs))
	}
}
