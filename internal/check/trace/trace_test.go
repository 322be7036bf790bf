package trace

import (
	"net"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/tcptest"
)

// TestBegin records one exchange on loopback and checks the evidence: the
// handshake in the packet list, a ladder, and the pcapng's magic number.
func TestBegin(t *testing.T) {
	if err := Probe(); err != nil {
		t.Skipf("cannot capture here (%v): run the test as root or with CAP_NET_RAW", err)
	}
	addr := tcptest.Start(t, func(c net.Conn) {
		buf := make([]byte, 64)
		c.Read(buf)
		c.Write([]byte("Server of Nuk,7"))
	})
	_, port, _ := net.SplitHostPort(addr)
	p, err := net.LookupPort("tcp", port)
	if err != nil {
		t.Fatal(err)
	}
	end, err := (&Recorder{}).Begin(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := tcptest.Exchange(t, addr, "Client of Louis,42"); got != "Server of Nuk,7" {
		t.Fatalf("exchange got %q", got)
	}
	ev := end()
	if ev.Note != "" {
		t.Errorf("Note = %q, want none", ev.Note)
	}
	if len(ev.List) < 3 || !strings.Contains(ev.List[0], "[SYN]") || !strings.Contains(ev.List[1], "[SYN, ACK]") {
		t.Errorf("packet list does not start with the handshake:\n%s", strings.Join(ev.List, "\n"))
	}
	if !strings.Contains(ev.Ladder, "SYN") {
		t.Errorf("no ladder:\n%s", ev.Ladder)
	}
	if len(ev.PCAPNG) < 4 || string(ev.PCAPNG[:4]) != "\x0a\x0d\x0d\x0a" {
		t.Errorf("PCAPNG does not start with a section header block")
	}
}
