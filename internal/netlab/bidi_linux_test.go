//go:build linux

package netlab

import (
	"cmp"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	opts := ExchangeOptions{Pairs: 500, MaxSize: 40 << 10, Pipeline: 4, Seed: 9}
	batches := plan(opts)
	if !reflect.DeepEqual(batches, plan(opts)) {
		t.Fatal("plan is not repeatable with the same seed")
	}
	opts.Seed++
	if reflect.DeepEqual(batches, plan(opts)) {
		t.Error("plan is the same with another seed")
	}
	pairs, piped, small, large := 0, 0, 0, 0
	for _, b := range batches {
		if len(b) < 1 || len(b) > 4 {
			t.Errorf("batch of %d requests, want 1 to 4", len(b))
		}
		if len(b) > 1 {
			piped++
		}
		pairs += len(b)
		for _, rq := range b {
			for _, size := range []int{rq.body, rq.response} {
				if size < 1 || size > 40<<10 {
					t.Errorf("size %d, want 1 to %d", size, 40<<10)
				}
				if size < 100 {
					small++
				}
				if size > 10<<10 {
					large++
				}
			}
		}
	}
	if pairs != 500 || piped == 0 || small < 100 || large < 100 {
		t.Errorf("%d pairs (want 500), %d pipelined batches, %d sizes under 100 bytes, %d over 10 KiB: want some of each", pairs, piped, small, large)
	}
	for _, b := range plan(ExchangeOptions{Pairs: 20, MaxSize: 5}) {
		if len(b) != 1 {
			t.Errorf("batch of %d without Pipeline, want 1", len(b))
		}
	}
}

// directionBytes counts the payload bytes of the capture from the
// client to the server, and back, as the highest relative sequence
// number of a payload's end, less the SYN's.
func directionBytes(t *testing.T, file string, port int) (c2s, s2c int64) {
	t.Helper()
	for _, r := range tsharkFields(t, file, "tcp.len > 0", "tcp.dstport", "tcp.seq", "tcp.len") {
		seq, _ := strconv.ParseInt(r[1], 10, 64)
		l, _ := strconv.ParseInt(r[2], 10, 64)
		next := seq + l
		if r[0] == strconv.Itoa(port) {
			c2s = max(c2s, next-1)
		} else {
			s2c = max(s2c, next-1)
		}
	}
	return c2s, s2c
}

func TestBidiTransfer(t *testing.T) {
	requireTool(t, "tcpdump")
	n := newNet(t, "loss=1%,delay=1ms,seed=3")
	for _, tt := range []struct {
		name string
		opts BidiOptions
		link string
	}{
		{"ipv4 server side", BidiOptions{ClientBytes: 200_000, ServerBytes: 150_000}, "eth"},
		{"ipv6 any on the client", BidiOptions{ConnOptions: ConnOptions{IPv6: true, CaptureAt: Client, CaptureAny: true, Port: 7001}, ClientBytes: 50_000, ServerBytes: 120_000}, "sll"},
		{"server only", BidiOptions{ConnOptions: ConnOptions{Port: 7002}, ServerBytes: 100_000}, "eth"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bidi.pcap")
			tt.opts.Capture = file
			res, err := n.BidiTransfer(t.Context(), tt.opts)
			if err != nil {
				t.Fatalf("BidiTransfer = %v", err)
			}
			if res.ClientSent != tt.opts.ClientBytes || res.ServerReceived != tt.opts.ClientBytes ||
				res.ServerSent != tt.opts.ServerBytes || res.ClientReceived != tt.opts.ServerBytes || res.Capture != file {
				t.Errorf("result %+v, want %d bytes each way from the client, %d from the server, capture %s", res, tt.opts.ClientBytes, tt.opts.ServerBytes, file)
			}
			port := cmp.Or(tt.opts.Port, 5001)
			c2s, s2c := directionBytes(t, file, port)
			if c2s != tt.opts.ClientBytes || s2c != tt.opts.ServerBytes {
				t.Errorf("capture carries %d bytes to the server and %d back, want %d and %d", c2s, s2c, tt.opts.ClientBytes, tt.opts.ServerBytes)
			}
			if rows := tsharkFields(t, file, "frame.number == 1", "frame.protocols"); len(rows) != 1 || !strings.HasPrefix(rows[0][0], tt.link+":") {
				t.Errorf("link type %v, want %s", rows, tt.link)
			}
		})
	}
	if _, err := n.BidiTransfer(t.Context(), BidiOptions{}); err == nil {
		t.Error("BidiTransfer of 0 bytes succeeded")
	}
	if _, err := n.BidiTransfer(t.Context(), BidiOptions{ConnOptions: ConnOptions{CaptureAt: Middle, Capture: "x"}, ClientBytes: 1}); err == nil {
		t.Error("BidiTransfer capturing at the middle host succeeded")
	}
}

func TestExchange(t *testing.T) {
	requireTool(t, "tcpdump")
	n := newNet(t, "loss=1%,delay=1ms,seed=4")
	opts := ExchangeOptions{Pairs: 60, MaxSize: 30 << 10, Pipeline: 3, Seed: 5, Pause: 5 * time.Millisecond,
		ConnOptions: ConnOptions{RcvBuf: 4096}}
	var wantC2S, wantS2C int64
	for _, b := range plan(opts) {
		for _, rq := range b {
			wantC2S += 8 + int64(rq.body)
			wantS2C += int64(rq.response)
		}
	}
	opts.Capture = filepath.Join(t.TempDir(), "exchange.pcap")
	res, err := n.Exchange(t.Context(), opts)
	if err != nil {
		t.Fatalf("Exchange = %v", err)
	}
	if res.Pairs != 60 || res.ClientSent != wantC2S || res.ServerReceived != wantC2S || res.ServerSent != wantS2C || res.ClientReceived != wantS2C {
		t.Errorf("result %+v, want 60 pairs, %d bytes to the server, %d back", res, wantC2S, wantS2C)
	}
	c2s, s2c := directionBytes(t, opts.Capture, 5001)
	if c2s != wantC2S || s2c != wantS2C {
		t.Errorf("capture carries %d bytes to the server and %d back, want %d and %d", c2s, s2c, wantC2S, wantS2C)
	}
	// A receive buffer of 4096 (8192 after the kernel doubles it) closes
	// a window: the server's at least (it pauses before each read of
	// requests of up to 30 KiB); whether the client's closes too depends
	// on how the two hosts are scheduled, so it is only logged.
	zero := map[string]int{}
	for _, port := range []string{"5001", "!5001"} {
		filter := "tcp.analysis.zero_window && tcp.srcport == 5001"
		if port[0] == '!' {
			filter = "tcp.analysis.zero_window && tcp.srcport != 5001"
		}
		zero[port] = len(tsharkFields(t, opts.Capture, filter, "frame.number"))
	}
	t.Logf("zero windows from the server: %d, from the client: %d", zero["5001"], zero["!5001"])
	if zero["5001"]+zero["!5001"] == 0 {
		t.Error("no zero window in the exchange")
	}
	if _, err := n.Exchange(t.Context(), ExchangeOptions{}); err == nil {
		t.Error("Exchange of 0 pairs succeeded")
	}
}
