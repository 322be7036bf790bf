package pcapio

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/tcplab/tcplab/internal/decode"
)

// pcap magic numbers as the writer's machine stored them
// (draft-ietf-opsawg-pcap section 4).
const (
	magicMicro uint32 = 0xa1b2c3d4
	magicNano  uint32 = 0xa1b23c4d
)

const (
	pcapHeaderLen = 24
	pcapRecordLen = 16
)

// The LinkType field of the pcap header also carries the FCS length: bit
// 26 says whether bits 28-31 hold the number of 16-bit words of FCS at the
// end of each frame.
const (
	linkTypeMask = 0x0000ffff
	fcsPresent   = 0x04000000
)

// endian reads integers in a file's byte order without an interface call.
type endian bool // true: big-endian

func (e endian) u16(b []byte) uint16 {
	if e {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (e endian) u32(b []byte) uint32 {
	if e {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (e endian) u64(b []byte) uint64 {
	if e {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

func (rd *Reader) readPcapHeader() error {
	h := rd.buf[rd.r : rd.r+4]
	var be endian
	switch {
	case binary.LittleEndian.Uint32(h) == magicMicro:
	case binary.BigEndian.Uint32(h) == magicMicro:
		be = true
	case binary.LittleEndian.Uint32(h) == magicNano:
		rd.nano = true
	case binary.BigEndian.Uint32(h) == magicNano:
		rd.nano, be = true, true
	default:
		return errorf("capture", "file header", 0, "unknown magic number %#08x: not a pcap or pcapng file", binary.BigEndian.Uint32(h))
	}
	rd.bigEndian = be
	rd.format = FormatPcap
	if rd.nano {
		rd.format = FormatPcapNano
	}
	if err := rd.fill(pcapHeaderLen); err != nil {
		return rd.wrapErr("pcap", "file header", 0, fmt.Sprintf("truncated: %d of %d bytes present", rd.w-rd.r, pcapHeaderLen), err)
	}
	h = rd.buf[rd.r : rd.r+pcapHeaderLen]
	major, minor := be.u16(h[4:]), be.u16(h[6:])
	if major != 2 {
		return errorf("pcap", "file header", 0, "unsupported version %d.%d", major, minor)
	}
	snap := be.u32(h[16:])
	network := be.u32(h[20:])
	rd.maxCap = MaxPacketLen
	if snap > MaxPacketLen {
		rd.maxCap = int(min(snap, MaxBlockLen))
	}
	fcs := -1
	if network&fcsPresent != 0 {
		fcs = int(network>>28) * 2
	}
	res := 6
	if rd.nano {
		res = 9
	}
	rd.pcapIface = Interface{
		Link:       decode.LinkType(network & linkTypeMask),
		SnapLen:    int(snap),
		Resolution: res,
		TSResol:    uint8(res),
		FCSLen:     fcs,
	}
	rd.r += pcapHeaderLen
	return nil
}

func (rd *Reader) nextPcap() (Record, error) {
	off := rd.offset()
	if rd.w-rd.r < pcapRecordLen {
		if err := rd.fill(pcapRecordLen); err != nil {
			if err == io.EOF {
				return Record{}, io.EOF
			}
			return Record{}, rd.wrapErr("pcap", "record", off, fmt.Sprintf("truncated: %d of the %d-byte record header present", rd.w-rd.r, pcapRecordLen), err)
		}
	}
	be := rd.bigEndian
	h := rd.buf[rd.r : rd.r+pcapRecordLen]
	sec, frac := be.u32(h), be.u32(h[4:])
	capLen, origLen := be.u32(h[8:]), be.u32(h[12:])
	if capLen > uint32(rd.maxCap) {
		return Record{}, errorf("pcap", "record", off, "captured length %d exceeds the limit %d", capLen, rd.maxCap)
	}
	n := pcapRecordLen + int(capLen)
	if rd.w-rd.r < n {
		if err := rd.fill(n); err != nil {
			return Record{}, rd.wrapErr("pcap", "record", off, fmt.Sprintf("truncated: %d of %d bytes present", rd.w-rd.r, n), err)
		}
	}
	ts := int64(sec) * 1e9
	if rd.nano {
		ts += int64(frac)
	} else {
		ts += int64(frac) * 1e3
	}
	start := rd.r + pcapRecordLen
	rd.r += n
	return Record{
		Data:       rd.buf[start:rd.r:rd.r],
		CaptureLen: int(capLen),
		OrigLen:    int(origLen),
		Timestamp:  ts,
		Resolution: rd.pcapIface.Resolution,
		Link:       rd.pcapIface.Link,
		Offset:     off,
	}, nil
}
