//go:build linux

package capture

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/tcptest"
)

// rec is a packet kept by a test: a copy of its bytes and its metadata.
type rec struct {
	ts     int64
	data   []byte
	length int
}

// collector keeps copies of the packets a Session delivers.
type collector struct {
	mu   sync.Mutex
	recs []rec
}

func (c *collector) add(p *Packet) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, rec{ts: p.Timestamp, data: append([]byte(nil), p.Data...), length: p.Length})
	return nil
}

func (c *collector) get() []rec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]rec(nil), c.recs...)
}

// startOrSkip starts a Session, skipping the test with the remedy when the
// process may not capture.
func startOrSkip(t *testing.T, ctx context.Context, cfg Config, w io.Writer, fn func(*Packet) error) *Session {
	t.Helper()
	s, err := Start(ctx, cfg, w, fn)
	var pe *PermissionError
	if errors.As(err, &pe) {
		t.Skipf("needs CAP_NET_RAW: %v", err)
	}
	if err != nil {
		t.Fatalf("Start(%+v) = %v", cfg, err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// labServer serves the lab's exchange on 127.0.0.1 (or ::1 when six):
// read one line, answer with one line, close. It returns the port.
func labServer(t *testing.T, six bool) int {
	t.Helper()
	network, addr := "tcp4", "127.0.0.1:0"
	if six {
		network, addr = "tcp6", "[::1]:0"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	tcptest.Serve(t, ln, labExchange)
	return ln.Addr().(*net.TCPAddr).Port
}

// serveLab serves the lab's exchange on ln until ln is closed, for a
// child process, which has no test to end it.
func serveLab(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			labExchange(c)
		}()
	}
}

// labExchange is the server's side of one lab exchange on c.
func labExchange(c net.Conn) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	// "name,number" or, to make large segments, "name,number,extra"
	// followed by extra bytes the server reads before replying.
	f := strings.Split(strings.TrimSpace(line), ",")
	if len(f) < 2 {
		return
	}
	if len(f) == 3 {
		extra, _ := strconv.Atoi(f[2])
		if _, err := io.CopyN(io.Discard, br, int64(extra)); err != nil {
			return
		}
	}
	fmt.Fprintf(c, "Server of Nuk,%s (for %s)\n", f[1], f[0])
}

// exchange runs one lab exchange with the server at addr and returns the
// reply; extra bytes are sent after the line when big > 0, to make large
// segments.
func exchange(addr string, n int, big int) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	msg := fmt.Sprintf("Client of Louis,%d\n", n)
	if big > 0 {
		msg = fmt.Sprintf("Client of Louis,%d,%d\n", n, big) + strings.Repeat("x", big)
	}
	if _, err := io.WriteString(c, msg); err != nil {
		return "", err
	}
	reply, err := io.ReadAll(c)
	return string(reply), err
}

// readFile reads every record of a capture file (pcaptest.ReadAll).
func readFile(t *testing.T, path string) ([]rec, *pcapio.Reader) {
	t.Helper()
	recs, rd := pcaptest.ReadAll(t, path)
	out := make([]rec, len(recs))
	for i, r := range recs {
		out[i] = rec{ts: r.Timestamp, data: r.Data, length: r.OrigLen}
	}
	return out, rd
}

func tempFile(t *testing.T, name string) (*os.File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	return f, path
}

// handshakes returns the number of distinct connection attempts in recs
// to port (SYNs without ACK, a retransmitted SYN counted once: same
// source port and sequence number), and reports whether two frames are
// byte for byte equal, which the two copies of a packet on lo would be (a
// retransmission differs in its TCP timestamp).
func handshakes(recs []rec, port int) (syns int, dup bool) {
	seen := map[string]bool{}
	frames := map[string]bool{}
	for _, r := range recs {
		if frames[string(r.data)] {
			dup = true
		}
		frames[string(r.data)] = true
		src, dst, flags, ok := tcpPorts(r.data)
		if !ok || flags&0x12 != 0x02 || dst != port {
			continue
		}
		key := fmt.Sprint(src, tcpHeader(r.data)[4:8])
		if !seen[key] {
			seen[key] = true
			syns++
		}
	}
	return syns, dup
}

// tcpHeader returns the TCP header and payload of an Ethernet IPv4 or
// IPv6 TCP frame, or nil for anything else.
func tcpHeader(frame []byte) []byte {
	if len(frame) < 14 {
		return nil
	}
	var l4 []byte
	switch {
	case frame[12] == 0x08 && frame[13] == 0x00 && len(frame) >= 34 && frame[23] == 6 && len(frame) >= 14+int(frame[14]&0xf)*4:
		l4 = frame[14+int(frame[14]&0xf)*4:]
	case frame[12] == 0x86 && frame[13] == 0xdd && len(frame) >= 54 && frame[20] == 6:
		l4 = frame[54:]
	}
	if len(l4) < 20 {
		return nil
	}
	return l4
}

// tcpPorts returns the source and destination ports and the flags of an
// Ethernet IPv4 or IPv6 TCP frame, ok false for anything else.
func tcpPorts(frame []byte) (src, dst int, flags byte, ok bool) {
	l4 := tcpHeader(frame)
	if l4 == nil {
		return 0, 0, 0, false
	}
	return int(l4[0])<<8 | int(l4[1]), int(l4[2])<<8 | int(l4[3]), l4[13], true
}
