//go:build linux

package afpacket

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

func newTestRing(t *testing.T, c *Conn, cfg RingConfig) *Ring {
	t.Helper()
	r, err := NewRing(c, cfg)
	if err != nil {
		t.Fatalf("NewRing(%+v) = %v", cfg, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRingReadsFramesWithTimestamps(t *testing.T) {
	tx, port := udpPair(t)
	c := listenLo(t, &Config{Filter: udpFilter(t, port), IgnoreOutgoing: true})
	r := newTestRing(t, c, RingConfig{BlockSize: 64 << 10, BlockCount: 4, Timeout: 2 * time.Millisecond})
	const n = 300 // more than one 64 KiB block holds
	for i := range n {
		msg := make([]byte, 300)
		binary.BigEndian.PutUint32(msg, uint32(i))
		if _, err := tx.Write(msg); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 { // let the reader keep up with a 256 KiB ring
			drain(t, r, c, i-49, 50)
		}
	}
	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Drops != 0 {
		t.Errorf("Stats().Drops = %d, want 0", st.Drops)
	}
}

// drain reads count frames from r and checks that they carry the
// sequence numbers first, first+1, ... and plausible metadata.
func drain(t *testing.T, r *Ring, c *Conn, first, count int) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	last := int64(0)
	for i := range count {
		f, err := r.Next()
		if err != nil {
			t.Fatalf("Next() after %d frames = %v", first+i, err)
		}
		// 14 Ethernet + 20 IPv4 + 8 UDP, then the sequence number.
		if len(f.Data) != 14+20+8+300 || f.Info.Length != len(f.Data) {
			t.Fatalf("frame %d: %d bytes captured of %d, want %d", first+i, len(f.Data), f.Info.Length, 14+20+8+300)
		}
		if got := int(binary.BigEndian.Uint32(f.Data[42:])); got != first+i {
			t.Fatalf("frame %d carries sequence number %d: lost or reordered", first+i, got)
		}
		if f.Info.Type != PacketHost || f.Info.Protocol != 0x0800 || f.Info.Ifindex != c.Ifindex() {
			t.Fatalf("frame %d: info %+v, want host, IPv4, ifindex %d", first+i, f.Info, c.Ifindex())
		}
		now := time.Now().UnixNano()
		if f.Timestamp < last || f.Timestamp > now || f.Timestamp < now-int64(time.Minute) {
			t.Fatalf("frame %d: timestamp %d not after %d and near now %d", first+i, f.Timestamp, last, now)
		}
		last = f.Timestamp
	}
}

func TestRingSnapLength(t *testing.T) {
	tx, port := udpPair(t)
	prog := udpFilter(t, port)
	// The filter's accept value is the snap length: cut frames to 50 bytes.
	prog[len(prog)-2].K = 50
	c := listenLo(t, &Config{Filter: prog, IgnoreOutgoing: true})
	r := newTestRing(t, c, RingConfig{BlockSize: 64 << 10, BlockCount: 2, Timeout: time.Millisecond})
	if _, err := tx.Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Data) != 50 || f.Info.Length != 14+20+8+1000 {
		t.Errorf("Next() = %d bytes of %d, want 50 of %d", len(f.Data), f.Info.Length, 14+20+8+1000)
	}
}

func TestRingDeadlineAndClose(t *testing.T) {
	_, port := udpPair(t)
	c := listenLo(t, &Config{Filter: udpFilter(t, port)})
	r := newTestRing(t, c, RingConfig{BlockSize: 64 << 10, BlockCount: 2})
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := r.Next(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Next() with a passed deadline = %v, want os.ErrDeadlineExceeded", err)
	}
	c.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { _, err := r.Next(); done <- err }()
	time.Sleep(20 * time.Millisecond) // let Next block (the test passes either way)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("blocked Next() after Close = %v, want a deadline or closed error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake a blocked Next")
	}
	if _, err := r.Next(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Next() after Close = %v, want net.ErrClosed", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
}

func TestRingConfigErrors(t *testing.T) {
	_, port := udpPair(t)
	c := listenLo(t, &Config{Filter: udpFilter(t, port)})
	for _, cfg := range []RingConfig{
		{BlockSize: 1000, BlockCount: 4},
		{BlockSize: 0, BlockCount: 4},
		{BlockSize: 64 << 10, BlockCount: 0},
		{BlockSize: 1 << 20, BlockCount: 2048},
	} {
		if r, err := NewRing(c, cfg); err == nil {
			r.Close()
			t.Errorf("NewRing(%+v) = nil error, want one", cfg)
		}
	}
}
