package difftest

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio"
)

// encodeFrame builds the frame the capture point wrote for cp at ts: link
// header, IP header, TCP header and payload, cut to the snap length.
func encodeFrame(c *Capture, ts int64, cp captured) Frame {
	tcp := tcpBytes(cp)
	ip := ipHeader(cp, len(tcp))
	link := linkHeader(c.Link, cp)
	data := append(append(link, ip...), tcp...)
	orig := len(data)
	if c.Snap > 0 {
		data = data[:min(len(data), max(c.Snap, len(link)+len(ip)+20))]
	}
	return Frame{TS: ts, Data: data, Orig: orig, Slot: cp.slot}
}

// tcpBytes is the TCP header and payload of cp with its checksum. The
// payload bytes follow from the sequence number, so that a retransmission
// carries the same bytes.
func tcpBytes(cp captured) []byte {
	s := cp.seg
	hl := 20 + len(s.Opts)
	b := make([]byte, hl+s.Len)
	binary.BigEndian.PutUint16(b[0:], cp.from.Port())
	binary.BigEndian.PutUint16(b[2:], cp.to.Port())
	binary.BigEndian.PutUint32(b[4:], s.Seq)
	binary.BigEndian.PutUint32(b[8:], s.Ack)
	binary.BigEndian.PutUint16(b[12:], uint16(hl/4)<<12|s.Flags)
	binary.BigEndian.PutUint16(b[14:], s.Win)
	copy(b[20:], s.Opts)
	for i := range s.Len {
		b[hl+i] = byte(s.Seq + uint32(i))
	}
	sum := sum16(cp.from.Addr().AsSlice(), 0)
	sum = sum16(cp.to.Addr().AsSlice(), sum)
	sum += 6 + uint32(len(b))
	ck := fold(sum16(b, sum))
	if s.BadSum {
		ck ^= 0x1234
	}
	binary.BigEndian.PutUint16(b[16:], ck)
	return b
}

// sum16 adds b to a ones' complement sum.
func sum16(b []byte, sum uint32) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	return sum
}

// fold returns the checksum of a sum.
func fold(sum uint32) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// ipHeader is the IPv4 or IPv6 header for a TCP segment of n bytes.
func ipHeader(cp captured, n int) []byte {
	src, dst := cp.from.Addr().AsSlice(), cp.to.Addr().AsSlice()
	if cp.from.Addr().Is4() {
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+n))
		binary.BigEndian.PutUint16(ip[4:], uint16(cp.seg.Seq^cp.seg.Ack))
		ip[6], ip[8], ip[9] = 0x40, 64, 6
		copy(ip[12:], src)
		copy(ip[16:], dst)
		binary.BigEndian.PutUint16(ip[10:], fold(sum16(ip, 0)))
		return ip
	}
	ip := make([]byte, 40)
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(n))
	ip[6], ip[7] = 6, 64
	copy(ip[8:], src)
	copy(ip[24:], dst)
	return ip
}

// linkHeader is the link-layer header of cp's frame.
func linkHeader(link decode.LinkType, cp captured) []byte {
	etype := uint16(0x0800)
	if !cp.from.Addr().Is4() {
		etype = 0x86dd
	}
	switch link {
	case decode.LinkEthernet:
		h := []byte{0, 0x11, 0x22, 0x33, 0x44, byte(1 + cp.seg.From), 0, 0x11, 0x22, 0x33, 0x44, byte(2 - cp.seg.From), 0, 0}
		binary.BigEndian.PutUint16(h[12:], etype)
		return h
	case decode.LinkLinuxSLL2:
		h := make([]byte, 20)
		binary.BigEndian.PutUint16(h[0:], etype)
		binary.BigEndian.PutUint32(h[4:], 2) // interface index
		binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
		h[10] = byte(4 * cp.seg.From)        // outgoing or to us
		h[11] = 6
		copy(h[12:], []byte{0, 0x11, 0x22, 0x33, 0x44, byte(1 + cp.seg.From)})
		return h
	}
	return nil
}

// WriteFile writes frames as a capture file of c's kind and link type.
func WriteFile(path string, c *Capture, frames []Frame) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, c, frames); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Write writes frames to w as a capture file of c's kind and link type.
func Write(w io.Writer, c *Capture, frames []Frame) error {
	if c.Kind == Pcapng {
		return writePcapng(w, c, frames)
	}
	pw, err := pcapio.NewPcapWriter(w, pcapio.PcapOptions{Link: c.Link, Nanosecond: c.Kind == PcapNano})
	if err != nil {
		return err
	}
	for _, f := range frames {
		if err := pw.WritePacket(f.TS, f.Data, f.Orig); err != nil {
			return fmt.Errorf("difftest: %w", err)
		}
	}
	return pw.Flush()
}

// writePcapng writes frames as pcapng with one interface.
func writePcapng(w io.Writer, c *Capture, frames []Frame) error {
	res := 6
	if c.Nano {
		res = 9
	}
	pw, err := pcapio.NewPcapngWriter(w, pcapio.PcapngOptions{Interfaces: []pcapio.Interface{{Name: "gen0", Link: c.Link, Resolution: res}}})
	if err != nil {
		return err
	}
	for _, f := range frames {
		if err := pw.WritePacket(0, f.TS, f.Data, f.Orig); err != nil {
			return fmt.Errorf("difftest: %w", err)
		}
	}
	return pw.Flush()
}
