// Package netlabtest builds impaired networks for tests in other
// packages: it skips a test that cannot build one (not root, a tool
// missing) with the remedy, and removes the network when the test ends.
package netlabtest

import (
	"os"
	"os/exec"
	"testing"

	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
)

// New returns a network impaired by spec (impair.Parse's syntax),
// removed when t ends. It skips t without root, without the ip command,
// or without any of tools (tcpdump, tshark...).
func New(t testing.TB, spec string, tools ...string) *netlab.Network {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for the network namespaces: run the tests with sudo, as CI does")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (scripts/setup installs it)", tool)
		}
	}
	s, err := impair.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	nw, err := netlab.New(t.Context(), netlab.Config{Impair: s})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Close() })
	return nw
}
