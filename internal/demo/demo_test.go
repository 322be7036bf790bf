package demo

import (
	"bytes"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/client"
	"github.com/tcplab/tcplab/internal/conversation"
	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// The captures in testdata are copies of package explain's: the lab's two
// cases on loopback (tcplab server and client, captured by tcpdump) and a
// bulk transfer across netlab with loss.

// livePackets reads a capture file's records as a live capture delivers them.
func livePackets(t *testing.T, name string) []capture.Packet {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, filepath.Join("testdata", name))
	out := make([]capture.Packet, len(recs))
	for i, rec := range recs {
		out[i] = capture.Packet{Number: uint64(i + 1), Timestamp: rec.Timestamp, Data: rec.Data, Length: rec.OrigLen, Link: rec.Link}
	}
	return out
}

// TestTeardowns feeds the demo's close tracker the lab's two
// conversations: each counts as torn down exactly at its last packet, the
// ACK of the second FIN, and not before.
func TestTeardowns(t *testing.T) {
	w := capture.NewTeardowns()
	want := 0
	for _, name := range []string{"lab_in_range.pcap", "lab_out_of_range.pcap"} {
		pkts := livePackets(t, name)
		for i := range pkts {
			if err := w.Packet(&pkts[i]); err != nil {
				t.Fatal(err)
			}
			if i == len(pkts)-1 {
				want++
			}
			if w.Torn() != want {
				t.Fatalf("%s: after packet %d of %d, %d conversations torn down, want %d", name, i+1, len(pkts), w.Torn(), want)
			}
		}
	}
	if w.Wait(2, time.Hour, time.Hour) != 0 {
		t.Error("Wait(2) says not complete after both teardowns")
	}
}

// TestTeardownsQuiet checks that Wait gives up after a quiet period
// when the final ACK never comes.
func TestTeardownsQuiet(t *testing.T) {
	w := capture.NewTeardowns()
	pkts := livePackets(t, "lab_in_range.pcap")
	for i := range pkts[:len(pkts)-1] {
		w.Packet(&pkts[i])
	}
	if w.Torn() != 0 {
		t.Fatalf("%d conversations torn down without the last ACK, want 0", w.Torn())
	}
	if w.Wait(1, 20*time.Millisecond, time.Minute) == 0 {
		t.Error("Wait(1) says complete without the last ACK")
	}
	if w.Wait(1, time.Minute, 20*time.Millisecond) == 0 {
		t.Error("Wait(1) says complete at its time limit without the last ACK")
	}
}

func TestCaseExpected(t *testing.T) {
	reply := &client.Result{}
	noReply := &client.Error{Op: "read reply from", Kind: client.ErrNoReply}
	timeout := &client.Error{Op: "read reply from", Kind: client.ErrTimeout}
	tests := []struct {
		name string
		c    Case
		want bool
	}{
		{"in range, reply", Case{InRange: true, Result: reply}, true},
		{"in range, no reply", Case{InRange: true, Err: noReply}, false},
		{"out of range, no reply", Case{Err: noReply}, true},
		{"out of range, reply", Case{Result: reply}, false},
		{"out of range, timeout", Case{Err: timeout}, false},
	}
	for _, tt := range tests {
		if got := tt.c.Expected(); got != tt.want {
			t.Errorf("%s: Expected() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"tcplab-demo.pcapng", "tcplab-demo.pcapng"},
		{"/tmp/x/demo.pcapng", "/tmp/x/demo.pcapng"},
		{"my capture.pcapng", "'my capture.pcapng'"},
		{"it's.pcapng", `'it'\''s.pcapng'`},
		{"", "''"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func bulk(t *testing.T) *Analysis {
	t.Helper()
	a, err := Analyze(filepath.Join("testdata", "impaired_bulk.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Convs) != 1 {
		t.Fatalf("impaired_bulk.pcap: %d conversations, want 1", len(a.Convs))
	}
	return a
}

// TestAnalyze checks the one-pass analysis against what tshark shows for
// the lab's in-range capture (the first and last lines) and counts.
func TestAnalyze(t *testing.T) {
	a, err := Analyze(filepath.Join("testdata", "lab_in_range.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Lines) != 10 || len(a.Convs) != 1 || len(a.Convs[0].Packets) != 10 {
		t.Fatalf("lab_in_range.pcap: %d lines, %d conversations, want 10 lines of 1", len(a.Lines), len(a.Convs))
	}
	if got, want := string(a.Lines[9]), "   10   0.000492    127.0.0.1 → 127.0.0.1    TCP 66 24817 → 39334 [ACK] Seq=18 Ack=21 Win=65536 Len=0 TSval=280502027 TSecr=12515961\n"; got != want {
		t.Errorf("line 10 = %q, want tshark's %q", got, want)
	}
	if len(a.Counts) != 0 || slices.Contains(a.Flagged, true) {
		t.Errorf("lab capture: expert flags %v, want none", a.Counts)
	}
	if !bytes.Contains(a.Conversations, []byte("TCP Conversations")) {
		t.Errorf("conversation table:\n%s", a.Conversations)
	}
	b := bulk(t)
	if b.Counts[tcpanalysis.DuplicateAck] == 0 || !slices.Contains(b.Flagged, true) {
		t.Errorf("impaired bulk capture: counts %v, want duplicate ACKs", b.Counts)
	}
}

// TestFocus checks that a bulk transfer's ladder is drawn around its first
// retransmission.
func TestFocus(t *testing.T) {
	c := &bulk(t).Convs[0]
	first := slices.IndexFunc(c.Packets, func(s conversation.Segment) bool {
		return s.Analysis&(tcpanalysis.Retransmission|tcpanalysis.FastRetransmission) != 0
	})
	if first < 0 {
		t.Fatal("impaired_bulk.pcap has no retransmission")
	}
	d, from := focus(c, 30)
	if len(d.Packets) != 30 || from > first || from+30 <= first || d.Packets[0].Frame != c.Packets[from].Frame {
		t.Errorf("focus(30) = packets %d..%d (first frame %d), want 30 around index %d", from, from+len(d.Packets)-1, d.Packets[0].Frame, first)
	}
	if len(c.Packets) < 100 {
		t.Errorf("focus changed the conversation: %d packets", len(c.Packets))
	}
	plain := *c
	plain.Packets = slices.Clone(c.Packets[:50])
	for i := range plain.Packets {
		plain.Packets[i].Analysis = 0
	}
	if _, from := focus(&plain, 20); from != 0 {
		t.Errorf("focus without any expert flag starts at %d, want 0", from)
	}
}

// TestTrim checks that a bulk transfer's walk-through is shortened with
// every cut marked and no paragraph about the whole conversation lost.
func TestTrim(t *testing.T) {
	c := &bulk(t).Convs[0]
	full := explain.Explain(c, explain.Options{MaxRoutine: 6})
	wt := explain.Explain(c, explain.Options{MaxRoutine: 6})
	trim(wt, i18n.English, 5, 3, "the report")
	if len(wt.Sections) != len(full.Sections) {
		t.Fatalf("trim changed the sections: %d, want %d", len(wt.Sections), len(full.Sections))
	}
	cut := false
	for i, sec := range wt.Sections {
		var frames, general, fullGeneral, fullFrames int
		for _, p := range sec.Paras {
			switch {
			case p.Sub:
			case p.Frame != 0:
				frames++
			case strings.HasPrefix(p.Text, "[… "):
				cut = true
			default:
				general++
			}
		}
		for _, p := range full.Sections[i].Paras {
			switch {
			case p.Sub:
			case p.Frame != 0:
				fullFrames++
			default:
				fullGeneral++
			}
		}
		if frames > 5 || frames > fullFrames {
			t.Errorf("section %s: %d packet paragraphs after trim(5), of %d", sec.ID, frames, fullFrames)
		}
		if general-countPrefix(sec.Paras, "[The table") != fullGeneral {
			t.Errorf("section %s: %d general paragraphs after trim, want all %d", sec.ID, general, fullGeneral)
		}
		if sec.Table != nil && len(sec.Table.Rows) > 3 {
			t.Errorf("section %s: table of %d rows after trim(…, 3)", sec.ID, len(sec.Table.Rows))
		}
	}
	if !cut {
		t.Error("trim(5) of a bulk transfer marked no cut")
	}
}

func countPrefix(paras []explain.Para, prefix string) int {
	n := 0
	for _, p := range paras {
		if strings.HasPrefix(p.Text, prefix) {
			n++
		}
	}
	return n
}

// TestWriteWithoutCapture checks what the demo prints when it could not
// capture: the exchanges, then the reason and the remedy, and no files.
func TestWriteWithoutCapture(t *testing.T) {
	o := &Outcome{
		Listening: []byte("listening on 127.0.0.1:2000\n"),
		Cases: []Case{
			{Number: "42", InRange: true, Server: []byte("Connection from ('127.0.0.1', 40000)\nSum: 50\n"), Result: &client.Result{ClientName: "Client of Louis", ServerName: "Server of Nuk", ClientNumber: "42", ServerNumber: "8", Sum: 50}},
			{Number: "150", Server: []byte("Client number is not in the range 1 to 100. Closing connection.\n"), Err: &client.Error{Op: "read reply from", Kind: client.ErrNoReply}},
		},
		CaptureErr: &capture.PermissionError{Interface: "lo", Err: os.ErrPermission},
	}
	var b bytes.Buffer
	if err := Write(&b, o, nil, Presentation{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"  listening on 127.0.0.1:2000\n  Connection from ('127.0.0.1', 40000)\n",
		"  Client Number: 42\n  Server Number: 8\n  Sum: 50\n",
		"  no reply: the server closed the connection without replying",
		"── No capture",
		"CAP_NET_RAW",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Write output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "UNEXPECTED") || strings.Contains(out, "── Files") {
		t.Errorf("Write output:\n%s", out)
	}
	// The remedy, in the presentation's language, with each command on
	// a line of its own to copy.
	for _, tc := range []struct {
		lang i18n.Lang
		why  string
	}{
		{i18n.English, "capture on lo: not permitted: the CAP_NET_RAW capability is missing."},
		{i18n.TraditionalChinese, "無法在 lo 上擷取：缺少 CAP_NET_RAW 權限。"},
	} {
		b.Reset()
		if err := Write(&b, o, nil, Presentation{Lang: tc.lang}); err != nil {
			t.Fatal(err)
		}
		bin := capture.RemedyBinary()
		for _, want := range []string{tc.why, "\n    sudo " + bin + " demo\n    sudo setcap cap_net_raw+ep " + bin + "\n"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("Write (%v) lacks %q:\n%s", tc.lang, want, b.String())
			}
		}
	}
	o.Cases[1].Err = &client.Error{Op: "connect to", Kind: client.ErrTimeout}
	b.Reset()
	Write(&b, o, nil, Presentation{})
	if d := cmp.Diff(1, strings.Count(b.String(), "UNEXPECTED: ")); d != "" {
		t.Errorf("a timed-out out-of-range case is not flagged once (-want +got):\n%s", d)
	}
}

// TestTrimKeepsTable checks that a trimmed walk-through still prints its RTT
// table in the terminal: header, the kept rows, then the note saying where
// the rest is (issue 12: the note used to push the table out).
func TestTrimKeepsTable(t *testing.T) {
	for _, lang := range []i18n.Lang{i18n.English, i18n.TraditionalChinese} {
		t.Run(string(lang), func(t *testing.T) {
			c := &bulk(t).Convs[0]
			wt := explain.Explain(c, explain.Options{Lang: lang, MaxRoutine: 6})
			trim(wt, lang, 5, 3, "the report")
			var b strings.Builder
			if err := wt.WriteText(&b, 80); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			// The header line starts with the ACK column's name.
			hdr := "\n    " + i18n.Msg(lang, "rtt.col.ack") + " "
			head := strings.Index(out, hdr)
			if head < 0 {
				t.Fatalf("no RTT table header (%q) in the trimmed walk-through:\n%s", hdr, out)
			}
			head++
			rows := 0
			for _, line := range strings.Split(out[head:], "\n")[1:] {
				if strings.Contains(line, "client ") || strings.Contains(line, "server ") ||
					strings.Contains(line, i18n.Msg(lang, "short.client")) || strings.Contains(line, i18n.Msg(lang, "short.server")) {
					rows++
					continue
				}
				break
			}
			if rows != 3 {
				t.Errorf("RTT table has %d rows after trim(…, 3), want 3:\n%s", rows, out[head:])
			}
		})
	}
}

// TestExpertCountsFrames checks the expert-flag summary's arithmetic
// (issue 12, contradiction 5): each flag counts the frames whose Info
// column shows it, so a fast retransmission is not a retransmission too,
// and the counts, less the frames that carry several flags, add up to the
// flagged frames the packet list's header gives.
func TestExpertCountsFrames(t *testing.T) {
	a := bulk(t)
	want := map[tcpanalysis.Flags]int{}
	multi, flagged := 0, 0
	for _, p := range a.Convs[0].Packets {
		p.Analysis.Each(func(f tcpanalysis.Flags) { want[f]++ })
		if n := bits.OnesCount64(uint64(p.Analysis &^ tcpanalysis.WindowUpdate)); n > 1 {
			multi += n - 1
		}
	}
	for _, f := range a.Flagged {
		if f {
			flagged++
		}
	}
	if diff := cmp.Diff(want, a.Counts); diff != "" {
		t.Errorf("Analyze(impaired_bulk.pcap).Counts mismatch (-want +got):\n%s", diff)
	}
	if a.Multi != multi {
		t.Errorf("Analyze(impaired_bulk.pcap).Multi = %d, want %d", a.Multi, multi)
	}
	sum := 0
	for f, n := range a.Counts {
		if f != tcpanalysis.WindowUpdate {
			sum += n
		}
	}
	if sum-a.Multi != flagged {
		t.Errorf("flag counts add to %d, less %d for frames with several flags = %d, want the %d flagged frames", sum, a.Multi, sum-a.Multi, flagged)
	}
}

// TestProgressLanguage checks that the progress lines come in the
// chosen language: English as before, zh-TW with no English word.
func TestProgressLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang i18n.Lang
		want string
	}{
		{"", "tcplab demo: building the impaired network (loss=1%)\ntcplab demo: sending 5 bytes from 10.77.0.1 to 10.77.0.2, port 5001\n"},
		{i18n.TraditionalChinese, "tcplab demo: 正在建立受干擾的網路（loss=1%）\ntcplab demo: 正在從 10.77.0.1 傳送 5 位元組到 10.77.0.2 的埠 5001\n"},
	} {
		var b bytes.Buffer
		cfg := Config{Progress: &b, Lang: tc.lang}
		progress(cfg, "demo.progress.network", "spec", "loss=1%")
		progress(cfg, "demo.progress.transfer", "bytes", 5, "client", netlab.ClientAddr, "server", netlab.ServerAddr, "port", 5001)
		if b.String() != tc.want {
			t.Errorf("progress in %q = %q, want %q", tc.lang, b.String(), tc.want)
		}
	}
}
