// Package listing writes what `tcplab analyze` prints: the packet list
// line by line as `tshark -r FILE` prints it (with TCP's sub-dissectors
// off, so that Info holds the TCP summary), the JSON contract's packet and
// stream records, a conversation table like `tshark -z conv,tcp`, and a
// stream's payload like `tshark -z follow,tcp,ascii,N`.
//
// Lines are built with append-style functions into a reused buffer and
// written through one buffered writer: formatting a packet allocates
// nothing.
package listing
