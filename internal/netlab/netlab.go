package netlab

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/tcplab/tcplab/internal/impair"
)

// Host names one of the network's three namespaces.
type Host int

// The hosts of a Network. The zero Host names none of them, so that
// options can leave a host unset.
const (
	Client Host = iota + 1 // the client host: c0, 10.77.0.1, fd00:7c:1ab::1
	Middle                 // the middle host running the bridge: mc and ms, no addresses
	Server                 // the server host: s0, 10.77.0.2, fd00:7c:1ab::2
)

var hostNames = [...]string{"client", "middle", "server"}

// String returns "client", "middle" or "server".
func (h Host) String() string {
	if !h.valid() {
		return fmt.Sprintf("host(%d)", int(h))
	}
	return hostNames[h-1]
}

func (h Host) valid() bool { return h >= Client && h <= Server }

// The addresses of the client and server hosts. They exist only inside
// the network's namespaces, so every network uses the same ones.
var (
	ClientAddr  = netip.MustParseAddr("10.77.0.1")
	ServerAddr  = netip.MustParseAddr("10.77.0.2")
	ClientAddr6 = netip.MustParseAddr("fd00:7c:1ab::1")
	ServerAddr6 = netip.MustParseAddr("fd00:7c:1ab::2")
)

// Interface names inside the namespaces.
const (
	ClientIf       = "c0" // the client host's interface
	ServerIf       = "s0" // the server host's interface
	MiddleClientIf = "mc" // the middle host's interface facing the client
	MiddleServerIf = "ms" // the middle host's interface facing the server
)

// Config describes a network.
type Config struct {
	// Impair is applied by the bridge: Impair.C2S to frames from the
	// client to the server, Impair.S2C to the others. A zero Seed is
	// replaced by a random one; Network.Spec returns the seed used.
	Impair impair.Spec
	// MTU of the veths; zero means 1500.
	MTU int
}

// DirectionStats count what the bridge did in one direction.
type DirectionStats struct {
	impair.Stats
	// WriteErrors counts frames the bridge failed to send on.
	WriteErrors uint64
	// Oversize counts frames longer than the bridge's buffer, dropped.
	Oversize uint64
	// KernelDrops counts frames the kernel dropped because the bridge's
	// receiving socket was full (PACKET_STATISTICS): frames lost that no
	// impairment asked for.
	KernelDrops uint64
}

// Stats are the bridge's counters for both directions.
type Stats struct {
	C2S, S2C DirectionStats
}

// ErrClosed is returned (wrapped) by Do on a network that has been
// removed.
var ErrClosed = errors.New("network closed")

// BulkOptions describe a bulk transfer across the network.
type BulkOptions struct {
	// Bytes is how many bytes the client sends; it must be positive.
	Bytes int64
	// IPv6 makes the transfer use the hosts' IPv6 addresses.
	IPv6 bool
	// Port is the server's TCP port; zero means 5001.
	Port int
	// Capture, if not empty, is the file to which tcpdump writes the
	// transfer's packets (pcap), captured on CaptureAt's interface.
	Capture string
	// CaptureAt is the host whose interface is captured: Server (the
	// default, for the zero Host) or Client.
	CaptureAt Host
	// Snaplen is tcpdump's snap length; zero captures whole frames.
	Snaplen int
	// Timeout bounds the whole transfer; zero means two minutes.
	Timeout time.Duration
}

// BulkResult is what a bulk transfer did.
type BulkResult struct {
	Sent, Received int64         // bytes written by the client, read by the server
	Elapsed        time.Duration // from connect to the server's end of file
	// RTT is the client socket's smoothed round-trip time,
	// Retransmits the segments it retransmitted and SegsOut the
	// segments it sent, retransmissions included, from TCP_INFO
	// (tcpi_rtt, tcpi_total_retrans, tcpi_segs_out), read once the
	// server has read every byte, before the connection is closed: the
	// segments of the close that come later are not in SegsOut.
	RTT         time.Duration
	Retransmits uint32
	SegsOut     uint32
	// Capture is the capture file, when one was asked for.
	Capture string
	// Stats are the bridge's counters at the end.
	Stats Stats
}

// String summarizes d in one line for people, such as "received 1000,
// forwarded 903, lost 97, queue drops 0, limit drops 0, duplicated 0,
// reordered 0, CE-marked 0".
func (d DirectionStats) String() string {
	s := fmt.Sprintf("received %d, forwarded %d, lost %d, queue drops %d, limit drops %d, duplicated %d, reordered %d, CE-marked %d",
		d.Received, d.Forwarded, d.DroppedLoss, d.DroppedQueue, d.DroppedLimit, d.Duplicated, d.Reordered, d.Marked)
	if d.WriteErrors != 0 || d.Oversize != 0 || d.KernelDrops != 0 {
		s += fmt.Sprintf(", write errors %d, oversize %d, kernel drops %d", d.WriteErrors, d.Oversize, d.KernelDrops)
	}
	return s
}
