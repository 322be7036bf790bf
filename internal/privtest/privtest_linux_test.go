package privtest

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// effective returns the calling thread's effective capability set.
func effective(t *testing.T) uint64 {
	t.Helper()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		t.Fatal(err)
	}
	return uint64(data[1].Effective)<<32 | uint64(data[0].Effective)
}

// TestWithoutCap checks that fn runs without the capability, and that the
// test's goroutine keeps it.
func TestWithoutCap(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := effective(t)
	if before&(1<<unix.CAP_NET_RAW) == 0 {
		t.Skip("the tests run without CAP_NET_RAW: nothing to drop (run them as root)")
	}
	var inside uint64
	ran := false
	WithoutCap(t, unix.CAP_NET_RAW, func() {
		inside = effective(t)
		ran = true
	})
	if !ran {
		t.Fatal("WithoutCap did not run the function")
	}
	if want := before &^ (1 << unix.CAP_NET_RAW); inside != want {
		t.Errorf("effective set inside = %#x, want %#x (CAP_NET_RAW dropped)", inside, want)
	}
	if after := effective(t); after != before {
		t.Errorf("effective set of the test's thread changed: %#x, was %#x", after, before)
	}
}

// TestRerun reruns itself with CAP_NET_RAW out of the bounding set: the
// child sees its mode and lacks the capability in its bounding and
// effective sets although it runs as root.
func TestRerun(t *testing.T) {
	if Mode() == "probe" {
		status, err := os.ReadFile("/proc/self/status")
		if err != nil {
			fmt.Println("ERROR", err)
			return
		}
		for _, l := range strings.Split(string(status), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && (k == "CapBnd" || k == "CapEff") {
				fmt.Printf("%s %s\n", k, strings.TrimSpace(v))
			}
		}
		return
	}
	if Mode() != "" {
		t.Fatalf("Mode() = %q in the parent", Mode())
	}
	out, err := Rerun(t.Context(), t, "-net_raw", "TestRerun", "probe")
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	seen := 0
	for _, l := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(l, " ")
		if !ok || (k != "CapBnd" && k != "CapEff") {
			continue
		}
		seen++
		set, err := strconv.ParseUint(v, 16, 64)
		if err != nil {
			t.Fatalf("child printed %q: %v", l, err)
		}
		if set&(1<<unix.CAP_NET_RAW) != 0 {
			t.Errorf("child's %s = %#x still has CAP_NET_RAW", k, set)
		}
		if set&(1<<unix.CAP_NET_ADMIN) == 0 {
			t.Errorf("child's %s = %#x lost CAP_NET_ADMIN too", k, set)
		}
	}
	if seen != 2 {
		t.Errorf("child printed %d capability sets, want 2:\n%s", seen, out)
	}
}
