package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// rawTCP builds a raw IPv4 packet (LINKTYPE_RAW) holding one TCP segment
// from 10.0.0.1 to 10.0.0.2. The checksum is left zero (a bad checksum,
// which the analysis reports but otherwise ignores).
func rawTCP(sport, dport uint16, seq, ack uint32, flags uint16, win uint16, payload string) []byte {
	b := make([]byte, 40+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	b[8], b[9] = 64, 6
	copy(b[12:], []byte{10, 0, 0, 1})
	copy(b[16:], []byte{10, 0, 0, 2})
	if sport == 2000 {
		copy(b[12:], []byte{10, 0, 0, 2})
		copy(b[16:], []byte{10, 0, 0, 1})
	}
	t := b[20:]
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	binary.BigEndian.PutUint16(t[12:], 5<<12|flags)
	binary.BigEndian.PutUint16(t[14:], win)
	copy(t[20:], payload)
	return b
}

// exchangeFile writes a small capture of one lab exchange and returns its
// path and its bytes.
func exchangeFile(t *testing.T) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapio.NewPcapWriter(&buf, pcapio.PcapOptions{Link: decode.LinkRaw})
	if err != nil {
		t.Fatal(err)
	}
	pkts := [][]byte{
		rawTCP(40000, 2000, 100, 0, decode.FlagSYN, 65535, ""),
		rawTCP(2000, 40000, 500, 101, decode.FlagSYN|decode.FlagACK, 65535, ""),
		rawTCP(40000, 2000, 101, 501, decode.FlagACK, 1024, ""),
		rawTCP(40000, 2000, 101, 501, decode.FlagACK|decode.FlagPSH, 1024, "Client of Louis,42"),
		rawTCP(2000, 40000, 501, 119, decode.FlagACK|decode.FlagPSH, 1024, "Server of Nuk,7"),
		rawTCP(40000, 2000, 119, 516, decode.FlagACK|decode.FlagFIN, 1024, ""),
		rawTCP(2000, 40000, 516, 120, decode.FlagACK|decode.FlagFIN, 1024, ""),
		rawTCP(40000, 2000, 120, 517, decode.FlagACK, 1024, ""),
	}
	for i, p := range pkts {
		if err := w.WritePacket(int64(1_700_000_000+i)*1e9+int64(i)*1000, p, len(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "exchange.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestAnalyzeText(t *testing.T) {
	path, _ := exchangeFile(t)
	out, _, err := runCLI(t, "analyze", "--no-conv", path)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	want := strings.Join([]string{
		"    1   0.000000     10.0.0.1 → 10.0.0.2     TCP 40 40000 → 2000 [SYN] Seq=0 Win=65535 Len=0",
		"    2   1.000001     10.0.0.2 → 10.0.0.1     TCP 40 2000 → 40000 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0",
		"    3   2.000002     10.0.0.1 → 10.0.0.2     TCP 40 40000 → 2000 [ACK] Seq=1 Ack=1 Win=1024 Len=0",
		"    4   3.000003     10.0.0.1 → 10.0.0.2     TCP 58 40000 → 2000 [PSH, ACK] Seq=1 Ack=1 Win=1024 Len=18",
		"    5   4.000004     10.0.0.2 → 10.0.0.1     TCP 55 2000 → 40000 [PSH, ACK] Seq=1 Ack=19 Win=1024 Len=15",
		"    6   5.000005     10.0.0.1 → 10.0.0.2     TCP 40 40000 → 2000 [FIN, ACK] Seq=19 Ack=16 Win=1024 Len=0",
		"    7   6.000006     10.0.0.2 → 10.0.0.1     TCP 40 2000 → 40000 [FIN, ACK] Seq=16 Ack=20 Win=1024 Len=0",
		"    8   7.000007     10.0.0.1 → 10.0.0.2     TCP 40 40000 → 2000 [ACK] Seq=20 Ack=17 Win=1024 Len=0",
	}, "\n") + "\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("analyze text (-want +got):\n%s", diff)
	}
}

func TestAnalyzeNDJSONStream(t *testing.T) {
	path, _ := exchangeFile(t)
	out, _, err := runCLI(t, "analyze", "--format", "ndjson", path)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 10 {
		t.Fatalf("got %d lines, want 8 packets, 1 stream and the summary:\n%s", len(lines), out)
	}
	if want := `{"type":"summary","frames":8,"packets":8,"streams":1,"skipped":{}}`; lines[9] != want {
		t.Errorf("summary record = %s, want %s", lines[9], want)
	}
	want := `{"type":"stream","stream":0,"client":"10.0.0.1:40000","server":"10.0.0.2:2000","first_frame":1,"last_frame":8,"packets":8,"bytes_c2s":18,"bytes_s2c":15,"irtt":2.000002,"handshake":"complete","close":"fin","state":"SF",` +
		`"retrans_c2s":0,"retrans_s2c":0,"rtt_min_c2s":1.000001000,"rtt_avg_c2s":1.000001000,"rtt_max_c2s":1.000001000,"rtt_samples_c2s":3,` +
		`"rtt_min_s2c":1.000001000,"rtt_avg_s2c":1.000001000,"rtt_max_s2c":1.000001000,"rtt_samples_s2c":3,` +
		`"zero_window_c2s":0.000000000,"zero_window_s2c":0.000000000,"max_in_flight_c2s":18,"max_in_flight_s2c":15,"history":"ShADdFf"}`
	if diff := cmp.Diff(want, lines[8]); diff != "" {
		t.Errorf("stream record (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(lines[0], `{"type":"packet","frame":1,"time":0.000000,"src":"10.0.0.1","dst":"10.0.0.2","sport":40000,"dport":2000,"stream":0,"flags":2,"seq":0,"seq_raw":100,"len":0,"win_raw":65535,"win":65535,"checksum":0,"checksum_status":"bad"`) {
		t.Errorf("first packet record = %s", lines[0])
	}
}

func TestAnalyzeFollow(t *testing.T) {
	path, _ := exchangeFile(t)
	out, _, err := runCLI(t, "analyze", "--follow", "0", path)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	want := "\n===================================================================\n" +
		"Follow: tcp,ascii\nFilter: tcp.stream eq 0\nNode 0: 10.0.0.1:40000\nNode 1: 10.0.0.2:2000\n" +
		"18\nClient of Louis,42\n\t15\nServer of Nuk,7\n" +
		"===================================================================\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("follow (-want +got):\n%s", diff)
	}
}

func TestAnalyzeSelect(t *testing.T) {
	path, _ := exchangeFile(t)
	for _, args := range [][]string{{"--stream", "1"}, {"--select", "port 80"}, {"--select", "host 10.9.9.9"}} {
		out, _, err := runCLI(t, append(append([]string{"analyze", "--format", "ndjson"}, args...), path)...)
		if err != nil {
			t.Fatalf("analyze %v: %v", args, err)
		}
		if want := `{"type":"summary","frames":8,"packets":0,"streams":0,"skipped":{}}` + "\n"; out != want {
			t.Errorf("analyze %v printed %q, want only the summary %q", args, out, want)
		}
	}
	out, _, err := runCLI(t, "analyze", "--format", "ndjson", "--select", "10.0.0.2:2000 stream 0", path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, "\n"); n != 10 {
		t.Errorf("selected %d records, want 10 (8 packets, 1 stream, the summary)", n)
	}
}

func TestAnalyzeCorrupt(t *testing.T) {
	_, data := exchangeFile(t)
	// Cut the file inside the fifth record: the header of 24 bytes, then
	// records of 16 bytes of header plus the packet.
	cut := 24 + 4*16 + 40 + 40 + 40 + 58 + 10
	path := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(path, data[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "analyze", "--no-conv", path)
	if err == nil {
		t.Fatal("analyze of a truncated file succeeded")
	}
	if ExitCode(err) != 1 {
		t.Errorf("exit code %d, want 1", ExitCode(err))
	}
	if !strings.Contains(err.Error(), "offset 266") {
		t.Errorf("error %q does not name offset 266", err)
	}
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("printed %d packets before the error, want 4:\n%s", n, out)
	}
}

func TestAnalyzeUsage(t *testing.T) {
	path, _ := exchangeFile(t)
	for _, args := range [][]string{
		{"analyze"},
		{"analyze", "--format", "xml", path},
		{"analyze", "--select", "port x", path},
		{"analyze", "--stream", "a", path},
		{"analyze", path, path},
	} {
		_, _, err := runCLI(t, args...)
		if ExitCode(err) != 2 {
			t.Errorf("Run(%q) = %v (exit %d), want a usage error", args, err, ExitCode(err))
		}
	}
	_, _, err := runCLI(t, "analyze", filepath.Join(t.TempDir(), "missing.pcap"))
	if ExitCode(err) != 1 || !strings.Contains(err.Error(), "missing.pcap") {
		t.Errorf("missing file: %v, want exit 1 naming the file", err)
	}
}

func TestAnalyzeStdin(t *testing.T) {
	_, data := exchangeFile(t)
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"analyze", "--no-conv", "-"}, bytes.NewReader(data), &stdout, &stderr)
	if err != nil {
		t.Fatalf("analyze -: %v", err)
	}
	if n := strings.Count(stdout.String(), "\n"); n != 8 {
		t.Errorf("analyze - printed %d lines, want 8:\n%s", n, stdout.String())
	}
	err = Run(context.Background(), []string{"analyze", "-"}, strings.NewReader("not a capture"), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "standard input") {
		t.Errorf("analyze - of garbage: %v, want an error naming standard input", err)
	}
}
