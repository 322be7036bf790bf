package pcapio

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/tcplab/tcplab/internal/decode"
)

// Limits applied to lengths read from a file before any buffer grows.
const (
	// MaxPacketLen is the largest captured length a pcap record may
	// claim when the file's snap length is not larger (Wireshark's
	// WTAP_MAX_PACKET_SIZE_STANDARD).
	MaxPacketLen = 262144
	// MaxBlockLen is the largest pcapng block the reader accepts, and the
	// cap on a pcap record whose file header announces a snap length above
	// MaxPacketLen.
	MaxBlockLen = 16 << 20
)

const (
	initialBufSize = 256 << 10 // large reads; records rarely straddle a refill
	minReadSize    = 64 << 10
)

// Record is one captured packet. Data aliases the Reader's buffer and is
// valid only until the next call to Next.
type Record struct {
	Data       []byte
	CaptureLen int   // len(Data): the bytes captured
	OrigLen    int   // the packet's length on the wire
	Timestamp  int64 // nanoseconds since the Unix epoch (UTC)
	// Resolution is the number of decimal digits of the timestamp
	// resolution of the record's file (pcap) or interface (pcapng), as
	// Wireshark derives it: 6 for microseconds, 9 for nanoseconds, 3 for
	// milliseconds, and so on. tshark prints that many fraction digits.
	Resolution int
	Link       decode.LinkType
	Interface  int   // pcapng interface index within its section (0 for pcap)
	Offset     int64 // byte offset of the record or block in the (decompressed) file
}

// Format is a capture file format.
type Format int

// The formats NewReader recognises.
const (
	FormatPcap Format = iota + 1
	FormatPcapNano
	FormatPcapng
)

func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapNano:
		return "pcap (nanosecond)"
	case FormatPcapng:
		return "pcapng"
	}
	return "unknown"
}

// FormatError is a malformed, truncated or unreadable capture file. Offset
// is the byte offset in the file (after gzip decompression) of the record,
// block or header that is wrong; Err, when set, is the underlying error
// (io.ErrUnexpectedEOF for a truncated file, an I/O or gzip error).
type FormatError struct {
	Format string // "pcap", "pcapng" or "capture"
	What   string // "file header", "record", "block", ...
	Offset int64
	Msg    string
	Err    error
}

func (e *FormatError) Error() string {
	s := fmt.Sprintf("%s: %s at offset %d", e.Format, e.What, e.Offset)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *FormatError) Unwrap() error { return e.Err }

// Interface describes one capture interface: the single link of a pcap
// file, or an Interface Description Block of a pcapng section.
type Interface struct {
	Name        string
	Description string
	Link        decode.LinkType
	SnapLen     int
	// Resolution is the timestamp resolution in decimal digits (see
	// Record.Resolution). TSResol is the raw if_tsresol byte (6 for pcap
	// files in microseconds, 9 in nanoseconds).
	Resolution int
	TSResol    uint8
	TSOffset   int64 // seconds added to every timestamp (if_tsoffset)
	FCSLen     int   // bytes of frame check sequence at the end of each frame, -1 if unknown
	Section    int   // pcapng section number, from 0
}

// Reader reads the records of a pcap or pcapng file, plain or gzip
// compressed. It is not safe for concurrent use.
type Reader struct {
	buf   []byte
	r, w  int   // unread data is buf[r:w]
	base  int64 // file offset of buf[0]
	src   io.Reader
	eof   bool  // src returned io.EOF
	rerr  error // a read error other than io.EOF, reported when the data runs out
	empty int   // consecutive reads that returned nothing

	format     Format
	compressed bool
	err        error // sticky: returned by every call after the first failure

	bigEndian endian // byte order of the file (pcap) or current section (pcapng)

	// pcap
	pcapIface Interface
	nano      bool
	maxCap    int

	// pcapng
	sawSHB   bool
	section  int
	ifaces   []ngIface
	allIface []Interface // every interface of every section, for Interfaces
	stats    []Stats
}

// NewReader detects the format of r (gzip is decompressed transparently)
// and reads the file header. r is read in large chunks; wrapping it in a
// bufio.Reader gains nothing.
func NewReader(r io.Reader) (*Reader, error) {
	var head [2]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, &FormatError{Format: "capture", What: "file header", Msg: "reading", Err: err}
	}
	src := io.MultiReader(&headReader{b: head[:n]}, r)
	rd := &Reader{buf: make([]byte, 0, initialBufSize)}
	if n == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, &FormatError{Format: "capture", What: "gzip header", Msg: "reading", Err: err}
		}
		rd.src = zr
		rd.compressed = true
	} else {
		rd.src = src
	}
	rd.buf = rd.buf[:cap(rd.buf)]
	if err := rd.fill(4); err != nil {
		if err == io.EOF {
			return nil, &FormatError{Format: "capture", What: "file header", Msg: "empty file"}
		}
		msg := "reading"
		if err == io.ErrUnexpectedEOF {
			msg = "file too short for a magic number"
		}
		return nil, rd.wrapErr("capture", "file header", 0, msg, err)
	}
	magic := rd.buf[rd.r : rd.r+4]
	switch {
	case binary.BigEndian.Uint32(magic) == blockSHB:
		rd.format = FormatPcapng
		if err := rd.readSHB(); err != nil {
			return nil, err
		}
	default:
		if err := rd.readPcapHeader(); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// headReader replays the bytes NewReader read to detect gzip.
type headReader struct{ b []byte }

func (h *headReader) Read(p []byte) (int, error) {
	if len(h.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, h.b)
	h.b = h.b[n:]
	return n, nil
}

// Format reports the file format.
func (rd *Reader) Format() Format { return rd.format }

// Compressed reports whether the file was gzip-compressed.
func (rd *Reader) Compressed() bool { return rd.compressed }

// Interfaces returns the interfaces seen so far: the file's single link
// for pcap; for pcapng, every Interface Description Block read so far, in
// every section, in file order (Record.Interface indexes the interfaces of
// the record's own section).
func (rd *Reader) Interfaces() []Interface {
	if rd.format != FormatPcapng {
		return []Interface{rd.pcapIface}
	}
	return rd.allIface
}

// Stats returns the latest Interface Statistics Block read so far for
// each interface that had one (pcapng only), in the order first seen.
func (rd *Reader) Stats() []Stats { return rd.stats }

// Next returns the next record, or io.EOF after the last one. The
// record's Data is valid until the next call. After an error, every call
// returns the same error.
func (rd *Reader) Next() (Record, error) {
	var rec Record
	if rd.tryFastEPB(&rec) {
		return rec, nil
	}
	if rd.err != nil {
		return Record{}, rd.err
	}
	var err error
	if rd.format == FormatPcapng {
		rec, err = rd.nextPcapng()
	} else {
		rec, err = rd.nextPcap()
	}
	if err != nil {
		rd.err = err
	}
	return rec, err
}

// NextInto reads the next record into rec, as Next returns it, or
// returns the error Next would (io.EOF after the last record), leaving
// rec unchanged. Filling the caller's Record saves a copy of it per
// record. rec.Data is valid until the next call.
func (rd *Reader) NextInto(rec *Record) error {
	if rd.tryFastEPB(rec) {
		return nil
	}
	// Next tries fastEPB again, in vain: a few instructions, on the rare
	// records (a block across a buffer refill, not an EPB) that get here.
	r, err := rd.Next()
	if err != nil {
		return err
	}
	*rec = r
	return nil
}

// offset returns the file offset of the next unread byte.
func (rd *Reader) offset() int64 { return rd.base + int64(rd.r) }

// fill makes at least n unread bytes available in buf[r:w]. It returns
// io.EOF when the file ends cleanly before any of them, io.ErrUnexpectedEOF
// when it ends part way, or the read error. The buffer grows only as data
// actually arrives, so a length claimed by a corrupt file never allocates
// more than about twice the bytes the file really holds.
func (rd *Reader) fill(n int) error {
	for rd.w-rd.r < n {
		if rd.eof || rd.rerr != nil {
			if rd.rerr != nil {
				return rd.rerr
			}
			if rd.w == rd.r {
				return io.EOF
			}
			return io.ErrUnexpectedEOF
		}
		if len(rd.buf)-rd.w < minReadSize {
			// Little room left to read into: move the unread bytes to the
			// front, and double the buffer only when they fill most of it.
			unread := rd.w - rd.r
			if len(rd.buf)-unread < minReadSize {
				nb := make([]byte, 2*len(rd.buf))
				copy(nb, rd.buf[rd.r:rd.w])
				rd.buf = nb
			} else {
				copy(rd.buf, rd.buf[rd.r:rd.w])
			}
			rd.base += int64(rd.r)
			rd.r, rd.w = 0, unread
		}
		m, err := rd.src.Read(rd.buf[rd.w:])
		rd.w += m
		if m == 0 && err == nil {
			if rd.empty++; rd.empty >= 100 {
				err = io.ErrNoProgress
			}
		} else {
			rd.empty = 0
		}
		if err == io.EOF {
			rd.eof = true
		} else if err != nil {
			rd.rerr = err
		}
	}
	return nil
}

// wrapErr builds the FormatError for a failed fill at file offset off.
func (rd *Reader) wrapErr(format, what string, off int64, msg string, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err == io.ErrUnexpectedEOF && msg == "" {
		msg = fmt.Sprintf("truncated: file ends after %d bytes of it", rd.w-rd.r)
	}
	return &FormatError{Format: format, What: what, Offset: off, Msg: msg, Err: err}
}

// errorf builds a FormatError with a formatted message.
func errorf(format, what string, off int64, msg string, args ...any) error {
	return &FormatError{Format: format, What: what, Offset: off, Msg: fmt.Sprintf(msg, args...)}
}
