// Package listing writes what `tcplab analyze` prints: the packet list
// line by line as `tshark -r FILE` prints it, the JSON contract's packet
// and stream records (with each conversation's health), a conversation
// table like `tshark -z conv,tcp` (followed, when asked, by the
// conversations' health), a stream's payload like `tshark -z
// follow,tcp,ascii,N`, and tshark's -z statistics.
//
// Run ranges over a packets.Source (the frames read, decoded, analysed
// and skipped as everywhere else) and writes one output through a sink:
// the packet list and conversation table, the ndjson records, or a
// stream's payload. Lines are built with append-style functions into a reused buffer and
// written through one buffered writer: formatting a packet allocates
// nothing. Each conversation's stream record (or table row) is formatted
// when the conversation ends and held in memory, or past a few megabytes
// in an unlinked temporary file, until the packets are all written, so
// memory is bounded by the conversations open at once.
//
// # Parity with tshark 4.0.17
//
// The tests compare every field of every TCP packet, the packet list, the
// conversation table and the follow output with tshark's, on live
// captures and crafted ones. tshark runs with every protocol above TCP
// disabled, so that Info holds TCP's own summary (the lab's port 2000 is
// Cisco SCCP to Wireshark). The differences are deliberate or known:
//
//   - A checksum field holding only the pseudo-header sum (checksum
//     offload: every segment sent on Linux loopback) is "partial";
//     tshark says Bad. A field of 0xFFFF where 0x0000 is due is good
//     (RFC 1624); tshark says Bad.
//   - The packet list shows TCP frames only; frame numbers still count
//     every frame. A TCP header cut by the snap length before its window
//     is listed with its ports only, as tshark lists it, but is no TCP
//     packet in ndjson (tshark gives it no tcp.stream either).
//   - The conversation table adds two columns: Zeek's conn_state and the
//     initial RTT; its Filter line shows the selector.
//   - Not done: IPv4 fragments are not reassembled (tshark analyses the
//     TCP segment in the last fragment); a TCP header whose data offset is
//     below 20 bytes is not listed (tshark prints "bogus TCP header
//     length"); Info does not summarise the Quick-Start, TCP-AO, MPTCP
//     (tshark then names the protocol MPTCP), CC, SCPS, SNACK and Riverbed
//     options.
package listing
