//go:build !linux

package afpacket

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/net/bpf"
)

// errUnsupported is returned by every function on systems without
// AF_PACKET.
var errUnsupported = fmt.Errorf("afpacket: AF_PACKET sockets are not available on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Conn is an AF_PACKET socket; on this system it cannot be opened.
type Conn struct{}

// Listen returns an error: AF_PACKET exists only on Linux.
func Listen(ifname string, cfg *Config) (*Conn, error) { return nil, errUnsupported }

// ListenIndex returns an error: AF_PACKET exists only on Linux.
func ListenIndex(ifindex int, cfg *Config) (*Conn, error) { return nil, errUnsupported }

// Ifindex returns 0.
func (c *Conn) Ifindex() int { return 0 }

// ReadFrame returns an error: AF_PACKET exists only on Linux.
func (c *Conn) ReadFrame(b []byte) (int, Info, error) { return 0, Info{}, errUnsupported }

// WriteFrame returns an error: AF_PACKET exists only on Linux.
func (c *Conn) WriteFrame(b []byte) (int, error) { return 0, errUnsupported }

// SetBPF returns an error: AF_PACKET exists only on Linux.
func (c *Conn) SetBPF(prog []bpf.RawInstruction) error { return errUnsupported }

// SetIgnoreOutgoing returns an error: AF_PACKET exists only on Linux.
func (c *Conn) SetIgnoreOutgoing(on bool) error { return errUnsupported }

// SetReadBuffer returns an error: AF_PACKET exists only on Linux.
func (c *Conn) SetReadBuffer(bytes int) error { return errUnsupported }

// Stats returns an error: AF_PACKET exists only on Linux.
func (c *Conn) Stats() (Stats, error) { return Stats{}, errUnsupported }

// SetReadDeadline returns an error: AF_PACKET exists only on Linux.
func (c *Conn) SetReadDeadline(t time.Time) error { return errUnsupported }

// SetWriteDeadline returns an error: AF_PACKET exists only on Linux.
func (c *Conn) SetWriteDeadline(t time.Time) error { return errUnsupported }

// SyscallConn returns an error: AF_PACKET exists only on Linux.
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return nil, errUnsupported }

// Close returns an error: AF_PACKET exists only on Linux.
func (c *Conn) Close() error { return errUnsupported }
