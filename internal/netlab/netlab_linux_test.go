//go:build linux

package netlab

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/privtest"
)

// requireRoot skips the test, naming the remedy, when the process cannot
// build networks.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("netlab needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN): run the tests with sudo, as CI does")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command: apt-get install iproute2")
	}
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("needs %s: apt-get install %s", name, name)
	}
}

// newNet builds a network with the impairment spec, removed when the test
// ends.
func newNet(t *testing.T, spec string) *Network {
	t.Helper()
	requireRoot(t)
	s, err := impair.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(t.Context(), Config{Impair: s})
	if err != nil {
		t.Fatalf("New(%q) = %v", spec, err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
		assertGone(t, n.Names())
	})
	return n
}

func netnsExists(name string) bool {
	_, err := os.Stat(filepath.Join(netnsDir, name))
	return err == nil
}

func assertGone(t *testing.T, names []string) {
	t.Helper()
	for _, name := range names {
		if netnsExists(name) {
			t.Errorf("namespace %s left behind", name)
		}
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.Contains(string(out), name) {
			t.Errorf("ip netns list still shows %s", name)
		}
	}
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f ± %.4f", what, got, want, tol)
	} else {
		t.Logf("%s = %.4f (want %.4f ± %.4f)", what, got, want, tol)
	}
}

// udpResult is what the server host received of a UDP run.
type udpResult struct {
	received int
	ecn      [4]int // datagrams received per ECN codepoint
}

// sendUDP sends count datagrams from the client host to the server host
// (IPv6 when v6), with the IPv4 TOS or IPv6 traffic class tos, and counts
// what arrives, with each datagram's ECN field. It waits until nothing
// more arrives for 300ms after the last send (bounded).
func sendUDP(t *testing.T, n *Network, count int, tos int, v6 bool) udpResult {
	t.Helper()
	dst := &net.UDPAddr{IP: net.IP(ServerAddr.AsSlice()), Port: 6001}
	network := "udp4"
	if v6 {
		dst.IP = net.IP(ServerAddr6.AsSlice())
		network = "udp6"
	}
	var srv *net.UDPConn
	if err := n.Do(Server, func() error {
		var err error
		srv, err = net.ListenUDP(network, dst)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rc, _ := srv.SyscallConn()
	rc.Control(func(fd uintptr) {
		// SO_RCVBUFFORCE: above rmem_max, as root.
		unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
		if v6 {
			unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVTCLASS, 1)
		} else {
			unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVTOS, 1)
		}
	})
	var cli *net.UDPConn
	if err := n.Do(Client, func() error {
		var err error
		cli, err = net.DialUDP(network, nil, dst)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	crc, _ := cli.SyscallConn()
	crc.Control(func(fd uintptr) {
		if v6 {
			unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_TCLASS, tos)
		} else {
			unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TOS, tos)
		}
	})

	var res udpResult
	var lastRecv atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		oob := make([]byte, 128)
		for {
			srv.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, oobn, _, _, err := srv.ReadMsgUDP(buf, oob)
			if err != nil {
				return
			}
			lastRecv.Store(time.Now().UnixNano())
			res.received++
			msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
			for _, m := range msgs {
				if (m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_TOS && len(m.Data) >= 1) ||
					(m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_TCLASS && len(m.Data) >= 4) {
					res.ecn[m.Data[0]&3]++
				}
			}
		}
	}()
	payload := make([]byte, 100)
	for i := range count {
		binary.BigEndian.PutUint32(payload, uint32(i))
		if _, err := cli.Write(payload); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if i%50 == 49 {
			time.Sleep(time.Millisecond) // keep the bridge's and server's buffers far from full
		}
	}
	// Wait until the server has received nothing for 300ms (at most 10s).
	sent := time.Now().UnixNano()
	for range 100 {
		time.Sleep(100 * time.Millisecond)
		last := max(lastRecv.Load(), sent)
		if time.Now().UnixNano()-last > int64(300*time.Millisecond) {
			break
		}
	}
	srv.Close()
	<-done
	return res
}

func TestNewAndClose(t *testing.T) {
	requireRoot(t)
	n, err := New(t.Context(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	names := n.Names()
	pid := strconv.Itoa(os.Getpid())
	for i, suffix := range []string{"-c", "-m", "-s"} {
		if !strings.HasPrefix(names[i], "tcplab-"+pid+"-") || !strings.HasSuffix(names[i], suffix) {
			t.Errorf("namespace name %q, want tcplab-%s-N%s", names[i], pid, suffix)
		}
		if !netnsExists(names[i]) {
			t.Errorf("namespace %s does not exist", names[i])
		}
	}
	if n.Name(Client) != names[0] || n.Name(Middle) != names[1] || n.Name(Server) != names[2] || n.Name(0) != "" {
		t.Errorf("Name() disagrees with Names() %v", names)
	}
	// The middle host has no addresses; client and server have theirs.
	out, err := n.Command(t.Context(), Client, "ip", "-brief", "addr", "show", ClientIf).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "10.77.0.1/24") || !strings.Contains(string(out), "fd00:7c:1ab::1/64") {
		t.Errorf("client addresses: %s, %v", out, err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	select {
	case <-n.Done():
	default:
		t.Error("Done not closed after Close")
	}
	assertGone(t, names)
	if err := n.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := n.Do(Client, func() error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close = %v, want ErrClosed", err)
	}
}

func TestDoEntersNamespace(t *testing.T) {
	n := newNet(t, "")
	for _, tt := range []struct {
		h    Host
		want string
	}{{Client, ClientIf}, {Middle, MiddleClientIf}, {Server, ServerIf}} {
		var names []string
		if err := n.Do(tt.h, func() error {
			ifs, err := net.Interfaces()
			for _, i := range ifs {
				names = append(names, i.Name)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(names, " "), tt.want) {
			t.Errorf("Do(%v) sees interfaces %v, want %s among them", tt.h, names, tt.want)
		}
	}
	// Do restores the thread: the caller's namespace has none of them.
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		if i.Name == ClientIf || i.Name == MiddleClientIf {
			t.Errorf("interface %s visible outside the network", i.Name)
		}
	}
	wantErr := errors.New("from fn")
	if err := n.Do(Client, func() error { return wantErr }); err != wantErr {
		t.Errorf("Do returned %v, want fn's error", err)
	}
	if err := n.Do(Host(9), func() error { return nil }); err == nil {
		t.Error("Do(Host(9)) succeeded")
	}
}

func TestOffloadsOff(t *testing.T) {
	n := newNet(t, "")
	for _, x := range []struct {
		h      Host
		ifname string
	}{{Client, ClientIf}, {Middle, MiddleClientIf}, {Middle, MiddleServerIf}, {Server, ServerIf}} {
		err := n.Do(x.h, func() error {
			for _, c := range []struct {
				cmd  uint32
				name string
			}{{unix.ETHTOOL_GTSO, "tso"}, {unix.ETHTOOL_GGSO, "gso"}, {unix.ETHTOOL_GGRO, "gro"}, {unix.ETHTOOL_GSG, "sg"}, {unix.ETHTOOL_GTXCSUM, "tx-checksum"}} {
				on, err := offloadOn(x.ifname, c.cmd)
				if err != nil {
					return err
				}
				if on {
					t.Errorf("%v %s: %s is on", x.h, x.ifname, c.name)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// tsharkFields runs tshark on file and returns one slice of fields per
// packet.
func tsharkFields(t *testing.T, file, filter string, fields ...string) [][]string {
	t.Helper()
	requireTool(t, "tshark")
	args := []string{"-r", file, "-o", "tcp.check_checksum:TRUE", "-T", "fields"}
	if filter != "" {
		args = append(args, "-Y", filter)
	}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	var rows [][]string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		rows = append(rows, strings.Split(sc.Text(), "\t"))
	}
	return rows
}

func TestBulkTransfer(t *testing.T) {
	requireTool(t, "tcpdump")
	n := newNet(t, "")
	for _, tt := range []struct {
		name string
		opts BulkOptions
	}{
		{"ipv4 server side", BulkOptions{Bytes: 1 << 20}},
		{"ipv6 client side", BulkOptions{Bytes: 300_000, IPv6: true, CaptureAt: Client, Port: 7000}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bulk.pcap")
			tt.opts.Capture = file
			res, err := n.BulkTransfer(t.Context(), tt.opts)
			if err != nil {
				t.Fatalf("BulkTransfer = %v", err)
			}
			if res.Sent != tt.opts.Bytes || res.Received != tt.opts.Bytes || res.Capture != file {
				t.Errorf("result %+v, want %d bytes sent and received, capture %s", res, tt.opts.Bytes, file)
			}
			rows := tsharkFields(t, file, "", "frame.len", "tcp.checksum.status")
			var maxLen, bad, good int
			for _, r := range rows {
				l, _ := strconv.Atoi(r[0])
				maxLen = max(maxLen, l)
				switch r[1] {
				case "0":
					bad++
				case "1":
					good++
				}
			}
			// Retransmissions (a tail loss probe, when the machine is slow)
			// repeat bytes: leave them out of the count.
			var syn, fin int
			var payload int64
			for _, r := range tsharkFields(t, file, "!tcp.analysis.retransmission && !tcp.analysis.fast_retransmission && !tcp.analysis.spurious_retransmission",
				"tcp.flags.syn", "tcp.flags.fin", "tcp.len", "tcp.srcport") {
				if r[0] == "1" {
					syn++
				}
				if r[1] == "1" {
					fin++
				}
				if r[3] != strconv.Itoa(tt.opts.Port) && r[3] != "5001" {
					p, _ := strconv.ParseInt(r[2], 10, 64)
					payload += p
				}
			}
			if syn != 2 || fin != 2 {
				t.Errorf("capture has %d SYN and %d FIN segments, want 2 and 2 (handshake and teardown)", syn, fin)
			}
			if payload != tt.opts.Bytes {
				t.Errorf("capture carries %d payload bytes from the client, want %d", payload, tt.opts.Bytes)
			}
			// Offloads off: no segment larger than the MTU, every checksum real.
			if maxLen > 1514 {
				t.Errorf("largest frame %d bytes, want at most 1514 (TSO/GRO off)", maxLen)
			}
			if bad != 0 || good != len(rows) {
				t.Errorf("TCP checksums: %d bad, %d good of %d", bad, good, len(rows))
			}
		})
	}
	if _, err := n.BulkTransfer(t.Context(), BulkOptions{}); err == nil {
		t.Error("BulkTransfer of 0 bytes succeeded")
	}
	if _, err := n.BulkTransfer(t.Context(), BulkOptions{Bytes: 1, CaptureAt: Middle, Capture: "x"}); err == nil {
		t.Error("BulkTransfer capturing at the middle host succeeded")
	}
}

func TestLoss(t *testing.T) {
	n := newNet(t, "c2s:loss=10%,seed=1")
	const count = 3000
	res := sendUDP(t, n, count, 0, false)
	st := n.Stats()
	within(t, "fraction of datagrams lost", 1-float64(res.received)/count, 0.10, 0.03)
	within(t, "fraction of frames the bridge dropped", float64(st.C2S.DroppedLoss)/float64(st.C2S.Received), 0.10, 0.03)
	if uint64(res.received) > st.C2S.Forwarded {
		t.Errorf("server received %d datagrams, the bridge forwarded only %d frames", res.received, st.C2S.Forwarded)
	}
	if st.S2C.DroppedLoss != 0 {
		t.Errorf("s2c dropped %d frames, want none (loss is c2s only)", st.S2C.DroppedLoss)
	}
}

func TestBurstLoss(t *testing.T) {
	n := newNet(t, "ge=2%/25%,seed=3")
	const count = 3000
	res := sendUDP(t, n, count, 0, false)
	want := impair.GE{P: 2, R: 25, LossBad: 100}.MeanLoss() // ≈ 7.4%
	within(t, "fraction of datagrams lost", 1-float64(res.received)/count, want, 0.035)
}

func TestDuplication(t *testing.T) {
	n := newNet(t, "dup=10%,seed=2")
	const count = 3000
	res := sendUDP(t, n, count, 0, false)
	within(t, "extra datagrams received", float64(res.received)/count-1, 0.10, 0.03)
	st := n.Stats()
	if st.C2S.Duplicated == 0 || uint64(res.received) > count+st.C2S.Duplicated {
		t.Errorf("server received %d of %d sent, bridge duplicated %d", res.received, count, st.C2S.Duplicated)
	}
}

func TestECNMarking(t *testing.T) {
	n := newNet(t, "c2s:ecn=50%,seed=4")
	const count = 1000
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("ipv6=%v", v6), func(t *testing.T) {
			// ECT(0): about half arrive as CE. A wrong IPv4 header checksum
			// would make the server's kernel drop them: all must arrive.
			ect := sendUDP(t, n, count, 0b10, v6)
			if ect.received != count {
				out, _ := n.Command(t.Context(), Server, "nstat", "-az").CombinedOutput()
				t.Errorf("received %d of %d ECT(0) datagrams; bridge %+v\n%s", ect.received, count, n.Stats(), out)
			}
			within(t, "CE fraction of ECT(0)", float64(ect.ecn[3])/float64(ect.received), 0.5, 0.1)
			if ect.ecn[3]+ect.ecn[2] != ect.received {
				t.Errorf("ECN codepoints %v, want only ECT(0) and CE", ect.ecn)
			}
			// Not-ECT: never marked.
			plain := sendUDP(t, n, count, 0, v6)
			if plain.received != count || plain.ecn[0] != count {
				t.Errorf("Not-ECT: received %d, codepoints %v; want %d all Not-ECT", plain.received, plain.ecn, count)
			}
		})
	}
	if n.Stats().C2S.Marked == 0 || n.Stats().S2C.Marked != 0 {
		t.Errorf("bridge marked %d c2s, %d s2c; want some and none", n.Stats().C2S.Marked, n.Stats().S2C.Marked)
	}
}

// handshakeRTT connects from the client host to the server host and
// returns the client's RTT estimate right after the handshake: one sample,
// SYN to SYN-ACK.
func handshakeRTT(t *testing.T, n *Network) time.Duration {
	t.Helper()
	var ln net.Listener
	if err := n.Do(Server, func() error {
		var err error
		ln, err = net.Listen("tcp", "10.77.0.2:6002")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	var c net.Conn
	if err := n.Do(Client, func() error {
		var err error
		c, err = net.DialTimeout("tcp", "10.77.0.2:6002", 10*time.Second)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info, err := tcpInfo(c.(*net.TCPConn))
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(info.Rtt) * time.Microsecond
}

func TestDelay(t *testing.T) {
	// A physical lower bound, not a timing assertion: the bridge holds each
	// frame at least its delay, so the handshake takes at least the sum.
	for _, tt := range []struct {
		spec string
		min  time.Duration
	}{
		{"delay=20ms", 40 * time.Millisecond},
		{"s2c:delay=30ms,c2s:delay=5ms,jitter=2ms", 31 * time.Millisecond}, // 35ms minus 2×2ms of jitter
	} {
		t.Run(tt.spec, func(t *testing.T) {
			n := newNet(t, tt.spec)
			rtt := handshakeRTT(t, n)
			t.Logf("handshake RTT %v", rtt)
			if rtt < tt.min {
				t.Errorf("handshake RTT %v with %s, want at least %v", rtt, tt.spec, tt.min)
			}
		})
	}
}

func TestReorder(t *testing.T) {
	requireTool(t, "tcpdump")
	n := newNet(t, "c2s:reorder=3%/4ms,seed=5")
	file := filepath.Join(t.TempDir(), "reorder.pcap")
	res, err := n.BulkTransfer(t.Context(), BulkOptions{Bytes: 1 << 20, Capture: file})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.C2S.Reordered == 0 {
		t.Fatalf("bridge reordered no frame: %+v", res.Stats.C2S)
	}
	// Arrival order of the client's data segments at the server: a segment
	// whose sequence number is below one already seen arrived out of order
	// (no loss here, so no retransmission is needed; a spurious one would
	// also count, and tshark tells them apart below).
	rows := tsharkFields(t, file, "tcp.srcport != 5001 && tcp.len > 0", "tcp.seq_raw")
	var late int
	var highest uint32
	for i, r := range rows {
		s, err := strconv.ParseUint(r[0], 10, 32)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if i > 0 && int32(uint32(s)-highest) < 0 {
			late++
		}
		if i == 0 || int32(uint32(s)-highest) > 0 {
			highest = uint32(s)
		}
	}
	ooo := len(tsharkFields(t, file, "tcp.analysis.out_of_order", "frame.number"))
	t.Logf("%d data segments, %d arrived after a later one, tshark flags %d out-of-order; bridge held back %d",
		len(rows), late, ooo, res.Stats.C2S.Reordered)
	if late == 0 || ooo == 0 {
		t.Errorf("no out-of-order segments in the capture (late %d, tshark %d)", late, ooo)
	}
}

func TestRateLimit(t *testing.T) {
	n := newNet(t, "c2s:rate=4mbit,c2s:queue=20")
	const size = 300_000
	res, err := n.BulkTransfer(t.Context(), BulkOptions{Bytes: size})
	if err != nil {
		t.Fatal(err)
	}
	// Another physical bound: the payload alone needs size·8/rate seconds
	// on a 4 mbit/s link (headers make it longer still).
	minTime := time.Duration(float64(size*8) / 4e6 * float64(time.Second))
	t.Logf("%d bytes in %v (at least %v); bridge %+v", size, res.Elapsed, minTime, res.Stats.C2S)
	if res.Elapsed < minTime {
		t.Errorf("transfer took %v, faster than the rate allows (%v)", res.Elapsed, minTime)
	}
	if res.Stats.C2S.DroppedQueue == 0 {
		t.Errorf("no tail drops from a 20-frame queue under a bulk transfer: %+v", res.Stats.C2S)
	}
}

func TestContextCancelRemovesNetwork(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithCancel(t.Context())
	n, err := New(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	names := n.Names()
	cancel()
	select {
	case <-n.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("network not removed 30s after its context was cancelled")
	}
	assertGone(t, names)
}

func TestNewFailsCleanly(t *testing.T) {
	requireRoot(t)
	if _, err := New(t.Context(), Config{MTU: 100}); err == nil {
		t.Error("New with MTU 100 succeeded")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := New(ctx, Config{}); !errors.Is(err, context.Canceled) {
		t.Errorf("New with a cancelled context = %v, want context.Canceled", err)
	}
	for _, step := range []string{"namespaces", "links", "offloads", "bridge", "up"} {
		t.Run(step, func(t *testing.T) {
			var names []string
			injected := errors.New("injected failure")
			testHook = func(s string) error {
				if s == step {
					names = ownNamespaces(t)
					return injected
				}
				return nil
			}
			defer func() { testHook = nil }()
			n, err := New(t.Context(), Config{})
			if !errors.Is(err, injected) || n != nil {
				t.Fatalf("New = %v, %v; want the injected failure", n, err)
			}
			if len(names) != 3 {
				t.Fatalf("namespaces at step %s: %v, want 3", step, names)
			}
			assertGone(t, names)
		})
	}
}

// ownNamespaces lists the namespaces this process has made.
func ownNamespaces(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(netnsDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	prefix := "tcplab-" + strconv.Itoa(os.Getpid()) + "-"
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestKilledRunIsCleanedUp runs a child process (this test binary) that
// builds a network and is then killed with SIGKILL, so it cannot clean up;
// the next New must remove its namespaces.
func TestKilledRunIsCleanedUp(t *testing.T) {
	requireRoot(t)
	cmd, names := startChild(t, "kill")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(names) != 3 {
		t.Fatalf("child reported namespaces %v, want 3", names)
	}
	for _, name := range names {
		if !netnsExists(name) {
			t.Fatalf("namespace %s gone before the next run: the test proves nothing", name)
		}
	}
	n, err := New(t.Context(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	assertGone(t, names)
}

// TestKilledRunStopsItsCapture: a child capturing with tcpdump is killed
// with SIGKILL; its tcpdump must not keep running (and keep the network's
// namespace alive) without it.
func TestKilledRunStopsItsCapture(t *testing.T) {
	requireRoot(t)
	requireTool(t, "tcpdump")
	pidFile := filepath.Join(t.TempDir(), "tcpdump.pid")
	t.Setenv("NETLAB_TEST_PIDFILE", pidFile)
	t.Cleanup(func() { RemoveLeftovers(context.Background()) }) // the killed child's namespaces
	cmd, _ := startChild(t, "kill-capturing")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !processRuns(pid) {
		t.Fatalf("child's tcpdump pid %q is not running", b)
	}
	t.Cleanup(func() { unix.Kill(pid, unix.SIGKILL) })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for i := 0; i < 100 && processRuns(pid); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if processRuns(pid) {
		t.Errorf("tcpdump (pid %d) still runs 5s after the process that started it was killed", pid)
	}
}

// TestInterruptRemovesNetwork sends SIGINT (Ctrl-C) to a child that
// builds its network under signal.NotifyContext, as tcplab's main does: the
// child removes the network before it exits.
func TestInterruptRemovesNetwork(t *testing.T) {
	requireRoot(t)
	cmd, names := startChild(t, "interrupt")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child after SIGINT: %v", err)
	}
	if len(names) != 3 {
		t.Fatalf("child reported namespaces %v, want 3", names)
	}
	assertGone(t, names)
}

// startChild runs this test binary as a child that builds a network (see
// TestHelperChildNetwork) and returns it with the names it printed.
func startChild(t *testing.T, mode string) (*exec.Cmd, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperChildNetwork$", "-test.v")
	cmd.Env = append(os.Environ(), "NETLAB_TEST_CHILD="+mode)
	namesc := make(chan []string, 1)
	cmd.Stdout = &namesWriter{c: namesc}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case names := <-namesc:
		return cmd, names
	case <-ctx.Done():
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the child printed no namespace names within 60s")
		return nil, nil
	}
}

// namesWriter takes the child's output and sends the fields of its
// "NAMES ..." line.
type namesWriter struct {
	buf  []byte
	c    chan []string
	sent bool
}

func (w *namesWriter) Write(p []byte) (int, error) {
	if w.sent {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	for {
		line, rest, ok := strings.Cut(string(w.buf), "\n")
		if !ok {
			return len(p), nil
		}
		w.buf = []byte(rest)
		if names, ok := strings.CutPrefix(line, "NAMES "); ok {
			w.c <- strings.Fields(names)
			w.sent = true
			return len(p), nil
		}
	}
}

// TestHelperChildNetwork is the child of TestKilledRunIsCleanedUp and
// TestInterruptRemovesNetwork: it builds a network, prints its names and
// waits to be killed or interrupted.
func TestHelperChildNetwork(t *testing.T) {
	mode := os.Getenv("NETLAB_TEST_CHILD")
	if mode == "" {
		t.Skip("run by TestKilledRunIsCleanedUp and TestInterruptRemovesNetwork")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	n, err := New(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if mode == "kill-capturing" {
		td, err := n.startTcpdump(ctx, Server, ServerIf, filepath.Join(t.TempDir(), "c.pcap"), 0, "tcp")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(os.Getenv("NETLAB_TEST_PIDFILE"), []byte(strconv.Itoa(td.cmd.Process.Pid)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Printf("NAMES %s\n", strings.Join(n.Names(), " "))
	select {
	case <-n.Done(): // interrupted: the network is gone
	case <-time.After(30 * time.Second): // killed long before
	}
}

func TestParallelNetworks(t *testing.T) {
	requireRoot(t)
	type made struct {
		n   *Network
		err error
	}
	ch := make(chan made, 2)
	for range 2 {
		go func() {
			n, err := New(t.Context(), Config{})
			ch <- made{n, err}
		}()
	}
	var nets []*Network
	for range 2 {
		m := <-ch
		if m.err != nil {
			t.Error(m.err)
			continue
		}
		nets = append(nets, m.n)
	}
	defer func() {
		for _, n := range nets {
			names := n.Names()
			n.Close()
			assertGone(t, names)
		}
	}()
	if len(nets) == 2 && nets[0].Name(Client) == nets[1].Name(Client) {
		t.Fatalf("two networks share the name %s", nets[0].Name(Client))
	}
	for _, n := range nets {
		if rtt := handshakeRTT(t, n); rtt <= 0 {
			t.Errorf("no RTT in %s", n.Name(Client))
		}
	}
}

// TestWithoutPrivileges drops CAP_NET_ADMIN on one thread (privtest) and
// checks that New refuses with the remedy and leaves nothing behind.
func TestWithoutPrivileges(t *testing.T) {
	requireRoot(t)
	before := ownNamespaces(t)
	var err error
	privtest.WithoutCap(t, unix.CAP_NET_ADMIN, func() {
		var n *Network
		if n, err = New(context.Background(), Config{}); err == nil {
			n.Close()
		}
	})
	if !errors.Is(err, os.ErrPermission) {
		t.Fatalf("New without CAP_NET_ADMIN = %v, want os.ErrPermission", err)
	}
	for _, want := range []string{"CAP_NET_ADMIN", "root", "sudo"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if after := ownNamespaces(t); len(after) != len(before) {
		t.Errorf("namespaces before %v, after %v", before, after)
	}
}

// TestCloseWhileForwarding closes the network in the middle of a bulk
// transfer, with frames held in the bridge by a delay: Close returns, the
// bridge's goroutines end, the transfer fails instead of hanging, and
// nothing is left behind.
func TestCloseWhileForwarding(t *testing.T) {
	requireRoot(t)
	s, err := impair.Parse("delay=20ms,loss=1%")
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(t.Context(), Config{Impair: s})
	if err != nil {
		t.Fatal(err)
	}
	names := n.Names()
	errc := make(chan error, 1)
	go func() {
		_, err := n.BulkTransfer(t.Context(), BulkOptions{Bytes: 1 << 30, Timeout: 30 * time.Second})
		errc <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for n.Stats().C2S.Forwarded < 100 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n.Stats().C2S.Forwarded < 100 {
		t.Fatalf("the bridge forwarded %d frames in 10s", n.Stats().C2S.Forwarded)
	}
	closed := make(chan error, 1)
	go func() { closed <- n.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Close did not return within 15s of closing a forwarding bridge")
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("BulkTransfer across a network closed under it = %v, want an error wrapping ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("BulkTransfer still running 10s after Close (its timeout is 30s)")
	}
	assertGone(t, names)
	// The bridge's four goroutines and the transfer's are gone.
	leftover := func() string {
		buf := make([]byte, 1<<20)
		all := string(buf[:runtime.Stack(buf, true)])
		for _, fn := range []string{"netlab.(*direction).read", "netlab.(*direction).write", "netlab.(*Network).BulkTransfer"} {
			if strings.Contains(all, fn) {
				return all
			}
		}
		return ""
	}
	for i := 0; i < 100 && leftover() != ""; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if all := leftover(); all != "" {
		t.Errorf("bridge or transfer goroutines still run after Close:\n%s", all)
	}
}
