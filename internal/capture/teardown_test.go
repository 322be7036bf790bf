package capture

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/decode"
)

// tcpFrame returns an Ethernet frame with an IPv4 TCP segment from src to
// dst with the flags, sequence and acknowledgment numbers and len bytes
// of payload (checksums left zero: Teardowns does not check them).
func tcpFrame(src, dst netip.AddrPort, flags uint16, seq, ack uint32, n int) []byte {
	b := make([]byte, 14+20+20+n)
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(40+n))
	ip[8], ip[9] = 64, 6
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	copy(ip[12:], s4[:])
	copy(ip[16:], d4[:])
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], src.Port())
	binary.BigEndian.PutUint16(tcp[2:], dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	binary.BigEndian.PutUint16(tcp[12:], 5<<12|flags)
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	return b
}

func TestTeardowns(t *testing.T) {
	c, s := netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:2000")
	const (
		syn, ack, fin, rst, psh = decode.FlagSYN, decode.FlagACK, decode.FlagFIN, decode.FlagRST, decode.FlagPSH
		cISN, sISN              = 0xfffffff0, 1000 // the client's numbers wrap around
	)
	// seg is a segment from the client (fromServer false) or the server;
	// seq and ack are relative to the ISNs.
	type seg struct {
		fromServer bool
		flags      uint16
		seq, ack   uint32
		n          int
	}
	handshake := []seg{{false, syn, 0, 0, 0}, {true, syn | ack, 0, 1, 0}, {false, ack, 1, 1, 0}, {false, psh | ack, 1, 1, 18}, {true, psh | ack, 1, 19, 16}}
	tests := []struct {
		name string
		segs []seg
		open int
	}{
		{"server closes first, as in the lab report", append(slices.Clone(handshake),
			seg{true, fin | ack, 17, 19, 0}, seg{false, fin | ack, 19, 18, 0}, seg{true, ack, 18, 20, 0}), 0},
		{"client closes first", append(slices.Clone(handshake),
			seg{false, fin | ack, 19, 17, 0}, seg{true, fin | ack, 17, 20, 0}, seg{false, ack, 20, 18, 0}), 0},
		{"FINs cross", append(slices.Clone(handshake),
			seg{false, fin | ack, 19, 17, 0}, seg{true, fin | ack, 17, 19, 0}, seg{true, ack, 18, 20, 0}, seg{false, ack, 20, 18, 0}), 0},
		{"FIN with the reply", append(slices.Clone(handshake[:4]),
			seg{true, fin | psh | ack, 1, 19, 16}, seg{false, fin | ack, 19, 18, 0}, seg{true, ack, 18, 20, 0}), 0},
		{"final ACK missing", append(slices.Clone(handshake),
			seg{true, fin | ack, 17, 19, 0}, seg{false, fin | ack, 19, 18, 0}), 1},
		{"an ACK of the data, not of the FIN", append(slices.Clone(handshake),
			seg{true, fin | ack, 17, 19, 0}, seg{false, fin | ack, 19, 17, 0}, seg{true, ack, 18, 20, 0}), 1},
		{"reset", append(slices.Clone(handshake), seg{false, rst, 19, 0, 0}), 0},
		{"open", handshake, 1},
		{"SYN not captured", handshake[2:], 0},
		{"same four-tuple again", append(append(slices.Clone(handshake),
			seg{false, rst, 19, 0, 0}), handshake[0]), 1},
	}
	for _, tt := range tests {
		td := NewTeardowns()
		for i, sg := range tt.segs {
			src, dst, seq, ack := c, s, cISN+sg.seq, sISN+sg.ack
			if sg.fromServer {
				src, dst, seq, ack = s, c, sISN+sg.seq, cISN+sg.ack
			}
			if sg.flags&decode.FlagACK == 0 {
				ack = 0
			}
			p := &Packet{Number: uint64(i + 1), Data: tcpFrame(src, dst, sg.flags, seq, ack, sg.n), Link: decode.LinkEthernet}
			if err := td.Packet(p); err != nil {
				t.Fatalf("%s: packet %d: %v", tt.name, i+1, err)
			}
		}
		if got := td.Open(0); got != tt.open {
			t.Errorf("%s: %d connections open, want %d", tt.name, got, tt.open)
		}
		if got := td.Wait(0, 0, time.Millisecond); got != tt.open {
			t.Errorf("%s: wait(0) = %d, want %d", tt.name, got, tt.open)
		}
		// Counting one more than seen: it is open until the capture shows it.
		if got, want := td.Wait(td.Torn()+1, 0, time.Millisecond), max(tt.open, 1); got != want {
			t.Errorf("%s: wait(%d) = %d, want %d", tt.name, td.Torn()+1, got, want)
		}
	}
	// Frames without a TCP header are ignored.
	td := NewTeardowns()
	for _, b := range [][]byte{nil, make([]byte, 14), tcpFrame(c, s, syn, 0, 0, 0)[:40]} {
		if err := td.Packet(&Packet{Data: b, Link: decode.LinkEthernet}); err != nil || td.Open(0) != 0 {
			t.Errorf("packet(% x) = %v, %d open; want nil, 0", b, err, td.Open(0))
		}
	}
}
