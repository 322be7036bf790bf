// Package decode reads the headers of a captured frame in place: the link
// layer (Ethernet with 802.1Q/QinQ tags and LLC/SNAP, Linux cooked SLL and
// SLL2, BSD/Npcap NULL and OpenBSD LOOP, raw IPv4/IPv6, PPP and Cisco
// HDLC, IEEE 802.11 with or without radiotap, IPoIB, NFLOG, PKTAP, Juniper
// Ethernet), the encapsulations inside (PPPoE, MPLS, IP in IP, GRE, VXLAN,
// Geneve) down to the innermost IPv4 (with options and fragments) or IPv6
// (with extension headers), and TCP. Reassembler puts fragments together.
//
// A frame that may carry TCP but cannot be decoded is an error with a
// short reason (SkipReason), so that callers can count it.
//
// Decoding never copies and never allocates: Decode fills a caller-owned
// Packet whose slices alias the frame, valid until the frame's buffer is
// reused. A frame cut short by the capture's snap length is decoded as far
// as its bytes go, as Wireshark does, and says so in Packet.Truncated.
//
// A frame that is not IP, or IP that is not TCP, is not an error. A
// malformed header is: the *Error names the header and its byte offset in
// the frame, and wraps ErrTruncated when the frame ends inside the link or
// IP header.
//
// Packet.TCPChecksum tells a good checksum from a bad one and from a
// partial one: the pseudo-header sum that a sender offloading the checksum
// leaves in the field, which is what every segment captured on Linux
// loopback holds.
package decode
