package pcapio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/tcplab/tcplab/internal/decode"
)

// ErrBadPacket is wrapped by the error a writer returns for a packet it
// cannot write (data longer than the snap length, an original length below
// the captured length, a timestamp before the epoch, an unknown interface).
var ErrBadPacket = errors.New("bad packet")

const writeBufSize = 64 << 10

// order returns the byte order a writer uses.
func order(bigEndian bool) binary.AppendByteOrder {
	if bigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// PcapOptions configures a PcapWriter.
type PcapOptions struct {
	Link       decode.LinkType
	SnapLen    int  // 0 means MaxPacketLen
	Nanosecond bool // nanosecond timestamps (magic 0xa1b23c4d) instead of microseconds
	BigEndian  bool // write in big-endian byte order instead of little-endian
	FCSLen     int  // bytes of FCS at the end of each frame (an even number up to 30), 0 for none
}

// PcapWriter writes a pcap file. It buffers: call Flush at the end.
type PcapWriter struct {
	w    *bufio.Writer
	o    binary.AppendByteOrder
	opts PcapOptions
	hdr  []byte
}

// NewPcapWriter writes the pcap file header to w and returns a writer for
// its records.
func NewPcapWriter(w io.Writer, opts PcapOptions) (*PcapWriter, error) {
	if opts.SnapLen == 0 {
		opts.SnapLen = MaxPacketLen
	}
	if opts.SnapLen < 0 || opts.FCSLen < 0 || opts.FCSLen > 30 || opts.FCSLen%2 != 0 || opts.Link > linkTypeMask {
		return nil, fmt.Errorf("pcapio: pcap writer: snap length %d, FCS length %d, link type %d: out of range", opts.SnapLen, opts.FCSLen, opts.Link)
	}
	pw := &PcapWriter{w: bufio.NewWriterSize(w, writeBufSize), o: order(opts.BigEndian), opts: opts, hdr: make([]byte, 0, pcapRecordLen)}
	magic := magicMicro
	if opts.Nanosecond {
		magic = magicNano
	}
	network := uint32(opts.Link)
	if opts.FCSLen > 0 {
		network |= fcsPresent | uint32(opts.FCSLen/2)<<28
	}
	h := pw.o.AppendUint32(nil, magic)
	h = pw.o.AppendUint16(h, 2)
	h = pw.o.AppendUint16(h, 4)
	h = pw.o.AppendUint32(h, 0) // thiszone: always UTC
	h = pw.o.AppendUint32(h, 0) // sigfigs
	h = pw.o.AppendUint32(h, uint32(opts.SnapLen))
	h = pw.o.AppendUint32(h, network)
	if _, err := pw.w.Write(h); err != nil {
		return nil, fmt.Errorf("pcapio: writing pcap file header: %w", err)
	}
	return pw, nil
}

// WritePacket writes one record: ts in nanoseconds since the epoch
// (rounded down to microseconds unless the writer is nanosecond), the
// captured bytes and the original length on the wire.
func (pw *PcapWriter) WritePacket(ts int64, data []byte, origLen int) error {
	if err := checkPacket(ts, data, origLen, pw.opts.SnapLen); err != nil {
		return err
	}
	sec, frac := ts/1e9, ts%1e9
	if !pw.opts.Nanosecond {
		frac /= 1e3
	}
	if sec > 0xffffffff {
		return fmt.Errorf("pcapio: pcap record: timestamp %d is after 2106, beyond pcap's 32-bit seconds: %w", ts, ErrBadPacket)
	}
	h := pw.o.AppendUint32(pw.hdr[:0], uint32(sec))
	h = pw.o.AppendUint32(h, uint32(frac))
	h = pw.o.AppendUint32(h, uint32(len(data)))
	h = pw.o.AppendUint32(h, uint32(origLen))
	pw.hdr = h
	if _, err := pw.w.Write(h); err != nil {
		return fmt.Errorf("pcapio: writing pcap record: %w", err)
	}
	if _, err := pw.w.Write(data); err != nil {
		return fmt.Errorf("pcapio: writing pcap record: %w", err)
	}
	return nil
}

// Flush writes any buffered data to the underlying writer.
func (pw *PcapWriter) Flush() error {
	if err := pw.w.Flush(); err != nil {
		return fmt.Errorf("pcapio: flushing pcap file: %w", err)
	}
	return nil
}

func checkPacket(ts int64, data []byte, origLen, snap int) error {
	switch {
	case ts < 0:
		return fmt.Errorf("pcapio: timestamp %d is before the epoch: %w", ts, ErrBadPacket)
	case snap > 0 && len(data) > snap:
		return fmt.Errorf("pcapio: captured length %d exceeds the snap length %d: %w", len(data), snap, ErrBadPacket)
	case origLen < len(data):
		return fmt.Errorf("pcapio: original length %d is below the captured length %d: %w", origLen, len(data), ErrBadPacket)
	case uint64(origLen) > 0xffffffff:
		return fmt.Errorf("pcapio: original length %d does not fit in 32 bits: %w", origLen, ErrBadPacket)
	}
	return nil
}

// PcapngOptions configures a PcapngWriter's section header and first
// interfaces.
type PcapngOptions struct {
	// Interfaces are written as Interface Description Blocks right after
	// the section header; more can be added with AddInterface. Of each
	// Interface, Name, Description, Link, SnapLen (0: no limit), TSResol
	// (the if_tsresol byte; when 0, Resolution decimal digits, or else
	// microseconds), TSOffset and FCSLen (written when positive) are used.
	Interfaces  []Interface
	Application string // shb_userappl
	OS          string // shb_os
	Hardware    string // shb_hardware
	Comment     string // opt_comment of the section
	BigEndian   bool   // write the section in big-endian byte order
}

// PcapngWriter writes a pcapng file with one section. It buffers: call
// Flush at the end.
type PcapngWriter struct {
	w      *bufio.Writer
	o      binary.AppendByteOrder
	be     bool
	ifaces []wIface
	blk    []byte
}

// wIface is a written interface with its timestamp conversion.
type wIface struct {
	snap    int
	binary  bool
	exp     uint
	offsetN int64
}

// units converts ns since the epoch to the interface's timestamp units.
func (ifc *wIface) units(ns int64) (uint64, error) {
	ns -= ifc.offsetN
	if ns < 0 {
		return 0, fmt.Errorf("pcapio: timestamp %d is before the interface's offset: %w", ns+ifc.offsetN, ErrBadPacket)
	}
	u := uint64(ns)
	switch {
	case ifc.binary:
		sec, frac := u/1e9, u%1e9
		if ifc.exp > 0 && sec>>(64-ifc.exp) != 0 {
			return 0, fmt.Errorf("pcapio: timestamp %d does not fit in 64 bits of 2^-%d s: %w", ns, ifc.exp, ErrBadPacket)
		}
		hi, lo := bits.Mul64(frac, 1<<ifc.exp)
		q, _ := bits.Div64(hi, lo, 1e9)
		return sec<<ifc.exp + q, nil
	case ifc.exp <= 9:
		return u / pow10(9-ifc.exp), nil
	}
	m := pow10(ifc.exp - 9)
	if u > ^uint64(0)/m {
		return 0, fmt.Errorf("pcapio: timestamp %d does not fit in 64 bits of 10^-%d s: %w", ns, ifc.exp, ErrBadPacket)
	}
	return u * m, nil
}

// NewPcapngWriter writes a Section Header Block and the interfaces in opts
// to w and returns a writer for packets and statistics.
func NewPcapngWriter(w io.Writer, opts PcapngOptions) (*PcapngWriter, error) {
	pw := &PcapngWriter{w: bufio.NewWriterSize(w, writeBufSize), o: order(opts.BigEndian), be: opts.BigEndian}
	b := pw.o.AppendUint32(pw.blk[:0], blockSHB)
	b = pw.o.AppendUint32(b, 0) // length, set by endBlock
	b = pw.o.AppendUint32(b, byteOrderMagic)
	b = pw.o.AppendUint16(b, 1)
	b = pw.o.AppendUint16(b, 0)
	b = pw.o.AppendUint64(b, 0xffffffffffffffff) // section length not known
	optStart := len(b)
	b = pw.appendStringOpt(b, optComment, opts.Comment)
	b = pw.appendStringOpt(b, 2, opts.Hardware) // shb_hardware
	b = pw.appendStringOpt(b, 3, opts.OS)       // shb_os
	b = pw.appendStringOpt(b, 4, opts.Application)
	if err := pw.endBlock(b, optStart); err != nil {
		return nil, err
	}
	for _, ifc := range opts.Interfaces {
		if _, err := pw.AddInterface(ifc); err != nil {
			return nil, err
		}
	}
	return pw, nil
}

// AddInterface writes an Interface Description Block and returns the new
// interface's index for WritePacket.
func (pw *PcapngWriter) AddInterface(ifc Interface) (int, error) {
	res := ifc.TSResol
	if res == 0 {
		res = 6
		if ifc.Resolution > 0 && ifc.Resolution <= 19 {
			res = uint8(ifc.Resolution)
		}
	}
	exp := uint(res & 0x7f)
	if res&0x80 != 0 && exp > 63 || res&0x80 == 0 && exp > 19 {
		return 0, fmt.Errorf("pcapio: interface %q: if_tsresol %#02x out of range", ifc.Name, res)
	}
	if ifc.SnapLen < 0 || ifc.Link > linkTypeMask || ifc.FCSLen > 255 {
		return 0, fmt.Errorf("pcapio: interface %q: snap length %d, link type %d, FCS length %d: out of range", ifc.Name, ifc.SnapLen, ifc.Link, ifc.FCSLen)
	}
	b := pw.o.AppendUint32(pw.blk[:0], blockIDB)
	b = pw.o.AppendUint32(b, 0)
	b = pw.o.AppendUint16(b, uint16(ifc.Link))
	b = pw.o.AppendUint16(b, 0)
	b = pw.o.AppendUint32(b, uint32(ifc.SnapLen))
	optStart := len(b)
	b = pw.appendStringOpt(b, optIfName, ifc.Name)
	b = pw.appendStringOpt(b, optIfDescr, ifc.Description)
	if res != 6 {
		b = pw.appendOpt(b, optIfTSResol, []byte{res})
	}
	if ifc.FCSLen > 0 {
		b = pw.appendOpt(b, optIfFCSLen, []byte{byte(ifc.FCSLen)})
	}
	if ifc.TSOffset != 0 {
		b = pw.appendOpt(b, optIfTSOffset, pw.o.AppendUint64(nil, uint64(ifc.TSOffset)))
	}
	if err := pw.endBlock(b, optStart); err != nil {
		return 0, err
	}
	pw.ifaces = append(pw.ifaces, wIface{snap: ifc.SnapLen, binary: res&0x80 != 0, exp: exp, offsetN: ifc.TSOffset * 1e9})
	return len(pw.ifaces) - 1, nil
}

// WritePacket writes an Enhanced Packet Block: interface index iface, ts
// in nanoseconds since the epoch (rounded down to the interface's
// resolution), the captured bytes and the original length on the wire.
func (pw *PcapngWriter) WritePacket(iface int, ts int64, data []byte, origLen int) error {
	return pw.WritePacketComment(iface, ts, data, origLen, "")
}

// WritePacketComment is WritePacket with an opt_comment on the packet
// (tshark shows it as frame.comment), omitted when comment is empty.
func (pw *PcapngWriter) WritePacketComment(iface int, ts int64, data []byte, origLen int, comment string) error {
	if iface < 0 || iface >= len(pw.ifaces) {
		return fmt.Errorf("pcapio: interface %d is not defined (%d written): %w", iface, len(pw.ifaces), ErrBadPacket)
	}
	ifc := &pw.ifaces[iface]
	if err := checkPacket(ts, data, origLen, ifc.snap); err != nil {
		return err
	}
	u, err := ifc.units(ts)
	if err != nil {
		return err
	}
	if len(data) > MaxBlockLen-64-len(comment) {
		return fmt.Errorf("pcapio: packet of %d bytes exceeds the block limit %d: %w", len(data), MaxBlockLen, ErrBadPacket)
	}
	b := pw.o.AppendUint32(pw.blk[:0], blockEPB)
	b = pw.o.AppendUint32(b, 0)
	b = pw.o.AppendUint32(b, uint32(iface))
	b = pw.o.AppendUint32(b, uint32(u>>32))
	b = pw.o.AppendUint32(b, uint32(u))
	b = pw.o.AppendUint32(b, uint32(len(data)))
	b = pw.o.AppendUint32(b, uint32(origLen))
	b = append(b, data...)
	b = pad4(b)
	optStart := len(b)
	b = pw.appendStringOpt(b, optComment, comment)
	return pw.endBlock(b, optStart)
}

// WriteStats writes an Interface Statistics Block for s.Interface with
// timestamp s.Timestamp, the counters that are not negative and Start/End
// when not zero. Capture tools write one at the end of a capture, with the
// kernel's drop count in Dropped (isb_ifdrop).
func (pw *PcapngWriter) WriteStats(s Stats) error {
	if s.Interface < 0 || s.Interface >= len(pw.ifaces) {
		return fmt.Errorf("pcapio: statistics for interface %d, which is not defined (%d written): %w", s.Interface, len(pw.ifaces), ErrBadPacket)
	}
	ifc := &pw.ifaces[s.Interface]
	b := pw.o.AppendUint32(pw.blk[:0], blockISB)
	b = pw.o.AppendUint32(b, 0)
	b = pw.o.AppendUint32(b, uint32(s.Interface))
	u, err := ifc.units(s.Timestamp)
	if err != nil {
		return err
	}
	b = pw.o.AppendUint32(b, uint32(u>>32))
	b = pw.o.AppendUint32(b, uint32(u))
	optStart := len(b)
	for _, t := range []struct {
		code uint16
		ts   int64
	}{{optISBStart, s.Start}, {optISBEnd, s.End}} {
		if t.ts == 0 {
			continue
		}
		u, err := ifc.units(t.ts)
		if err != nil {
			return err
		}
		v := pw.o.AppendUint32(nil, uint32(u>>32))
		b = pw.appendOpt(b, t.code, pw.o.AppendUint32(v, uint32(u)))
	}
	for _, c := range []struct {
		code uint16
		n    int64
	}{{optISBIfRecv, s.Received}, {optISBIfDrop, s.Dropped}, {optISBFilter, s.FilterAccepted}, {optISBOSDrop, s.OSDropped}, {optISBUsrDelv, s.Delivered}} {
		if c.n >= 0 {
			b = pw.appendOpt(b, c.code, pw.o.AppendUint64(nil, uint64(c.n)))
		}
	}
	return pw.endBlock(b, optStart)
}

// Flush writes any buffered data to the underlying writer.
func (pw *PcapngWriter) Flush() error {
	if err := pw.w.Flush(); err != nil {
		return fmt.Errorf("pcapio: flushing pcapng file: %w", err)
	}
	return nil
}

func (pw *PcapngWriter) appendOpt(b []byte, code uint16, v []byte) []byte {
	b = pw.o.AppendUint16(b, code)
	b = pw.o.AppendUint16(b, uint16(len(v)))
	return pad4(append(b, v...))
}

func (pw *PcapngWriter) appendStringOpt(b []byte, code uint16, s string) []byte {
	if s == "" {
		return b
	}
	if len(s) > 0xffff {
		s = s[:0xffff]
	}
	b = pw.o.AppendUint16(b, code)
	b = pw.o.AppendUint16(b, uint16(len(s)))
	return pad4(append(b, s...))
}

// endBlock ends the options that start at b[optStart:] (with
// opt_endofopt when there are any), appends the trailing length, patches
// the leading one and writes b.
func (pw *PcapngWriter) endBlock(b []byte, optStart int) error {
	if len(b) > optStart {
		b = pw.o.AppendUint32(b, 0) // opt_endofopt, length 0
	}
	b = pw.o.AppendUint32(b, uint32(len(b)+4))
	if pw.be {
		binary.BigEndian.PutUint32(b[4:], uint32(len(b)))
	} else {
		binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
	}
	pw.blk = b[:0]
	if _, err := pw.w.Write(b); err != nil {
		return fmt.Errorf("pcapio: writing pcapng block: %w", err)
	}
	return nil
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
