// Package pcaptest makes real captures for tests: it records loopback
// traffic it generates itself with tcpdump, and reads files back with
// tshark, the ground truth tcplab is compared against.
//
// Tests that use it need root (to capture) and the tools; without them
// they skip, naming the remedy.
package pcaptest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/pcapio"
)

// NeedTools skips the test unless every named program is on $PATH,
// naming the Debian package that installs a missing one.
func NeedTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install %s, or run scripts/setup): %v", tool, debianPackage(tool), err)
		}
	}
}

// debianPackage names the Debian package that installs tool: tshark
// brings Wireshark's command-line tools (capinfos, editcap, mergecap)
// along.
func debianPackage(tool string) string {
	switch tool {
	case "capinfos", "editcap", "mergecap":
		return "tshark"
	}
	return tool
}

// NeedRoot skips the test unless it runs as root (capturing needs
// CAP_NET_RAW).
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("capturing needs root or CAP_NET_RAW: run the tests as root (sudo go test)")
	}
}

// Capture is one tcpdump run.
type Capture struct {
	Name string   // file name under the test's temporary directory
	Args []string // tcpdump arguments besides -w, -U, -n, --immediate-mode, -B and the filter; e.g. "-i", "lo"
	// Traffic generates the packets to capture through the two listeners,
	// whose ports the capture filter selects. Nil means Exchange.
	Traffic func(t testing.TB, v4, v6 net.Listener)
}

// Run captures c's traffic on loopback (IPv4 127.0.0.1 and IPv6 ::1) with
// tcpdump into dir and returns the file's path. It fails the test if
// tcpdump does not start or captures nothing.
func Run(t testing.TB, dir string, c Capture) string {
	t.Helper()
	NeedRoot(t)
	NeedTools(t, "tcpdump")
	v4, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer v4.Close()
	v6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer v6.Close()
	p4, p6 := v4.Addr().(*net.TCPAddr).Port, v6.Addr().(*net.TCPAddr).Port
	path := filepath.Join(dir, c.Name)
	traffic := c.Traffic
	if traffic == nil {
		traffic = Exchange
	}
	args := append(slices.Clip(c.Args), fmt.Sprintf("tcp port %d or tcp port %d", p4, p6))
	Tcpdump(t, path, args, func() { traffic(t, v4, v6) })
	if st, err := os.Stat(path); err != nil || st.Size() <= 24 {
		t.Fatalf("tcpdump %v captured nothing (%v)", args, err)
	}
	return path
}

// Tcpdump runs tcpdump writing file, with args (the interface, other
// options and the capture filter last: "-i", "lo", "tcp port 2000"), calls
// fn once tcpdump captures, and stops tcpdump when the file has stopped
// growing. tcpdump writes each packet at once (-U), so fn can read the
// capture so far. Tcpdump adds -w, -U, -n, --immediate-mode and -B; it
// skips the test without root or tcpdump, and fails it if tcpdump does
// not start or fails.
func Tcpdump(t testing.TB, file string, args []string, fn func()) {
	t.Helper()
	NeedRoot(t)
	NeedTools(t, "tcpdump")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// --immediate-mode: with TPACKET_V3, libpcap otherwise hands packets
	// over only when a ring block fills or its 1 s timeout expires, and a
	// capture stopped before that loses them. Immediate mode uses
	// TPACKET_V2, whose ring slots are snap-length sized: -B 32768 (32
	// MiB) keeps a burst of 64 KiB loopback segments from overflowing it.
	args = append([]string{"-w", file, "-U", "-n", "--immediate-mode", "-B", "32768"}, args...)
	cmd := exec.CommandContext(ctx, "tcpdump", args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting tcpdump %v: %v", args, err)
	}
	// tcpdump says "listening on" once its socket is bound.
	ready := make(chan error, 1)
	var tail bytes.Buffer
	var tailMu sync.Mutex
	tailText := func() string {
		tailMu.Lock()
		defer tailMu.Unlock()
		return tail.String()
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			tailMu.Lock()
			tail.WriteString(sc.Text() + "\n")
			tailMu.Unlock()
			if !sent && strings.Contains(sc.Text(), "listening on") {
				ready <- nil
				sent = true
			}
		}
		if !sent {
			ready <- errors.New("tcpdump exited before listening")
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			cmd.Wait()
			t.Fatalf("tcpdump %v: %v: %s", args, err, tailText())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("tcpdump %v did not start listening within 20 s", args)
	}
	// tcpdump says it is listening a moment before its filter sees every
	// packet, on a loaded machine.
	time.Sleep(300 * time.Millisecond)
	fn()
	// Wait (at most 5 s) for the file to stop growing: tcpdump drops what
	// it has not read yet when interrupted.
	last := int64(-1)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		time.Sleep(300 * time.Millisecond)
		st, err := os.Stat(file)
		if err != nil || st.Size() == last {
			break
		}
		last = st.Size()
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("tcpdump %v: %v: %s", args, err, tailText())
	}
}

// Exchange runs a few connections over each listener: the client sends
// 0, 1, 1000 and 100000 bytes (the last spans several large loopback
// segments), the server echoes them and both close.
func Exchange(t testing.TB, v4, v6 net.Listener) {
	t.Helper()
	for _, ln := range []net.Listener{v4, v6} {
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 4 {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.Copy(c, c)
				c.Close()
			}
		})
		for _, n := range []int{0, 1, 1000, 100000} {
			c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			msg := bytes.Repeat([]byte("tcplab"), n/6+1)[:n]
			go func() {
				c.Write(msg)
				c.(*net.TCPConn).CloseWrite()
			}()
			got, err := io.ReadAll(c)
			c.Close()
			if err != nil || len(got) != n {
				t.Fatalf("echo of %d bytes: got %d bytes, %v", n, len(got), err)
			}
		}
		wg.Wait()
	}
}

// Tshark runs tshark -r file with args (typically -T fields -e ...) and
// returns its output lines split at tabs, one per line, empty lines
// included (-T fields prints one per packet). It fails the test if tshark
// fails or writes anything to stderr other than its root warning.
func Tshark(t testing.TB, file string, args ...string) [][]string {
	t.Helper()
	NeedTools(t, "tshark")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "tshark", append([]string{"-r", file}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var complaints []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "Running as user") {
			complaints = append(complaints, l)
		}
	}
	if err != nil || len(complaints) > 0 {
		t.Fatalf("tshark -r %s %v: %v: %s", file, args, err, strings.Join(complaints, "\n"))
	}
	if stdout.Len() == 0 {
		return nil
	}
	var rows [][]string
	for _, l := range strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
		rows = append(rows, strings.Split(l, "\t"))
	}
	return rows
}

// Command runs a tool (editcap, mergecap, capinfos) and fails the test
// with its output if it fails. It returns the standard output.
func Command(t testing.TB, name string, args ...string) string {
	t.Helper()
	NeedTools(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("%s %v: %v: %s", name, args, err, ee.Stderr)
		}
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}

// Open opens file with a pcapio.Reader, which stays open until the test
// ends. It fails the test if the file does not open or does not start as
// a capture file.
func Open(t testing.TB, file string) *pcapio.Reader {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rd, err := pcapio.NewReader(f)
	if err != nil {
		t.Fatalf("NewReader(%s): %v", file, err)
	}
	return rd
}

// ReadAll reads every record of file with pcapio, each with its own copy
// of the data, and returns them with the reader (for its interfaces and
// statistics). It fails the test on any error.
func ReadAll(t testing.TB, file string) ([]pcapio.Record, *pcapio.Reader) {
	t.Helper()
	rd := Open(t, file)
	var recs []pcapio.Record
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return recs, rd
		}
		if err != nil {
			t.Fatalf("%s: Next after %d records: %v", file, len(recs), err)
		}
		rec.Data = bytes.Clone(rec.Data)
		recs = append(recs, rec)
	}
}
