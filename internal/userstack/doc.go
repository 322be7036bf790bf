// Package userstack runs the lab on a user-space TCP/IP stack: two hosts
// in one process, each a gVisor netstack (gvisor.dev/gvisor/pkg/tcpip)
// with IPv4 and TCP, joined by tcplab's own impairing link (package
// impair). Nothing of it touches the operating system's network: no
// socket system calls, no privileges, any OS.
//
// The hosts have netlab's addresses: the client host 10.77.0.1, the server
// host 10.77.0.2. Each host's network interface is a channel endpoint that
// carries raw IP packets, so there is no ARP (a lost ARP request would
// make the first SYN leave twice). One goroutine per direction drains the
// sending host's endpoint as soon as a packet is queued (the endpoint
// drops packets when its queue is full; the drops are counted), puts a
// fixed 14-byte Ethernet header in front so that captures and the ECN
// marking see Ethernet frames as in netlab, pushes the frame into the
// direction's impair.Link, and at the frame's release time strips the
// header and hands the packet to the receiving host.
//
// Every frame is written to a pcapng file exactly as it crossed the link,
// one file per capture point, with one clock: the capture at the client
// host holds the frames the client sent, when it sent them, and those it
// received, when they were delivered; the capture at the server host
// likewise. Every frame's fate (lost, delayed, duplicated, held back,
// CE-marked) is logged as netlab logs its bridge's, so package
// groundtruth reads either.
//
// The TCP is gVisor's, not the kernel's: Reno congestion control (gVisor's
// CUBIC can stall for good with a congestion window of zero), SACK with
// RACK loss detection where the link delays frames (faster and steadier
// than the classic recovery) and the classic recovery where it does not
// (RACK's tail-loss probe would fire after microseconds; see
// configureTCP), a 1500-byte MTU whose data segments
// carry 1420 bytes (gVisor keeps 40 bytes for options). A watchdog
// reports a connection whose sent data stays unacknowledged for too long
// (StallError), so that a run never hangs silently.
package userstack
