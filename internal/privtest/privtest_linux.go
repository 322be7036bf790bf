package privtest

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// WithoutCap runs fn on a locked OS thread whose effective capability set
// lacks capability (unix.CAP_NET_RAW, ...), and returns when fn has
// returned. The thread is never unlocked, so it ends with fn's goroutine
// and the capability stays dropped for nothing else. Goroutines that fn
// starts run on other threads, with the capability. WithoutCap fails the
// test when the capability cannot be dropped or fn does not return (it
// called t.FailNow, which belongs on the test's goroutine).
func WithoutCap(t testing.TB, capability int, fn func()) {
	t.Helper()
	if capability < 0 || capability >= 64 {
		t.Fatalf("privtest: capability %d: want 0 to 63", capability)
	}
	errc := make(chan error, 1)
	go func() {
		err := errors.New("the function did not return (t.FailNow or runtime.Goexit in it)")
		defer func() { errc <- err }()
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if cerr := unix.Capget(&hdr, &data[0]); cerr != nil {
			err = fmt.Errorf("capget: %w", cerr)
			return
		}
		data[capability/32].Effective &^= 1 << (capability % 32)
		if cerr := unix.Capset(&hdr, &data[0]); cerr != nil {
			err = fmt.Errorf("capset without capability %d: %w", capability, cerr)
			return
		}
		fn()
		err = nil
	}()
	if err := <-errc; err != nil {
		t.Fatalf("privtest: %v", err)
	}
}
