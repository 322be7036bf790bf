//go:build linux

package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/capfilter"
	"github.com/tcplab/tcplab/internal/privtest"
)

// TestCaptureFileEqualsDelivered captures lab exchanges on lo and checks
// that the file holds exactly the delivered packets, that only the
// filtered port was captured, that each packet appears once (one SYN per
// connection: the outgoing copy on lo is dropped), and that tshark reads
// the file.
func TestCaptureFileEqualsDelivered(t *testing.T) {
	port := labServer(t, false)
	port6 := labServer(t, true)
	other := labServer(t, false)
	f, path := tempFile(t, "lab.pcapng")
	var got collector
	s := startOrSkip(t, t.Context(), Config{Filter: fmt.Sprintf("tcp port %d or tcp port %d", port, port6)}, f, got.add)
	const n = 10
	for i := range n {
		for _, addr := range []string{fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("[::1]:%d", port6), fmt.Sprintf("127.0.0.1:%d", other)} {
			if _, err := exchange(addr, i, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	st, err := s.Stop()
	if err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	delivered := got.get()
	if st.Captured != uint64(len(delivered)) || st.Dropped != 0 || st.Received != st.Captured {
		t.Errorf("Stop() stats = %+v, want %d captured = received, no drops", st, len(delivered))
	}
	file, rd := readFile(t, path)
	if len(file) != len(delivered) {
		t.Fatalf("file has %d packets, %d were delivered", len(file), len(delivered))
	}
	for i := range file {
		if !bytes.Equal(file[i].data, delivered[i].data) || file[i].ts != delivered[i].ts || file[i].length != delivered[i].length {
			t.Fatalf("packet %d differs between the file and the delivery", i+1)
		}
		src, dst, _, ok := tcpPorts(file[i].data)
		if !ok || (src != port && dst != port && src != port6 && dst != port6) {
			t.Fatalf("packet %d (% x) does not match the filter", i+1, file[i].data[:min(len(file[i].data), 54)])
		}
	}
	syns4, dup4 := handshakes(file, port)
	syns6, dup6 := handshakes(file, port6)
	if syns4 != n || syns6 != n || dup4 || dup6 {
		t.Errorf("connections to %d and %d: %d and %d, duplicate frames %v; want %d each, each packet once", port, port6, syns4, syns6, dup4 || dup6, n)
	}
	ifcs := rd.Interfaces()
	if len(ifcs) != 1 || ifcs[0].Name != "lo" || ifcs[0].TSResol != 9 || ifcs[0].SnapLen != DefaultSnapLen {
		t.Errorf("file interfaces = %+v, want lo with nanosecond timestamps and snap length %d", ifcs, DefaultSnapLen)
	}
	if stats := rd.Stats(); len(stats) != 1 || stats[0].Dropped != 0 || stats[0].Delivered != int64(len(file)) || stats[0].Received != int64(st.Received) {
		t.Errorf("file statistics = %+v, want 0 dropped, %d delivered", stats, len(file))
	}
	checkTshark(t, path, len(file))
}

// checkTshark checks that tshark reads the whole file without complaint.
func checkTshark(t *testing.T, path string, want int) {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Logf("tshark not installed (apt-get install tshark): not checking %s with it", path)
		return
	}
	var stderr bytes.Buffer
	cmd := exec.Command("tshark", "-r", path, "-T", "fields", "-e", "frame.number")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v\n%s", path, err, stderr.Bytes())
	}
	if got := strings.Count(string(out), "\n"); got != want {
		t.Errorf("tshark reads %d packets from %s, want %d:\n%s", got, path, want, out)
	}
}

// TestInterruptLosesNothing streams numbered datagrams and stops the
// capture mid-stream: every datagram sent before Stop is in the file, the
// file equals what was delivered, and tshark reads it.
func TestInterruptLosesNothing(t *testing.T) {
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	go func() { // keep the receive queue empty
		b := make([]byte, 2048)
		for {
			if _, err := rx.Read(b); err != nil {
				return
			}
		}
	}()
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	port := rx.LocalAddr().(*net.UDPAddr).Port
	f, path := tempFile(t, "interrupt.pcapng")
	var got collector
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s := startOrSkip(t, ctx, Config{Filter: fmt.Sprintf("udp dst port %d", port)}, f, got.add)

	var sent int
	var mu sync.Mutex
	stopSending := make(chan struct{})
	sending := make(chan struct{})
	go func() {
		defer close(sending)
		msg := make([]byte, 64)
		for i := 0; i < 200000; i++ {
			select {
			case <-stopSending:
				return
			default:
			}
			copy(msg, strconv.Itoa(i)+" ")
			if _, err := tx.Write(msg); err != nil {
				return
			}
			mu.Lock()
			sent = i + 1
			mu.Unlock()
			if i%64 == 63 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	// Interrupt once some datagrams are captured, while still sending.
	deadline := time.Now().Add(10 * time.Second)
	for len(got.get()) < 200 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	sentBefore := sent
	mu.Unlock()
	cancel() // as Ctrl-C does
	st, err := s.Wait()
	close(stopSending)
	<-sending
	if err != nil {
		t.Fatalf("Wait() after cancel = %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	delivered := got.get()
	file, _ := readFile(t, path)
	if len(file) != len(delivered) || uint64(len(file)) != st.Captured {
		t.Fatalf("file has %d packets, %d were delivered, stats say %d", len(file), len(delivered), st.Captured)
	}
	for i := range file {
		if !bytes.Equal(file[i].data, delivered[i].data) {
			t.Fatalf("packet %d differs between the file and the delivery", i+1)
		}
		// Datagrams arrive in order: packet i carries number i.
		if want := strconv.Itoa(i) + " "; !bytes.HasPrefix(file[i].data[42:], []byte(want)) {
			t.Fatalf("packet %d carries %q, want %q: a datagram was lost", i+1, file[i].data[42:50], want)
		}
	}
	if len(file) < sentBefore {
		t.Errorf("file has %d datagrams, but %d were sent before the interrupt", len(file), sentBefore)
	}
	if st.Dropped != 0 {
		t.Errorf("kernel dropped %d packets", st.Dropped)
	}
	t.Logf("sent %d before the interrupt, captured %d", sentBefore, len(file))
	checkTshark(t, path, len(file))
}

func TestCountAndDuration(t *testing.T) {
	port := labServer(t, false)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	filter := fmt.Sprintf("tcp port %d", port)

	s := startOrSkip(t, t.Context(), Config{Filter: filter, Count: 5}, nil, nil)
	for i := 0; i < 3; i++ { // about 10 packets each
		if _, err := exchange(addr, i, 0); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("capture with Count 5 did not stop")
	}
	if st, err := s.Wait(); err != nil || st.Captured != 5 {
		t.Errorf("Wait() with Count 5 = %+v, %v; want 5 captured", st, err)
	}

	var got collector
	s = startOrSkip(t, t.Context(), Config{Filter: filter, Duration: 300 * time.Millisecond}, nil, got.add)
	if _, err := exchange(addr, 1, 0); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("capture with Duration 300ms did not stop")
	}
	st, err := s.Wait()
	if err != nil || st.Captured == 0 || st.Captured != uint64(len(got.get())) {
		t.Errorf("Wait() with Duration = %+v, %v; want the exchange's packets (%d delivered)", st, err, len(got.get()))
	}
	if d := time.Duration(st.End - st.Start); d < 300*time.Millisecond {
		t.Errorf("capture with Duration 300ms lasted %v", d)
	}
}

// TestLoadZeroDrops runs 128 concurrent lab clients, repeatedly, and checks
// that the kernel dropped nothing and every connection is in the capture.
func TestLoadZeroDrops(t *testing.T) {
	port := labServer(t, false)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	f, path := tempFile(t, "load.pcapng")
	s := startOrSkip(t, t.Context(), Config{Filter: fmt.Sprintf("tcp port %d", port)}, f, nil)
	const clients, rounds = 128, 8
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Go(func() {
			for r := range rounds {
				if _, err := exchange(addr, c*rounds+r, 0); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("exchange: %v", err)
	}
	st, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if st.Dropped != 0 || st.Received != st.Captured {
		t.Errorf("under load: %+v, want no drops and everything received delivered", st)
	}
	file, _ := readFile(t, path)
	syns, dup := handshakes(file, port)
	if syns != clients*rounds || dup {
		t.Errorf("capture has %d connections (duplicate frames: %v), want %d", syns, dup, clients*rounds)
	}
	t.Logf("%d connections, %d packets, stats %+v", clients*rounds, len(file), st)
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
		is   error
	}{
		{Config{Filter: "tcp port"}, `capture: filter "tcp port"`, capfilter.ErrSyntax},
		{Config{Interface: "no-such-if0"}, `no interface "no-such-if0" (this host has: lo`, nil},
		{Config{Interface: "any"}, `one interface at a time, not "any"`, nil},
		{Config{SnapLen: -1}, "snap length -1 out of range", nil},
		{Config{SnapLen: MaxSnapLen + 1}, "snap length", nil},
		{Config{BufferSize: 1000}, "buffer size 1000 out of range", nil},
		{Config{Count: -1}, "packet count -1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			c, err := Open(tt.cfg)
			if err == nil {
				c.Close()
				t.Fatalf("Open(%+v) = nil error, want %q", tt.cfg, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("Open(%+v) = %v, want %q", tt.cfg, err, tt.want)
			}
		})
	}
}

func TestRingGeometry(t *testing.T) {
	tests := []struct{ snap, buf, size, count int }{
		{DefaultSnapLen, DefaultBufferSize, 512 << 10, 64},
		{65535, DefaultBufferSize, 128 << 10, 256},
		{96, MinBufferSize, 128 << 10, 8},
		{MaxSnapLen, MinBufferSize, 512 << 10, 4},
	}
	for _, tt := range tests {
		size, count := ringGeometry(tt.snap, tt.buf)
		if size != tt.size || count != tt.count {
			t.Errorf("ringGeometry(%d, %d) = %d, %d; want %d, %d", tt.snap, tt.buf, size, count, tt.size, tt.count)
		}
	}
}

// TestPermissionRemedy runs Open in a child process without CAP_NET_RAW
// and checks the error names the capability and the remedy.
func TestPermissionRemedy(t *testing.T) {
	if privtest.Mode() == "open" {
		_, err := Open(Config{})
		var pe *PermissionError
		if errors.As(err, &pe) && errors.Is(err, os.ErrPermission) {
			fmt.Println("PERMISSION:", err)
			return
		}
		fmt.Println("OTHER:", err)
		return
	}
	out := runWithCaps(t, "-net_raw", "TestPermissionRemedy", "open")
	for _, want := range []string{"PERMISSION:", "CAP_NET_RAW", "run tcplab as root", "sudo setcap cap_net_raw+ep ./tcplab"} {
		if !strings.Contains(out, want) {
			t.Errorf("Open without CAP_NET_RAW printed %q, want it to contain %q", out, want)
		}
	}
}

// helperEnv tells a child copy of the test binary which helper to be.
const helperEnv = "TCPLAB_CAPTURE_TEST_HELPER"

// runWithCaps reruns this test binary's test named test in a child, with
// privtest.Mode returning mode and its capability bounding set changed by
// bounding (setpriv's syntax: "-net_raw" drops one, "-all,+net_raw" keeps
// one), and returns the child's output. The child must succeed.
func runWithCaps(t *testing.T, bounding, test, mode string) string {
	t.Helper()
	out, err := privtest.Rerun(t.Context(), t, bounding, test, mode)
	if err != nil {
		t.Fatalf("child with bounding set %s: %v\n%s", bounding, err, out)
	}
	return string(out)
}

// TestHandlerErrorEndsCapture checks that an error from the packet
// function ends the capture, is returned, and the file is still complete.
func TestHandlerErrorEndsCapture(t *testing.T) {
	port := labServer(t, false)
	f, path := tempFile(t, "handler.pcapng")
	errStop := errors.New("enough")
	s := startOrSkip(t, t.Context(), Config{Filter: fmt.Sprintf("tcp port %d", port)}, f, func(p *Packet) error {
		if p.Number == 3 {
			return errStop
		}
		return nil
	})
	if _, err := exchange(fmt.Sprintf("127.0.0.1:%d", port), 1, 0); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("capture did not end on the handler's error")
	}
	st, err := s.Wait()
	if !errors.Is(err, errStop) || st.Captured != 3 {
		t.Errorf("Wait() = %+v, %v; want 3 captured and the handler's error", st, err)
	}
	f.Close()
	// The third packet was written before the handler saw it.
	if recs, rd := readFile(t, path); len(recs) != 3 || len(rd.Stats()) != 1 {
		t.Errorf("file has %d packets and %d statistics blocks, want 3 and 1", len(recs), len(rd.Stats()))
	}
}

func TestSnapLen(t *testing.T) {
	port := labServer(t, false)
	var got collector
	s := startOrSkip(t, t.Context(), Config{Filter: fmt.Sprintf("tcp port %d", port), SnapLen: 60}, nil, got.add)
	if _, err := exchange(fmt.Sprintf("127.0.0.1:%d", port), 1, 5000); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	long := 0
	for i, r := range got.get() {
		if len(r.data) > 60 || r.length < len(r.data) {
			t.Fatalf("packet %d: %d bytes captured of %d, want at most 60", i+1, len(r.data), r.length)
		}
		if r.length > 60 {
			long++
		}
	}
	if long == 0 {
		t.Errorf("no packet longer than the snap length: the test proves nothing")
	}
}

// TestStartFile checks that StartFile writes and closes its file, and
// creates none when the capture cannot open.
func TestStartFile(t *testing.T) {
	port := labServer(t, false)
	path := filepath.Join(t.TempDir(), "server.pcapng")
	s, err := StartFile(t.Context(), Config{Filter: fmt.Sprintf("tcp port %d", port)}, path, nil)
	var pe *PermissionError
	if errors.As(err, &pe) {
		t.Skipf("needs CAP_NET_RAW: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exchange(fmt.Sprintf("127.0.0.1:%d", port), 7, 0); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	recs, rd := readFile(t, path)
	if uint64(len(recs)) != st.Captured || len(recs) < 9 || len(rd.Stats()) != 1 {
		t.Errorf("file has %d packets and %d statistics blocks; stats %+v", len(recs), len(rd.Stats()), st)
	}
	bad := filepath.Join(t.TempDir(), "bad.pcapng")
	if _, err := StartFile(t.Context(), Config{Filter: "tcp port"}, bad, nil); err == nil {
		t.Fatal("StartFile with a bad filter = nil error")
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("StartFile that failed left %s: %v", bad, err)
	}
}

// TestOnlyNetRaw checks that CAP_NET_RAW alone is enough: a child with no
// other capability captures a datagram.
func TestOnlyNetRaw(t *testing.T) {
	if privtest.Mode() == "onlyraw" {
		rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			fmt.Println("ERROR", err)
			return
		}
		defer rx.Close()
		s, err := Start(context.Background(), Config{Filter: fmt.Sprintf("udp dst port %d", rx.LocalAddr().(*net.UDPAddr).Port), Count: 1, Duration: 10 * time.Second}, nil, nil)
		if err != nil {
			fmt.Println("ERROR", err)
			return
		}
		if c, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr)); err == nil {
			c.Write([]byte("only CAP_NET_RAW"))
			c.Close()
		}
		st, err := s.Wait()
		fmt.Printf("CAPTURED %d %v\n", st.Captured, err)
		return
	}
	out := runWithCaps(t, "-all,+net_raw", "TestOnlyNetRaw", "onlyraw")
	if !strings.Contains(out, "CAPTURED 1 <nil>") {
		t.Errorf("capture with only CAP_NET_RAW printed %q, want one packet captured", out)
	}
}
