package difftest

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/tcplab/tcplab/internal/pcapio"
)

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
	binary.BigEndian.PutUint16(b[18:], s.Urg)
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
