package packets

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
)

var (
	client = netip.MustParseAddrPort("10.0.0.1:40000")
	server = netip.MustParseAddrPort("10.0.0.2:2000")
)

// ipv4 returns an IPv4 packet from src to dst carrying body as protocol
// proto, with identification id and the fragment field frag.
func ipv4(src, dst netip.Addr, proto uint8, id, frag uint16, body []byte) []byte {
	h := make([]byte, 20, 20+len(body))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(body)))
	binary.BigEndian.PutUint16(h[4:], id)
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8], h[9] = 64, proto
	s, d := src.As4(), dst.As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	return append(h, body...)
}

// tcp returns a TCP header without options from src to dst, followed by
// payload bytes.
func tcp(src, dst netip.AddrPort, seq, ack uint32, flags uint16, payload int) []byte {
	t := make([]byte, 20+payload)
	binary.BigEndian.PutUint16(t[0:], src.Port())
	binary.BigEndian.PutUint16(t[2:], dst.Port())
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	binary.BigEndian.PutUint16(t[12:], 5<<12|flags)
	binary.BigEndian.PutUint16(t[14:], 512)
	return t
}

// ether wraps an IPv4 packet in an Ethernet header.
func ether(ip []byte) []byte {
	f := make([]byte, 14, 14+len(ip))
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	return append(f, ip...)
}

// segment returns the Ethernet frame of a TCP segment from src to dst.
func segment(src, dst netip.AddrPort, seq, ack uint32, flags uint16, payload int) []byte {
	return ether(ipv4(src.Addr(), dst.Addr(), decode.ProtoTCP, 1, 0, tcp(src, dst, seq, ack, flags, payload)))
}

const (
	syn    = decode.FlagSYN
	synack = decode.FlagSYN | decode.FlagACK
	ack    = decode.FlagACK
)

func frame(ts int64, data []byte) *Frame {
	return &Frame{Link: decode.LinkEthernet, Time: ts, Resolution: 6, Data: data, WireLen: len(data)}
}

// TestSourceAdd checks what a Source hands over and counts: frame numbers
// counting every frame, times relative to the first frame, a header cut
// before its window handed over unanalysed only with Cut, and the
// frames skipped by reason.
func TestSourceAdd(t *testing.T) {
	arp := make([]byte, 42)
	binary.BigEndian.PutUint16(arp[12:], 0x0806)
	badIHL := segment(client, server, 1, 0, syn, 0)
	badIHL[14] = 0x40
	frames := [][]byte{
		arp,
		segment(client, server, 100, 0, syn, 0),
		badIHL,
		segment(server, client, 500, 101, synack, 0),
		segment(client, server, 101, 501, ack, 0)[:14+20+10], // cut after the ports
		segment(client, server, 101, 501, ack, 5),
	}
	for _, cut := range []bool{false, true} {
		s := NewSource(Options{Cut: cut})
		type got struct {
			Number   uint32
			RelTime  int64
			Analysed bool
			Stream   uint32
			Seq      uint32
		}
		var out []got
		for i, f := range frames {
			fr := frame(1000+int64(i)*10, f)
			if i == 4 {
				fr.WireLen = 14 + 20 + 20 // cut by the snap length
			}
			if pk := s.Add(fr); pk != nil {
				g := got{Number: pk.Number, RelTime: pk.RelTime, Analysed: pk.Analysed}
				if pk.Analysed {
					g.Stream, g.Seq = pk.Result.Stream, pk.Result.Seq
				}
				out = append(out, g)
			}
		}
		s.Finish()
		want := []got{
			{Number: 2, RelTime: 10, Analysed: true},
			{Number: 4, RelTime: 30, Analysed: true},
			{Number: 6, RelTime: 50, Analysed: true, Seq: 1},
		}
		if cut {
			want = append(want[:2], got{Number: 5, RelTime: 40}, want[2])
		}
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("Cut %v: packets handed over (-want +got):\n%s", cut, diff)
		}
		wantSum := Summary{Frames: 6, Analysed: 3, Skipped: map[string]uint64{"IPv4 header length 0": 1, reasonTCPCut: 1}}
		if diff := cmp.Diff(wantSum, *s.Summary()); diff != "" {
			t.Errorf("Cut %v: summary (-want +got):\n%s", cut, diff)
		}
		if ts, res := s.Start(); ts != 1000 || res != 6 {
			t.Errorf("Start() = %d, %d, want 1000, 6", ts, res)
		}
		if len(s.Streams()) != 1 {
			t.Errorf("Streams() holds %d streams, want 1", len(s.Streams()))
		}
	}
}

// TestSourceFragments checks that a datagram is handed over in the frame
// of the fragment that completes it, and that the fragments of one never
// completed are counted at Finish.
func TestSourceFragments(t *testing.T) {
	seg := tcp(client, server, 100, 0, syn, 28) // 48 bytes: 24 + 24
	first := ether(ipv4(client.Addr(), server.Addr(), decode.ProtoTCP, 7, 0x2000, seg[:24]))
	last := ether(ipv4(client.Addr(), server.Addr(), decode.ProtoTCP, 7, 24/8, seg[24:]))
	lone := ether(ipv4(client.Addr(), server.Addr(), decode.ProtoTCP, 8, 0x2000, seg[:24]))
	s := NewSource(Options{})
	var numbers []uint32
	for i, f := range [][]byte{first, lone, last} {
		if pk := s.Add(frame(int64(i), f)); pk != nil {
			numbers = append(numbers, pk.Number)
			if pk.Decoded.PayloadLen != 28 || pk.Decoded.Link != decode.LinkEthernet {
				t.Errorf("reassembled packet: payload %d bytes, link %v; want 28, Ethernet", pk.Decoded.PayloadLen, pk.Decoded.Link)
			}
		}
	}
	s.Finish()
	if diff := cmp.Diff([]uint32{3}, numbers); diff != "" {
		t.Errorf("frames handed over (-want +got):\n%s", diff)
	}
	if want := map[string]uint64{reasonFragIncomplete: 1}; !cmp.Equal(want, s.Summary().Skipped) {
		t.Errorf("skipped %v, want %v", s.Summary().Skipped, want)
	}
}

// capture returns an in-memory pcap of n frames: the segments of one
// conversation (after its handshake), data and its acknowledgement in
// turn, every third frame an ARP frame.
func capture(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapio.NewPcapWriter(&buf, pcapio.PcapOptions{Link: decode.LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	arp := make([]byte, 42)
	binary.BigEndian.PutUint16(arp[12:], 0x0806)
	for i := range n {
		seq := 100 + uint32(i/3)*10
		var f []byte
		switch i % 3 {
		case 0:
			f = segment(client, server, seq, 1, ack, 10)
		case 1:
			f = segment(server, client, 1, seq+10, ack, 0)
		case 2:
			f = arp
		}
		if err := w.WritePacket(int64(1_700_000_000+i)*1e9, f, len(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSourceRead checks Read: every record read, progress reported, a
// truncated file's error naming the frame, and a cancelled context
// stopping the reading.
func TestSourceRead(t *testing.T) {
	data := capture(t, 9000)
	read := func(data []byte, ctx context.Context, opts Options) (*Source, int) {
		rd, err := pcapio.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		s := NewSource(opts)
		n := 0
		for range s.Read(ctx, rd) {
			n++
		}
		s.Finish()
		return s, n
	}
	var progress []uint64
	s, n := read(data, context.Background(), Options{Progress: func(frames uint64, _ int64) { progress = append(progress, frames) }, ProgressEvery: 4000})
	if s.Err() != nil || n != 6000 || s.Summary().Frames != 9000 || s.Summary().Analysed != 6000 {
		t.Errorf("Read: %d packets, %+v, error %v; want 6000 of 9000 frames, no error", n, *s.Summary(), s.Err())
	}
	if diff := cmp.Diff([]uint64{4000, 8000}, progress); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}

	s, _ = read(data[:len(data)-5], context.Background(), Options{})
	if err := s.Err(); err == nil || !strings.HasPrefix(err.Error(), "reading frame 9000: ") || s.Summary().Frames != 8999 {
		t.Errorf("truncated file: error %v after %d frames, want reading frame 9000 after 8999", err, s.Summary().Frames)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, _ = read(data, ctx, Options{})
	if err := s.Err(); !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "reading frame 4097: ") || s.Summary().Frames != 4096 {
		t.Errorf("cancelled: error %v after %d frames, want reading frame 4097: context canceled after 4096", err, s.Summary().Frames)
	}
}

// TestSourceAllocs checks that handing a packet over allocates nothing.
func TestSourceAllocs(t *testing.T) {
	s := NewSource(Options{})
	f := frame(0, segment(client, server, 100, 1, ack, 10))
	s.Add(f)
	if n := testing.AllocsPerRun(100, func() { s.Add(f) }); n != 0 {
		t.Errorf("Add allocates %.1f times per frame, want 0", n)
	}
}

// BenchmarkSourceRead reads, decodes and analyses 90,000 frames (60,000
// TCP segments) per run.
func BenchmarkSourceRead(b *testing.B) {
	data := capture(b, 90000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rd, err := pcapio.NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		s := NewSource(Options{})
		for range s.Read(context.Background(), rd) {
		}
		s.Finish()
	}
}
