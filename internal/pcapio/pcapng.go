package pcapio

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/tcplab/tcplab/internal/decode"
)

// pcapng block types (draft-ietf-opsawg-pcapng section 11.1).
const (
	blockSHB uint32 = 0x0a0d0d0a // section header; the same in both byte orders
	blockIDB uint32 = 1          // interface description
	blockPB  uint32 = 2          // packet (obsolete)
	blockSPB uint32 = 3          // simple packet
	blockISB uint32 = 5          // interface statistics
	blockEPB uint32 = 6          // enhanced packet
)

const byteOrderMagic uint32 = 0x1a2b3c4d

// Option codes.
const (
	optEndOfOpt   = 0
	optComment    = 1
	optIfName     = 2
	optIfDescr    = 3
	optIfTSResol  = 9
	optIfFCSLen   = 13
	optIfTSOffset = 14
	optISBStart   = 2
	optISBEnd     = 3
	optISBIfRecv  = 4
	optISBIfDrop  = 5
	optISBFilter  = 6
	optISBOSDrop  = 7
	optISBUsrDelv = 8
)

// Stats is an Interface Statistics Block: the counters a capture tool
// reports for one interface. A counter that is negative is absent (not
// written, or not in the block); Start and End are 0 when absent.
type Stats struct {
	Interface      int
	Section        int
	Timestamp      int64 // when the counters were taken, ns since the epoch
	Start, End     int64 // isb_starttime, isb_endtime, ns since the epoch
	Received       int64 // isb_ifrecv: packets the interface received
	Dropped        int64 // isb_ifdrop: packets dropped for lack of resources (the kernel's drop count)
	FilterAccepted int64 // isb_filteraccept
	OSDropped      int64 // isb_osdrop: packets the operating system dropped
	Delivered      int64 // isb_usrdeliv: packets delivered to the capture tool
}

// ngIface is one interface of the current section, with its timestamp
// conversion precomputed.
type ngIface struct {
	link    decode.LinkType
	snap    int
	res     int    // decimal digits, as Wireshark computes them
	binary  bool   // units are 2^-shift seconds
	shift   uint   // for binary
	mul     uint64 // decimal: ns = units*mul, or units/div
	div     uint64
	offsetN int64 // if_tsoffset in nanoseconds
}

// ts converts a timestamp in the interface's units to nanoseconds since
// the epoch. Values too large for an int64 wrap; they cannot occur in a
// file written by a real capture.
func (ifc *ngIface) ts(units uint64) int64 {
	var ns uint64
	switch {
	case ifc.binary:
		if ifc.shift == 0 {
			ns = units * 1e9
			break
		}
		sec := units >> ifc.shift
		frac := units & (1<<ifc.shift - 1)
		hi, lo := bits.Mul64(frac, 1e9)
		ns = sec*1e9 + (hi<<(64-ifc.shift) | lo>>ifc.shift)
	case ifc.div != 0:
		ns = units / ifc.div
	default:
		ns = units * ifc.mul
	}
	return int64(ns) + ifc.offsetN
}

// readSHB reads a Section Header Block at rd.r, which starts a section:
// its byte order applies to every block up to the next section, and its
// interfaces replace the previous section's.
func (rd *Reader) readSHB() error {
	off := rd.offset()
	if err := rd.fill(12); err != nil {
		return rd.wrapErr("pcapng", "section header block", off, fmt.Sprintf("truncated: %d of 12 bytes present", rd.w-rd.r), err)
	}
	b := rd.buf[rd.r:]
	var be endian
	switch {
	case binary.LittleEndian.Uint32(b[8:]) == byteOrderMagic:
	case binary.BigEndian.Uint32(b[8:]) == byteOrderMagic:
		be = true
	default:
		return errorf("pcapng", "section header block", off, "byte-order magic %#08x is not 0x1a2b3c4d in either byte order", binary.BigEndian.Uint32(b[8:]))
	}
	blen := be.u32(b[4:])
	if blen < 28 || blen%4 != 0 || blen > MaxBlockLen {
		return errorf("pcapng", "section header block", off, "block length %d is %s", blen, badLen(blen, 28))
	}
	if err := rd.fill(int(blen)); err != nil {
		return rd.wrapErr("pcapng", "section header block", off, fmt.Sprintf("truncated: %d of %d bytes present", rd.w-rd.r, blen), err)
	}
	b = rd.buf[rd.r : rd.r+int(blen)]
	if t := be.u32(b[blen-4:]); t != blen {
		return errorf("pcapng", "section header block", off, "trailing block length %d differs from the leading %d", t, blen)
	}
	if major, minor := be.u16(b[12:]), be.u16(b[14:]); major != 1 {
		return errorf("pcapng", "section header block", off, "unsupported version %d.%d", major, minor)
	}
	if err := walkOptions(be, b[24:blen-4], off+24, func(code uint16, v []byte) error { return nil }); err != nil {
		return err
	}
	if rd.sawSHB {
		rd.section++
	}
	rd.sawSHB = true
	rd.bigEndian = be
	rd.ifaces = rd.ifaces[:0]
	rd.r += int(blen)
	return nil
}

// badLen says why a block length is unacceptable.
func badLen(blen, least uint32) string {
	switch {
	case blen%4 != 0:
		return "not a multiple of 4"
	case blen < least:
		return fmt.Sprintf("below the minimum %d", least)
	}
	return fmt.Sprintf("above the limit %d", MaxBlockLen)
}

// walkOptions calls fn for each option in opts, whose first byte is at
// file offset off, up to opt_endofopt or the end of the block.
func walkOptions(be endian, opts []byte, off int64, fn func(code uint16, v []byte) error) error {
	pos := 0
	for len(opts)-pos >= 4 {
		code, n := be.u16(opts[pos:]), int(be.u16(opts[pos+2:]))
		if code == optEndOfOpt {
			return nil
		}
		if pos+4+n > len(opts) {
			return errorf("pcapng", "option", off+int64(pos), "option %d of length %d runs past the end of its block", code, n)
		}
		if err := fn(code, opts[pos+4:pos+4+n]); err != nil {
			return err
		}
		pos += 4 + (n+3)&^3
	}
	return nil
}

func (rd *Reader) nextPcapng() (Record, error) {
	for {
		off := rd.offset()
		if rd.w-rd.r < 8 {
			if err := rd.fill(8); err != nil {
				if err == io.EOF {
					return Record{}, io.EOF
				}
				return Record{}, rd.wrapErr("pcapng", "block", off, fmt.Sprintf("truncated: %d of the 8-byte block header present", rd.w-rd.r), err)
			}
		}
		be := rd.bigEndian
		typ := be.u32(rd.buf[rd.r:])
		if typ == blockSHB {
			if err := rd.readSHB(); err != nil {
				return Record{}, err
			}
			continue
		}
		blen := be.u32(rd.buf[rd.r+4:])
		if blen < 12 || blen%4 != 0 || blen > MaxBlockLen {
			return Record{}, errorf("pcapng", "block", off, "block length %d is %s", blen, badLen(blen, 12))
		}
		n := int(blen)
		if rd.w-rd.r < n {
			if err := rd.fill(n); err != nil {
				return Record{}, rd.wrapErr("pcapng", "block", off, fmt.Sprintf("truncated: %d of %d bytes present", rd.w-rd.r, n), err)
			}
		}
		blk := rd.buf[rd.r : rd.r+n]
		if t := be.u32(blk[n-4:]); t != blen {
			return Record{}, errorf("pcapng", "block", off, "trailing block length %d differs from the leading %d", t, blen)
		}
		body := blk[8 : n-4]
		start := rd.r + 8
		rd.r += n
		switch typ {
		case blockEPB:
			if len(body) < 20 {
				return Record{}, errorf("pcapng", "enhanced packet block", off, "block length %d is below the minimum 32", blen)
			}
			return rd.packet(body, start, off, "enhanced packet block", be.u32(body), 20)
		case blockPB:
			if len(body) < 20 {
				return Record{}, errorf("pcapng", "packet block", off, "block length %d is below the minimum 32", blen)
			}
			return rd.packet(body, start, off, "packet block", uint32(be.u16(body)), 20)
		case blockSPB:
			return rd.simplePacket(body, start, off)
		case blockIDB:
			if err := rd.readIDB(body, off); err != nil {
				return Record{}, err
			}
		case blockISB:
			if err := rd.readISB(body, off); err != nil {
				return Record{}, err
			}
		}
		// Name resolution, decryption secrets, custom, systemd journal and
		// any unknown block: not needed to analyse packets.
	}
}

// tryFastEPB is fastEPB in a little-endian pcapng file no error has
// stopped, tested inline so that other files cost no call.
func (rd *Reader) tryFastEPB(rec *Record) bool {
	return rd.err == nil && rd.format == FormatPcapng && !bool(rd.bigEndian) && rd.fastEPB(rec)
}

// fastEPB reads the next block into rec when it is an Enhanced Packet
// Block of a little-endian section (what capture tools write), held
// whole in the buffer and valid, with less work per packet than
// nextPcapng. It reports false, consuming nothing and leaving rec as it
// was, for anything else, which nextPcapng then reads or rejects with
// its error.
func (rd *Reader) fastEPB(rec *Record) bool {
	le := binary.LittleEndian
	b := rd.buf[rd.r:rd.w]
	if len(b) < 32 || le.Uint32(b) != blockEPB {
		return false
	}
	blen := le.Uint32(b[4:])
	iface := le.Uint32(b[8:])
	capLen := le.Uint32(b[20:])
	if blen < 32 || blen%4 != 0 || blen > MaxBlockLen || uint64(blen) > uint64(len(b)) ||
		capLen > blen-32 || uint64(iface) >= uint64(len(rd.ifaces)) || le.Uint32(b[blen-4:]) != blen {
		return false
	}
	ifc := &rd.ifaces[iface]
	d := rd.r + 28
	// Field by field: a composite literal is built aside and copied.
	rec.Data = rd.buf[d : d+int(capLen) : d+int(capLen)]
	rec.CaptureLen = int(capLen)
	rec.OrigLen = int(le.Uint32(b[24:]))
	rec.Timestamp = ifc.ts(uint64(le.Uint32(b[12:]))<<32 | uint64(le.Uint32(b[16:])))
	rec.Resolution = ifc.res
	rec.Link = ifc.link
	rec.Interface = int(iface)
	rec.Offset = rd.base + int64(rd.r)
	rd.r += int(blen)
	return true
}

// packet decodes an Enhanced Packet Block or obsolete Packet Block body
// (at buffer position start) of at least fixed bytes: the interface id
// (read by the caller), the timestamp at body[4:12], the captured and
// original lengths at body[12:20], then the data.
func (rd *Reader) packet(body []byte, start int, off int64, what string, iface uint32, fixed int) (Record, error) {
	be := rd.bigEndian
	if int(iface) >= len(rd.ifaces) {
		return Record{}, errorf("pcapng", what, off, "interface %d is not defined (the section has %d)", iface, len(rd.ifaces))
	}
	capLen, origLen := be.u32(body[12:]), be.u32(body[16:])
	if uint64(capLen) > uint64(len(body)-fixed) {
		return Record{}, errorf("pcapng", what, off, "captured length %d runs past the block (%d bytes of data)", capLen, len(body)-fixed)
	}
	ifc := &rd.ifaces[iface]
	units := uint64(be.u32(body[4:]))<<32 | uint64(be.u32(body[8:]))
	d := start + fixed
	return Record{
		Data:       rd.buf[d : d+int(capLen) : d+int(capLen)],
		CaptureLen: int(capLen),
		OrigLen:    int(origLen),
		Timestamp:  ifc.ts(units),
		Resolution: ifc.res,
		Link:       ifc.link,
		Interface:  int(iface),
		Offset:     off,
	}, nil
}

// simplePacket decodes a Simple Packet Block: interface 0, no timestamp,
// captured length min(original length, snap length, bytes in the block).
func (rd *Reader) simplePacket(body []byte, start int, off int64) (Record, error) {
	if len(body) < 4 {
		return Record{}, errorf("pcapng", "simple packet block", off, "block length %d is below the minimum 16", len(body)+12)
	}
	if len(rd.ifaces) == 0 {
		return Record{}, errorf("pcapng", "simple packet block", off, "interface 0 is not defined")
	}
	ifc := &rd.ifaces[0]
	origLen := rd.bigEndian.u32(body)
	capLen := min(int(origLen), len(body)-4)
	if ifc.snap > 0 {
		capLen = min(capLen, ifc.snap)
	}
	d := start + 4
	return Record{
		Data:       rd.buf[d : d+capLen : d+capLen],
		CaptureLen: capLen,
		OrigLen:    int(origLen),
		Resolution: ifc.res,
		Link:       ifc.link,
		Offset:     off,
	}, nil
}

// readIDB reads an Interface Description Block body.
func (rd *Reader) readIDB(body []byte, off int64) error {
	be := rd.bigEndian
	if len(body) < 8 {
		return errorf("pcapng", "interface description block", off, "block length %d is below the minimum 20", len(body)+12)
	}
	info := Interface{
		Link:    decode.LinkType(be.u16(body)),
		SnapLen: int(be.u32(body[4:])),
		TSResol: 6,
		FCSLen:  -1,
		Section: rd.section,
	}
	err := walkOptions(be, body[8:], off+16, func(code uint16, v []byte) error {
		switch code {
		case optIfName:
			info.Name = string(v)
		case optIfDescr:
			info.Description = string(v)
		case optIfTSResol:
			if len(v) != 1 {
				return errorf("pcapng", "interface description block", off, "if_tsresol has length %d, want 1", len(v))
			}
			info.TSResol = v[0]
		case optIfFCSLen:
			if len(v) == 1 {
				info.FCSLen = int(v[0])
			}
		case optIfTSOffset:
			if len(v) != 8 {
				return errorf("pcapng", "interface description block", off, "if_tsoffset has length %d, want 8", len(v))
			}
			info.TSOffset = int64(be.u64(v))
		}
		return nil
	})
	if err != nil {
		return err
	}
	ifc := ngIface{link: info.Link, snap: info.SnapLen, offsetN: info.TSOffset * 1e9}
	exp := uint(info.TSResol & 0x7f)
	var perSec uint64
	if info.TSResol&0x80 != 0 {
		if exp > 63 {
			return errorf("pcapng", "interface description block", off, "if_tsresol 2^-%d is finer than this reader supports (2^-63)", exp)
		}
		ifc.binary, ifc.shift = true, exp
		perSec = 1 << exp
	} else {
		if exp > 19 {
			return errorf("pcapng", "interface description block", off, "if_tsresol 10^-%d is finer than this reader supports (10^-19)", exp)
		}
		perSec = pow10(exp)
		if exp <= 9 {
			ifc.mul = pow10(9 - exp)
		} else {
			ifc.div = pow10(exp - 9)
		}
	}
	ifc.res = precision(perSec)
	info.Resolution = ifc.res
	rd.ifaces = append(rd.ifaces, ifc)
	rd.allIface = append(rd.allIface, info)
	return nil
}

// precision is the number of decimal digits Wireshark 4.0 shows for a
// clock of perSec units per second: it rounds down to seconds,
// deciseconds, centiseconds, milliseconds, microseconds or nanoseconds.
func precision(perSec uint64) int {
	switch {
	case perSec >= 1e9:
		return 9
	case perSec >= 1e6:
		return 6
	case perSec >= 1e3:
		return 3
	case perSec >= 100:
		return 2
	case perSec >= 10:
		return 1
	}
	return 0
}

func pow10(n uint) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// readISB reads an Interface Statistics Block body.
func (rd *Reader) readISB(body []byte, off int64) error {
	be := rd.bigEndian
	if len(body) < 12 {
		return errorf("pcapng", "interface statistics block", off, "block length %d is below the minimum 24", len(body)+12)
	}
	iface := be.u32(body)
	if int(iface) >= len(rd.ifaces) {
		return errorf("pcapng", "interface statistics block", off, "interface %d is not defined (the section has %d)", iface, len(rd.ifaces))
	}
	ifc := &rd.ifaces[iface]
	st := Stats{
		Interface: int(iface), Section: rd.section,
		Timestamp: ifc.ts(uint64(be.u32(body[4:]))<<32 | uint64(be.u32(body[8:]))),
		Received:  -1, Dropped: -1, FilterAccepted: -1, OSDropped: -1, Delivered: -1,
	}
	err := walkOptions(be, body[12:], off+20, func(code uint16, v []byte) error {
		if len(v) != 8 {
			return nil // opt_comment and custom options, or a malformed counter: not needed
		}
		switch code {
		case optISBStart:
			st.Start = ifc.ts(uint64(be.u32(v))<<32 | uint64(be.u32(v[4:])))
		case optISBEnd:
			st.End = ifc.ts(uint64(be.u32(v))<<32 | uint64(be.u32(v[4:])))
		case optISBIfRecv:
			st.Received = int64(be.u64(v))
		case optISBIfDrop:
			st.Dropped = int64(be.u64(v))
		case optISBFilter:
			st.FilterAccepted = int64(be.u64(v))
		case optISBOSDrop:
			st.OSDropped = int64(be.u64(v))
		case optISBUsrDelv:
			st.Delivered = int64(be.u64(v))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range rd.stats {
		if rd.stats[i].Section == st.Section && rd.stats[i].Interface == st.Interface {
			rd.stats[i] = st
			return nil
		}
	}
	rd.stats = append(rd.stats, st)
	return nil
}
