//go:build linux

package afpacket

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Conn is an AF_PACKET socket bound to one interface. ReadFrame and
// WriteFrame may be called from different goroutines at once; concurrent
// calls to ReadFrame are serialized.
type Conn struct {
	f       *os.File
	rc      syscall.RawConn
	ifindex int
	closed  atomic.Bool

	// Read state, kept in the Conn so that ReadFrame does not allocate:
	// the closure handed to RawConn.Read is made once, in newConn.
	rmu    sync.Mutex
	rbuf   []byte
	rn     int
	rerr   error
	rsa    unix.RawSockaddrLinklayer
	readFn func(fd uintptr) bool

	wmu     sync.Mutex
	wbuf    []byte
	wn      int
	werr    error
	writeFn func(fd uintptr) bool
}

// Listen opens a packet socket on the interface named ifname, which must
// exist in the calling thread's network namespace. cfg may be nil.
func Listen(ifname string, cfg *Config) (*Conn, error) {
	return listen(ifname, 0, cfg)
}

// ListenIndex opens a packet socket on the interface with index ifindex,
// in the calling thread's network namespace. cfg may be nil.
func ListenIndex(ifindex int, cfg *Config) (*Conn, error) {
	if ifindex <= 0 {
		return nil, fmt.Errorf("afpacket: interface index %d: %w", ifindex, ErrNoInterface)
	}
	return listen("", ifindex, cfg)
}

func listen(ifname string, ifindex int, cfg *Config) (c *Conn, err error) {
	if cfg == nil {
		cfg = &Config{}
	}
	where := ifname
	if where == "" {
		where = fmt.Sprintf("index %d", ifindex)
	}
	// Protocol 0: the socket receives nothing until bind, so the options
	// below are in place before the first frame arrives (packet(7)).
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, opError("open socket", where, err)
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
		}
	}()
	if ifindex == 0 {
		ifr, err := unix.NewIfreq(ifname)
		if err != nil {
			return nil, fmt.Errorf("afpacket: interface %q: %w", ifname, err)
		}
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
			if errors.Is(err, unix.ENODEV) {
				err = ErrNoInterface
			}
			return nil, fmt.Errorf("afpacket: interface %q: %w", ifname, err)
		}
		ifindex = int(ifr.Uint32())
	}
	if len(cfg.Filter) > 0 {
		if err := setBPF(fd, cfg.Filter); err != nil {
			return nil, fmt.Errorf("afpacket: %s: %w", where, err)
		}
	}
	if cfg.IgnoreOutgoing {
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
			return nil, opError("set PACKET_IGNORE_OUTGOING", where, err)
		}
	}
	if cfg.ReadBuffer > 0 {
		if err := setReadBuffer(fd, cfg.ReadBuffer); err != nil {
			return nil, fmt.Errorf("afpacket: %s: %w", where, err)
		}
	}
	proto := cfg.Protocol
	if proto == 0 {
		proto = unix.ETH_P_ALL
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(proto), Ifindex: ifindex}
	if err := unix.Bind(fd, sa); err != nil {
		if errors.Is(err, unix.ENODEV) {
			err = ErrNoInterface
		}
		return nil, opError("bind", where, err)
	}
	// os.NewFile sees that fd is non-blocking and registers it with the
	// runtime poller, which gives deadlines and a Close that wakes readers.
	f := os.NewFile(uintptr(fd), "afpacket:"+where)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("afpacket: %s: %w", where, err)
	}
	c = &Conn{f: f, rc: rc, ifindex: ifindex}
	c.readFn = c.doRead
	c.writeFn = c.doWrite
	return c, nil
}

// opError wraps err from the system call op on interface where, naming
// the missing capability when the kernel refused permission.
func opError(op, where string, err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("afpacket: %s on %s: %w (%s)", op, where, err, permissionHint)
	}
	return fmt.Errorf("afpacket: %s on %s: %w", op, where, err)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Ifindex returns the index of the interface the socket is bound to.
func (c *Conn) Ifindex() int { return c.ifindex }

// ReadFrame blocks until a frame arrives, the read deadline passes or the
// Conn is closed, copies the frame into b and returns the number of bytes
// copied and the frame's information. A frame longer than b is cut to
// len(b); info.Length then says how long it was. ReadFrame does not
// allocate.
func (c *Conn) ReadFrame(b []byte) (n int, info Info, err error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rbuf = b
	if err := c.rc.Read(c.readFn); err != nil {
		c.rbuf = nil
		return 0, Info{}, fmt.Errorf("afpacket: read: %w", c.ioError(err))
	}
	c.rbuf = nil
	if c.rerr != nil {
		return 0, Info{}, fmt.Errorf("afpacket: read: %w", c.rerr)
	}
	info = Info{
		Type:     PacketType(c.rsa.Pkttype),
		Ifindex:  int(c.rsa.Ifindex),
		Protocol: htons(c.rsa.Protocol),
		Length:   c.rn,
	}
	return min(c.rn, len(b)), info, nil
}

// doRead is the RawConn.Read callback: one recvfrom with MSG_TRUNC, so the
// result is the frame's full length even when b is shorter.
func (c *Conn) doRead(fd uintptr) bool {
	var p unsafe.Pointer
	if len(c.rbuf) > 0 {
		p = unsafe.Pointer(&c.rbuf[0])
	}
	salen := uint32(unsafe.Sizeof(c.rsa))
	r, _, e := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(p), uintptr(len(c.rbuf)),
		unix.MSG_TRUNC, uintptr(unsafe.Pointer(&c.rsa)), uintptr(unsafe.Pointer(&salen)))
	if e == unix.EAGAIN || e == unix.EINTR {
		return false
	}
	c.rn, c.rerr = int(r), nil
	if e != 0 {
		c.rn, c.rerr = 0, e
	}
	return true
}

// WriteFrame sends b, a complete link-layer frame (for Ethernet, starting
// with the destination MAC address), on the socket's interface.
func (c *Conn) WriteFrame(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = b
	err := c.ioError(c.rc.Write(c.writeFn))
	c.wbuf = nil
	if err == nil {
		err = c.werr
	}
	if err != nil {
		return 0, fmt.Errorf("afpacket: write: %w", err)
	}
	return c.wn, nil
}

func (c *Conn) doWrite(fd uintptr) bool {
	n, err := unix.Write(int(fd), c.wbuf)
	if err == unix.EAGAIN || err == unix.EINTR {
		return false
	}
	c.wn, c.werr = n, err
	if err != nil {
		c.wn = 0
	}
	return true
}

// SetBPF attaches a classic BPF program (SO_ATTACH_FILTER), replacing any
// earlier one. Frames already queued on the socket were not filtered; to
// filter from the first frame, pass the program in Config.Filter.
func (c *Conn) SetBPF(prog []bpf.RawInstruction) error {
	return c.control(func(fd int) error { return setBPF(fd, prog) })
}

func setBPF(fd int, prog []bpf.RawInstruction) error {
	if len(prog) == 0 || len(prog) > 0xffff {
		return fmt.Errorf("attach filter: program has %d instructions, want 1 to 65535", len(prog))
	}
	// bpf.RawInstruction has the layout of struct sock_filter.
	fprog := unix.SockFprog{
		Len:    uint16(len(prog)),
		Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0])),
	}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		return fmt.Errorf("attach filter: %w", err)
	}
	return nil
}

// SetIgnoreOutgoing sets PACKET_IGNORE_OUTGOING: when on, the socket does
// not receive the frames this host sends (Linux 4.20 and later).
func (c *Conn) SetIgnoreOutgoing(on bool) error {
	v := 0
	if on {
		v = 1
	}
	return c.control(func(fd int) error {
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, v); err != nil {
			return fmt.Errorf("set PACKET_IGNORE_OUTGOING: %w", err)
		}
		return nil
	})
}

// SetReadBuffer sets the socket's receive buffer to bytes. It uses
// SO_RCVBUFFORCE, which may exceed net.core.rmem_max with CAP_NET_ADMIN,
// and falls back to SO_RCVBUF (capped by rmem_max) without it. The kernel
// doubles the value for its bookkeeping (socket(7)).
func (c *Conn) SetReadBuffer(bytes int) error {
	return c.control(func(fd int) error { return setReadBuffer(fd, bytes) })
}

func setReadBuffer(fd, bytes int) error {
	if bytes <= 0 {
		return fmt.Errorf("set receive buffer: size %d is not positive", bytes)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, bytes) == nil {
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, bytes); err != nil {
		return fmt.Errorf("set receive buffer to %d bytes: %w", bytes, err)
	}
	return nil
}

// Stats returns the socket's PACKET_STATISTICS since the previous call:
// the kernel resets the counters on every read.
func (c *Conn) Stats() (Stats, error) {
	var st Stats
	err := c.control(func(fd int) error {
		s, err := unix.GetsockoptTpacketStats(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
		if err != nil {
			return fmt.Errorf("get PACKET_STATISTICS: %w", err)
		}
		st = Stats{Packets: s.Packets, Drops: s.Drops}
		return nil
	})
	return st, err
}

// SetReadDeadline sets the time after which a blocked or future ReadFrame
// fails with an error wrapping os.ErrDeadlineExceeded. The zero time means
// no deadline. A time in the past wakes a blocked ReadFrame at once.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if err := c.f.SetReadDeadline(t); err != nil {
		return fmt.Errorf("afpacket: set read deadline: %w", err)
	}
	return nil
}

// SetWriteDeadline sets the time after which a blocked WriteFrame fails
// with an error wrapping os.ErrDeadlineExceeded.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if err := c.f.SetWriteDeadline(t); err != nil {
		return fmt.Errorf("afpacket: set write deadline: %w", err)
	}
	return nil
}

// SyscallConn returns the raw socket, for options this package does not
// wrap (for example a TPACKET ring).
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return c.rc, nil }

// ioError maps the poller's error for a closed file, which os does not
// export, to net.ErrClosed.
func (c *Conn) ioError(err error) error {
	if err != nil && c.closed.Load() && !errors.Is(err, os.ErrDeadlineExceeded) {
		return net.ErrClosed
	}
	return err
}

// Close closes the socket. A ReadFrame or WriteFrame blocked in another
// goroutine, and any later one, returns an error wrapping net.ErrClosed.
func (c *Conn) Close() error {
	c.closed.Store(true)
	if err := c.f.Close(); err != nil {
		return fmt.Errorf("afpacket: close: %w", err)
	}
	return nil
}

// control runs fn with the socket's file descriptor.
func (c *Conn) control(fn func(fd int) error) error {
	var ferr error
	if err := c.rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return fmt.Errorf("afpacket: %w", err)
	}
	if ferr != nil {
		return fmt.Errorf("afpacket: %w", ferr)
	}
	return nil
}
