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
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// realCase is a connection through netlab's impaired network whose
// capture is compared with tshark, whole and with frames removed.
type realCase struct {
	name, spec string
	// missing compares the capture again with about one frame in 64
	// removed.
	missing bool
	// run makes the traffic on n, capturing it into file.
	run func(ctx context.Context, n *netlab.Network, file string) (netlab.ConnResult, error)
}

// bidi returns a realCase's run for a bulk transfer both ways.
func bidi(opts netlab.BidiOptions) func(context.Context, *netlab.Network, string) (netlab.ConnResult, error) {
	return func(ctx context.Context, n *netlab.Network, file string) (netlab.ConnResult, error) {
		opts.Capture, opts.Timeout = file, 20*time.Second
		return n.BidiTransfer(ctx, opts)
	}
}

// exchange returns a realCase's run for request/response pairs.
func exchange(opts netlab.ExchangeOptions) func(context.Context, *netlab.Network, string) (netlab.ConnResult, error) {
	return func(ctx context.Context, n *netlab.Network, file string) (netlab.ConnResult, error) {
		opts.Capture, opts.Timeout = file, 20*time.Second
		return n.Exchange(ctx, opts)
	}
}

// TestParityBidi captures data flowing both ways at once on one
// connection through the impaired network, at either end and on "any"
// (SLL2), and compares every TCP packet with tshark: each segment both
// carries data and acknowledges the other side's, so losses, duplicates
// and reordering hit both sequence spaces at once.
func TestParityBidi(t *testing.T) {
	const k = 1 << 10
	server, client := netlab.ConnOptions{}, netlab.ConnOptions{CaptureAt: netlab.Client}
	runReal(t, []realCase{
		{"asym", "c2s:loss=4%,s2c:loss=2%,s2c:dup=3%,s2c:reorder=4%,delay=3ms,s2c:delay=8ms,seed=23", true,
			bidi(netlab.BidiOptions{ConnOptions: server, ClientBytes: 250 * k, ServerBytes: 250 * k})},
		{"asym-client", "s2c:loss=4%,c2s:loss=1%,c2s:reorder=5%,c2s:dup=2%,delay=4ms,seed=26", false,
			bidi(netlab.BidiOptions{ConnOptions: client, ClientBytes: 200 * k, ServerBytes: 300 * k})},
		{"mixed-client", "loss=2%,dup=2%,reorder=3%,delay=4ms,seed=22", false,
			bidi(netlab.BidiOptions{ConnOptions: client, ClientBytes: 300 * k, ServerBytes: 200 * k})},
		{"mixed-v6", "loss=2%,reorder=2%,dup=1%,delay=5ms,seed=24", false,
			bidi(netlab.BidiOptions{ConnOptions: netlab.ConnOptions{IPv6: true}, ClientBytes: 250 * k, ServerBytes: 250 * k})},
		{"sll2", "loss=2%,dup=1%,reorder=2%,delay=3ms,seed=25", false,
			bidi(netlab.BidiOptions{ConnOptions: netlab.ConnOptions{CaptureAny: true}, ClientBytes: 200 * k, ServerBytes: 200 * k})},
	})
}

// TestParityExchange captures a persistent connection carrying request/
// response pairs of a few bytes to tens of kB, some pipelined, with loss
// both ways, and one whose small receive buffers and slow readers close
// the windows both ways (zero windows, their probes, window full, window
// updates).
func TestParityExchange(t *testing.T) {
	runReal(t, []realCase{
		{"exchange-loss", "loss=3%,delay=3ms,seed=31", true,
			exchange(netlab.ExchangeOptions{Pairs: 100, MaxSize: 40 << 10, Pipeline: 3, Seed: 31})},
		{"exchange-asym-client", "c2s:loss=2%,s2c:loss=4%,reorder=2%,dup=1%,delay=2ms,seed=32", false, exchange(netlab.ExchangeOptions{
			ConnOptions: netlab.ConnOptions{CaptureAt: netlab.Client}, Pairs: 100, MaxSize: 40 << 10, Pipeline: 4, Seed: 32})},
		{"exchange-zerowin", "loss=2%,delay=2ms,seed=33", true, exchange(netlab.ExchangeOptions{
			ConnOptions: netlab.ConnOptions{RcvBuf: 4096}, Pairs: 80, MaxSize: 30 << 10, Pipeline: 3, Pause: 4 * time.Millisecond, Seed: 33})},
	})
}

// runReal runs each case in a network of its own and compares its capture
// with tshark, then, if the case says so, the same capture with about one
// frame in 64 removed: tshark reads the same file, so every field must
// still match.
func runReal(t *testing.T, cases []realCase) {
	t.Helper()
	needTshark(t)
	pcaptest.NeedTools(t, "tcpdump")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if os.Geteuid() != 0 {
				t.Skip("network namespaces need root: run the tests as root")
			}
			spec, err := impair.Parse(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			n, err := netlab.New(ctx, netlab.Config{Impair: spec})
			if errors.Is(err, os.ErrPermission) {
				t.Skipf("netlab: %v", err)
			}
			if err != nil {
				t.Fatalf("netlab.New: %v", err)
			}
			defer n.Close()
			dir := t.TempDir()
			if keep := os.Getenv("TCPLAB_PARITY_KEEP"); keep != "" {
				dir = keep
			}
			file := filepath.Join(dir, "real-"+tc.name+".pcap")
			res, err := tc.run(ctx, n, file)
			if err != nil {
				t.Fatalf("%s: %v", tc.spec, err)
			}
			t.Logf("%s: client sent %d, server sent %d in %v; c2s %v; s2c %v", tc.spec, res.ClientSent, res.ServerSent,
				res.Elapsed.Round(time.Millisecond), res.Stats.C2S, res.Stats.S2C)
			compareWithTshark(t, file)
			if !tc.missing {
				return
			}
			t.Run("missing", func(t *testing.T) {
				cut := filepath.Join(dir, "real-"+tc.name+"-missing.pcap")
				kept, all := dropFrames(t, file, cut, 64)
				t.Logf("%d of %d frames kept", kept, all)
				compareWithTshark(t, cut)
			})
		})
	}
}

// dropFrames copies the capture src to dst without about one frame in
// every (chosen by a hash of the frame's number, so always the same
// ones), and returns how many frames it kept of how many.
func dropFrames(t *testing.T, src, dst string, every uint64) (kept, all int) {
	t.Helper()
	recs, _ := pcaptest.ReadAll(t, src)
	if len(recs) == 0 {
		t.Fatalf("%s has no frames", src)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w, err := pcapio.NewPcapWriter(out, pcapio.PcapOptions{Link: recs[0].Link, Nanosecond: recs[0].Resolution > 6})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if splitmix(uint64(i+1))%every == 0 {
			continue
		}
		if err := w.WritePacket(r.Timestamp, r.Data, r.OrigLen); err != nil {
			t.Fatal(err)
		}
		kept++
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return kept, len(recs)
}

// splitmix is SplitMix64's output function: a well-mixed hash of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
