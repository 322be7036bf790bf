//go:build linux

package listing

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/impair"
	"github.com/tcplab/tcplab/internal/netlab"
)

// TestParityImpaired captures bulk transfers across netlab's impaired
// network (loss, delay, reordering, duplication) and compares every TCP
// packet with tshark. These captures are where retransmissions, fast
// retransmissions, out-of-order segments, lost segments, duplicate ACKs and
// SACK blocks come from.
func TestParityImpaired(t *testing.T) {
	needTshark(t)
	if testing.Short() {
		t.Skip("bulk transfers across namespaces take seconds: not in -short")
	}
	for _, tc := range []struct {
		name, spec string
		bytes      int64
		ipv6       bool
		ecn        bool // both hosts negotiate ECN (net.ipv4.tcp_ecn=1 in their namespaces)
	}{
		{"loss", "loss=3%,delay=5ms,seed=11", 400 << 10, false, false},
		{"reorder", "delay=5ms,reorder=5%,seed=12", 400 << 10, false, false},
		{"dup", "dup=3%,delay=2ms,seed=13", 300 << 10, false, false},
		{"mixed-v6", "loss=2%,dup=1%,reorder=2%,delay=5ms,seed=14", 300 << 10, true, false},
		{"ecn", "ecn=5%,delay=2ms,seed=15", 300 << 10, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if os.Geteuid() != 0 {
				t.Skip("network namespaces need root: run the tests as root")
			}
			spec, err := impair.Parse(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			n, err := netlab.New(ctx, netlab.Config{Impair: spec})
			if errors.Is(err, os.ErrPermission) {
				t.Skipf("netlab: %v", err)
			}
			if err != nil {
				t.Fatalf("netlab.New: %v", err)
			}
			defer n.Close()
			if tc.ecn {
				for _, h := range []netlab.Host{netlab.Client, netlab.Server} {
					if out, err := n.Command(ctx, h, "sysctl", "-w", "net.ipv4.tcp_ecn=1").CombinedOutput(); err != nil {
						t.Fatalf("sysctl in the %v namespace: %v: %s", h, err, out)
					}
				}
			}
			file := filepath.Join(t.TempDir(), "bulk.pcap")
			if dir := os.Getenv("TCPLAB_PARITY_KEEP"); dir != "" {
				file = filepath.Join(dir, "impaired-"+tc.name+".pcap")
			}
			res, err := n.BulkTransfer(ctx, netlab.BulkOptions{Bytes: tc.bytes, IPv6: tc.ipv6, Capture: file, Timeout: 60 * time.Second})
			if err != nil {
				t.Fatalf("BulkTransfer: %v", err)
			}
			t.Logf("%s: %d bytes, %d retransmitted; c2s %v", tc.spec, res.Received, res.Retransmits, res.Stats.C2S)
			compareWithTshark(t, file)
		})
	}
}
