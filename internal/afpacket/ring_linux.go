//go:build linux

package afpacket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// RingConfig sizes a TPACKET_V3 receive ring (packet(7);
// Documentation/networking/packet_mmap.rst in the kernel tree).
type RingConfig struct {
	// BlockSize is the size of one block in bytes, a multiple of the page
	// size. A frame must fit in one block with about 100 bytes of headers;
	// the kernel cuts a longer frame to fit (RingFrame.Info.Length still
	// says how long it was).
	BlockSize int
	// BlockCount is the number of blocks: the ring holds
	// BlockSize*BlockCount bytes of frames.
	BlockCount int
	// Timeout is how long the kernel fills a block before handing it over
	// partly filled (tp_retire_blk_tov, in whole milliseconds, at least 1).
	// It bounds the delay before a frame can be read at a low packet
	// rate. Zero means 10 ms.
	Timeout time.Duration
}

// RingFrame is one frame read from a Ring.
type RingFrame struct {
	// Data is the frame as captured. It aliases the ring (or, for a frame
	// whose VLAN tag the kernel had stripped and Next put back, a buffer
	// of the Ring) and is valid until the next call to Next or Close.
	Data []byte
	// Info is what the kernel says about the frame; Length is its length
	// on the wire (with the VLAN tag, if one was put back).
	Info Info
	// Timestamp is when the kernel received the frame, in nanoseconds
	// since the Unix epoch.
	Timestamp int64
}

// Ring is a TPACKET_V3 receive ring mapped into memory: the kernel writes
// frames into blocks shared with the process, and Next reads them in place,
// with a kernel timestamp in nanoseconds and without a system call per
// frame. Frames arrive on the ring, not through Conn.ReadFrame, from the
// moment NewRing returns.
//
// Next honours the Conn's read deadline (Conn.SetReadDeadline), which is
// how a context cancels a blocked Next. A Ring is safe for concurrent use,
// but Next calls are serialized.
type Ring struct {
	c          *Conn
	mem        []byte
	blockSize  int
	blockCount int

	mu      sync.Mutex
	closed  bool
	cur     int  // the block Next reads or waits for
	owned   bool // cur belongs to user space (TP_STATUS_USER) and is being read
	left    int  // frames of cur not yet returned
	off     int  // offset in cur of the next frame
	vlanBuf []byte
	waitFn  func(fd uintptr) bool
}

// Offsets in struct tpacket_block_desc (block header) and struct
// tpacket3_hdr (frame header), from linux/if_packet.h. All fields are in
// host byte order.
const (
	blockStatusOff = 8  // hdr.bh1.block_status
	blockNumOff    = 12 // hdr.bh1.num_pkts
	blockFirstOff  = 16 // hdr.bh1.offset_to_first_pkt
	frameSllOff    = 48 // TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): the sockaddr_ll
	ringFrameSize  = 2048
	maxRingBytes   = 1 << 30
)

// NewRing switches c to TPACKET_V3 and maps a receive ring of the given
// size. Close the Ring before the Conn. Frames that reached the socket
// before the ring existed stay in the socket's queue, where only
// Conn.ReadFrame sees them.
func NewRing(c *Conn, cfg RingConfig) (*Ring, error) {
	page := os.Getpagesize()
	if cfg.BlockSize <= 0 || cfg.BlockSize%page != 0 || cfg.BlockSize%ringFrameSize != 0 {
		return nil, fmt.Errorf("afpacket: ring: block size %d is not a positive multiple of the page size %d", cfg.BlockSize, page)
	}
	if cfg.BlockCount <= 0 || cfg.BlockSize*cfg.BlockCount > maxRingBytes {
		return nil, fmt.Errorf("afpacket: ring: %d blocks of %d bytes: want 1 or more blocks and at most %d bytes", cfg.BlockCount, cfg.BlockSize, maxRingBytes)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 10 * time.Millisecond
	}
	tov := uint32(max(1, timeout.Milliseconds()))
	size := cfg.BlockSize * cfg.BlockCount
	r := &Ring{c: c, blockSize: cfg.BlockSize, blockCount: cfg.BlockCount}
	r.waitFn = func(uintptr) bool { return r.ready() }
	err := c.control(func(fd int) error {
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
			return fmt.Errorf("set PACKET_VERSION to TPACKET_V3: %w", err)
		}
		req := unix.TpacketReq3{
			Block_size:     uint32(cfg.BlockSize),
			Block_nr:       uint32(cfg.BlockCount),
			Frame_size:     ringFrameSize,
			Frame_nr:       uint32(size / ringFrameSize),
			Retire_blk_tov: tov,
		}
		if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
			return fmt.Errorf("set PACKET_RX_RING (%d blocks of %d bytes): %w", cfg.BlockCount, cfg.BlockSize, err)
		}
		mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			// Give the ring's memory back; the socket stays usable.
			unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &unix.TpacketReq3{})
			return fmt.Errorf("map the %d-byte ring: %w", size, err)
		}
		r.mem = mem
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("afpacket: ring: %w", errors.Unwrap(err))
	}
	return r, nil
}

func (r *Ring) word(off int) *uint32 { return (*uint32)(unsafe.Pointer(&r.mem[off])) }

// ready reports whether the block Next waits for has been handed to user
// space. The atomic load pairs with the kernel's write barrier before it
// sets the status, so the block's contents are complete.
func (r *Ring) ready() bool {
	return atomic.LoadUint32(r.word(r.cur*r.blockSize+blockStatusOff))&unix.TP_STATUS_USER != 0
}

// Next returns the next frame, waiting for one if none is ready. It
// returns an error wrapping os.ErrDeadlineExceeded when the Conn's read
// deadline passes, and one wrapping net.ErrClosed after Close or
// Conn.Close. Frames already on the ring are returned before a passed
// deadline is reported.
func (r *Ring) Next() (RingFrame, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if r.closed {
			return RingFrame{}, fmt.Errorf("afpacket: ring: %w", net.ErrClosed)
		}
		if r.left > 0 {
			if f, ok := r.frame(); ok {
				return f, nil
			}
		}
		if r.owned {
			// Hand the finished block back to the kernel.
			atomic.StoreUint32(r.word(r.cur*r.blockSize+blockStatusOff), unix.TP_STATUS_KERNEL)
			r.owned = false
			r.cur = (r.cur + 1) % r.blockCount
		}
		if r.ready() {
			base := r.cur * r.blockSize
			r.owned = true
			r.left = int(*r.word(base + blockNumOff))
			r.off = int(*r.word(base + blockFirstOff))
			continue
		}
		if err := r.c.rc.Read(r.waitFn); err != nil {
			return RingFrame{}, fmt.Errorf("afpacket: ring: %w", r.c.ioError(err))
		}
	}
}

// Buffered reports whether Next would return a frame without waiting:
// frames of the current block are left, or the next block is ready. A
// writer can flush its output when it is false.
func (r *Ring) Buffered() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	if r.left > 0 {
		return true
	}
	if r.owned {
		next := (r.cur + 1) % r.blockCount
		return next != r.cur && atomic.LoadUint32(r.word(next*r.blockSize+blockStatusOff))&unix.TP_STATUS_USER != 0
	}
	return r.ready()
}

// frame decodes the frame at r.off in the current block and advances. It
// reports false (and drops the rest of the block) if the kernel's offsets
// do not fit in the block, which a correct kernel never produces.
func (r *Ring) frame() (RingFrame, bool) {
	base := r.cur * r.blockSize
	end := base + r.blockSize
	h := base + r.off
	if r.off <= 0 || h+frameSllOff+20 > end {
		r.left = 0
		return RingFrame{}, false
	}
	ne := binary.NativeEndian
	next := int(ne.Uint32(r.mem[h:]))
	sec := ne.Uint32(r.mem[h+4:])
	nsec := ne.Uint32(r.mem[h+8:])
	snaplen := int(ne.Uint32(r.mem[h+12:]))
	length := int(ne.Uint32(r.mem[h+16:]))
	status := ne.Uint32(r.mem[h+20:])
	mac := int(ne.Uint16(r.mem[h+24:]))
	tci := ne.Uint32(r.mem[h+32:])
	tpid := ne.Uint16(r.mem[h+36:])
	sll := r.mem[h+frameSllOff : h+frameSllOff+20]
	if mac < frameSllOff || h+mac+snaplen > end {
		r.left = 0
		return RingFrame{}, false
	}
	f := RingFrame{
		Data: r.mem[h+mac : h+mac+snaplen : h+mac+snaplen],
		Info: Info{
			Type:     PacketType(sll[10]),
			Ifindex:  int(int32(ne.Uint32(sll[4:]))),
			Protocol: binary.BigEndian.Uint16(sll[2:]),
			Length:   length,
		},
		Timestamp: int64(sec)*1e9 + int64(nsec),
	}
	r.left--
	if next <= 0 {
		r.left = 0
	}
	r.off += next
	// The kernel moves an offloaded 802.1Q tag out of the frame into the
	// header; put it back, as libpcap does, so the frame is as on the wire.
	if (status&unix.TP_STATUS_VLAN_VALID != 0 || tci != 0) && snaplen >= 12 {
		if status&unix.TP_STATUS_VLAN_TPID_VALID == 0 || tpid == 0 {
			tpid = 0x8100
		}
		b := append(r.vlanBuf[:0], f.Data[:12]...)
		b = binary.BigEndian.AppendUint16(b, tpid)
		b = binary.BigEndian.AppendUint16(b, uint16(tci))
		b = append(b, f.Data[12:]...)
		r.vlanBuf = b
		f.Data = b
		f.Info.Length += 4
	}
	return f, true
}

// Close unmaps the ring. A Next blocked in another goroutine returns an
// error wrapping os.ErrDeadlineExceeded (Close sets a read deadline in the
// past on the Conn to wake it) and later calls one wrapping net.ErrClosed.
// The kernel frees the ring itself when the Conn is closed.
func (r *Ring) Close() error {
	r.c.SetReadDeadline(time.Unix(1, 0))
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if err := unix.Munmap(r.mem); err != nil {
		return fmt.Errorf("afpacket: ring: unmap: %w", err)
	}
	r.mem = nil
	return nil
}
