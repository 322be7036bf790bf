//go:build linux

package afpacket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/privtest"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// listenLo opens a Conn on lo, skipping the test (with the remedy) when the
// process lacks CAP_NET_RAW.
func listenLo(t *testing.T, cfg *Config) *Conn {
	t.Helper()
	c, err := Listen("lo", cfg)
	if errors.Is(err, os.ErrPermission) {
		t.Skipf("needs CAP_NET_RAW: run the tests as root (sudo go test) or grant the capability: %v", err)
	}
	if err != nil {
		t.Fatalf("Listen(lo) = %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// udpFilter accepts IPv4 UDP datagrams to port, in Ethernet framing (lo
// uses Ethernet headers with zero addresses).
func udpFilter(t *testing.T, port int) []bpf.RawInstruction {
	t.Helper()
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},                         // EtherType
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800, SkipFalse: 6}, // IPv4
		bpf.LoadAbsolute{Off: 23, Size: 1},                         // IP protocol
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 17, SkipFalse: 4},     // UDP
		bpf.LoadMemShift{Off: 14},                                  // X = IP header length
		bpf.LoadIndirect{Off: 16, Size: 2},                         // UDP destination port
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(port), SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// udpPair returns a connected UDP socket on 127.0.0.1 and the port it
// sends to.
func udpPair(t *testing.T) (*net.UDPConn, int) {
	t.Helper()
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Close() })
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Close() })
	return tx, rx.LocalAddr().(*net.UDPAddr).Port
}

func readWithin(t *testing.T, c *Conn, b []byte, d time.Duration) (int, Info, error) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		t.Fatal(err)
	}
	return c.ReadFrame(b)
}

func TestReadFrameSeesBothCopiesOnLo(t *testing.T) {
	tx, port := udpPair(t)
	c := listenLo(t, &Config{Filter: udpFilter(t, port)})
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte("afpacket-test-payload")
	if _, err := tx.Write(payload); err != nil {
		t.Fatal(err)
	}
	var types []PacketType
	buf := make([]byte, 2048)
	for range 2 {
		n, info, err := readWithin(t, c, buf, 5*time.Second)
		if err != nil {
			t.Fatalf("ReadFrame = %v", err)
		}
		if !bytes.HasSuffix(buf[:n], payload) {
			t.Errorf("frame %x does not end with the payload", buf[:n])
		}
		if info.Protocol != 0x0800 || info.Ifindex != lo.Index || info.Length != n {
			t.Errorf("info = %+v, want protocol 0x0800, ifindex %d, length %d", info, lo.Index, n)
		}
		types = append(types, info.Type)
	}
	if !(types[0] == PacketOutgoing && types[1] == PacketHost) && !(types[0] == PacketHost && types[1] == PacketOutgoing) {
		t.Errorf("packet types = %v, want one outgoing and one host", types)
	}
	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st != (Stats{Packets: 2}) {
		t.Errorf("Stats() = %+v, want 2 packets, 0 drops", st)
	}
	st, err = c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st != (Stats{}) {
		t.Errorf("second Stats() = %+v, want zero (the kernel resets on read)", st)
	}
}

func TestIgnoreOutgoing(t *testing.T) {
	tx, port := udpPair(t)
	for _, viaConfig := range []bool{true, false} {
		name := "method"
		if viaConfig {
			name = "config"
		}
		t.Run(name, func(t *testing.T) {
			c := listenLo(t, &Config{Filter: udpFilter(t, port), IgnoreOutgoing: viaConfig})
			if !viaConfig {
				if err := c.SetIgnoreOutgoing(true); err != nil {
					t.Fatal(err)
				}
			}
			const count = 3
			for range count {
				if _, err := tx.Write([]byte("x")); err != nil {
					t.Fatal(err)
				}
			}
			buf := make([]byte, 2048)
			for i := range count {
				_, info, err := readWithin(t, c, buf, 5*time.Second)
				if err != nil {
					t.Fatalf("frame %d: ReadFrame = %v", i, err)
				}
				if info.Type != PacketHost {
					t.Errorf("frame %d: type %v, want host", i, info.Type)
				}
			}
			if _, info, err := readWithin(t, c, buf, 200*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("extra ReadFrame = %+v, %v; want deadline exceeded (no outgoing copies)", info, err)
			}
		})
	}
}

func TestWriteFrame(t *testing.T) {
	// 0x88b5 is the IEEE "local experimental" EtherType: nothing else on lo
	// uses it.
	const etherType = 0x88b5
	rx := listenLo(t, &Config{Protocol: etherType, IgnoreOutgoing: true})
	tx := listenLo(t, &Config{Protocol: etherType})
	frame := make([]byte, 64)
	binary.BigEndian.PutUint16(frame[12:], etherType)
	copy(frame[14:], "hello over AF_PACKET")
	n, err := tx.WriteFrame(frame)
	if err != nil || n != len(frame) {
		t.Fatalf("WriteFrame = %d, %v; want %d, nil", n, err, len(frame))
	}
	buf := make([]byte, 2048)
	n, info, err := readWithin(t, rx, buf, 5*time.Second)
	if err != nil {
		t.Fatalf("ReadFrame = %v", err)
	}
	if !bytes.Equal(buf[:n], frame) {
		t.Errorf("read %x, want %x", buf[:n], frame)
	}
	if info.Protocol != etherType {
		t.Errorf("protocol = %#x, want %#x", info.Protocol, etherType)
	}
}

func TestReadFrameTruncates(t *testing.T) {
	tx, port := udpPair(t)
	c := listenLo(t, &Config{Filter: udpFilter(t, port), IgnoreOutgoing: true})
	if _, err := tx.Write(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 20)
	n, info, err := readWithin(t, c, buf, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// 14 Ethernet + 20 IPv4 + 8 UDP + 100 payload.
	if n != 20 || info.Length != 142 {
		t.Errorf("ReadFrame = %d bytes, length %d; want 20, 142", n, info.Length)
	}
}

func TestReadFrameDoesNotAllocate(t *testing.T) {
	tx, port := udpPair(t)
	c := listenLo(t, &Config{Filter: udpFilter(t, port), IgnoreOutgoing: true, ReadBuffer: 1 << 20})
	const runs = 20
	for range runs + 1 {
		if _, err := tx.Write([]byte("alloc")); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	var rerr error
	allocs := testing.AllocsPerRun(runs, func() {
		if _, _, err := c.ReadFrame(buf); err != nil && rerr == nil {
			rerr = err
		}
	})
	if rerr != nil {
		t.Fatal(rerr)
	}
	if allocs != 0 {
		t.Errorf("ReadFrame allocates %v times per call, want 0", allocs)
	}
}

func TestReadDeadline(t *testing.T) {
	c := listenLo(t, &Config{Protocol: 0x88b6}) // nothing sends this EtherType
	buf := make([]byte, 2048)
	if _, _, err := readWithin(t, c, buf, 20*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("ReadFrame = %v, want os.ErrDeadlineExceeded", err)
	}
	if err := c.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadFrame(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("ReadFrame with a past deadline = %v, want os.ErrDeadlineExceeded", err)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	c := listenLo(t, &Config{Protocol: 0x88b6})
	done := make(chan error, 1)
	go func() {
		_, _, err := c.ReadFrame(make([]byte, 2048))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the reader block; the test passes either way
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("ReadFrame after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadFrame still blocked 10s after Close")
	}
	if _, err := c.WriteFrame(make([]byte, 60)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("WriteFrame after Close = %v, want net.ErrClosed", err)
	}
}

func TestListenErrors(t *testing.T) {
	listenLo(t, nil) // skips without CAP_NET_RAW
	if _, err := Listen("nosuchif0", nil); !errors.Is(err, ErrNoInterface) {
		t.Errorf("Listen(nosuchif0) = %v, want ErrNoInterface", err)
	}
	if _, err := ListenIndex(0, nil); !errors.Is(err, ErrNoInterface) {
		t.Errorf("ListenIndex(0) = %v, want ErrNoInterface", err)
	}
	if _, err := ListenIndex(1<<30, nil); !errors.Is(err, ErrNoInterface) {
		t.Errorf("ListenIndex(1<<30) = %v, want ErrNoInterface", err)
	}
	c := listenLo(t, nil)
	if err := c.SetReadBuffer(-1); err == nil {
		t.Errorf("SetReadBuffer(-1) succeeded")
	}
	if err := c.SetBPF(nil); err == nil {
		t.Errorf("SetBPF(nil) succeeded")
	}
	// A jump out of the program is refused by the kernel's checker.
	bad := []bpf.RawInstruction{{Op: 0x05, K: 10}}
	if err := c.SetBPF(bad); err == nil {
		t.Errorf("SetBPF(jump out of program) succeeded")
	}
}

// TestPermissionError drops CAP_NET_RAW on one thread (privtest) and
// checks that Listen names the missing capability and the remedy.
func TestPermissionError(t *testing.T) {
	listenLo(t, nil) // skips without CAP_NET_RAW: then there is nothing to drop
	var err error
	privtest.WithoutCap(t, unix.CAP_NET_RAW, func() {
		var c *Conn
		if c, err = Listen("lo", nil); err == nil {
			c.Close()
		}
	})
	if !errors.Is(err, os.ErrPermission) {
		t.Fatalf("Listen without CAP_NET_RAW = %v, want os.ErrPermission", err)
	}
	for _, want := range []string{"CAP_NET_RAW", "setcap cap_net_raw,cap_net_admin+ep", "root"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestPacketTypeString(t *testing.T) {
	for typ, want := range map[PacketType]string{
		PacketHost: "host", PacketBroadcast: "broadcast", PacketMulticast: "multicast",
		PacketOtherHost: "otherhost", PacketOutgoing: "outgoing", 9: "pkttype(9)",
	} {
		if got := typ.String(); got != want {
			t.Errorf("PacketType(%d).String() = %q, want %q", uint8(typ), got, want)
		}
	}
}
