// Package capture records live traffic on Linux without libpcap or cgo: an
// AF_PACKET socket (internal/afpacket) with a TPACKET_V3 ring, a kernel
// BPF filter compiled from tcpdump syntax (internal/capfilter), and a
// pcapng writer (internal/pcapio).
//
// Open starts capturing at once: a packet that arrives after Open returns is
// kept in the ring until Run hands it to the caller, so a server can open a
// capture, then start serving, and miss nothing. Run delivers packets in
// the order the kernel saw them, with the kernel's nanosecond timestamps,
// until its context is cancelled, Config.Count packets were delivered or
// Config.Duration passed. On a cancel or a duration it first delivers every
// packet the kernel had already captured (nothing captured is lost on
// Ctrl-C). Session does all of that in the background and writes a pcapng
// file whose last block holds the kernel's statistics (received, dropped).
//
// Record starts a Session that also follows the TCP connections it
// captures (Teardowns), so that a program can stop its capture after the
// last packet of each conversation, the ACK of the later FIN, which comes
// after the sockets are closed. ListenInterface picks the interface on
// which the connections to a listening address arrive.
//
// On a loopback interface Linux hands a packet socket every packet twice,
// as sent (PACKET_OUTGOING) and as received; like libpcap, capture keeps
// only the received copy (PACKET_IGNORE_OUTGOING, and a check of each
// frame's packet type), so each packet appears once. On other interfaces
// both directions are captured.
//
// Capturing needs CAP_NET_RAW. Without it, Open returns a *PermissionError
// whose message names the capability and the remedy (run as root, or
// `sudo setcap cap_net_raw+ep` on the binary).
//
// Live capture exists only on Linux; elsewhere Open returns an error naming
// the system.
package capture
