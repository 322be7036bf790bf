package capture

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tcplab/tcplab/internal/decode"
)

// Defaults for the zero Config fields.
const (
	DefaultInterface  = "lo"
	DefaultSnapLen    = 262144   // bytes kept of each packet, as tcpdump and dumpcap
	DefaultBufferSize = 32 << 20 // bytes of kernel ring
	// MaxSnapLen is the largest snap length Open accepts (Wireshark's
	// limit for Ethernet).
	MaxSnapLen = 262144
	// MinBufferSize is the smallest ring Open accepts.
	MinBufferSize = 1 << 20
)

// Config says what to capture and when to stop.
type Config struct {
	// Interface is the network interface to capture on; "" means lo.
	Interface string
	// Filter is a capture filter in tcpdump syntax (see capfilter), run in
	// the kernel; "" captures every packet.
	Filter string
	// SnapLen is how many bytes of each packet are kept; 0 means
	// DefaultSnapLen.
	SnapLen int
	// BufferSize is the size of the kernel ring in bytes; 0 means
	// DefaultBufferSize. Packets are dropped (and counted in
	// Stats.Dropped) only when the ring is full.
	BufferSize int
	// Count stops the capture after that many packets; 0 means no limit.
	Count int
	// Duration stops the capture after that long; 0 means no limit.
	Duration time.Duration
}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.Interface == "" {
		cfg.Interface = DefaultInterface
	}
	if cfg.SnapLen == 0 {
		cfg.SnapLen = DefaultSnapLen
	}
	if cfg.BufferSize == 0 {
		cfg.BufferSize = DefaultBufferSize
	}
	switch {
	case cfg.SnapLen < 0 || cfg.SnapLen > MaxSnapLen:
		return cfg, fmt.Errorf("capture: snap length %d out of range 1 to %d", cfg.SnapLen, MaxSnapLen)
	case cfg.BufferSize < MinBufferSize || cfg.BufferSize > 1<<30:
		return cfg, fmt.Errorf("capture: buffer size %d out of range %d to %d bytes", cfg.BufferSize, MinBufferSize, 1<<30)
	case cfg.Count < 0:
		return cfg, fmt.Errorf("capture: packet count %d is negative", cfg.Count)
	case cfg.Duration < 0:
		return cfg, fmt.Errorf("capture: duration %v is negative", cfg.Duration)
	}
	return cfg, nil
}

// Packet is one captured packet, as handed to the function given to Run.
type Packet struct {
	// Number is the packet's position in the capture, from 1.
	Number uint64
	// Timestamp is when the kernel received the packet, in nanoseconds
	// since the Unix epoch.
	Timestamp int64
	// Data is the packet as captured (at most the snap length). It aliases
	// the kernel ring and is valid only until the function returns: copy
	// it to keep it.
	Data []byte
	// Length is the packet's length on the wire.
	Length int
	// Link is the link-layer header type of Data.
	Link decode.LinkType
	// Pending reports whether more packets were already waiting when this
	// one was delivered. A writer can flush its output when it is false.
	Pending bool
}

// Stats are the counts of a finished capture.
type Stats struct {
	// Captured is the number of packets delivered (and written).
	Captured uint64
	// Received is the number of packets the kernel's filter accepted,
	// including dropped ones (PACKET_STATISTICS tp_packets). It may exceed
	// Captured by the packets still in the ring when a Count stopped the
	// capture.
	Received uint64
	// Dropped is the number of packets the kernel dropped because the ring
	// was full (tp_drops).
	Dropped uint64
	// Start and End bound the capture, in nanoseconds since the Unix epoch.
	Start, End int64
}

// Info describes an open capture, for a capture file's interface block.
type Info struct {
	Interface string          // the interface name
	Link      decode.LinkType // the link-layer header type of the packets
	SnapLen   int             // the snap length
	Filter    string          // the capture filter as given
	OS        string          // the operating system, for the file's section header
}

// PermissionError is returned by Open when the process may not open a
// packet socket. Its message names the missing capability and the remedy.
type PermissionError struct {
	Interface string
	Err       error // the system's error; errors.Is(err, os.ErrPermission) holds
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("capture on %s: not permitted: CAP_NET_RAW is missing; %s", e.Interface, Remedy())
}

// Unwrap returns the system's error.
func (e *PermissionError) Unwrap() error { return e.Err }

// Remedy returns the commands that let tcplab capture: run it as root, or
// grant the binary CAP_NET_RAW once. It names the running binary when it
// is called tcplab.
func Remedy() string {
	bin := RemedyBinary()
	return fmt.Sprintf("run tcplab as root (sudo %s ...), or grant the capability once with: sudo setcap cap_net_raw+ep %s", bin, bin)
}

// RemedyBinary is the binary Remedy names: the running one when it is
// called tcplab, else ./tcplab. Callers that word the remedy in another
// language name it.
func RemedyBinary() string {
	if exe, err := os.Executable(); err == nil && filepath.Base(exe) == "tcplab" {
		return exe
	}
	return "./tcplab"
}
