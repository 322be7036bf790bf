package listing

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/dfilter"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// writeCutCapture writes a capture of a short conversation in which the
// snap length cut the TCP header of some segments after their ports but
// before their window (4 to 15 bytes of it captured).
func writeCutCapture(t *testing.T) string {
	t.Helper()
	e := endpoints{ep("10.0.0.1:40000"), ep("10.0.0.2:2000")}
	segs := []seg{
		{seq: 100, flags: fS, win: 64240, opts: synOpts},
		{fromB: true, seq: 500, ack: 101, flags: fS | fA, win: 65160, opts: synOpts},
		{seq: 101, ack: 501, flags: fA, win: 502},
		{seq: 101, ack: 501, flags: fA | fP, win: 502, payload: 20},
		{fromB: true, seq: 501, ack: 121, flags: fA, win: 509},
		{fromB: true, seq: 501, ack: 121, flags: fA | fP, win: 509, payload: 10},
		{seq: 121, ack: 511, flags: fA | fF, win: 502},
		{fromB: true, seq: 511, ack: 122, flags: fA | fF, win: 509},
		{seq: 122, ack: 512, flags: fA, win: 502},
	}
	// How many TCP bytes each frame keeps (0: all).
	cuts := []int{0, 0, 4, 0, 9, 0, 12, 15, 0}
	path := filepath.Join(t.TempDir(), "cut.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcapio.NewPcapWriter(f, pcapio.PcapOptions{Link: decode.LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range segs {
		data := e.frame(s)
		kept := data
		if cuts[i] != 0 {
			kept = data[:14+20+cuts[i]]
		}
		if err := w.WritePacket(1_700_000_000_000_000_000+int64(i)*1000, kept, len(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCutHeaderFilterAgainstTshark: -Y lists a TCP header cut before its
// window exactly as tshark does: a filter sees its ports (and the frame
// and IP fields), none of TCP's other fields; -T fields prints its
// fields as tshark prints them.
func TestCutHeaderFilterAgainstTshark(t *testing.T) {
	needTshark(t)
	file := writeCutCapture(t)
	for _, src := range []string{
		"tcp", "tcp.port == 2000", "tcp.srcport == 40000", "tcp.dstport == 40000",
		"tcp.seq >= 0", "!(tcp.seq > 0)", "tcp.flags.ack == 1", "!tcp.flags.ack",
		"!tcp.analysis.flags", "tcp.len == 0", "not tcp.len > 0", "frame.len > 60",
		"tcp.stream == 0", "ip.src == 10.0.0.1", "!(tcp.window_size_value > 0)",
		"tcp.hdr_len", "!tcp.hdr_len", "tcp.payload", "frame.number in {3, 5, 7, 8}",
	} {
		f, err := dfilter.Compile(src)
		if err != nil {
			t.Fatalf("Compile(%q) = %v", src, err)
		}
		args := append([]string{"-r", file, "-Y", "tcp && (" + src + ")"}, tsharkDisableArgs(t)...)
		out, err := exec.Command("tshark", args...).Output()
		if err != nil {
			t.Fatalf("tshark -Y %q: %v", src, err)
		}
		got := withoutSkipLine(ourOutput(t, file, Options{Format: Text, NoConversations: true, Follow: -1, Filter: f}))
		if got != string(out) {
			t.Errorf("-Y %q:\ntshark:\n%s\ntcplab:\n%s", src, out, got)
		}
	}
	names := []string{"frame.number", "tcp", "tcp.srcport", "tcp.port", "tcp.stream", "tcp.seq", "tcp.flags", "tcp.len", "tcp.analysis.ack_rtt", "tcp.options", "tcp.payload"}
	args := []string{"-r", file, "-Y", "tcp", "-T", "fields"}
	for _, n := range names {
		args = append(args, "-e", n)
	}
	out, err := exec.Command("tshark", append(args, tsharkDisableArgs(t)...)...).Output()
	if err != nil {
		t.Fatalf("tshark -T fields: %v", err)
	}
	fields, err := NewFields(names)
	if err != nil {
		t.Fatal(err)
	}
	got := withoutSkipLine(ourOutput(t, file, Options{Format: Text, Follow: -1, Fields: fields}))
	if got != string(out) {
		t.Errorf("-T fields %v:\ntshark:\n%s\ntcplab:\n%s", names, out, got)
	}
}
