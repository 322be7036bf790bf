package cli

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/syncbuf"
	"github.com/tcplab/tcplab/internal/tcptest"
)

// These tests run the lab's original Python programs
// (../shared/seed/original_server.py and original_client.py, beside the
// repository) against tcplab in both directions and compare wire bytes and
// printed lines.

// seedDir returns the directory of the Python originals, or skips the
// test naming what is missing.
func seedDir(t *testing.T) (python, dir string) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed (apt-get install python3): cannot run the lab's originals")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Skipf("no go.mod above %s: cannot find the repository root", wd)
		}
		root = parent
	}
	dir = filepath.Join(root, "..", "shared", "seed")
	for _, f := range []string{"original_server.py", "original_client.py"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Skipf("the lab's originals are not beside the repository (%v): put them in %s to run this test", err, dir)
		}
	}
	return python, dir
}

// pythonEnv makes the originals print UTF-8 and unbuffered whatever the
// locale.
var pythonEnv = append(os.Environ(), "PYTHONIOENCODING=utf-8", "PYTHONUNBUFFERED=1")

// originalServer runs original_server.py on a free loopback port until the
// test ends and returns its port and standard output.
func originalServer(t *testing.T) (port int, stdout *syncbuf.Buffer) {
	t.Helper()
	python, dir := seedDir(t)
attempts:
	for attempt := 0; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		stdout = &syncbuf.Buffer{}
		stderr := &syncbuf.Buffer{}
		cmd := exec.Command(python, "-u", filepath.Join(dir, "original_server.py"), strconv.Itoa(port))
		cmd.Env = pythonEnv
		cmd.Stdout, cmd.Stderr = stdout, stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() { cmd.Process.Kill(); <-exited })
		want := fmt.Sprintf("listening on 127.0.0.1:%d\n", port)
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			if stdout.String() == want {
				return port, stdout
			}
			select {
			case <-exited:
				if attempt < 3 { // the free port was taken meanwhile
					continue attempts
				}
				t.Fatalf("original_server.py exited: %s", stderr)
			default:
			}
		}
		t.Fatalf("original_server.py did not print %q; stdout %q, stderr %q", want, stdout, stderr)
	}
}

// originalClient runs original_client.py against port with stdin and
// returns its standard output, standard error and exit error.
func originalClient(t *testing.T, port int, stdin string) (stdout, stderr string, err error) {
	t.Helper()
	python, dir := seedDir(t)
	cmd := exec.Command(python, "-u", filepath.Join(dir, "original_client.py"), strconv.Itoa(port))
	cmd.Env = pythonEnv
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

var portRE = regexp.MustCompile(`\('127\.0\.0\.1', \d+\)`)

// normalizePorts replaces client ports in "Connection from" lines.
func normalizePorts(s string) string { return portRE.ReplaceAllString(s, "('127.0.0.1', PORT)") }

var serverNumberRE = regexp.MustCompile(`Server Number: (\d+)\n`)

// TestInteropClientToOriginalServer runs tcplab's client against the
// original server: in range, with white space, and out of range.
func TestInteropClientToOriginalServer(t *testing.T) {
	t.Run("in range", func(t *testing.T) {
		port, pyOut := originalServer(t)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		out, errs, code := runCLIClient(t, " 42\n", "--addr", addr)
		if code != 0 {
			t.Fatalf("tcplab client exit %d: %s", code, errs)
		}
		m := serverNumberRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("tcplab client output has no Server Number: %q", out)
		}
		n, _ := strconv.Atoi(m[1])
		wantClient := fmt.Sprintf("Enter the number between 1 and 100:Client Name: Client of Louis\nServer Name: Server of Nuk\nClient Number:  42\nServer Number: %d\nSum: %d\n", n, 42+n)
		if diff := cmp.Diff(wantClient, out); diff != "" {
			t.Errorf("tcplab client lines (-want +got):\n%s", diff)
		}
		wantServer := fmt.Sprintf("listening on %s\nConnection from ('127.0.0.1', PORT)\nClient_name: Client of Louis\nServer_name: Server of Nuk\nClient_number:  42\nServer_number: %d\nSum: %d\n", addr, n, 42+n)
		syncbuf.WaitFor(t, "original server output", pyOut, regexp.MustCompile(`Sum: \d+\n`))
		if diff := cmp.Diff(wantServer, normalizePorts(pyOut.String())); diff != "" {
			t.Errorf("original server lines (-want +got):\n%s", diff)
		}
	})
	t.Run("out of range", func(t *testing.T) {
		port, pyOut := originalServer(t)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		out, errs, code := runCLIClient(t, "", "--addr", addr, "--send-out-of-range", "150")
		want := "server " + addr + " closed the connection without replying: the number 150 is outside 1..100"
		if code != 1 || out != "" || !strings.Contains(errs, want) {
			t.Errorf("tcplab client: exit %d, stdout %q, stderr %q; want exit 1, nothing on stdout, %q", code, out, errs, want)
		}
		syncbuf.WaitFor(t, "original server output", pyOut, regexp.MustCompile(`Closing connection\.\n`))
		wantServer := "listening on " + addr + "\nConnection from ('127.0.0.1', PORT)\nClient number is not in the range 1 to 100. Closing connection.\n"
		if diff := cmp.Diff(wantServer, normalizePorts(pyOut.String())); diff != "" {
			t.Errorf("original server lines (-want +got):\n%s", diff)
		}
	})
}

// TestInteropOriginalClientToServer runs the original client against
// tcplab's server, in range and out of range.
func TestInteropOriginalClientToServer(t *testing.T) {
	s := startCLIServer(t, "--seed", "9")
	n := seededNumbers(9, 1)[0]
	port := s.addr[strings.LastIndexByte(s.addr, ':')+1:]
	p, _ := strconv.Atoi(port)

	out, errs, err := originalClient(t, p, "42\n")
	if err != nil {
		t.Fatalf("original_client.py: %v\n%s", err, errs)
	}
	wantClient := fmt.Sprintf("Enter the number between 1 and 100:Client Name: Client of Louis\nServer Name: Server of Nuk\nClient Number: 42\nServer Number: %d\nSum: %d\n", n, 42+n)
	if diff := cmp.Diff(wantClient, out); diff != "" {
		t.Errorf("original client lines (-want +got):\n%s", diff)
	}

	// Out of range: tcplab's server closes without replying, as the
	// original does, so the original client fails unpacking the empty
	// reply.
	out, errs, err = originalClient(t, p, "150\n")
	if err == nil || !strings.Contains(errs, "ValueError") || out != "Enter the number between 1 and 100:" {
		t.Errorf("original client with 150: err %v, stdout %q, stderr %q; want it to fail on the empty reply as against the original server", err, out, errs)
	}
	syncbuf.WaitFor(t, "server output", s.stdout, regexp.MustCompile(`Closing connection\.\n`))
	wantServer := fmt.Sprintf("listening on %s\n"+
		"Connection from ('127.0.0.1', PORT)\nClient_name: Client of Louis\nServer_name: Server of Nuk\nClient_number: 42\nServer_number: %d\nSum: %d\n"+
		"Connection from ('127.0.0.1', PORT)\nClient number is not in the range 1 to 100. Closing connection.\n", s.addr, n, 42+n)
	if diff := cmp.Diff(wantServer, normalizePorts(s.stdout.String())); diff != "" {
		t.Errorf("tcplab server lines (-want +got):\n%s", diff)
	}
}

// TestInteropClientsAgree runs the original client and tcplab's client
// with the same standard input against a recording server with a fixed
// reply: the requests on the wire and everything printed must be the same
// bytes.
func TestInteropClientsAgree(t *testing.T) {
	seedDir(t)
	addr, reqs := replyServer(t, func(string) string { return "Server of Nuk,17" })
	port, _ := strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])
	for _, stdin := range []string{"42\n", " 42\n", "1\n", "100\n", "٤٢\n", "4_2\n", "42"} {
		t.Run(strconv.Quote(stdin), func(t *testing.T) {
			pyOut, pyErr, err := originalClient(t, port, stdin)
			if err != nil {
				t.Fatalf("original_client.py: %v\n%s", err, pyErr)
			}
			pyReq := <-reqs
			out, errs, code := runCLIClient(t, stdin, "--addr", addr)
			if code != 0 {
				t.Fatalf("tcplab client exit %d: %s", code, errs)
			}
			req := <-reqs
			if req != pyReq {
				t.Errorf("request bytes: tcplab %q, original %q", req, pyReq)
			}
			if diff := cmp.Diff(pyOut, out); diff != "" {
				t.Errorf("stdout (-original +tcplab):\n%s", diff)
			}
		})
	}
}

// TestInteropServersAgree sends the same request bytes to the original
// server and to tcplab's: the replies must have the same form and the
// printed lines must be the same apart from the random number and the
// client port.
func TestInteropServersAgree(t *testing.T) {
	seedDir(t)
	for _, req := range []string{"Client of Louis,42", "Client of Louis, 42 ", "李旼學,7", "Client of Louis,100", "Client of Louis,150", "Client of Louis,0"} {
		t.Run(strconv.Quote(req), func(t *testing.T) {
			pyPort, pyOut := originalServer(t)
			s := startCLIServer(t)
			var lines [2]string
			for i, addr := range []string{fmt.Sprintf("127.0.0.1:%d", pyPort), s.addr} {
				c := tcptest.DialSend(t, addr, req)
				reply, err := io.ReadAll(c)
				if err != nil {
					t.Fatalf("%s: reading the reply: %v", addr, err)
				}
				out := []*syncbuf.Buffer{pyOut, s.stdout}[i]
				syncbuf.WaitFor(t, "server output", out, regexp.MustCompile(`Sum: \d+\n|Closing connection\.\n`))
				got := normalizePorts(out.String())
				got = strings.Replace(got, "listening on "+addr+"\n", "", 1)
				if len(reply) > 0 {
					m := regexp.MustCompile(`^Server of Nuk,(\d+)$`).FindSubmatch(reply)
					if m == nil {
						t.Fatalf("%s: reply %q, want Server of Nuk,<number>", addr, reply)
					}
					if !strings.Contains(got, "Server_number: "+string(m[1])+"\n") {
						t.Errorf("%s: printed lines do not show the number replied (%s):\n%s", addr, m[1], got)
					}
					got = regexp.MustCompile(`Server_number: \d+\nSum: \d+\n`).ReplaceAllString(got, "Server_number: N\nSum: S\n")
				}
				lines[i] = got
			}
			if diff := cmp.Diff(lines[0], lines[1]); diff != "" {
				t.Errorf("printed lines (-original +tcplab):\n%s", diff)
			}
		})
	}
}
