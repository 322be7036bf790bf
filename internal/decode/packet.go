package decode

import "net/netip"

// LinkType is a capture file's link-layer header type, a LINKTYPE_ value
// from the tcpdump.org list (the same numbers in pcap and pcapng).
type LinkType uint32

// The link types tcplab decodes.
const (
	LinkNull      LinkType = 0   // BSD loopback: 4-byte address family in the writer's byte order (macOS lo0, Npcap loopback)
	LinkEthernet  LinkType = 1   // IEEE 802.3 Ethernet, with 802.1Q/802.1ad tags
	LinkRaw       LinkType = 101 // raw IPv4 or IPv6, version from the first nibble
	LinkLoop      LinkType = 108 // OpenBSD loopback: 4-byte address family, big-endian
	LinkLinuxSLL  LinkType = 113 // Linux cooked capture v1 ("any" interface)
	LinkIPv4      LinkType = 228 // raw IPv4
	LinkIPv6      LinkType = 229 // raw IPv6
	LinkLinuxSLL2 LinkType = 276 // Linux cooked capture v2
)

// IP protocol numbers used by the decoder.
const (
	ProtoTCP uint8 = 6
)

// Packet is one decoded frame. Slices alias the frame passed to Decode and
// stay valid only as long as that buffer does. The zero Packet is ready to
// be filled; Decode resets every field.
type Packet struct {
	Link LinkType

	// EtherType names the network-layer protocol the link header carries
	// (for NULL, LOOP and raw links, 0x0800 or 0x86dd from the address
	// family or IP version; 0 when unknown). NetworkOffset is the offset in
	// the frame of the network-layer header, after any VLAN tags.
	EtherType     uint16
	NetworkOffset int

	// Network layer. IPVersion is 0 when the frame carries no IP packet
	// (ARP, an unknown EtherType, a truncated link header).
	IPVersion int        // 4 or 6
	Src, Dst  netip.Addr // source and destination addresses
	TTL       uint8      // IPv4 TTL or IPv6 hop limit
	TOS       uint8      // IPv4 TOS or IPv6 traffic class; the low 2 bits are ECN
	IPID      uint16     // IPv4 identification (0 for IPv6)
	IPHeader  []byte     // the IP header with its options or extension headers, as captured
	FlowLabel uint32     // IPv6 flow label (0 for IPv4)

	// IPTotalLen is the length of the IP packet the header announces
	// (IPv4 total length; IPv6 payload length plus 40), whatever was
	// captured.
	IPTotalLen int

	// Fragment is true when this IP packet is a fragment (IPv4 MF set or
	// offset non-zero; an IPv6 fragment header other than an atomic
	// fragment). Only a first fragment carries the transport header, and
	// Decode sees one frame: Proto is still set, but TCP is left empty for
	// every fragment. A Reassembler gives the datagram back in the frame of
	// the fragment that completes it, as tshark (reassembling by default)
	// shows it.
	Fragment       bool
	FragmentOffset int    // in bytes
	MoreFragments  bool   // the MF flag (IPv4) or M flag (IPv6 fragment header)
	DontFragment   bool   // the IPv4 DF flag
	FragmentID     uint32 // IPv6 fragment header identification (IPv4: see IPID)

	// IPPayload is the IP payload as captured (after any IPv6 extension
	// headers), without link-layer padding: for a fragment, the fragment's
	// bytes.
	IPPayload []byte

	// Proto is the upper-layer protocol (IPv4 protocol, or the IPv6 next
	// header after the extension headers).
	Proto uint8

	// Transport layer, set when Proto is TCP and the frame is not a
	// fragment. TCP holds the TCP header as captured: it may be shorter than
	// the header length its data offset announces when the snap length cut
	// it (check TCP.Valid and TCPTruncated).
	TCP TCP

	// TCPOffset is the offset of the TCP header in the frame.
	TCPOffset int

	// SegmentLen is the TCP segment length (header and payload) that the IP
	// header announces, whatever was captured. PayloadLen is SegmentLen
	// minus the TCP header length: Wireshark's tcp.len.
	SegmentLen int
	PayloadLen int

	// Payload is the TCP payload as captured: len(Payload) < PayloadLen
	// when the capture cut it short.
	Payload []byte

	// Truncated is true when the frame ends before the length the IP header
	// announces (a small snap length).
	Truncated bool
}
