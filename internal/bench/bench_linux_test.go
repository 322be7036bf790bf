package bench

import (
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRunConnectTimeout fills the accept queue of a listener that never
// accepts (listen backlog 0, as the lab's original server), so that Linux
// drops further SYNs and connecting times out.
func TestRunConnectTimeout(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	// Fill the queue: connect until a connection is no longer established.
	full := false
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			full = true
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	if !full {
		t.Skip("the kernel kept accepting connections to a backlog-0 listener; cannot produce a connect timeout here")
	}
	res := run(t, Config{Addr: addr, Concurrency: 2, Duration: time.Minute, Count: 2, Timeout: 200 * time.Millisecond})
	if diff := cmp.Diff(map[string]uint64{"connect_timeout": 2}, counts(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}
