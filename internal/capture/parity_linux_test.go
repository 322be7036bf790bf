//go:build linux

package capture

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestParityWithDumpcap captures the same loopback traffic with tcplab and
// with dumpcap (Wireshark's capture engine, over libpcap) at the same
// time, with the same filter, and checks that both files hold the same
// packets, byte for byte, in the same order.
//
// The traffic comes from a child process pinned to one CPU (taskset), so
// the kernel hands every packet to both sockets in one order; with the
// traffic spread over CPUs, two packets sent at the same instant could
// reach the two sockets in different orders.
func TestParityWithDumpcap(t *testing.T) {
	if os.Getenv(helperEnv) == "traffic" {
		trafficChild()
		return
	}
	dumpcap, err := exec.LookPath("dumpcap")
	if err != nil {
		t.Skip("dumpcap not installed (apt-get install tshark, or run scripts/setup)")
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		t.Skip("taskset not installed (apt-get install util-linux)")
	}
	child := exec.Command(taskset, "-c", "0", os.Args[0], "-test.run=^TestParityWithDumpcap$")
	child.Env = append(os.Environ(), helperEnv+"=traffic")
	child.Stderr = os.Stderr
	toChild, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	fromChild, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Wait()
	defer toChild.Close()
	lines := bufio.NewScanner(fromChild)
	expect := func(prefix string) string {
		t.Helper()
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), prefix); ok {
				return rest
			}
		}
		t.Fatalf("traffic child ended before printing %q: %v", prefix, lines.Err())
		return ""
	}
	port := expect("PORT ")
	portNum, _ := strconv.Atoi(port)
	// "port" rather than "tcp port": the probes below are UDP.
	filter := "port " + port

	dir := t.TempDir()
	if d := os.Getenv("TCPLAB_PARITY_DIR"); d != "" {
		dir = d // keep the files for inspection
	}
	ours, theirs := filepath.Join(dir, "tcplab.pcapng"), filepath.Join(dir, "dumpcap.pcapng")
	f, err := os.Create(ours)
	if err != nil {
		t.Fatal(err)
	}
	var got collector
	s := startOrSkip(t, t.Context(), Config{Filter: filter}, f, got.add)

	dc := exec.Command(dumpcap, "-i", "lo", "-f", filter, "-w", theirs)
	dcErr, err := dc.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := dc.Start(); err != nil {
		t.Fatal(err)
	}
	defer dc.Process.Kill()
	// dumpcap prints "Capturing on" before libpcap has installed the
	// filter (and flushed what came before it), so that message does not
	// mean it is capturing. Its progress counter ("\rPackets: N") does:
	// send numbered UDP probes until it counts one.
	counted := make(chan struct{})
	logDone := make(chan string, 1)
	go func() {
		var log strings.Builder
		sc := bufio.NewScanner(dcErr)
		sc.Split(scanCROrLF)
		once := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "Packets: ") && !once {
				once = true
				close(counted)
			}
		}
		logDone <- log.String()
	}()
	probe, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: portNum})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	deadline := time.After(30 * time.Second)
probing:
	for i := 0; ; i++ {
		fmt.Fprintf(probe, "probe %d", i)
		select {
		case <-counted:
			break probing
		case <-deadline:
			t.Fatal("dumpcap counted no probe within 30s")
		case <-time.After(20 * time.Millisecond):
		}
	}

	fmt.Fprintln(toChild, "go")
	n := expect("DONE ")
	// Let both capture engines read what the kernel has queued: ours has
	// seen the last FIN/ACK when its count stops growing.
	for last := -1; len(got.get()) != last; time.Sleep(300 * time.Millisecond) {
		last = len(got.get())
	}
	st, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	time.Sleep(500 * time.Millisecond)
	dc.Process.Signal(syscall.SIGINT)
	werr := dc.Wait()
	dcLog := <-logDone
	if werr != nil {
		t.Fatalf("dumpcap: %v\n%s", werr, dcLog)
	}

	a, _ := readFile(t, ours)
	b, _ := readFile(t, theirs)
	if len(b) == 0 {
		t.Fatalf("dumpcap captured nothing\n%s", dcLog)
	}
	// Ours started first, so it may have more probes at the start; from
	// dumpcap's first packet (a probe) on, both must be the same.
	start := -1
	for i := range a {
		if bytes.Equal(a[i].data, b[0].data) {
			start = i
			break
		}
	}
	if start < 0 {
		t.Fatalf("dumpcap's first packet is not in tcplab's capture\n%s", dcLog)
	}
	a = a[start:]
	if len(a) != len(b) {
		t.Fatalf("from dumpcap's first packet on, tcplab captured %d packets, dumpcap %d (%s exchanges; stats %+v)\n%s", len(a), len(b), n, st, dcLog)
	}
	for i := range a {
		if !bytes.Equal(a[i].data, b[i].data) || a[i].length != b[i].length {
			t.Fatalf("packet %d differs: tcplab %d bytes (wire %d), dumpcap %d bytes (wire %d)", i+1, len(a[i].data), a[i].length, len(b[i].data), b[i].length)
		}
	}
	tcp := 0
	for _, r := range a {
		if _, _, _, ok := tcpPorts(r.data); ok {
			tcp++
		}
	}
	if tcp < 20*7 {
		t.Errorf("only %d TCP packets for %s exchanges", tcp, n)
	}
	big := 0
	for _, r := range a {
		if len(r.data) > 16000 {
			big++
		}
	}
	if big == 0 {
		t.Errorf("no packet above 16000 bytes: the large transfers did not make large loopback segments")
	}
	if st.Dropped != 0 {
		t.Errorf("tcplab dropped %d", st.Dropped)
	}
	t.Logf("%s exchanges: %d packets (%d TCP, %d above 16000 bytes) equal in both captures", n, len(a), tcp, big)
}

// trafficChild runs the lab's exchange against its own server, one
// exchange at a time, when the parent says "go": some plain, some with
// 200 KB of extra data to make large segments.
func trafficChild() {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	defer ln.Close()
	go serveLab(ln)
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return
	}
	const n = 20
	for i := range n {
		big := 0
		if i%5 == 4 {
			big = 200 << 10
		}
		if _, err := exchange(ln.Addr().String(), i, big); err != nil {
			fmt.Println("ERROR", err)
			return
		}
	}
	fmt.Printf("DONE %d\n", n)
}

// scanCROrLF is bufio.ScanLines that also ends a line at '\r', which
// dumpcap uses to rewrite its progress counter.
func scanCROrLF(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
