// Package decode reads the headers of a captured frame in place: the link
// layer (Ethernet with 802.1Q/QinQ tags, Linux cooked SLL and SLL2,
// BSD/Npcap NULL and OpenBSD LOOP, raw IPv4/IPv6), IPv4 (with options and
// fragments) or IPv6 (with extension headers), and TCP.
//
// Decoding never copies and never allocates: Decode fills a caller-owned
// Packet whose slices alias the frame, valid until the frame's buffer is
// reused. A frame cut short by the capture's snap length is decoded as far
// as its bytes go, as Wireshark does, and says so in Packet.Truncated.
package decode
