//go:build linux

package capfilter

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/afpacket"
	"github.com/tcplab/tcplab/internal/decode"
)

// inNewNetns runs fn on a thread in a new network namespace whose lo is
// up, so the frames a test sends there meet nobody else's traffic. The
// thread is never unlocked, so it ends with fn instead of returning to
// the scheduler in the wrong namespace.
func inNewNetns(t *testing.T, fn func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace and packet sockets (run the tests as root)")
	}
	done := make(chan struct{})
	var setupErr error
	go func() {
		defer close(done)
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			setupErr = err
			return
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			setupErr = err
			return
		}
		defer unix.Close(fd)
		ifr, _ := unix.NewIfreq("lo")
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
			setupErr = err
			return
		}
		ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
		if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
			setupErr = err
			return
		}
		fn()
	}()
	<-done
	if setupErr != nil {
		t.Fatalf("new network namespace: %v", setupErr)
	}
}

// TestKernelRunsFiltersAsVM attaches each compiled filter to a packet
// socket in a private network namespace, sends every test frame through
// lo, and checks that the kernel's BPF accepts exactly the frames that
// x/net/bpf's VM accepts (which TestMatchesTcpdump compares with tcpdump),
// in order. It also proves the kernel's checker accepts the programs.
func TestKernelRunsFiltersAsVM(t *testing.T) {
	var frames []frame
	for _, f := range testFrames() {
		// Runts cannot be sent; the kernel takes an 802.1Q tag out of the
		// frame before packet sockets see it (libpcap has the same
		// behaviour and its own "vlan" primitive for it).
		if len(f.data) < 14 || bytes.Equal(f.data[12:14], []byte{0x81, 0x00}) {
			continue
		}
		frames = append(frames, f)
	}
	sentinel := ether(0x88b5, []byte("tcplab capfilter sentinel")) // IEEE local experimental EtherType
	inNewNetns(t, func() {
		tx, err := afpacket.Listen("lo", &afpacket.Config{Protocol: 0x88b6})
		if errors.Is(err, os.ErrPermission) {
			t.Skipf("needs CAP_NET_RAW: %v", err)
		}
		if err != nil {
			t.Errorf("afpacket.Listen(lo) = %v", err)
			return
		}
		defer tx.Close()
		for _, filter := range parityFilters {
			prog, err := Compile(filter, decode.LinkEthernet, 65535)
			if err != nil {
				t.Errorf("Compile(%q) = %v", filter, err)
				continue
			}
			raw, err := bpf.Assemble(prog)
			if err != nil {
				t.Errorf("Assemble(%q) = %v", filter, err)
				continue
			}
			kernelMatches(t, filter, raw, prog, tx, frames, sentinel)
		}
	})
}

func kernelMatches(t *testing.T, filter string, raw []bpf.RawInstruction, prog []bpf.Instruction, tx *afpacket.Conn, frames []frame, sentinel []byte) {
	cfg := &afpacket.Config{IgnoreOutgoing: true, ReadBuffer: 8 << 20}
	all, err := afpacket.Listen("lo", cfg)
	if err != nil {
		t.Errorf("listen: %v", err)
		return
	}
	defer all.Close()
	cfg.Filter = raw
	filtered, err := afpacket.Listen("lo", cfg)
	if err != nil {
		t.Errorf("filter %q: the kernel refuses the program: %v", filter, err)
		return
	}
	defer filtered.Close()

	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	for _, f := range frames {
		if n, _ := vm.Run(f.data); n != 0 {
			want = append(want, f.data)
		}
		if _, err := tx.WriteFrame(f.data); err != nil {
			t.Errorf("send %s: %v", f.name, err)
			return
		}
	}
	if _, err := tx.WriteFrame(sentinel); err != nil {
		t.Errorf("send sentinel: %v", err)
		return
	}
	// Every packet socket gets each frame in turn, in one pass: once the
	// unfiltered socket has the sentinel, the filtered one has all it
	// will ever get of the frames before it.
	buf := make([]byte, 70000)
	all.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, _, err := all.ReadFrame(buf)
		if err != nil {
			t.Errorf("filter %q: waiting for the sentinel: %v", filter, err)
			return
		}
		if bytes.Equal(buf[:n], sentinel) {
			break
		}
	}
	var got [][]byte
	// Only what is queued: a read of a queued frame returns at once (a
	// deadline already passed would refuse even that).
	filtered.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	for {
		n, _, err := filtered.ReadFrame(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Errorf("filter %q: %v", filter, err)
			return
		}
		if !bytes.Equal(buf[:n], sentinel) {
			got = append(got, append([]byte(nil), buf[:n]...))
		}
	}
	if st, err := filtered.Stats(); err == nil && st.Drops != 0 {
		t.Errorf("filter %q: the socket dropped %d frames: the comparison is void", filter, st.Drops)
	}
	if len(got) != len(want) {
		t.Errorf("filter %q: kernel accepted %d frames, the VM %d", filter, len(got), len(want))
		return
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("filter %q: accepted frame %d differs between kernel and VM", filter, i+1)
			return
		}
	}
}
