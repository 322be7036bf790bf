package afpacket

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// PacketType is the sll_pkttype of a received frame: who the frame was
// for, as seen by the kernel (packet(7), linux/if_packet.h).
type PacketType uint8

// The packet types of linux/if_packet.h.
const (
	// PacketHost is a frame addressed to this host.
	PacketHost PacketType = 0
	// PacketBroadcast is a link-layer broadcast frame.
	PacketBroadcast PacketType = 1
	// PacketMulticast is a link-layer multicast frame.
	PacketMulticast PacketType = 2
	// PacketOtherHost is a frame for another host, seen in promiscuous mode.
	PacketOtherHost PacketType = 3
	// PacketOutgoing is a frame sent by this host, looped back to packet
	// sockets. On lo every packet is seen twice: once outgoing, once as
	// PacketHost.
	PacketOutgoing PacketType = 4
)

// String returns the name of t as in linux/if_packet.h, lowercased.
func (t PacketType) String() string {
	switch t {
	case PacketHost:
		return "host"
	case PacketBroadcast:
		return "broadcast"
	case PacketMulticast:
		return "multicast"
	case PacketOtherHost:
		return "otherhost"
	case PacketOutgoing:
		return "outgoing"
	}
	return fmt.Sprintf("pkttype(%d)", uint8(t))
}

// Info is what the kernel says about one received frame, from its
// sockaddr_ll.
type Info struct {
	// Type says whom the frame was for (host, broadcast, outgoing...).
	Type PacketType
	// Ifindex is the index of the interface the frame was seen on.
	Ifindex int
	// Protocol is the frame's EtherType in host byte order (0x0800 IPv4,
	// 0x86dd IPv6).
	Protocol uint16
	// Length is the frame's length on the wire. It is larger than the
	// number of bytes read when the caller's buffer was too small; the
	// rest of the frame is lost.
	Length int
}

// Stats are a socket's PACKET_STATISTICS counters.
//
// The kernel resets both counters each time they are read, so every call
// to Conn.Stats returns the counts since the previous call (or since the
// socket was opened); callers that want totals add them up.
type Stats struct {
	// Packets is the number of frames that passed the filter, including
	// those dropped (the kernel adds Drops into it).
	Packets uint32
	// Drops is the number of frames that passed the filter but were
	// dropped because the socket's receive buffer was full.
	Drops uint32
}

// Config sets options applied to the socket before it is bound to its
// interface, so that no frame reaches the socket unfiltered.
type Config struct {
	// Protocol is the EtherType to receive, in host byte order; zero means
	// every protocol (ETH_P_ALL).
	Protocol uint16
	// Filter, if not empty, is a classic BPF program attached before the
	// socket is bound (see Conn.SetBPF).
	Filter []bpf.RawInstruction
	// IgnoreOutgoing drops frames this host sends (PACKET_IGNORE_OUTGOING,
	// Linux 4.20 and later), so that on lo each packet is received once.
	IgnoreOutgoing bool
	// ReadBuffer, if positive, sets the socket's receive buffer in bytes
	// (see Conn.SetReadBuffer).
	ReadBuffer int
}

// ErrNoInterface is returned (wrapped) by Listen when no interface has the
// given name or index.
var ErrNoInterface = errors.New("no such interface")

// permissionHint is appended to errors caused by a missing CAP_NET_RAW.
const permissionHint = "CAP_NET_RAW is missing: run as root, or grant the capability with `sudo setcap cap_net_raw,cap_net_admin+ep ./tcplab`"
