package userstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/client"
	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/server"
	"github.com/tcplab/tcplab/internal/syncbuf"
)

// newNetwork builds a network for one test, with captures at both hosts
// in the test's directory; it is closed (and the captures written) when
// the test ends, or earlier by the test.
func newNetwork(t *testing.T, spec string, stall time.Duration) (*Network, [2]string) {
	t.Helper()
	sp, err := impair.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := [2]string{filepath.Join(dir, "client.pcapng"), filepath.Join(dir, "server.pcapng")}
	n, err := New(Config{Impair: sp, ClientCapture: files[0], ServerCapture: files[1], Stall: stall})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n, files
}

// serveLab runs the lab's server on the server host's port 2000 until the
// test ends; its lines go to out.
func serveLab(t *testing.T, n *Network, out *syncbuf.Buffer) {
	t.Helper()
	ln, err := n.Listen(2000)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Output: out})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
}

// TestLabExchange runs the lab's two cases over the user-space stack and
// checks the programs' output and the captures, read back with tshark:
// every segment of each conversation (handshake, request, reply, FINs)
// with good checksums and no expert flag, and the same frames at both
// hosts.
func TestLabExchange(t *testing.T) {
	n, files := newNetwork(t, "", 0)
	var out syncbuf.Buffer
	serveLab(t, n, &out)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := client.Config{Dial: n.Dial}
	r, err := client.Exchange(ctx, cfg, "10.77.0.2:2000", "42")
	if err != nil {
		t.Fatalf("Exchange(42): %v", err)
	}
	if r.Local.Addr() != netlab.ClientAddr || r.Remote != netip.MustParseAddrPort("10.77.0.2:2000") {
		t.Errorf("Exchange(42) from %v to %v, want from 10.77.0.1 to 10.77.0.2:2000", r.Local, r.Remote)
	}
	if _, err := client.Exchange(ctx, cfg, "10.77.0.2:2000", "150"); !errors.Is(err, client.ErrNoReply) {
		t.Fatalf("Exchange(150) = %v, want ErrNoReply", err)
	}
	syncbuf.WaitFor(t, "the server's lines", &out, regexp.MustCompile(`(?s)Connection from \('10\.77\.0\.1', \d+\).*not in the range`))
	waitQuiet(t, n, 2, 5*time.Second)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	got := tsharkSegments(t, files[0])
	convs := map[uint16][]seg{}
	var ports []uint16
	for _, g := range got {
		p := g.src
		if p == 2000 {
			p = g.dst
		}
		if convs[p] == nil {
			ports = append(ports, p)
		}
		convs[p] = append(convs[p], g)
	}
	if len(ports) != 2 || ports[0] != r.Local.Port() {
		t.Fatalf("client capture: conversations from ports %v, want 2, the first from %d", ports, r.Local.Port())
	}
	checkConversation(t, convs[ports[0]], r.Request, r.Reply)
	checkConversation(t, convs[ports[1]], []byte("Client of Louis,150"), nil)
	if srv := tsharkSegments(t, files[1]); len(srv) != len(got) {
		t.Errorf("server capture holds %d segments, the client's %d", len(srv), len(got))
	}
	cl, sv := frames(t, files[0]), frames(t, files[1])
	slices.Sort(cl)
	slices.Sort(sv)
	if !slices.Equal(cl, sv) {
		t.Errorf("the captures at the two hosts hold different frames (%d and %d)", len(cl), len(sv))
	}
	st := n.Stats()
	if st.C2S.KernelDrops != 0 || st.S2C.KernelDrops != 0 || st.C2S.Forwarded != st.C2S.Received {
		t.Errorf("link counters %+v: want every frame forwarded, none dropped", st)
	}
}

// waitQuiet waits until every one of want connections has been closed
// both ways on the link (each FIN acknowledged), bounded by limit.
func waitQuiet(t *testing.T, n *Network, want int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if n.Closed() >= want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("after %v, %d connections closed, want %d", limit, n.Closed(), want)
}

// seg is a TCP segment as tshark shows it: ports, flags, relative seq
// and ack, payload.
type seg struct {
	src, dst uint16
	flags    uint16
	seq, ack int
	payload  string
}

func (s seg) String() string {
	return fmt.Sprintf("%d>%d %#04x seq=%d ack=%d %q", s.src, s.dst, s.flags, s.seq, s.ack, s.payload)
}

// TCP flags as tshark's tcp.flags shows them.
const (
	fFIN = 0x01
	fSYN = 0x02
	fRST = 0x04
	fACK = 0x10
)

// checkConversation checks one lab exchange as the capture at the client
// shows it: the handshake first; the request, and the reply when there is
// one, each sent once; one FIN each way, each acknowledged; no reset.
// The order of the close varies (either side's FIN may come first, or both
// at once), so the close is checked by what is acknowledged.
func checkConversation(t *testing.T, segs []seg, req, reply []byte) {
	t.Helper()
	if len(segs) < 3 {
		t.Fatalf("conversation %v: too short", segs)
	}
	c := segs[0].src
	hs := []seg{{c, 2000, fSYN, 0, 0, ""}, {2000, c, fSYN | fACK, 0, 1, ""}, {c, 2000, fACK, 1, 1, ""}}
	if diff := cmp.Diff(fmt.Sprint(hs), fmt.Sprint(segs[:3])); diff != "" {
		t.Errorf("handshake (-want +got):\n%s", diff)
	}
	q, r := len(req), len(reply)
	var data [2][]string      // by sender: client, server
	var fins, finAcked [2]int // FINs sent; ACKs of the peer's FIN
	for _, s := range segs[3:] {
		from := 0
		if s.src == 2000 {
			from = 1
		}
		if s.flags&(fSYN|fRST) != 0 {
			t.Errorf("segment %v: SYN or RST after the handshake", s)
		}
		if s.payload != "" {
			data[from] = append(data[from], fmt.Sprintf("seq=%d %s", s.seq, s.payload))
		}
		if s.flags&fFIN != 0 {
			fins[from]++
			if want := []int{1 + q, 1 + r}[from]; s.seq != want {
				t.Errorf("FIN %v: seq %d, want %d", s, s.seq, want)
			}
		}
		if want := []int{2 + r, 2 + q}[from]; s.flags&fACK != 0 && s.ack == want {
			finAcked[from]++
		}
	}
	want := [2][]string{{"seq=1 " + string(req)}, nil}
	if reply != nil {
		want[1] = []string{"seq=1 " + string(reply)}
	}
	if diff := cmp.Diff(want, data); diff != "" {
		t.Errorf("payloads, client's then server's (-want +got):\n%s", diff)
	}
	if fins != [2]int{1, 1} || finAcked[0] == 0 || finAcked[1] == 0 {
		t.Errorf("close: FINs sent %v, FINs acknowledged %v: want one each way, each acknowledged\n%v", fins, finAcked, segs)
	}
}

// tsharkSegments reads file with tshark and returns its TCP segments; it
// fails the test on a bad checksum or an expert flag.
func tsharkSegments(t *testing.T, file string) []seg {
	t.Helper()
	rows := pcaptest.Tshark(t, file, "--disable-protocol", "skinny", "-o", "tcp.check_checksum:TRUE",
		"-T", "fields", "-E", "occurrence=f",
		"-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.flags", "-e", "tcp.seq", "-e", "tcp.ack", "-e", "tcp.len",
		"-e", "tcp.payload", "-e", "tcp.checksum.status", "-e", "ip.checksum.status", "-e", "tcp.analysis.flags", "-e", "_ws.malformed")
	var out []seg
	for i, r := range rows {
		if len(r) != 11 {
			t.Fatalf("tshark -r %s: frame %d: %q", file, i+1, r)
		}
		if r[7] != "1" || r[8] != "2" && r[8] != "1" {
			t.Errorf("%s frame %d: TCP checksum status %q, IP %q: want good", file, i+1, r[7], r[8])
		}
		if r[9] != "" || r[10] != "" {
			t.Errorf("%s frame %d: expert flag or malformed: %q", file, i+1, r)
		}
		b, err := hexBytes(r[6])
		if err != nil {
			t.Fatal(err)
		}
		n := [6]int{}
		for j := range 6 {
			v, err := strconv.ParseUint(r[j], 0, 32)
			if err != nil {
				t.Fatalf("%s frame %d: field %d %q: %v", file, i+1, j, r[j], err)
			}
			n[j] = int(v)
		}
		if n[5] != len(b) {
			t.Errorf("%s frame %d: tcp.len %d, %d payload bytes", file, i+1, n[5], len(b))
		}
		out = append(out, seg{uint16(n[0]), uint16(n[1]), uint16(n[2]), n[3], n[4], string(b)})
	}
	return out
}

// hexBytes reads tshark's hex bytes ("43:6c" or "436c").
func hexBytes(s string) ([]byte, error) {
	s = strings.ReplaceAll(s, ":", "")
	b := make([]byte, len(s)/2)
	for i := range b {
		v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("tshark payload %q: %w", s, err)
		}
		b[i] = byte(v)
	}
	return b, nil
}

// frames returns the frames of a capture file as strings, for comparing
// multisets.
func frames(t *testing.T, file string) []string {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, file)
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Data))
	}
	return out
}

// TestImpairedBulk sends 1 MB across a lossy, delayed link: the transfer
// completes, TCP retransmits, and the captures agree with the link's log
// of fates: the capture at the client holds every frame the client sent
// (each logged once) and every copy delivered to it; the capture at the
// server likewise.
func TestImpairedBulk(t *testing.T) {
	n, files := newNetwork(t, "loss=5%,delay=20ms,seed=7", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := n.BulkTransfer(ctx, 1<<20, 5001, 80*time.Second)
	if err != nil {
		t.Fatalf("BulkTransfer: %v", err)
	}
	if res.Sent != 1<<20 || res.Received != 1<<20 {
		t.Errorf("sent %d, received %d, want %d each", res.Sent, res.Received, 1<<20)
	}
	if res.Retransmits == 0 || res.SegsOut < (1<<20)/1420 {
		t.Errorf("the client's stack counts %d retransmissions in %d segments: want some in at least %d", res.Retransmits, res.SegsOut, (1<<20)/1420)
	}
	if res.RTT < 40*time.Millisecond {
		t.Errorf("smoothed RTT %v, want at least the 40ms of the two delays", res.RTT)
	}
	waitQuiet(t, n, 1, 10*time.Second)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	fates, unlogged := n.Fates()
	if unlogged != 0 {
		t.Fatalf("%d frames past the log's bound", unlogged)
	}
	st := n.Stats()
	if st.C2S.DroppedLoss == 0 || st.S2C.DroppedLoss == 0 || st.C2S.KernelDrops+st.S2C.KernelDrops != 0 {
		t.Errorf("link counters %+v: want losses both ways and no queue drops", st)
	}
	// Each direction: at the sender's host every frame pushed, at the
	// receiver's every copy delivered.
	var sent, delivered [2]map[netlab.Segment]int // by direction: c2s, s2c
	for d := range 2 {
		sent[d], delivered[d] = map[netlab.Segment]int{}, map[netlab.Segment]int{}
	}
	for _, f := range fates {
		d := 1
		if f.C2S {
			d = 0
		}
		sent[d][f.Segment]++
		for i := range f.Copies {
			if f.Copy[i].Dropped == impair.NotDropped {
				delivered[d][f.Segment]++
			}
		}
	}
	at := [2]map[netlab.Segment]int{segments(t, files[0]), segments(t, files[1])}
	for d, name := range []string{"client → server", "server → client"} {
		want := map[netlab.Segment]int{}
		for s, k := range sent[d] {
			want[s] += k
		}
		sender, receiver := at[d], at[1-d]
		if diff := cmp.Diff(want, only(sender, d == 0)); diff != "" {
			t.Errorf("%s: the sender's capture against the frames pushed into the link (-want +got):\n%s", name, diff)
		}
		if diff := cmp.Diff(delivered[d], only(receiver, d == 0)); diff != "" {
			t.Errorf("%s: the receiver's capture against the copies delivered (-want +got):\n%s", name, diff)
		}
	}
	rows := pcaptest.Tshark(t, files[0], "-Y", "tcp.analysis.retransmission || tcp.analysis.fast_retransmission", "-T", "fields", "-e", "frame.number")
	if len(rows) == 0 {
		t.Errorf("tshark finds no retransmission in the client's capture")
	}
	t.Logf("1 MiB in %v, smoothed RTT %v, %d retransmissions of %d segments; link c2s: %v", res.Elapsed, res.RTT, res.Retransmits, res.SegsOut, st.C2S)
}

// segments counts the TCP segments of a capture file by their identity,
// as the link's log identifies them.
func segments(t *testing.T, file string) map[netlab.Segment]int {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, file)
	out := map[netlab.Segment]int{}
	var p decode.Packet
	for i, r := range recs {
		if err := decode.Decode(decode.LinkEthernet, r.Data, &p); err != nil || len(p.TCP) < 20 {
			t.Fatalf("%s: frame %d does not decode as TCP: %v", file, i+1, err)
		}
		s := netlab.Segment{
			Src: netip.AddrPortFrom(p.Src, p.TCP.SrcPort()), Dst: netip.AddrPortFrom(p.Dst, p.TCP.DstPort()),
			Seq: uint32(p.TCP.Seq()), Ack: uint32(p.TCP.Ack()), Flags: p.TCP.Flags(),
			Len: p.SegmentLen - p.TCP.HeaderLen(), IPID: p.IPID,
		}
		out[s]++
	}
	return out
}

// only returns the segments of m sent by the client (c2s) or the server.
func only(m map[netlab.Segment]int, c2s bool) map[netlab.Segment]int {
	out := map[netlab.Segment]int{}
	for s, k := range m {
		if (s.Src.Addr() == netlab.ClientAddr) == c2s {
			out[s] = k
		}
	}
	return out
}

// TestStall cuts the link from the client to the server: the SYN is never
// answered, and the watchdog names the connection.
func TestStall(t *testing.T) {
	n, _ := newNetwork(t, "c2s:loss=100%", 300*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	gctx, stop := n.Guard(ctx)
	defer stop()
	_, err := n.Dial(gctx, "tcp", "10.77.0.2:2000")
	if err == nil {
		t.Fatal("Dial across a cut link succeeded")
	}
	var se *StallError
	if !errors.As(context.Cause(gctx), &se) {
		t.Fatalf("Dial = %v, cause %v: want a *StallError", err, context.Cause(gctx))
	}
	if se.Src.Addr() != netlab.ClientAddr || se.Dst != netip.MustParseAddrPort("10.77.0.2:2000") || se.Unacked != 1 || se.Sent < 1 {
		t.Errorf("StallError %+v: want the SYN from 10.77.0.1 to 10.77.0.2:2000 unacknowledged", se)
	}
	if !errors.Is(n.Err(), se) && n.Err().Error() != se.Error() {
		t.Errorf("Err() = %v, want %v", n.Err(), se)
	}
	if !strings.Contains(se.Error(), "10.77.0.2:2000 stalled") {
		t.Errorf("message %q does not name the connection", se.Error())
	}
}

// TestDialRefused checks that a port nobody listens on refuses the
// connection as a kernel does.
func TestDialRefused(t *testing.T) {
	n, _ := newNetwork(t, "", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := n.Dial(ctx, "tcp", "10.77.0.2:9")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Dial to a closed port = %v, want ECONNREFUSED", err)
	}
	for _, bad := range []struct{ network, addr string }{{"udp", "10.77.0.2:9"}, {"tcp", "[fd00::2]:9"}, {"tcp", "nowhere"}} {
		if _, err := n.Dial(ctx, bad.network, bad.addr); err == nil {
			t.Errorf("Dial(%q, %q) succeeded", bad.network, bad.addr)
		}
	}
	if _, err := n.Listen(0); err == nil {
		t.Error("Listen(0) succeeded")
	}
}

// TestListenerClose checks that closing a listener ends a pending Accept
// with net.ErrClosed.
func TestListenerClose(t *testing.T) {
	n, _ := newNetwork(t, "", 0)
	ln, err := n.Listen(2000)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := ln.Accept(); done <- err }()
	time.Sleep(20 * time.Millisecond) // let Accept block; it ends either way
	ln.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still blocked 5s after Close")
	}
}
