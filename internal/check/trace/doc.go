// Package trace records the packets of each check of tcplab check on
// loopback (package capture: needs root or CAP_NET_RAW) and turns them into
// evidence: the packet list with Wireshark's Info column, the ladder of the
// first conversations, and the pcapng file.
package trace
