//go:build linux

package listing

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

// TestParityZeroWindowProbe fills a receiver's window on loopback, then
// sends real zero window probes (one byte at the next sequence number,
// which Linux's own persist timer never sends: its probes are empty) from
// a raw socket, and compares the capture with tshark: the probes and the
// receiver's zero-window ACKs must be flagged alike.
func TestParityZeroWindowProbe(t *testing.T) {
	needTshark(t)
	if os.Geteuid() != 0 {
		t.Skip("raw sockets need root (or CAP_NET_RAW): run the tests as root")
	}
	lc := net.ListenConfig{Control: func(network, address string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			held <- c // never read: the window closes
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		select {
		case c := <-held:
			c.Close()
		default:
		}
	})
	port := ln.Addr().(*net.TCPAddr).Port
	var file string
	file = tcpdump(t, "lo", []string{"tcp port " + strconv.Itoa(port)}, func() {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetWriteDeadline(time.Now().Add(1500 * time.Millisecond))
		go c.Write(make([]byte, 1<<20))
		time.Sleep(800 * time.Millisecond)
		probe := probeFromCapture(t, file, uint16(port))
		for range 2 {
			sendRaw(t, probe)
			time.Sleep(100 * time.Millisecond)
		}
	}, &file)
	compareWithTshark(t, file)
}

// probeFromCapture reads the capture so far and returns a one-byte
// segment from the client's port at the client's next sequence number.
func probeFromCapture(t *testing.T, file string, port uint16) []byte {
	t.Helper()
	rd := pcaptest.Open(t, file) // the capture so far
	var (
		d            decode.Packet
		cport        uint16
		next, ack    uint32
		win          uint16
		haveC, haveS bool
		serverNext   uint32
	)
	for {
		rec, err := rd.Next()
		if err != nil {
			break // the end, or a record tcpdump is still writing
		}
		if decode.Decode(rec.Link, rec.Data, &d) != nil || !d.TCP.Valid() {
			continue
		}
		tcp := d.TCP
		end := uint32(tcp.Seq()) + uint32(d.PayloadLen)
		if tcp.Flags()&(decode.FlagSYN|decode.FlagFIN) != 0 {
			end++
		}
		if tcp.DstPort() == port {
			cport = tcp.SrcPort()
			if !haveC || int32(end-next) > 0 {
				next = end
			}
			win, haveC = tcp.Window(), true
		} else {
			if !haveS || int32(end-serverNext) > 0 {
				serverNext = end
			}
			haveS = true
		}
	}
	if !haveC || !haveS {
		t.Fatal("no segments captured yet to base a probe on")
	}
	ack = serverNext
	return probeSegment(netip.MustParseAddr("127.0.0.1"), cport, port, next, ack, win)
}

// sendRaw sends the IPv4 packet seg to 127.0.0.1 through a raw socket.
func sendRaw(t *testing.T, seg []byte) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_RAW)
	if err != nil {
		t.Skipf("raw socket: %v", err)
	}
	defer syscall.Close(fd)
	if err := syscall.Sendto(fd, seg, 0, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("sending the probe: %v", err)
	}
}

// probeSegment builds an IPv4 packet from a:sport to a:dport holding one
// byte of TCP payload, with correct checksums.
func probeSegment(a netip.Addr, sport, dport uint16, seq, ack uint32, win uint16) []byte {
	b := make([]byte, 41)
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], 41)
	b[8], b[9] = 64, 6
	ip := a.As4()
	copy(b[12:], ip[:])
	copy(b[16:], ip[:])
	tcp := b[20:]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	binary.BigEndian.PutUint16(tcp[12:], 5<<12|decode.FlagACK)
	binary.BigEndian.PutUint16(tcp[14:], win)
	tcp[20] = 'z'
	var sum uint32
	add := func(p []byte) {
		for i := 0; i+1 < len(p); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(p[i:]))
		}
		if len(p)%2 == 1 {
			sum += uint32(p[len(p)-1]) << 8
		}
	}
	add(ip[:])
	add(ip[:])
	sum += 6 + uint32(len(tcp))
	add(tcp)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(tcp[16:], ^uint16(sum))
	return b
}
