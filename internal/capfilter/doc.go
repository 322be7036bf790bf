// Package capfilter compiles capture filters written in tcpdump's filter
// syntax (pcap-filter(7)) to classic BPF programs that the Linux kernel runs
// on an AF_PACKET socket (SO_ATTACH_FILTER), with no libpcap.
//
// It accepts the subset of the syntax that a TCP lab needs:
//
//	ip  ip6  tcp  udp  sctp  icmp  icmp6  arp
//	[src|dst|src or dst|src and dst] host ADDR      (IPv4 or IPv6)
//	[src|dst|src or dst|src and dst] net CIDR       (IPv4 or IPv6; or a full address)
//	[tcp|udp|sctp] [src|dst|...] port N
//	[tcp|udp|sctp] [src|dst|...] portrange A-B
//	ip|ip6|arp [src|dst] host|net ADDR
//
// combined with "and" ("&&"), "or" ("||"), "not" ("!") and parentheses.
// As in tcpdump, "not" binds tightest and "and" and "or" have the same
// precedence and associate to the left, so "a or b and c" means
// "(a or b) and c". A bare value after "and" or "or" repeats the qualifiers
// of the primitive before it: "port 80 or 443" is "port 80 or port 443".
//
// The generated programs test the same fields tcpdump's do:
//
//   - "host" and "net" with an IPv4 address also match the sender and target
//     protocol addresses of ARP and RARP packets, unless qualified by "ip".
//   - Port tests on IPv4 skip the IPv4 options (the header length in IHL)
//     and never match a non-first fragment (fragment offset non-zero), whose
//     first bytes are not a transport header; a first fragment (offset 0,
//     MF set) still matches.
//   - Port tests on IPv6 look only at the fixed 40-byte header: the next
//     header field must be TCP, UDP or SCTP and the ports are read right
//     after it. A packet with extension headers (hop-by-hop, routing,
//     fragment, destination options) between the fixed header and the
//     transport header does not match a port test, exactly as with tcpdump
//     (pcap-filter(7): such primitives do not chase the header chain).
//   - "tcp", "udp", "sctp" and "icmp6" on IPv6 also accept the one case
//     tcpdump special-cases: a fragment header (next header 44) directly
//     followed by that protocol.
//
// Unknown or unsupported syntax is an error (*SyntaxError) naming the byte
// offset and the token; it is never widened to "capture everything". Host
// and port names are not resolved: give addresses and numbers.
//
// On Linux the kernel takes an 802.1Q tag out of a received frame before a
// packet socket's filter runs, so "ip" matches a tagged IPv4 frame in a
// live capture (as with libpcap) but not in a file, where the tag is still
// in the frame.
//
// Programs are generated for Ethernet frames (Linux lo and veth devices are
// Ethernet) and for Linux cooked captures (SLL and SLL2). A packet is
// accepted by returning the snap length and dropped by returning 0; a load
// past the end of the packet drops it, as in the kernel and in tcpdump.
package capfilter
