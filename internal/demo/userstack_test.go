package demo

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// TestUserStackExchanges runs the lab's two cases on the user-space stack,
// captured at both hosts, as `tcplab demo --stack user` does (no root
// needed), and presents them: the cases end as the lab expects, both
// captures hold both conversations whole, the output says whose TCP it
// was, and the walk-through and the reconciliation run on the captures.
func TestUserStackExchanges(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "demo.pcapng")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o, err := Run(ctx, Config{UserStack: true, Capture: file, CapturePeer: true, Rand: rand.NewPCG(1, 2)})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !o.UserStack || o.Network == nil || o.Capture == nil || o.PeerCapture == nil {
		t.Fatalf("outcome %+v: want the user stack, its network and two captures", o)
	}
	if len(o.Cases) != 2 || !o.Cases[0].Expected() || !o.Cases[1].Expected() {
		t.Fatalf("cases %+v: want the lab's two, as expected", o.Cases)
	}
	if o.Server.String() != "10.77.0.2:2000" || o.Cases[0].Result.Local.Addr() != netlab.ClientAddr {
		t.Errorf("server %v, client %v: want 10.77.0.2:2000 and 10.77.0.1", o.Server, o.Cases[0].Result.Local)
	}
	if !o.Capture.Complete || o.Capture.Host != netlab.Server || o.PeerCapture.Host != netlab.Client {
		t.Errorf("captures %+v and %+v: want complete, at the server and the client", o.Capture, o.PeerCapture)
	}
	if o.PeerCapture.File != filepath.Join(dir, "demo-client.pcapng") {
		t.Errorf("peer capture %s, want demo-client.pcapng beside the main one", o.PeerCapture.File)
	}
	a, err := AnalyzeOutcome(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Convs) != 2 || len(a.Lines) != int(o.Capture.Stats.Captured) {
		t.Errorf("analysis: %d conversations, %d packets of %d captured: want 2, all", len(a.Convs), len(a.Lines), o.Capture.Stats.Captured)
	}
	if len(a.Counts) != 0 {
		t.Errorf("expert flags %v on a link that impairs nothing:\n%s", a.Counts, bytes.Join(a.Lines, nil))
	}
	rs := Reconcile(o, a)
	if len(rs) != 2 || rs[0].Client == nil || rs[0].Server == nil || rs[0].Bridge.Sent != rs[0].Client.Captured || rs[0].Bridge.Delivered != rs[0].Server.Captured {
		t.Errorf("reconciliation %+v: want each capture to hold what the link's log says", rs)
	}
	for lang, none := range map[i18n.Lang]string{i18n.English: "impairment: none\n", "zh-TW": "網路干擾：無\n"} {
		var out bytes.Buffer
		if err := Write(&out, o, a, Presentation{Lang: lang}); err != nil {
			t.Fatal(err)
		}
		text := out.String()
		for _, want := range []string{none, "netstack", "Reno", "10.77.0.1", "10.77.0.2", "demo-client.pcapng", "Connection from ('10.77.0.1'"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s output lacks %q:\n%s", lang, want, text)
			}
		}
		for _, bad := range []string{"TCP_INFO", "dropped by the kernel"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s output of the user stack says %q:\n%s", lang, bad, text)
			}
		}
		if id := regexp.MustCompile(`\b(demo|recon)\.[a-z]+\.[a-z.]+`).FindString(text); id != "" {
			t.Errorf("%s output holds the message id %q, not its text", lang, id)
		}
	}
}

// TestUserStackTransfer runs an impaired bulk transfer on the user-space
// stack: it completes, TCP recovers (retransmissions in the stack's
// count and in Wireshark's flags), and the reconciliation tables, from the
// link's log and both captures, add up.
func TestUserStackTransfer(t *testing.T) {
	spec, err := impair.Parse("loss=5%,delay=20ms,seed=3")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "bulk.pcapng")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	var progress bytes.Buffer
	o, err := Run(ctx, Config{UserStack: true, Impair: &spec, Transfer: 1 << 20, Capture: file, CapturePeer: true,
		TransferTimeout: 90 * time.Second, Progress: &progress})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if o.Bulk == nil || o.Bulk.Received != 1<<20 || o.Bulk.Retransmits == 0 {
		t.Fatalf("bulk %+v: want 1 MiB received, with retransmissions", o.Bulk)
	}
	if !regexp.MustCompile(`user-space TCP/IP stack .*loss=5%`).MatchString(progress.String()) {
		t.Errorf("progress %q does not name the stack and the impairment", progress.String())
	}
	a, err := AnalyzeOutcome(o)
	if err != nil {
		t.Fatal(err)
	}
	if a.Counts[tcpanalysis.Retransmission]+a.Counts[tcpanalysis.FastRetransmission] == 0 {
		t.Errorf("no retransmission flagged: %v", a.Counts)
	}
	st := o.Network.Stats
	for i, r := range Reconcile(o, a) {
		b := r.Bridge
		if b.Lost == 0 || b.Sent-b.Lost-b.QueueDrops+b.Duplicated != b.Delivered {
			t.Errorf("direction %d: link's log %+v does not add up, or lost nothing", i, b)
		}
		sender, receiver := r.Client, r.Server
		if !r.C2S {
			sender, receiver = receiver, sender
		}
		if sender.Captured != b.Sent || receiver.Captured != b.Delivered {
			t.Errorf("direction %d: captured %d at the sender and %d at the receiver, the link's log says %d sent and %d delivered",
				i, sender.Captured, receiver.Captured, b.Sent, b.Delivered)
		}
	}
	if st.C2S.KernelDrops+st.S2C.KernelDrops != 0 {
		t.Errorf("%d frames dropped by the stacks' full queues", st.C2S.KernelDrops+st.S2C.KernelDrops)
	}
	var out bytes.Buffer
	if err := Write(&out, o, a, Presentation{Lang: i18n.English}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"the sender's stack (gVisor's netstack): smoothed RTT", "counted by the client's stack", "lost by the bridge"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
