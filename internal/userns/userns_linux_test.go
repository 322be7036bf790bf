package userns

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/internal/privtest"
)

// TestHasCaps: root holds the lab's capabilities; a thread that dropped
// one does not.
func TestHasCaps(t *testing.T) {
	if os.Geteuid() != 0 {
		if HasCaps(CapNetAdmin) {
			t.Error("HasCaps(CAP_NET_ADMIN) true for a plain user")
		}
		t.Skip("the rest needs root")
	}
	if !HasCaps(CapNetAdmin, CapNetRaw, CapSysAdmin) {
		t.Fatal("HasCaps false for root")
	}
	privtest.WithoutCap(t, CapNetRaw, func() {
		if HasCaps(CapNetAdmin, CapNetRaw) {
			t.Error("HasCaps true on a thread without CAP_NET_RAW")
		}
		if !HasCaps(CapNetAdmin) {
			t.Error("HasCaps(CAP_NET_ADMIN) false on a thread that kept it")
		}
	})
}

// TestRefusedError names the switch when one is known, the error when
// not, and unwraps to the cause.
func TestRefusedError(t *testing.T) {
	cause := errors.New("operation not permitted")
	e := &RefusedError{Why: "the sysctl user.max_user_namespaces is 0", Err: cause}
	if !strings.Contains(e.Error(), "max_user_namespaces") || !errors.Is(e, cause) {
		t.Errorf("RefusedError %q does not name the switch or unwrap", e)
	}
	if e := refused(cause); !strings.Contains(e.Error(), "user namespaces refused") {
		t.Errorf("refused(): %q", e)
	}
}
