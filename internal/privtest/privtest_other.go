//go:build !linux

package privtest

import (
	"runtime"
	"testing"
)

// WithoutCap skips the test: capabilities are Linux's.
func WithoutCap(t testing.TB, capability int, fn func()) {
	t.Helper()
	t.Skipf("dropping a capability needs Linux, not %s", runtime.GOOS)
}
